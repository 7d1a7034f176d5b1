"""Retention of recordings (issue 20, item 1): the sweep removes the recordings (and, when the
org chose so, the transcripts) of answers older than the org's setting, in batches that commit
one by one, and audits each round; the answer keeps its feedback and says what happened."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from greenroom.audit.models import AuditEvent
from greenroom.core import clock
from greenroom.practice import repository, retention
from greenroom.practice.models import Answer, Interview
from greenroom.practice.storage import user_folder
from greenroom.tenancy import service as orgs
from greenroom.tenancy.models import Organization
from greenroom.users.models import User
from tests.factories import make_key, make_org
from tests.practice.helpers import WEBM, Member, make_user, number_of, signed_in


async def set_retention(
    app: FastAPI, org: Organization, days: int | None, transcripts: bool = False
) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        found = await session.get(Organization, org.id)
        assert found is not None
        await orgs.set_retention(session, found, orgs.Retention(days, transcripts), actor="cli")


async def sweep(app: FastAPI, *found: Organization, **options) -> dict[uuid.UUID, int]:
    return await retention.sweep(
        app.state.sessionmaker, app.state.storage, org_ids=[o.id for o in found], **options
    )


async def answer_row(app: FastAPI, interview: str, number: int) -> Answer:
    async with app.state.sessionmaker() as session:
        found: Answer | None = await session.scalar(
            select(Answer).where(
                Answer.interview_id == uuid.UUID(interview), Answer.question_index == number - 1
            )
        )
        assert found is not None
        return found


def file_of(app: FastAPI, answer: Answer) -> Path:
    assert answer.media_key is not None
    path: Path = app.state.storage.path(answer.media_key)
    return path


async def expired_entries(app: FastAPI, org: Organization) -> list[AuditEvent]:
    async with app.state.sessionmaker() as session:
        rows = await session.execute(
            select(AuditEvent)
            .where(AuditEvent.org_id == org.id, AuditEvent.event == retention.EXPIRED)
            .order_by(AuditEvent.created_at)
        )
        return list(rows.scalars())


async def recorded(app, client_for, org: Organization, partner_id: str = "abc123def"):
    """A student with a typed answer (question 1) and a recorded one (question 2) of "basics";
    the member, the interview's id and the user."""
    user = await make_user(app, org, partner_id=partner_id)
    client = client_for(org.slug)
    await signed_in(app, client, org, user)
    member = Member(client)
    interview = await member.start("basics")
    assert (await member.answer_text(interview, 1, "I led a small team.")).status_code == 303
    assert (await member.upload(interview, 2, rating=4)).status_code == 303
    answer = await answer_row(app, interview, 2)
    assert answer.analysis_status == "done" and answer.transcript is not None
    return member, interview, user


