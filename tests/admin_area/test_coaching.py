"""Coaching (issue 18, item 4; issue 20, item 4): a student's interviews and answers in the
admin area, recordings played by admins and coaches only and audited, comments on answers that
the student sees, and what a coach may not open."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from greenroom.admins.models import AdminRole
from greenroom.audit.models import AuditEvent
from greenroom.core import clock
from greenroom.practice import sealed
from greenroom.practice.models import Answer
from greenroom.practice.storage import LocalStorage
from tests.admin_area.conftest import Area, assert_error_page, logged_in
from tests.factories import make_org
from tests.helpers import group_of
from tests.practice.helpers import Member, make_user, signed_in


async def practised(app, client_for, org, partner_id: str = "abc123def", environment="production"):
    """A student who answered question 1 of "basics" in text and question 2 with a recording;
    returns the member's client, the interview's id and the recording answer's id."""
    user = await make_user(
        app, org, partner_id=partner_id, environment=environment, first_name="Jane"
    )
    client = client_for(org.slug, environment)
    await signed_in(app, client, org, user)
    member = Member(client)
    interview = await member.start("basics")
    assert (await member.answer_text(interview, 1, "I led a small team.")).status_code == 303
    assert (await member.upload(interview, 2)).status_code == 303
    async with app.state.sessionmaker() as session:
        answer_id = await session.scalar(
            select(Answer.id).where(
                Answer.interview_id == uuid.UUID(interview), Answer.kind == "recording"
            )
        )
    return member, interview, str(answer_id)


async def stored(app, answer_id: str) -> bytes:
    """The bytes of the answer's stored (remuxed) recording."""
    async with app.state.sessionmaker() as session:
        answer = await session.get(Answer, uuid.UUID(answer_id))
        assert answer is not None and answer.media_key
        return bytes(app.state.storage.path(answer.media_key).read_bytes())


async def audit_events(app, org, event: str) -> list[AuditEvent]:
    async with app.state.sessionmaker() as session:
        rows = await session.execute(
            select(AuditEvent)
            .where(AuditEvent.org_id == org.id, AuditEvent.event == event)
            .order_by(AuditEvent.created_at)
        )
        return list(rows.scalars())


async def test_a_students_interview_shows_each_answer(
    app, area: Area, browser_for, client_for
) -> None:
    _member, interview, answer_id = await practised(app, client_for, area.org)
    user_page = await area.browser.get("/admin/users/abc123def")
    path = f"/admin/users/abc123def/interviews/{interview}"
    assert f'href="{path}"' in user_page.text
    page = await area.browser.get(path)
    assert page.status_code == 200
    assert "I led a small team." in page.text
    assert f'src="/admin/recordings/{answer_id}"' in page.text
    assert f'href="/admin/recordings/{answer_id}?download=true"' in page.text
    assert "Feedback" in page.text  # the typed answer's feedback
    # Another org's admin finds neither the user nor the interview.
    _stranger, stranger = await logged_in(app, browser_for, await make_org(app))
    assert_error_page(await stranger.get(path), 404, "user_not_found")
    # An unknown interview of the user is a 404 page too.
    unknown = f"/admin/users/abc123def/interviews/{uuid.uuid4()}"
    assert_error_page(await area.browser.get(unknown), 404, "interview_not_found")


async def test_recordings_play_for_admins_audited_once_per_playback(
    app, area: Area, client_for
) -> None:
    member, _interview, answer_id = await practised(app, client_for, area.org)
    url = f"/admin/recordings/{answer_id}"
    played = await area.browser.get(url)
    assert played.status_code == 200 and played.content == await stored(app, answer_id)
    assert played.headers["cache-control"] == "private, no-store"
    (entry,) = await audit_events(app, area.org, "recording.played")
    assert entry.admin_id == area.admin.id and entry.actor == f"admin:{area.admin.email}"
    assert entry.details["partner_id"] == "abc123def" and entry.details["answer_id"] == answer_id
    # A player's later ranges (seeking), and a retry from the start within a minute, are the
    # same playback; playing it again later is another.
    # Overlapping requests of one player (a retry while the first is being written) are one.
    again = [area.browser.get(url, headers={"Range": "bytes=0-"}) for _ in range(4)]
    assert {r.status_code for r in await asyncio.gather(*again)} == {206}
    assert len(await audit_events(app, area.org, "recording.played")) == 1
    seek = await area.browser.get(url, headers={"Range": "bytes=10-"})
    assert seek.status_code == 206
    await area.browser.get(url, headers={"Range": "bytes=0-"})
    assert len(await audit_events(app, area.org, "recording.played")) == 1
    clock.advance(timedelta(minutes=2))
    await area.browser.get(url, headers={"Range": "bytes=0-"})
    assert len(await audit_events(app, area.org, "recording.played")) == 2
    download = await area.browser.get(url, params={"download": "true"})
    assert download.headers["content-disposition"].startswith("attachment;")
    (downloaded,) = await audit_events(app, area.org, "recording.downloaded")
    assert downloaded.details["answer_id"] == answer_id
    # The student's own playback is theirs, not an access to audit.
    own = await member.client.get(f"/members/recordings/{answer_id}")
    assert own.status_code == 200
    assert len(await audit_events(app, area.org, "recording.played")) == 2
    # The audit page filters by it.
    log = await area.browser.get("/admin/audit", params={"event": "recording.played"})
    body = log.text.split("<tbody>", 1)[1]
    assert body.count("<td>recording.played</td>") == 2 and "recording.downloaded" not in body
    assert "partner_id=abc123def" in body and f"answer_id={answer_id}" in body


