"""Question sets: the org's own practice interviews beside the default pack's (content.service).

Questions are typed one per line; tips for a question follow it on the same line after ` | `
(`Tell me about a conflict you resolved. | Use STAR | Keep it under two minutes`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area.deps import AdminDep, WriterDep
from greenroom.admin_area.pages import page
from greenroom.content import service as content
from greenroom.content.deps import PackDep
from greenroom.content.loader import CATEGORIES, Question, QuestionSet
from greenroom.content.models import QuestionSetRow
from greenroom.core.db import SessionDep
from greenroom.core.errors import Conflict, NotFound, ValidationFailed

router = APIRouter(include_in_schema=False)
PATH = "/admin/question-sets"


def parse_questions(text: str) -> list[Question]:
    questions = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(" | ")]
        if parts and parts[0]:
            questions.append(Question(parts[0], tuple(p for p in parts[1:] if p)))
    return questions


def questions_text(qset: QuestionSet) -> str:
    return "\n".join(" | ".join((q.prompt, *q.tips)) for q in qset.questions)


async def _own_slugs(session: SessionDep, ctx: AdminDep) -> set[str]:
    rows = await session.execute(
        select(QuestionSetRow.slug).where(QuestionSetRow.org_id == ctx.tenant.org_id)
    )
    return set(rows.scalars())


def _form(
    request: Request,
    ctx: AdminDep,
    values: dict[str, str],
    *,
    editing: bool,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        ctx,
        "admin/question_set.html",
        {"values": values, "editing": editing, "error": error, "categories": CATEGORIES},
        section="question-sets",
        status_code=status_code,
    )


@router.get(PATH)
async def list_sets(
    request: Request, session: SessionDep, ctx: AdminDep, pack: PackDep
) -> Response:
    sets = await content.sets_for(session, ctx.tenant.org, pack)
    return page(
        request,
        ctx,
        "admin/question_sets.html",
        {"sets": sets, "own": await _own_slugs(session, ctx)},
        section="question-sets",
    )


@router.get(PATH + "/new")
async def new_set(request: Request, ctx: WriterDep) -> Response:
    blank = {"slug": "", "title": "", "category": CATEGORIES[0], "interviewer_name": "",
             "description": "", "questions": ""}  # fmt: skip
    return _form(request, ctx, blank, editing=False)


@router.get(PATH + "/{slug}")
async def edit_set(
    request: Request, session: SessionDep, ctx: WriterDep, pack: PackDep, slug: str
) -> Response:
    qset = await content.get_set(session, ctx.tenant.org, pack, slug)
    values = {
        "slug": qset.slug, "title": qset.title, "category": qset.category,
        "interviewer_name": qset.interviewer_name, "description": qset.description,
        "questions": questions_text(qset),
    }  # fmt: skip
    # A pack set is "edited" by saving the org's own copy under the same slug, which replaces it.
    return _form(request, ctx, values, editing=slug in await _own_slugs(session, ctx))


@router.post(PATH)
async def save_set(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    slug: Annotated[str, Form(max_length=64)] = "",
    title: Annotated[str, Form(max_length=400)] = "",
    category: Annotated[str, Form(max_length=64)] = "",
    interviewer_name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    questions: Annotated[str, Form(max_length=50_000)] = "",
) -> Response:
    slug = slug.strip()
    values = {"slug": slug, "title": title, "category": category,
              "interviewer_name": interviewer_name, "description": description,
              "questions": questions}  # fmt: skip
    fields = {
        "title": title, "category": category, "interviewer_name": interviewer_name,
        "questions": parse_questions(questions), "description": description,
    }  # fmt: skip
    editing = slug in await _own_slugs(session, ctx)
    try:
        if editing:
            await content.update_org_set(session, ctx.tenant.org, slug, **fields)  # type: ignore[arg-type]
        else:
            await content.create_org_set(session, ctx.tenant.org, slug=slug, **fields)  # type: ignore[arg-type]
    except (ValidationFailed, Conflict, NotFound) as exc:
        detail = (
            "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)
            if exc.errors
            else exc.detail
        )
        return _form(request, ctx, values, editing=editing, error=detail, status_code=exc.status)
    return RedirectResponse(PATH, status_code=303)