async def test_recordings_older_than_the_setting_go_and_the_answers_say_so(app, client_for) -> None:
    org, untouched = await make_org(app), await make_org(app)
    member, old_interview, user = await recorded(app, client_for, org)
    _, other_interview, _ = await recorded(app, client_for, untouched)
    await set_retention(app, org, 30)
    old = await answer_row(app, old_interview, 2)
    old_file, other_file = (
        file_of(app, old),
        file_of(app, await answer_row(app, other_interview, 2)),
    )
    clock.advance(timedelta(days=20))
    await signed_in(app, member.client, org, user)
    recent_interview = await member.start("basics")
    assert (await member.upload(recent_interview, 2)).status_code == 303
    recent_file = file_of(app, await answer_row(app, recent_interview, 2))

    assert await sweep(app, org, untouched) == {}  # nothing is 30 days old yet
    clock.advance(timedelta(days=10, hours=1))
    assert await sweep(app, org, untouched) == {org.id: 1}

    assert not old_file.exists()
    assert recent_file.exists() and other_file.exists()  # younger; another org's
    gone = await answer_row(app, old_interview, 2)
    assert gone.media_key is None and gone.removed_after_days == 30
    assert gone.media_removed_at is not None and gone.transcript_removed_at is None
    # The answer keeps everything but the file.
    assert (gone.duration_ms, gone.feedback, gone.transcript, gone.rating) == (
        old.duration_ms, old.feedback, old.transcript, 4,
    )  # fmt: skip
    [entry] = await expired_entries(app, org)
    assert entry.actor == "system" and entry.environment is None
    assert entry.details == {"count": 1, "transcripts": 0, "days": 30}
    assert await expired_entries(app, untouched) == []
    # A second round finds nothing and writes nothing.
    assert await sweep(app, org, untouched) == {}
    assert len(await expired_entries(app, org)) == 1

    # The student's review page and the file's address.
    await signed_in(app, member.client, org, user)
    review = await member.client.get(f"/members/interviews/{old_interview}")
    assert review.status_code == 200
    assert 'data-testid="recording-removed">Recording removed after 30 days' in review.text
    assert f"/members/recordings/{gone.id}" not in review.text
    assert "I led a small team." in review.text and "Transcript" in review.text
    assert (await member.client.get(f"/members/recordings/{gone.id}")).status_code == 404
    kept = await member.client.get(f"/members/interviews/{recent_interview}")
    assert "recording-removed" not in kept.text

    # The Partner API.
    api = client_for(org.slug, headers={"Authorization": await make_key(app, org)})
    number = await number_of(app, old_interview)
    body = (await api.get(f"/api/users/abc123def/interviews/{number}")).json()["interview"]
    typed, spoken = body["answers"]
    assert typed["recording"] is None and typed["transcript_removed_at"] is None
    assert spoken["recording"]["removed_after_days"] == 30
    assert spoken["recording"]["removed_at"].endswith("Z")
    assert old.media_type is not None and old.duration_ms is not None
    assert spoken["recording"]["media"] == old.media_type.split("/")[0]
    assert abs(spoken["recording"]["duration_seconds"] - old.duration_ms / 1000) < 0.01
    assert spoken["feedback"] == old.feedback and spoken["transcript"] == old.transcript
    assert spoken["transcript_removed_at"] is None
    number = await number_of(app, recent_interview)
    body = (await api.get(f"/api/users/abc123def/interviews/{number}")).json()["interview"]
    assert body["answers"][0]["recording"]["removed_at"] is None


async def test_transcripts_go_too_only_when_the_org_chose_it(app, client_for) -> None:
    with_transcripts, without = await make_org(app), await make_org(app)
    member, interview, user = await recorded(app, client_for, with_transcripts)
    _, kept_interview, _ = await recorded(app, client_for, without)
    await set_retention(app, with_transcripts, 7, transcripts=True)
    await set_retention(app, without, 7)
    before = await answer_row(app, interview, 2)
    clock.advance(timedelta(days=8))
    assert await sweep(app, with_transcripts, without) == {with_transcripts.id: 1, without.id: 1}

    gone = await answer_row(app, interview, 2)
    assert gone.media_key is None and gone.transcript is None
    assert gone.transcript_removed_at is not None and gone.feedback == before.feedback
    assert (await answer_row(app, kept_interview, 2)).transcript is not None
    [entry] = await expired_entries(app, with_transcripts)
    assert entry.details == {"count": 1, "transcripts": 1, "days": 7}

    await signed_in(app, member.client, with_transcripts, user)
    review = await member.client.get(f"/members/interviews/{interview}")
    assert "Recording removed after 7 days" in review.text
    assert 'data-testid="transcript-removed">Transcript removed after 7 days' in review.text
    api = client_for(
        with_transcripts.slug, headers={"Authorization": await make_key(app, with_transcripts)}
    )
    number = await number_of(app, interview)
    body = (await api.get(f"/api/users/abc123def/interviews/{number}")).json()["interview"]
    spoken = body["answers"][1]
    assert spoken["transcript"] is None and spoken["transcript_removed_at"].endswith("Z")
    assert spoken["feedback"] == before.feedback

    # Choosing transcripts later removes those of recordings already gone; nothing else.
    await set_retention(app, without, 7, transcripts=True)
    assert await sweep(app, without) == {}  # no recording went in this round ...
    late = await answer_row(app, kept_interview, 2)
    assert (
        late.transcript is None and late.transcript_removed_at is not None
    )  # ... a transcript did
    assert [e.details for e in await expired_entries(app, without)][-1] == {
        "count": 0, "transcripts": 1, "days": 7,
    }  # fmt: skip


