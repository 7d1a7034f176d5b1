"""`GET /api/users/{partner_id}/interviews/{id}`: an interview with its questions and answers,
their feedback and transcripts, and nothing of the recordings but their kind and length."""

from __future__ import annotations

import uuid
from datetime import timedelta

from greenroom.core import clock
from greenroom.keys.scopes import ALL_SCOPES, Scope
from tests.factories import make_key, make_org
from tests.practice.helpers import Member, make_user, number_of, signed_in
from tests.practice.media import recording


async def test_an_interview_reads_with_its_answers_and_feedback(app, client_for) -> None:
    org = await make_org(app)
    user = await make_user(app, org, partner_id="abc123def")
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    member = Member(browser)
    interview = await member.start("teamwork")
    await member.upload(interview, 3, recording(seconds=2.0, video=True), rating=4)
    await member.answer_text(
        interview, 1, "When I was at my last job, my task was, like, to plan. As a result we won."
    )
    api = client_for(org.slug, headers={"Authorization": await make_key(app, org)})

    response = await api.get(f"/api/users/abc123def/interviews/{interview}")
    assert response.status_code == 200, response.text
    body = response.json()["interview"]
    listed = (await api.get("/api/users/abc123def/interviews")).json()["interviews"][0]
    assert {k: body[k] for k in listed} == listed  # a list item, and more
    assert body["answer_time_limit_seconds"] == 90
    assert [q["number"] for q in body["questions"]] == [1, 2, 3]
    assert body["questions"][0]["prompt"] == "Tell me about a time you disagreed with a colleague."
    typed, recorded = body["answers"]  # by question number
    assert typed["question_number"] == 1 and typed["type"] == "text"
    assert typed["text"].startswith("When I was at my last job")
    assert typed["recording"] is None and typed["analysis_status"] is None
    assert typed["feedback"]["filler_words"] == {"like": 1}
    assert typed["feedback"]["star"]["result"] is True
    assert recorded["question_number"] == 3 and recorded["type"] == "recording"
    assert recorded["question"] == "What role do you usually take in a team?"
    assert recorded["rating"] == 4 and recorded["text"] is None
    assert recorded["recording"]["media"] == "video"
    assert abs(recorded["recording"]["duration_seconds"] - 2.0) <= 0.1
    assert recorded["analysis_status"] == "done"  # a tone: heard, but no words
    assert recorded["transcript"]["text"] == "" and recorded["feedback"]["words"] == 0
    assert recorded["feedback"]["pace_tip"] == (
        "We could not hear enough words to measure your pace."
    )
    # The recording itself stays private: no link, no storage key.
    assert "/members/recordings/" not in response.text and "media_key" not in response.text


async def test_unknown_and_foreign_interviews_are_404(app, client_for) -> None:
    org, other = await make_org(app), await make_org(app)
    owner = await make_user(app, org)
    neighbour = await make_user(app, org)
    stranger = await make_user(app, other)
    browser = client_for(org.slug)
    await signed_in(app, browser, org, owner)
    interview = await Member(browser).start("basics")
    elsewhere = client_for(other.slug)
    await signed_in(app, elsewhere, other, stranger)
    foreign = await Member(elsewhere).start("basics")
    api = client_for(org.slug, headers={"Authorization": await make_key(app, org)})

    ok = await api.get(f"/api/users/{owner.partner_id}/interviews/{interview}")
    assert ok.status_code == 200 and ok.json()["interview"]["answers"] == []
    # The `id` the list gives reads it too (as does the practice app's UUID, above).
    number = await number_of(app, interview)
    by_number = await api.get(f"/api/users/{owner.partner_id}/interviews/{number}")
    assert by_number.json() == ok.json() and ok.json()["interview"]["id"] == number
    for partner_id, interview_id in [
        (neighbour.partner_id, interview),  # another user's
        (owner.partner_id, foreign),  # another org's
        (owner.partner_id, str(uuid.uuid4())),
        (owner.partner_id, "not-an-id"),
        (owner.partner_id, "99999"),
        (owner.partner_id, "1" * 40),
    ]:
        response = await api.get(f"/api/users/{partner_id}/interviews/{interview_id}")
        assert response.status_code == 404, (partner_id, interview_id)
        assert response.json()["code"] == "interview_not_found"
    missing = await api.get(f"/api/users/nobody/interviews/{interview}")
    assert missing.status_code == 404 and missing.json()["code"] == "user_not_found"


async def test_an_expired_anonymous_users_interview_is_gone(app, client_for) -> None:
    org = await make_org(app, anonymous=True)
    user = await make_user(app, org, anonymous=True, expires_at=clock.now() + timedelta(hours=1))
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    interview = await Member(browser).start("basics")
    api = client_for(org.slug, headers={"Authorization": await make_key(app, org)})
    path = f"/api/users/{user.partner_id}/interviews/{interview}"
    assert (await api.get(path)).status_code == 200
    clock.advance(timedelta(hours=2))
    response = await api.get(path)
    assert response.status_code == 404 and response.json()["code"] == "user_not_found"


async def test_reading_an_interview_needs_the_progress_read_scope(app, client_for) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    key = await make_key(app, org, scopes=ALL_SCOPES - {Scope.PROGRESS_READ})
    api = client_for(org.slug, headers={"Authorization": key})
    response = await api.get(f"/api/users/{user.partner_id}/interviews/{uuid.uuid4()}")
    assert response.status_code == 403 and response.json()["code"] == "insufficient_scope"


async def test_the_openapi_document_describes_the_interview_and_its_answers(
    app, client_for
) -> None:
    org = await make_org(app)
    document = (await client_for(org.slug).get("/api/openapi.json")).json()
    operation = document["paths"]["/api/users/{partner_id}/interviews/{interview_id}"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/InterviewEnvelope")
    answer = document["components"]["schemas"]["AnswerItem"]["properties"]
    assert {"transcript", "feedback", "recording", "analysis_status"} <= set(answer)
    assert "media_key" not in answer
    progress = document["components"]["schemas"]["Progress"]["properties"]
    assert {"minutes_practised", "average_words_per_minute"} <= set(progress)
