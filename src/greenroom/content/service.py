"""Question sets for a tenant: the pack's, plus the org's own (stored in `question_sets`).

`create_org_set` / `update_org_set` are what the admin area will call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.content.loader import (
    CATEGORIES,
    DEFAULT_ANSWER_SECONDS,
    MAX_ANSWER_SECONDS,
    MIN_ANSWER_SECONDS,
    SLUG_RE,
    Pack,
    Question,
    QuestionSet,
)
from greenroom.content.models import QuestionSetRow
from greenroom.core.errors import Conflict, NotFound, ValidationFailed
from greenroom.core.text import BIDI_MESSAGE, has_bidi_controls
from greenroom.tenancy.context import OrgSnapshot


def _as_set(row: QuestionSetRow) -> QuestionSet:
    return QuestionSet(
        slug=row.slug,
        title=row.title,
        category=row.category,
        interviewer_name=row.interviewer_name,
        description=row.description,
        order=row.position,
        questions=tuple(Question(q["prompt"], tuple(q.get("tips", ()))) for q in row.questions),
        answer_seconds=row.answer_seconds,
    )


async def sets_for(session: AsyncSession, org: OrgSnapshot, pack: Pack) -> list[QuestionSet]:
    """The pack's sets, then the org's own; an org set with a pack slug replaces the pack's."""
    rows = (
        await session.execute(
            select(QuestionSetRow)
            .where(QuestionSetRow.org_id == org.id)
            .order_by(QuestionSetRow.position, QuestionSetRow.slug)
        )
    ).scalars()
    own = [_as_set(r) for r in rows]
    own_slugs = {s.slug for s in own}
    return [s for s in pack.question_sets if s.slug not in own_slugs] + own


async def get_set(session: AsyncSession, org: OrgSnapshot, pack: Pack, slug: str) -> QuestionSet:
    for qset in await sets_for(session, org, pack):
        if qset.slug == slug:
            return qset
    raise NotFound("No such question set.", code="question_set_not_found")


def _validate(
    slug: str,
    title: str,
    category: str,
    interviewer_name: str,
    questions: Sequence[Question],
    answer_seconds: int = DEFAULT_ANSWER_SECONDS,
) -> list[dict[str, Any]]:
    errors = []
    if not MIN_ANSWER_SECONDS <= answer_seconds <= MAX_ANSWER_SECONDS:
        errors.append(
            {
                "field": "answer_seconds",
                "message": f"{MIN_ANSWER_SECONDS} to {MAX_ANSWER_SECONDS} seconds",
            }
        )
    if not SLUG_RE.fullmatch(slug):
        errors.append({"field": "slug", "message": "lowercase letters, digits and hyphens"})
    if not title.strip() or len(title) > 200:
        errors.append({"field": "title", "message": "1 to 200 characters"})
    elif has_bidi_controls(title):
        errors.append({"field": "title", "message": BIDI_MESSAGE})
    if category not in CATEGORIES:
        errors.append({"field": "category", "message": "one of " + ", ".join(CATEGORIES)})
    if not interviewer_name.strip() or len(interviewer_name) > 100:
        errors.append({"field": "interviewer_name", "message": "1 to 100 characters"})
    elif has_bidi_controls(interviewer_name):
        errors.append({"field": "interviewer_name", "message": BIDI_MESSAGE})
    if not questions or any(not q.prompt.strip() for q in questions):
        errors.append({"field": "questions", "message": "at least one question with a prompt"})
    if errors:
        raise ValidationFailed(errors=errors)
    return [{"prompt": q.prompt.strip(), "tips": list(q.tips)} for q in questions]


async def create_org_set(
    session: AsyncSession,
    org: OrgSnapshot,
    *,
    slug: str,
    title: str,
    category: str,
    interviewer_name: str,
    questions: Sequence[Question],
    description: str = "",
    position: int = 0,
    answer_seconds: int = DEFAULT_ANSWER_SECONDS,
) -> QuestionSetRow:
    stored = _validate(slug, title, category, interviewer_name, questions, answer_seconds)
    existing = await session.execute(
        select(QuestionSetRow.id).where(
            QuestionSetRow.org_id == org.id, QuestionSetRow.slug == slug
        )
    )
    if existing.first() is not None:
        raise Conflict("A question set with this slug exists.", code="question_set_exists")
    row = QuestionSetRow(
        org_id=org.id,
        slug=slug,
        title=title.strip(),
        category=category,
        interviewer_name=interviewer_name.strip(),
        description=description.strip(),
        position=position,
        questions=stored,
        answer_seconds=answer_seconds,
    )
    session.add(row)
    await session.flush()
    return row


async def update_org_set(
    session: AsyncSession,
    org: OrgSnapshot,
    slug: str,
    *,
    title: str,
    category: str,
    interviewer_name: str,
    questions: Sequence[Question],
    description: str = "",
    position: int = 0,
    answer_seconds: int | None = None,
) -> QuestionSetRow:
    """Changes an org's set; `answer_seconds` None keeps the set's time limit."""
    row = (
        await session.execute(
            select(QuestionSetRow).where(
                QuestionSetRow.org_id == org.id, QuestionSetRow.slug == slug
            )
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("No such question set.", code="question_set_not_found")
    if answer_seconds is None:
        answer_seconds = row.answer_seconds
    row.questions = _validate(slug, title, category, interviewer_name, questions, answer_seconds)
    row.answer_seconds = answer_seconds
    row.title, row.category = title.strip(), category
    row.interviewer_name, row.description = interviewer_name.strip(), description.strip()
    row.position = position
    await session.flush()
    return row
