"""All SQL of the practice feature: the services' reads and writes, the Partner API's reads,
and the retention sweep's batches."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core.db import DIALECT_INSERTS, table_of
from greenroom.core.direct import Direct, Executor, Row, Statement, dialect_of, execute
from greenroom.core.pagination import after_position
from greenroom.practice.models import (
    ANALYSIS_PENDING,
    Answer,
    AnswerComment,
    Interview,
    InterviewCounter,
)
from greenroom.tenancy.context import Tenant
from greenroom.users import repository as users
from greenroom.users.models import User

# The columns of the public interview object (`service.interview_payload`).
INTERVIEW_COLUMNS = (
    Interview.id,
    Interview.number,
    Interview.title,
    Interview.interviewer_name,
    Interview.category,
    Interview.completed_at,
    Interview.created_at,
    Interview.updated_at,
)
# The user's interviews, found by their partner_id in the same statement (the user is
# active: `users.repository.active_by_partner_id`).
_FIRST_PAGE = (
    select(*INTERVIEW_COLUMNS)
    .select_from(Interview)
    .join(User, User.id == Interview.user_id)
    .where(users.active_by_partner_id())
    .order_by(Interview.updated_at.desc(), Interview.id.desc())
    .limit(bindparam("limit"))
)
_PAGES = {
    False: Statement(_FIRST_PAGE),
    True: Statement(
        _FIRST_PAGE.where(
            after_position(
                Interview.updated_at,
                Interview.id,
                (
                    bindparam("after_at", type_=Interview.updated_at.type),
                    bindparam("after_id", type_=Interview.id.type),
                ),
                descending=True,
            )
        )
    ),
}


# Reading every interview of a user goes in slices of this many: each statement stays bounded
# (on SQLite it runs on the event loop's thread), and a usual user needs one.
ALL_SLICE = 500


async def read_all(direct: Direct, tenant: Tenant, partner_id: str, now: datetime) -> list[Row]:
    """Every interview of the active user `partner_id`, most recently updated first."""
    rows: list[Row] = []
    after = None
    while True:
        page = await read_page(direct, tenant, partner_id, now, limit=ALL_SLICE, after=after)
        rows.extend(page)
        if len(page) < ALL_SLICE:
            return rows
        after = (page[-1]["updated_at"], page[-1]["id"])


async def read_page(
    direct: Direct,
    tenant: Tenant,
    partner_id: str,
    now: datetime,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Row]:
    """Up to `limit` interviews of the active user `partner_id`, most recently updated first,
    after `after`: one statement (an unknown user and a user without interviews both read as
    no rows)."""
    values: dict[str, Any] = {**users.partner_id_params(tenant, partner_id, now), "limit": limit}
    if after is not None:
        values["after_at"], values["after_id"] = after
    return await direct.all(_PAGES[after is not None], **values)


_COUNTERS = table_of(InterviewCounter)
_NEXT_NUMBER = {
    name: Statement(
        insert(_COUNTERS)
        .values(org_id=bindparam("org_id"), last_number=literal(1))
        .on_conflict_do_update(
            index_elements=[_COUNTERS.c.org_id],
            set_={"last_number": _COUNTERS.c.last_number + 1},
        )
        .returning(_COUNTERS.c.last_number)
    )
    for name, insert in DIALECT_INSERTS.items()
}


async def next_interview_number(on: Executor, org_id: uuid.UUID) -> int:
    """The org's next interview number: one upsert of its counter row, which holds the row's lock
    until the transaction ends, so concurrent starts in one org get distinct numbers."""
    result = await execute(on, _NEXT_NUMBER[dialect_of(on)], {"org_id": org_id})
    row = result.first()
    assert row is not None
    return int(row["last_number"])


# One interview of the active user `:partner_id` with its questions (`service.interview_detail`).
_ONE = Statement(
    select(*INTERVIEW_COLUMNS, Interview.questions, Interview.answer_seconds)
    .select_from(Interview)
    .join(User, User.id == Interview.user_id)
    .where(users.active_by_partner_id(), Interview.id == bindparam("interview_id"))
)
# ... or by its number in the org (the `id` the Partner API lists).
_ONE_BY_NUMBER = Statement(
    select(*INTERVIEW_COLUMNS, Interview.questions, Interview.answer_seconds)
    .select_from(Interview)
    .join(User, User.id == Interview.user_id)
    .where(
        users.active_by_partner_id(),
        Interview.org_id == bindparam("org_id"),
        Interview.number == bindparam("number"),
    )
)
# Its answers: what the partner sees of each (no recording, no storage key).
ANSWER_COLUMNS = (
    Answer.question_index,
    Answer.kind,
    Answer.text,
    Answer.rating,
    Answer.created_at,
    Answer.media_type,
    Answer.duration_ms,
    Answer.analysis_status,
    Answer.analysis_error,
    Answer.transcript,
    Answer.feedback,
    Answer.media_removed_at,
    Answer.removed_after_days,
    Answer.transcript_removed_at,
)
_ANSWERS = Statement(
    select(*ANSWER_COLUMNS)
    .where(Answer.interview_id == bindparam("interview_id"))
    .order_by(Answer.question_index)
)


async def read_one(
    direct: Direct, tenant: Tenant, partner_id: str, ref: uuid.UUID | int, now: datetime
) -> tuple[Row, list[Row]] | None:
    """The interview (of the active user `partner_id`), by its number in the org or its UUID,
    and its answers by question: two statements; None when the user has no such interview (or
    there is no such user)."""
    values = users.partner_id_params(tenant, partner_id, now)
    if isinstance(ref, int):
        interview = await direct.one(_ONE_BY_NUMBER, **values, number=ref)  # org_id: the user's
    else:
        interview = await direct.one(_ONE, **values, interview_id=ref)
    if interview is None:
        return None
    return interview, await direct.all(_ANSWERS, interview_id=interview["id"])


async def expired_answers(
    session: AsyncSession,
    org_id: uuid.UUID,
    environment: str,
    cutoff: datetime,
    *,
    transcripts: bool,
    limit: int,
) -> list[Answer]:
    """Up to `limit` answers of the org and environment given before `cutoff` that still keep
    a recording (or, with `transcripts`, a recorded answer's transcript), locked for this
    transaction and skipped by any other sweep at once (PostgreSQL; SQLite's writers take
    turns). The interview is older than its answers, so the org's interviews are read through
    their index (org, environment, created_at) up to the cutoff."""
    kept: ColumnElement[bool] = Answer.media_key.is_not(None)
    if transcripts:
        kept = or_(kept, and_(Answer.kind == "recording", Answer.transcript_removed_at.is_(None)))
    stmt = (
        select(Answer)
        .join(Interview, Interview.id == Answer.interview_id)
        .where(
            Interview.org_id == org_id,
            Interview.environment == environment,
            Interview.created_at < cutoff,
            Answer.created_at < cutoff,
            kept,
        )
        .limit(limit)
        .with_for_update(of=Answer, skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars())


# --- the services' reads and writes (ORM sessions) ----------------------------------------------


async def get_own(
    session: AsyncSession, tenant: Tenant, user_id: uuid.UUID, ref: uuid.UUID | int
) -> Interview | None:
    """The user's interview in the tenant, by its UUID or its number in the org."""
    which = Interview.number == ref if isinstance(ref, int) else Interview.id == ref
    result = await session.execute(
        select(Interview).where(
            which,
            Interview.user_id == user_id,
            Interview.org_id == tenant.org_id,
            Interview.environment == tenant.environment.value,
        )
    )
    return result.scalar_one_or_none()


async def answers_of(session: AsyncSession, interview_id: uuid.UUID) -> list[Answer]:
    """The interview's answers, in no particular order."""
    result = await session.execute(select(Answer).where(Answer.interview_id == interview_id))
    return list(result.scalars())


async def get_own_answer(
    session: AsyncSession, user_id: uuid.UUID, answer_id: uuid.UUID
) -> Answer | None:
    """The user's answer `answer_id`, or None."""
    result = await session.execute(
        select(Answer).where(Answer.id == answer_id, Answer.user_id == user_id)
    )
    return result.scalar_one_or_none()


async def reread_answer(session: AsyncSession, answer_id: uuid.UUID) -> Answer | None:
    """The answer as the database holds it now (the session's copy is refreshed), or None."""
    result = await session.execute(
        select(Answer).where(Answer.id == answer_id).execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def delete_answers_of(session: AsyncSession, interview_id: uuid.UUID) -> None:
    """Delete the interview's answers in one statement (the session's copies are left as is)."""
    await session.execute(
        delete(Answer)
        .where(Answer.interview_id == interview_id)
        .execution_options(synchronize_session=False)
    )


async def pending_recording(
    session: AsyncSession, answer_id: uuid.UUID
) -> tuple[str | None, int, list[Any]] | None:
    """(storage key, question index, the interview's questions) of an answer waiting for its
    analysis; None when it is not waiting (or gone)."""
    row = (
        await session.execute(
            select(Answer.media_key, Answer.question_index, Interview.questions)
            .join(Interview, Interview.id == Answer.interview_id)
            .where(Answer.id == answer_id, Answer.analysis_status == ANALYSIS_PENDING)
        )
    ).first()
    if row is None:
        return None
    return row.media_key, row.question_index, row.questions


async def answer_owner(
    session: AsyncSession, answer_id: uuid.UUID
) -> tuple[uuid.UUID, uuid.UUID, str] | None:
    """(user id, org id, environment) of an answer, or None when it is gone."""
    row = (
        await session.execute(
            select(Answer.user_id, Interview.org_id, Interview.environment)
            .join(Interview, Interview.id == Answer.interview_id)
            .where(Answer.id == answer_id)
        )
    ).first()
    if row is None:
        return None
    return row.user_id, row.org_id, row.environment


async def latest_of_user(
    session: AsyncSession, tenant: Tenant, user_id: uuid.UUID, *, limit: int
) -> list[Interview]:
    """The user's latest `limit` interviews in the tenant, most recently updated first."""
    query = (
        select(Interview)
        .where(
            Interview.user_id == user_id,
            Interview.org_id == tenant.org_id,
            Interview.environment == tenant.environment.value,
        )
        .order_by(Interview.updated_at.desc(), Interview.id.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def answer_in_tenant(
    session: AsyncSession, tenant: Tenant, answer_id: uuid.UUID
) -> tuple[Answer, Interview, User] | None:
    """An answer of the tenant's users with its interview and user, or None."""
    found = (
        await session.execute(
            select(Answer, Interview, User)
            .join(Interview, Interview.id == Answer.interview_id)
            .join(User, User.id == Answer.user_id)
            .where(
                Answer.id == answer_id,
                Interview.org_id == tenant.org_id,
                Interview.environment == tenant.environment.value,
                User.org_id == tenant.org_id,
            )
        )
    ).first()
    if found is None:
        return None
    answer, interview, user = found
    return answer, interview, user


async def comments_of(session: AsyncSession, interview_id: uuid.UUID) -> list[AnswerComment]:
    """The comments on the interview's answers, oldest first."""
    result = await session.execute(
        select(AnswerComment)
        .where(AnswerComment.interview_id == interview_id)
        .order_by(AnswerComment.created_at, AnswerComment.id)
    )
    return list(result.scalars())
