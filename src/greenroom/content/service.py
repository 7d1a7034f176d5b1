"""Question sets for a tenant: the pack's, plus the org's own (stored in `question_sets`).

An org can add sets of its own (a set with a pack set's slug replaces it for the org), delete
them, hide pack sets it does not want to offer (`question_sets_hidden`), and add categories of
its own besides the built-in ones (`question_categories`). The admin area calls these.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.content import repository
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
from greenroom.content.models import HiddenQuestionSet, QuestionCategory, QuestionSetRow
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


async def sets_for(
    session: AsyncSession, org: OrgSnapshot, pack: Pack, *, include_hidden: bool = False
) -> list[QuestionSet]:
    """The pack's sets, then the org's own; an org set with a pack slug replaces the pack's.
    Pack sets the org hid are left out, unless `include_hidden` (the admin's list)."""
    own = [_as_set(r) for r in await repository.org_sets(session, org.id)]
    own_slugs = {s.slug for s in own}
    hidden = set() if include_hidden else await hidden_slugs(session, org)
    return [s for s in pack.question_sets if s.slug not in own_slugs and s.slug not in hidden] + own


async def get_set(
    session: AsyncSession,
    org: OrgSnapshot,
    pack: Pack,
    slug: str,
    *,
    include_hidden: bool = False,
) -> QuestionSet:
    for qset in await sets_for(session, org, pack, include_hidden=include_hidden):
        if qset.slug == slug:
            return qset
    raise NotFound("No such question set.", code="question_set_not_found")


async def own_slugs(session: AsyncSession, org: OrgSnapshot) -> set[str]:
    return await repository.org_set_slugs(session, org.id)


async def hidden_slugs(session: AsyncSession, org: OrgSnapshot) -> set[str]:
    return await repository.hidden_slugs(session, org.id)


async def set_hidden(
    session: AsyncSession, org: OrgSnapshot, pack: Pack, slug: str, *, hidden: bool
) -> bool:
    """Hides a pack set from the org's users (or shows it again); True when that changed
    anything. Only pack sets: the org deletes its own instead."""
    if all(s.slug != slug for s in pack.question_sets):
        raise NotFound("No such set in the default pack.", code="question_set_not_found")
    current = slug in await hidden_slugs(session, org)
    if current == hidden:
        return False
    if hidden:
        session.add(HiddenQuestionSet(org_id=org.id, slug=slug))
    else:
        await repository.unhide(session, org.id, slug)
    await session.flush()
    return True


async def delete_org_set(session: AsyncSession, org: OrgSnapshot, slug: str) -> QuestionSetRow:
    """Deletes one of the org's own sets (a pack set it replaced is offered again). Interviews
    already taken keep their questions (they hold a copy)."""
    row = await repository.org_set(session, org.id, slug)
    if row is None:
        raise NotFound("No such question set of your own.", code="question_set_not_found")
    await session.delete(row)
    await session.flush()
    return row


# --- categories ----------------------------------------------------------------------------------

CATEGORY_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")


async def categories_for(session: AsyncSession, org: OrgSnapshot) -> list[str]:
    """The built-in categories, then the org's own (alphabetically)."""
    return [*CATEGORIES, *await repository.category_names(session, org.id)]


async def add_category(session: AsyncSession, org: OrgSnapshot, name: str) -> str:
    name = name.strip().lower()
    if not CATEGORY_RE.fullmatch(name):
        raise ValidationFailed(
            "A category is 1 to 32 lowercase letters, digits and hyphens (sales-roles).",
            errors=[{"field": "name", "message": "lowercase letters, digits and hyphens"}],
        )
    if name in await categories_for(session, org):
        raise Conflict(f"There is a category {name} already.", code="category_exists")
    session.add(QuestionCategory(org_id=org.id, name=name))
    await session.flush()
    return name


async def remove_category(session: AsyncSession, org: OrgSnapshot, name: str) -> None:
    """Removes one of the org's own categories, unless a set of theirs is in it."""
    found = await repository.category(session, org.id, name)
    if found is None:
        raise NotFound("No such category of your own.", code="category_not_found")
    in_use = sorted(await repository.org_set_slugs_in(session, org.id, name))
    if in_use:
        raise Conflict(
            f"The category {name} still has sets: {', '.join(in_use)}. Move or delete them first.",
            code="category_in_use",
        )
    await session.delete(found)
    await session.flush()


def _validate(
    slug: str,
    title: str,
    category: str,
    interviewer_name: str,
    questions: Sequence[Question],
    categories: Sequence[str] = CATEGORIES,
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
    if category not in categories:
        errors.append({"field": "category", "message": "one of " + ", ".join(categories)})
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
    categories = await categories_for(session, org)
    stored = _validate(
        slug, title, category, interviewer_name, questions, categories, answer_seconds
    )
    if await repository.org_set_exists(session, org.id, slug):
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
    row = await repository.org_set(session, org.id, slug)
    if row is None:
        raise NotFound("No such question set.", code="question_set_not_found")
    if answer_seconds is None:
        answer_seconds = row.answer_seconds
    categories = await categories_for(session, org)
    row.questions = _validate(
        slug, title, category, interviewer_name, questions, categories, answer_seconds
    )
    row.answer_seconds = answer_seconds
    row.title, row.category = title.strip(), category
    row.interviewer_name, row.description = interviewer_name.strip(), description.strip()
    row.position = position
    await session.flush()
    return row
