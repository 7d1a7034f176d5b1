"""All SQL of an org's question sets: its own sets, the pack sets it hid, its own categories."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.content.models import HiddenQuestionSet, QuestionCategory, QuestionSetRow


async def org_sets(session: AsyncSession, org_id: uuid.UUID) -> Sequence[QuestionSetRow]:
    """The org's own sets, by position then slug."""
    result = await session.execute(
        select(QuestionSetRow)
        .where(QuestionSetRow.org_id == org_id)
        .order_by(QuestionSetRow.position, QuestionSetRow.slug)
    )
    return result.scalars().all()


async def org_set(session: AsyncSession, org_id: uuid.UUID, slug: str) -> QuestionSetRow | None:
    if "\x00" in slug:  # from a page's path; no slug holds one, and PostgreSQL refuses it
        return None
    result = await session.execute(
        select(QuestionSetRow).where(QuestionSetRow.org_id == org_id, QuestionSetRow.slug == slug)
    )
    return result.scalar_one_or_none()


async def org_set_exists(session: AsyncSession, org_id: uuid.UUID, slug: str) -> bool:
    result = await session.execute(
        select(QuestionSetRow.id).where(
            QuestionSetRow.org_id == org_id, QuestionSetRow.slug == slug
        )
    )
    return result.first() is not None


async def org_set_slugs(session: AsyncSession, org_id: uuid.UUID) -> set[str]:
    result = await session.execute(
        select(QuestionSetRow.slug).where(QuestionSetRow.org_id == org_id)
    )
    return set(result.scalars())


async def org_set_slugs_in(session: AsyncSession, org_id: uuid.UUID, category: str) -> list[str]:
    """The slugs of the org's own sets in `category`."""
    result = await session.execute(
        select(QuestionSetRow.slug).where(
            QuestionSetRow.org_id == org_id, QuestionSetRow.category == category
        )
    )
    return list(result.scalars())


async def hidden_slugs(session: AsyncSession, org_id: uuid.UUID) -> set[str]:
    """The pack sets the org hid."""
    result = await session.execute(
        select(HiddenQuestionSet.slug).where(HiddenQuestionSet.org_id == org_id)
    )
    return set(result.scalars())


async def unhide(session: AsyncSession, org_id: uuid.UUID, slug: str) -> None:
    await session.execute(
        delete(HiddenQuestionSet).where(
            HiddenQuestionSet.org_id == org_id, HiddenQuestionSet.slug == slug
        )
    )


async def category_names(session: AsyncSession, org_id: uuid.UUID) -> list[str]:
    """The org's own categories, alphabetically."""
    result = await session.execute(
        select(QuestionCategory.name)
        .where(QuestionCategory.org_id == org_id)
        .order_by(QuestionCategory.name)
    )
    return list(result.scalars())


async def category(session: AsyncSession, org_id: uuid.UUID, name: str) -> QuestionCategory | None:
    if "\x00" in name:  # from a page's path; no name holds one, and PostgreSQL refuses it
        return None
    result = await session.execute(
        select(QuestionCategory).where(
            QuestionCategory.org_id == org_id, QuestionCategory.name == name
        )
    )
    return result.scalar_one_or_none()
