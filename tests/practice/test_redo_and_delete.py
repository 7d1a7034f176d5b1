"""Answering a question again, deleting an answer or a whole interview: through the app's
pages, with progress read from the Partner API and the recordings checked on disk."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from greenroom.practice.models import Answer, Interview
from greenroom.practice.storage import user_folder
from greenroom.tenancy.models import Organization
from greenroom.users.models import User
from tests.factories import make_key, make_org
from tests.practice.helpers import (
    Member,
    csrf_from,
    make_user,
    number_of,
    page_error_code,
    recorded_events,
    signed_in,
)
from tests.practice.media import recording


async def _member(app: FastAPI, client_for) -> tuple[Organization, User, Member, Any]:
    org = await make_org(app)
    user = await make_user(app, org)
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    api = client_for(org.slug, headers={"Authorization": await make_key(app, org)})
    return org, user, Member(browser), api


async def _progress(api: Any, user: User) -> dict[str, Any]:
    response = await api.get(f"/api/users/{user.partner_id}/progress")
    assert response.status_code == 200, response.text
    progress: dict[str, Any] = response.json()["progress"]
    return progress


def _files(settings: Any, org: Organization, user: User) -> set[str]:
    folder = (
        Path(settings.data_dir) / "recordings" / user_folder(org.id, "production", user.partner_id)
    )
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


async def _answer_count(app: FastAPI, interview_id: str) -> int:
    async with app.state.sessionmaker() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Answer)
            .where(Answer.interview_id == uuid.UUID(interview_id))
        )
    return int(count or 0)


async def test_answering_again_replaces_the_answer_and_progress_stays_exact(
    app, client_for
) -> None:
    _, user, member, api = await _member(app, client_for)
    interview = await member.start("basics")
    await member.answer_text(interview, 1, "First try.", rating=2)
    await member.answer_text(interview, 2, "Second question.", rating=4)
    before = await _progress(api, user)
    assert before["answers_recorded"] == 2 and before["average_rating"] == 3.0
    assert before["practice_interviews"] == {"started": 1, "completed": 1}

    refused = await member.answer_text(interview, 1, "Again, without asking.")
    assert refused.status_code == 409 and page_error_code(refused) == "already_answered"

    page = f"/members/interviews/{interview}/questions/1"
    again = (await member.client.get(f"{page}?again=1")).text
    assert "You are answering this question again" in again
    assert '<input type="hidden" name="replace" value="1">' in again
    assert 'data-replace="1"' in again
    with recorded_events(user.partner_id) as seen:
        replaced = await member.answer_again(interview, 1, "A much better answer.", rating=5)
    assert replaced.status_code == 303, replaced.text
    assert [kind for kind, _ in seen if kind.startswith("interview.")] == ["interview.updated"]

    shown = (await member.client.get(page)).text
    assert "A much better answer." in shown and "First try." not in shown
    assert await _answer_count(app, interview) == 2
    after = await _progress(api, user)
    assert after["answers_recorded"] == 2  # replaced, not added
    assert after["average_rating"] == 4.5  # (5 + 4) / 2: the first rating no longer counts
    assert after["practice_interviews"] == {"started": 1, "completed": 1}  # completed once


async def test_a_new_recording_replaces_the_old_one_and_its_file(app, settings, client_for) -> None:
    org, user, member, api = await _member(app, client_for)
    interview = await member.start("basics")
    assert (await member.upload(interview, 1, recording(seconds=3.0), rating=3)).status_code == 303
    first = _files(settings, org, user)
    assert len(first) == 1
    assert (await _progress(api, user))["minutes_practised"] == 0.1  # 3 s

    response = await member.upload(interview, 1, recording(seconds=1.5), rating=4, replace=True)
    assert response.status_code == 303
    second = _files(settings, org, user)
    assert len(second) == 1 and second != first  # the old file went with the old answer
    progress = await _progress(api, user)
    assert progress["answers_recorded"] == 1 and progress["average_rating"] == 4.0
    assert progress["minutes_practised"] == 0.0  # 1.5 s, to one decimal of a minute

    # A typed answer replacing a recording removes the recording too.
    assert (await member.answer_again(interview, 1, "Typed now.")).status_code == 303
    assert _files(settings, org, user) == set()
    assert (await _progress(api, user))["minutes_practised"] == 0.0


async def test_answering_one_question_again_concurrently_counts_exactly(app, client_for) -> None:
    _, user, member, api = await _member(app, client_for)
    interview = await member.start("basics")
    await member.answer_text(interview, 1, "First.", rating=1)
    page = f"/members/interviews/{interview}/questions/1"
    token = await csrf_from(member.client, f"{page}?again=1")
    responses = await asyncio.gather(
        *[
            member.client.post(
                f"{page}/text",
                data={"csrftoken": token, "text": f"Try {n}.", "rating": "5", "replace": "1"},
            )
            for n in range(4)
        ]
    )
    assert [r.status_code for r in responses] == [303] * 4
    assert await _answer_count(app, interview) == 1
    progress = await _progress(api, user)
    assert progress["answers_recorded"] == 1
    assert progress["average_rating"] == 5.0


async def test_deleting_an_answer_needs_confirming_and_reopens_the_interview(
    app, settings, client_for
) -> None:
    org, user, member, api = await _member(app, client_for)
    interview = await member.start("basics")
    await member.upload(interview, 1, rating=2)
    await member.answer_text(interview, 2, "Typed.", rating=4)
    assert (await _progress(api, user))["practice_interviews"]["completed"] == 1

    confirm = await member.client.get(f"/members/interviews/{interview}/questions/1/delete")
    assert confirm.status_code == 200
    assert "Delete your answer?" in confirm.text and "its recording" in confirm.text
    assert "Tell me about yourself." in confirm.text
    assert await _answer_count(app, interview) == 2  # showing the question deletes nothing

    with recorded_events(user.partner_id) as seen:
        deleted = await member.delete_answer(interview, 1)
    assert deleted.status_code == 303
    assert deleted.headers["location"] == f"/members/interviews/{interview}/questions/1"
    assert [k for k, _ in seen if k.startswith("interview.")] == ["interview.updated"]
    updated = next(d for k, d in seen if k == "interview.updated")["interview"]
    assert updated["completed"] is False
    assert _files(settings, org, user) == set()
    page = (await member.client.get(deleted.headers["location"])).text
    assert "Record your answer" in page  # the question can be answered again
    progress = await _progress(api, user)
    assert progress["answers_recorded"] == 1 and progress["average_rating"] == 4.0
    assert progress["practice_interviews"] == {"started": 1, "completed": 0}
    review = (await member.client.get(f"/members/interviews/{interview}")).text
    assert "In progress" in review and "1 of 2 answered" in review

    await member.answer_text(interview, 1, "Answered again.", rating=5)
    progress = await _progress(api, user)
    assert progress["practice_interviews"] == {"started": 1, "completed": 1}
    assert progress["answers_recorded"] == 2

    gone = await member.delete_answer(interview, 1)
    assert gone.status_code == 303
    path = f"/members/interviews/{interview}/questions/1/delete"
    nothing = await member.client.get(path)  # nothing to confirm: back to the question
    assert nothing.status_code == 303
    token = await csrf_from(member.client, f"/members/interviews/{interview}/questions/1")
    again = await member.client.post(path, data={"csrftoken": token})
    assert again.status_code == 404 and page_error_code(again) == "answer_not_found"


async def test_deleting_an_interview_removes_it_everywhere_and_sends_the_event(
    app, settings, client_for
) -> None:
    org, user, member, api = await _member(app, client_for)
    kept = await member.start("teamwork")
    await member.answer_text(kept, 1, "Kept.", rating=3)
    interview = await member.start("basics")
    await member.upload(interview, 1, recording(seconds=3.0), rating=1)
    await member.upload(interview, 2, rating=5)
    assert len(_files(settings, org, user)) == 2
    listed = (await api.get(f"/api/users/{user.partner_id}/interviews")).json()["interviews"]
    numbers = {kept: await number_of(app, kept), interview: await number_of(app, interview)}
    assert {i["id"] for i in listed} == set(numbers.values())

    confirm = await member.client.get(f"/members/interviews/{interview}/delete")
    assert "Delete this interview?" in confirm.text and "all 2 of your answers" in confirm.text
    with recorded_events(user.partner_id) as seen:
        deleted = await member.delete_interview(interview)
    assert (
        deleted.status_code == 303
        and deleted.headers["location"] == "/members/interviews?deleted=1"
    )
    events = [(k, d) for k, d in seen if k.startswith("interview.")]
    assert [k for k, _ in events] == ["interview.deleted"]
    payload = events[0][1]["interview"]
    assert payload["id"] == numbers[interview] and payload["partner_id"] == user.partner_id
    assert payload["completed"] is True and payload["title"] == "Interview basics"

    assert (
        "The interview was deleted." in (await member.client.get(deleted.headers["location"])).text
    )
    assert _files(settings, org, user) == set()
    assert (await member.client.get(f"/members/interviews/{interview}")).status_code == 404
    listed = (await api.get(f"/api/users/{user.partner_id}/interviews")).json()["interviews"]
    assert [i["id"] for i in listed] == [numbers[kept]]
    detail = await api.get(f"/api/users/{user.partner_id}/interviews/{interview}")
    assert detail.status_code == 404 and detail.json()["code"] == "interview_not_found"
    progress = await _progress(api, user)
    assert progress["practice_interviews"] == {"started": 1, "completed": 0}
    assert progress["answers_recorded"] == 1 and progress["average_rating"] == 3.0
    assert progress["minutes_practised"] == 0.0
    async with app.state.sessionmaker() as session:
        assert await session.get(Interview, uuid.UUID(interview)) is None
    assert await _answer_count(app, interview) == 0


async def test_only_the_owner_can_delete(app, client_for) -> None:
    org, _, owner, _ = await _member(app, client_for)
    other_user = await make_user(app, org)
    other = Member(client_for(org.slug))
    await signed_in(app, other.client, org, other_user)
    interview = await owner.start("basics")
    await owner.answer_text(interview, 1, "Mine.")
    token = await csrf_from(other.client, "/members/dashboard")
    for path in [
        f"/members/interviews/{interview}/delete",
        f"/members/interviews/{interview}/questions/1/delete",
    ]:
        assert (await other.client.get(path)).status_code == 404
        response = await other.client.post(path, data={"csrftoken": token})
        assert response.status_code == 404
    assert await _answer_count(app, interview) == 1


@pytest.mark.parametrize("end", ["rollback", "close"])
async def test_a_recording_of_an_answer_never_committed_is_removed(
    app, settings, client_for, end: str
) -> None:
    """The remuxed file is stored before the answer's row; when the transaction does not
    commit (here: it is rolled back, or the session closed), the file goes too."""
    from greenroom.content.loader import get_pack
    from greenroom.practice import service
    from greenroom.tenancy.context import OrgSnapshot, Tenant
    from greenroom.tenancy.hosts import Environment

    org, user, member, _ = await _member(app, client_for)
    interview_id = await member.start("basics")
    tenant = Tenant(OrgSnapshot.of(org), Environment.PRODUCTION)
    async with app.state.sessionmaker() as session:
        interview = await session.get(Interview, uuid.UUID(interview_id))
        db_user = await session.get(User, user.id)
        assert interview is not None and db_user is not None
        await service.answer_media(
            session,
            tenant,
            db_user,
            get_pack(settings.content_dir),
            interview,
            0,
            data=recording(),
            rating=None,
            storage=app.state.storage,
            max_bytes=settings.upload_max_bytes,
        )
        assert len(_files(settings, org, user)) == 1
        await (session.rollback() if end == "rollback" else session.close())
    assert _files(settings, org, user) == set()