async def test_only_the_orgs_admins_and_coaches_play_recordings(
    app, area: Area, browser_for, client_for
) -> None:
    _member, interview, answer_id = await practised(app, client_for, area.org)
    url = f"/admin/recordings/{answer_id}"
    _viewer, viewer = await logged_in(app, browser_for, area.org, AdminRole.VIEWER)
    assert_error_page(await viewer.get(url), 403, "not_a_coach")
    page = await viewer.get(f"/admin/users/abc123def/interviews/{interview}")
    assert "/admin/recordings/" not in page.text and "Add comment" not in page.text
    coach_admin, coach = await logged_in(app, browser_for, area.org, AdminRole.COACH)
    assert (await coach.get(url)).status_code == 200
    (entry,) = await audit_events(app, area.org, "recording.played")
    assert entry.admin_id == coach_admin.id
    # Another org's admin, and the sandbox view, do not find it.
    other = await make_org(app)
    _stranger, stranger = await logged_in(app, browser_for, other)
    assert_error_page(await stranger.get(url), 404, "answer_not_found")
    await area.browser.submit("/admin", "/admin/view", {"view": "sandbox"})
    assert_error_page(await area.browser.get(url), 404, "answer_not_found")
    assert_error_page(
        await area.browser.get("/admin/recordings/not-an-id"), 404, "answer_not_found"
    )
    assert len(await audit_events(app, area.org, "recording.played")) == 1


async def test_a_coach_reads_users_and_comments_but_never_sees_settings(
    app, area: Area, browser_for
) -> None:
    _coach, coach = await logged_in(app, browser_for, area.org, AdminRole.COACH)
    for path in ("/admin", "/admin/users", "/admin/question-sets", "/admin/account"):
        assert (await coach.get(path)).status_code == 200, path
    for path in ("/admin/api-settings", "/admin/webhooks", "/admin/admins", "/admin/audit"):
        assert_error_page(await coach.get(path), 403, "not_for_coaches")
    nav = (await coach.get("/admin")).text.split('data-testid="sections"', 1)[1].split("</nav>")[0]
    assert "API Settings" not in nav and "Webhooks" not in nav and "Admins" not in nav
    assert "Users" in nav and "Dashboard" in nav
    refused = await coach.submit(
        "/admin", "/admin/api-settings", {"name": "x", "scopes": "users:read"}
    )
    assert_error_page(refused, 403, "not_for_coaches")
    question_sets = await coach.get("/admin/question-sets")
    assert "Add a question set" not in question_sets.text


