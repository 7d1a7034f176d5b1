from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select

from greenroom.core import clock
from greenroom.core.events import publish
from greenroom.practice.models import Answer, Interview
from greenroom.practice.storage import user_folder
from greenroom.progress.models import UserProgress
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization
from tests.factories import make_key, make_org
from tests.practice.helpers import (
    WEBM,
    Member,
    csrf_from,
    make_user,
    page_error_code,
    signed_in,
)
from tests.practice.media import recording

STAR_ANSWER = (
    "When I was at my last job our team missed deadlines. My task was to fix planning. "
    "I decided to set up a weekly board and I talked to each person. As a result we "
    "reduced late work by 40 percent, um, within a quarter."
)


async def _member(app: FastAPI, client_for, org: Organization | None = None):
    org = org or await make_org(app)
    user = await make_user(app, org)
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    return org, user, Member(browser)


async def test_a_text_answer_gets_feedback_and_the_summary_shows_it(app, client_for) -> None:
    _, _, member = await _member(app, client_for)
    interview = await member.start("basics")
    response = await member.answer_text(interview, 1, STAR_ANSWER, rating=4)
    assert response.headers["location"] == f"/members/interviews/{interview}/questions/1"
    page = (await member.client.get(response.headers["location"])).text
    assert "Situation ✓" in page and "Result ✓" in page
    assert "“um” \N{MULTIPLICATION SIGN}1" in page
    assert "Next question" in page
    await member.answer_text(interview, 2, "Short.", rating=2)
    summary = (await member.client.get(f"/members/interviews/{interview}")).text
    assert "Completed" in summary and "average self-rating 3.0" in summary
    assert "Consider adding" in summary  # the short answer misses STAR parts


async def test_a_question_cannot_be_answered_twice(app, client_for) -> None:
    _, _, member = await _member(app, client_for)
    interview = await member.start("basics")
    await member.answer_text(interview, 1, "First.")
    again = await member.answer_text(interview, 1, "Second.")
    assert again.status_code == 409
    token = await csrf_from(member.client, f"/members/interviews/{interview}/questions/1")
    missing = await member.client.post(
        f"/members/interviews/{interview}/questions/3/text", data={"csrftoken": token, "text": "x"}
    )
    assert missing.status_code == 404


async def test_ratings_outside_one_to_five_are_refused(app, client_for) -> None:
    _, _, member = await _member(app, client_for)
    interview = await member.start("basics")
    page = f"/members/interviews/{interview}/questions/1"
    token = await csrf_from(member.client, page)
    response = await member.client.post(
        f"{page}/text", data={"csrftoken": token, "text": "Hi", "rating": "6"}
    )
    assert response.status_code == 422