async def test_retention_off_removes_nothing(app, client_for) -> None:
    org = await make_org(app)
    _, interview, _ = await recorded(app, client_for, org)
    path = file_of(app, await answer_row(app, interview, 2))
    await set_retention(app, org, 1)
    await set_retention(app, org, None)  # turned off again before it ran
    clock.advance(timedelta(days=3650))
    assert await sweep(app, org) == {}
    assert path.exists() and (await answer_row(app, interview, 2)).media_removed_at is None
    assert await expired_entries(app, org) == []


async def answers_as_rows(app: FastAPI, org: Organization, user: User, count: int) -> list[Path]:
    """`count` recorded answers as rows (one per interview), each with a file."""
    paths = []
    async with app.state.sessionmaker() as session, session.begin():
        for _ in range(count):
            interview = Interview(
                org_id=org.id,
                environment=user.environment,
                number=await repository.next_interview_number(session, org.id),
                user_id=user.id,
                set_slug="basics",
                title="Basics",
                category="general",
                interviewer_name="Sam",
                questions=[{"prompt": "Why us?", "tips": []}],
                created_at=clock.now(),
                updated_at=clock.now(),
            )
            session.add(interview)
            await session.flush()
            folder = user_folder(org.id, user.environment, user.partner_id)
            key = app.state.storage.save(folder, "webm", WEBM)
            paths.append(app.state.storage.path(key))
            session.add(
                Answer(
                    interview_id=interview.id,
                    user_id=user.id,
                    question_index=0,
                    kind="recording",
                    media_key=key,
                    media_type="video/webm",
                    duration_ms=1000,
                    analysis_status="pending",
                    created_at=clock.now(),
                )
            )
    return paths


class Stop(Exception):
    """Stands for the runner stopping between two batches."""


async def test_batches_commit_one_by_one_and_a_stopped_round_resumes(app) -> None:
    org = await make_org(app)
    production = await make_user(app, org)
    sandbox = await make_user(app, org, environment="sandbox")
    paths = await answers_as_rows(app, org, production, 5)
    paths += await answers_as_rows(app, org, sandbox, 2)
    await set_retention(app, org, 1)
    clock.advance(timedelta(days=2))
    batches = []

    async def stop_after_two() -> None:
        batches.append(sum(not p.exists() for p in paths))
        if len(batches) == 2:
            raise Stop()

    with pytest.raises(Stop):
        await sweep(app, org, batch=2, pause=stop_after_two)
    assert batches == [2, 4]  # each batch's files went when it committed
    [entry] = await expired_entries(app, org)
    assert entry.details["count"] == 4  # what committed, no more

    assert await sweep(app, org, batch=2) == {org.id: 3}  # the rest, both environments
    assert not any(p.exists() for p in paths)
    assert [e.details["count"] for e in await expired_entries(app, org)] == [4, 3]
    assert await sweep(app, org, batch=2) == {}
    async with app.state.sessionmaker() as session:
        rows = (
            await session.scalars(
                select(Answer).where(Answer.user_id.in_([production.id, sandbox.id]))
            )
        ).all()
    assert len(rows) == 7 and all(r.media_key is None and r.media_removed_at for r in rows)
    # Never analysed: it never will be now, and the answer says so.
    assert {(r.analysis_status, r.analysis_error) for r in rows} == {
        ("failed", retention.NOT_ANALYSED)
    }


async def test_a_change_of_setting_mid_round_is_followed(app) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    paths = await answers_as_rows(app, org, user, 4)
    await set_retention(app, org, 1)
    clock.advance(timedelta(days=2))

    async def turn_off() -> None:
        await set_retention(app, org, None)

    assert await sweep(app, org, batch=2, pause=turn_off) == {org.id: 2}
    assert sum(p.exists() for p in paths) == 2


async def test_two_sweeps_at_once_remove_each_recording_once(app) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    paths = await answers_as_rows(app, org, user, 12)
    await set_retention(app, org, 1)
    clock.advance(timedelta(days=2))
    first, second = await asyncio.gather(sweep(app, org, batch=3), sweep(app, org, batch=3))
    assert first.get(org.id, 0) + second.get(org.id, 0) == 12
    assert not any(p.exists() for p in paths)
    assert sum(e.details["count"] for e in await expired_entries(app, org)) == 12