async def test_a_coachs_comment_reaches_the_students_review_page(
    app, area: Area, browser_for, client_for
) -> None:
    member, interview, answer_id = await practised(app, client_for, area.org)
    coach_admin, coach = await logged_in(app, browser_for, area.org, AdminRole.COACH)
    page = f"/admin/users/abc123def/interviews/{interview}"
    action = f"{page}/answers/{answer_id}/comments"
    # Empty or too long: refused, and the text is kept.
    long_text = "x" * 4001
    refused = await coach.submit(page, action, {"body": long_text})
    assert refused.status_code == 422 and "1 to 4000 characters" in refused.text
    assert f">{long_text}</textarea>" in refused.text
    saved = await coach.submit(page, action, {"body": "Good pace. Say the result first."})
    assert saved.status_code == 303 and saved.headers["location"].endswith("#answer-2")
    shown = await coach.follow(saved)
    assert "Good pace. Say the result first." in shown.text and "Comment saved" in shown.text
    # The student sees it under the answer, on their review page.
    review = await member.client.get(f"/members/interviews/{interview}")
    assert "From your coach" in review.text and "Good pace. Say the result first." in review.text
    assert "Pat Admin" in review.text  # the coach's name
    (entry,) = await audit_events(app, area.org, "answer.commented")
    assert entry.admin_id == coach_admin.id and entry.details["answer_id"] == answer_id
    # Another student's interview does not take comments on this answer.
    other, other_interview, _ = await practised(app, client_for, area.org, partner_id="other")
    del other
    wrong = f"/admin/users/other/interviews/{other_interview}/answers/{answer_id}/comments"
    assert_error_page(await coach.submit(page, wrong, {"body": "x"}), 404, "answer_not_found")


async def test_a_viewer_cannot_comment(app, area: Area, browser_for, client_for) -> None:
    _member, interview, answer_id = await practised(app, client_for, area.org)
    _viewer, viewer = await logged_in(app, browser_for, area.org, AdminRole.VIEWER)
    page = f"/admin/users/abc123def/interviews/{interview}"
    refused = await viewer.submit(page, f"{page}/answers/{answer_id}/comments", {"body": "Hi"})
    assert_error_page(refused, 403, "not_a_coach")


async def test_transcript_and_spoken_feedback_show_where_the_answer_has_them(
    app, area: Area, client_for
) -> None:
    _member, interview, answer_id = await practised(app, client_for, area.org)
    spoken = {
        "kind": "spoken",
        "length_tip": "You spoke for 1 minute 10 seconds: a good length.",
        "pace_tip": "You spoke at 140 words a minute; 120-160 is easy to follow.",
        "pause_tip": "No long pauses (over 3 seconds): you kept going.",
        "filler_words": {"um": 2},
        "filler_total": 2,
    }
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Answer)
            .where(Answer.id == uuid.UUID(answer_id))
            .values(feedback=spoken, transcript=None, analysis_status="pending")
        )
    page = (await area.browser.get(f"/admin/users/abc123def/interviews/{interview}")).text
    answer = page.split('id="answer-2"', 1)[1]
    for tip in ("a good length", "140 words a minute", "No long pauses", "\u201cum\u201d \u00d72"):
        assert tip in answer
    assert 'data-testid="transcript"' not in page  # no transcript yet: nothing shown
    assert group_of(r'id="answer-(\d)"', page) == "1"
    assert re.search(r"answered \d{4}-\d\d-\d\d", answer)
    # Once analysed, the transcript is there (and an answer with no words says so).
    for said, shown in [("I led a team of four.", "I led a team of four."), ("", "No words")]:
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(
                update(Answer)
                .where(Answer.id == uuid.UUID(answer_id))
                .values(transcript={"text": said, "words": []}, analysis_status="done")
            )
        page = (await area.browser.get(f"/admin/users/abc123def/interviews/{interview}")).text
        assert shown in group_of(r'data-testid="transcript">([^<]*)<', page)


async def test_admins_play_sealed_recordings_exactly_and_in_ranges(
    app, area: Area, client_for, settings
) -> None:
    """With recordings sealed at rest, the admin's player gets the plaintext (issue 20, item 6)."""
    real = app.state.storage
    app.state.storage = LocalStorage(real.root, secrets=settings.server_secrets, encrypt=True)
    try:
        _member, _interview, answer_id = await practised(app, client_for, area.org)
        async with app.state.sessionmaker() as session:
            answer = await session.get(Answer, uuid.UUID(answer_id))
            assert answer is not None and answer.media_key
            on_disk = app.state.storage.path(answer.media_key).read_bytes()
        url = f"/admin/recordings/{answer_id}"
        played = await area.browser.get(url)
        assert played.status_code == 200 and played.content.startswith(b"\x1a\x45\xdf\xa3")
        assert on_disk.startswith(sealed.MAGIC) and played.content[:64] not in on_disk
        part = await area.browser.get(url, headers={"Range": "bytes=-100"})
        assert part.status_code == 206 and part.content == played.content[-100:]
        size = len(played.content)
        past = await area.browser.get(url, headers={"Range": f"bytes={size}-"})
        assert_error_page(past, 416, "range_not_satisfiable")
        download = await area.browser.get(url, params={"download": "true"})
        assert download.content == played.content
    finally:
        app.state.storage = real