async def test_an_invalid_form_shows_a_page_naming_the_field(app, client_for) -> None:
    _, _, member = await _member(app, client_for)
    interview = await member.start("basics")
    page = f"/members/interviews/{interview}/questions/1"
    token = await csrf_from(member.client, page)
    response = await member.client.post(
        f"{page}/text",
        data={"csrftoken": token, "rating": "6"},
        headers={"Accept": "text/html,application/xhtml+xml"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "<li>text: This field is required.</li>" in response.text
    assert "<li>rating:" in response.text
    assert "Back to your dashboard" in response.text


async def test_retake_starts_a_new_interview_with_the_same_questions(app, client_for) -> None:
    _, _, member = await _member(app, client_for)
    first = await member.start("teamwork")
    page = f"/members/interviews/{first}/retake"
    token = await csrf_from(member.client, page)
    response = await member.client.post(page, data={"csrftoken": token})
    assert response.status_code == 303
    second = response.headers["location"].split("/")[3]
    assert second != first
    question = (await member.client.get(response.headers["location"])).text
    assert "Tell me about a time you disagreed with a colleague." in question


async def test_users_see_only_their_own_interviews_and_recordings(app, client_for) -> None:
    org, _, owner = await _member(app, client_for)
    _, _, other = await _member(app, client_for, org)
    interview = await owner.start("basics")
    upload = await owner.upload(interview, 1, rating=3)
    assert upload.status_code == 303
    review = (await owner.client.get(f"/members/interviews/{interview}")).text
    answer_id = review.split("/members/recordings/")[1].split('"')[0]
    played = await owner.client.get(f"/members/recordings/{answer_id}")
    assert played.status_code == 200 and played.content.startswith(b"\x1a\x45\xdf\xa3")
    assert played.headers["content-type"] == "audio/webm"  # a recording of sound only
    assert played.headers["cache-control"] == "private, no-store"
    assert (await other.client.get(f"/members/recordings/{answer_id}")).status_code == 404
    assert (await other.client.get(f"/members/interviews/{interview}")).status_code == 404
    token = await csrf_from(other.client, "/members/dashboard")
    sneaky = await other.client.post(
        f"/members/interviews/{interview}/questions/2/text", data={"csrftoken": token, "text": "x"}
    )
    assert sneaky.status_code == 404
    anonymous = client_for(org.slug)
    assert (await anonymous.get(f"/members/recordings/{answer_id}")).status_code == 401


async def test_sound_plays_in_an_audio_player_and_video_in_a_video_player(app, client_for) -> None:
    _, _, member = await _member(app, client_for)
    interview = await member.start("teamwork")
    page = f"/members/interviews/{interview}/questions/1"
    token = await csrf_from(member.client, page)
    # What the browser declares does not matter: what the file holds does.
    response = await member.client.post(
        f"{page}/media",
        data={"csrftoken": token},
        files={"media": ("a.webm", recording(), "video/webm")},
    )
    assert response.status_code == 303
    answered = (await member.client.get(page)).text
    assert "<audio controls" in answered and "<video" not in answered
    assert (await member.upload(interview, 2, recording(video=True))).status_code == 303
    answered = (await member.client.get(f"/members/interviews/{interview}/questions/2")).text
    assert "<video controls" in answered and "<audio" not in answered


async def test_uploads_are_sniffed_and_capped(app, settings, client_for) -> None:
    _, _, member = await _member(app, client_for)
    interview = await member.start("teamwork")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    for refused in [png, b"<script>alert(1)</script>", WEBM]:  # WEBM: a header, nothing in it
        response = await member.upload(interview, 1, refused)
        assert response.status_code == 415, response.text
        assert page_error_code(response) == "media_not_decodable"
    too_big = recording() + b"\x00" * settings.upload_max_bytes
    assert (await member.upload(interview, 1, too_big)).status_code == 413
    assert (await member.upload(interview, 1)).status_code == 303


async def test_recordings_are_stored_under_generated_names_inside_the_folder(
    app, settings, client_for
) -> None:
    org, user, member = await _member(app, client_for)
    interview = await member.start("teamwork")
    page = f"/members/interviews/{interview}/questions/1"
    token = await csrf_from(member.client, page)
    response = await member.client.post(
        f"{page}/media",
        data={"csrftoken": token},
        files={"media": ("../../../../etc/evil.sh", recording(), "text/x-sh")},
    )
    assert response.status_code == 303
    folder = (
        Path(settings.data_dir) / "recordings" / user_folder(org.id, "production", user.partner_id)
    )
    files = list(folder.iterdir())
    assert len(files) == 1 and files[0].suffix == ".webm" and len(files[0].stem) == 32
    assert not (Path(settings.data_dir).parent / "etc").exists()


async def test_uploads_need_the_csrf_token_before_the_file(app, client_for) -> None:
    _, _, member = await _member(app, client_for)
    interview = await member.start("teamwork")
    page = f"/members/interviews/{interview}/questions/1"
    token = await csrf_from(member.client, page)
    no_token = await member.client.post(f"{page}/media", files={"media": ("a.webm", WEBM)})
    assert no_token.status_code == 403
    forged = await member.client.post(
        f"{page}/media", data={"csrftoken": "forged"}, files={"media": ("a.webm", WEBM)}
    )
    assert forged.status_code == 403
    header = await member.client.post(
        f"{page}/media",
        files={"media": ("a.webm", recording())},
        headers={"x-csrftoken": token},
    )
    assert header.status_code == 303


async def test_deleting_a_user_deletes_their_recordings(app, settings, client_for) -> None:
    org, user, member = await _member(app, client_for)
    interview = await member.start("teamwork")
    await member.upload(interview, 1)
    folder = (
        Path(settings.data_dir) / "recordings" / user_folder(org.id, "production", user.partner_id)
    )
    assert folder.exists()
    tenant = Tenant(OrgSnapshot.of(org), Environment.PRODUCTION)
    async with app.state.sessionmaker() as session, session.begin():
        await publish(session, tenant, "user.deleted", {"user": {"partner_id": user.partner_id}})
        assert folder.exists()  # until the commit
    assert not folder.exists()


async def test_pages_need_a_signed_in_member(app, client_for) -> None:
    org = await make_org(app)
    client = client_for(org.slug)
    for path in ["/members/dashboard", "/members/modules/stories", "/members/interviews"]:
        response = await client.get(path)
        # A page (these are browser routes), with the code for machines to read.
        assert response.status_code == 401 and "Please sign in" in response.text
        assert 'data-code="not_signed_in"' in response.text


async def test_lessons_render_sanitised_markdown_and_mark_complete(app, client_for) -> None:
    _, _, member = await _member(app, client_for)
    link = "/members/modules/first-steps/lessons/why-practise"
    page = (await member.client.get(link)).text
    assert "<strong>builds</strong>" in page and "<script>alert" not in page
    assert "Mark complete" in page
    await member.complete_lesson(link)
    assert "You completed this lesson" in (await member.client.get(link)).text
    module = (await member.client.get("/members/modules/first-steps")).text
    assert module.count('class="badge">done') == 1
    assert (await member.client.get("/members/modules/nope/lessons/x")).status_code == 404


async def test_browsers_that_are_not_signed_in_get_a_page(app, client_for) -> None:
    org = await make_org(app)
    response = await client_for(org.slug).get(
        "/members/dashboard", headers={"accept": "text/html,application/xhtml+xml"}
    )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert "Please sign in" in response.text


async def test_anonymous_users_use_the_app_until_they_expire(app, client_for) -> None:
    org = await make_org(app, anonymous=True)
    # Expiring within the session's idle limit, so only the user's expiry can end it.
    user = await make_user(app, org, anonymous=True, expires_at=clock.now() + timedelta(hours=1))
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    member = Member(browser)
    await member.complete_lesson("/members/modules/stories/lessons/star")
    clock.advance(timedelta(minutes=50))
    assert (await browser.get("/members/dashboard")).status_code == 200
    clock.advance(timedelta(minutes=11))
    assert (await browser.get("/members/dashboard")).status_code == 401


async def test_concurrent_activity_of_one_user_counts_exactly(app, client_for) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    user = await make_user(app, org)
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    links = [
        "/members/modules/first-steps/lessons/why-practise",
        "/members/modules/first-steps/lessons/research",
        "/members/modules/first-steps/lessons/dress",
        "/members/modules/stories/lessons/star",
        "/members/modules/stories/lessons/star",
    ]
    tokens = [await csrf_from(browser, link) for link in links]
    responses = await asyncio.gather(
        *[
            browser.post(f"{link}/complete", data={"csrftoken": token})
            for link, token in zip(links, tokens, strict=True)
        ]
    )
    assert all(r.status_code == 303 for r in responses)
    progress = (
        await client_for(org.slug).get(
            f"/api/users/{user.partner_id}/progress", headers={"Authorization": key}
        )
    ).json()["progress"]
    assert progress["lessons"]["completed"] == 4
    assert [m["lessons_completed"] for m in progress["modules"]] == [3, 1]


async def test_app_errors_are_pages_for_browsers_and_problems_for_the_api(app, client_for) -> None:
    _, _, member = await _member(app, client_for)
    html = {"accept": "text/html"}
    page = await member.client.get("/members/interviews/not-an-id", headers=html)
    assert page.status_code == 404 and "Back to your dashboard" in page.text
    api = await member.client.get("/api/users/nobody/progress", headers=html)
    assert api.headers["content-type"] == "application/problem+json"


async def test_deleting_a_user_through_the_api_erases_practice_data_and_files(
    app, settings, client_for
) -> None:
    org, user, member = await _member(app, client_for)
    key = await make_key(app, org)
    interview = await member.start("teamwork")
    await member.upload(interview, 1)
    await member.complete_lesson("/members/modules/stories/lessons/star")
    folder = (
        Path(settings.data_dir) / "recordings" / user_folder(org.id, "production", user.partner_id)
    )
    assert folder.exists()
    api = client_for(org.slug)
    deleted = await api.delete(f"/api/users/{user.partner_id}", headers={"Authorization": key})
    assert deleted.status_code == 204
    assert not folder.exists()
    assert (await member.client.get("/members/dashboard")).status_code == 401
    async with app.state.sessionmaker() as session:
        for model in (Interview, Answer):
            rows = await session.execute(select(model).where(model.user_id == user.id))
            assert rows.first() is None
        assert await session.get(UserProgress, user.id) is None


async def test_the_question_page_is_the_interview_moment(app, client_for) -> None:
    _, _, member = await _member(app, client_for)
    interview = await member.start("basics")
    page = (await member.client.get(f"/members/interviews/{interview}/questions/1")).text
    assert '<h1 id="prompt">Tell me about yourself.</h1>' in page
    assert "<strong>Alex</strong> asks:" in page and "Hear the question again" in page
    assert 'data-limit="120"' in page and "you have up to 2 minutes." in page
    assert "Thinking time before you answer" in page and "Microphone level" in page
    assert "Record again" in page and "Submit this answer" in page
    # Typing and uploading stay on the same screen (folded by the script when it can record).
    assert "Type your answer" in page and "Upload a recording" in page
    assert 'name="replace"' not in page and "You are answering this question again" not in page
    teamwork = await member.start("teamwork")
    page = (await member.client.get(f"/members/interviews/{teamwork}/questions/1")).text
    assert 'data-limit="90"' in page and "you have up to 1 minute 30 seconds." in page
    assert "of 1:30" in page  # the recording timer's limit


async def test_a_file_that_is_not_a_recording_gets_the_question_page_saying_why(
    app, settings, client_for
) -> None:
    org, user, member = await _member(app, client_for)
    interview = await member.start("basics")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    for content, message in [
        (png, "This file is not an audio or video recording we can play."),
        (WEBM, "This file is not an audio or video recording we can play."),  # a header only
    ]:
        response = await member.upload(interview, 1, content, html=True)
        assert response.status_code == 415
        assert response.headers["content-type"].startswith("text/html")
        assert "We could not use that file" in response.text and message in response.text
        assert '<h1 id="prompt">Tell me about yourself.</h1>' in response.text
        assert 'id="by-upload-details" open data-keep-open="1"' in response.text
    folder = (
        Path(settings.data_dir) / "recordings" / user_folder(org.id, "production", user.partner_id)
    )
    assert not folder.exists() or not list(folder.iterdir())
    page = (await member.client.get(f"/members/interviews/{interview}/questions/1")).text
    assert '<h2 id="your-answer">' not in page and "Record your answer" in page  # not saved


async def test_a_browser_recording_is_stored_with_a_duration_and_seeks(
    app, tmp_path, client_for
) -> None:
    """MediaRecorder's live WebM has no duration and no cues; the stored file has both, and is
    served in ranges (what a player's seek bar asks for)."""
    import av

    _, _, member = await _member(app, client_for)
    interview = await member.start("teamwork")
    live = recording(seconds=3.0, video=True)
    assert b"\x1c\x53\xbb\x6b" not in live  # no cues in what the browser sends
    assert (await member.upload(interview, 1, live)).status_code == 303
    page = (await member.client.get(f"/members/interviews/{interview}/questions/1")).text
    assert "Length: 0:03" in page
    path = "/members/recordings/" + page.split("/members/recordings/")[1].split('"')[0]
    stored = await member.client.get(path)
    assert stored.headers["content-type"] == "video/webm"
    assert b"\x1c\x53\xbb\x6b" in stored.content  # cues: a player can seek
    saved = tmp_path / "stored.webm"
    saved.write_bytes(stored.content)
    with av.open(str(saved)) as container:
        assert container.duration is not None
        assert abs(container.duration / av.time_base - 3.0) <= 0.1
    part = await member.client.get(path, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == stored.content[100:200]
