"""Question sets: the org's own practice interviews beside the default pack's (content.service):
add, edit, delete its own, hide (and show again) pack sets, and categories of its own. Every
change is in the audit log (`question_set.*`, `question_category.*`).

Questions are typed one per line; tips for a question follow it on the same line after ` | `
(`Tell me about a conflict you resolved. | Use STAR | Keep it under two minutes`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area import flash, service
from greenroom.admin_area.deps import StaffDep, WriterDep
from greenroom.admin_area.pages import client_address, page
from greenroom.content import service as content
from greenroom.content.deps import PackDep
from greenroom.content.loader import CATEGORIES, Question, QuestionSet
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


async def _audit(
    request: Request, session: SessionDep, ctx: WriterDep, event: str, **details: str
) -> None:
    await service.record(
        session, ctx.tenant, ctx.admin, event, client=client_address(request), details=details
    )


async def _form(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
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
        {
            "values": values,
            "editing": editing,
            "error": error,
            "categories": await content.categories_for(session, ctx.tenant.org),
        },
        section="question-sets",
        status_code=status_code,
    )


async def _list(
    request: Request,
    session: SessionDep,
    ctx: StaffDep,
    pack: PackDep,
    *,
    error: str | None = None,
    category: str = "",
    status_code: int = 200,
) -> Response:
    org = ctx.tenant.org
    return page(
        request,
        ctx,
        "admin/question_sets.html",
        {
            "sets": await content.sets_for(session, org, pack, include_hidden=True),
            "own": await content.own_slugs(session, org),
            "hidden": await content.hidden_slugs(session, org),
            "pack_slugs": {s.slug for s in pack.question_sets},
            "own_categories": (await content.categories_for(session, org))[len(CATEGORIES) :],
            "builtin_categories": CATEGORIES,
            "error": error,
            "category": category,
            "flash": None if error else await flash.take(request, ctx),
        },
        section="question-sets",
        status_code=status_code,
    )


@router.get(PATH)
async def list_sets(
    request: Request, session: SessionDep, ctx: StaffDep, pack: PackDep
) -> Response:
    return await _list(request, session, ctx, pack)


@router.get(PATH + "/new")
async def new_set(request: Request, session: SessionDep, ctx: WriterDep) -> Response:
    blank = {"slug": "", "title": "", "category": CATEGORIES[0], "interviewer_name": "",
             "description": "", "questions": ""}  # fmt: skip
    return await _form(request, session, ctx, blank, editing=False)


@router.get(PATH + "/{slug}")
async def edit_set(
    request: Request, session: SessionDep, ctx: WriterDep, pack: PackDep, slug: str
) -> Response:
    qset = await content.get_set(session, ctx.tenant.org, pack, slug, include_hidden=True)
    values = {
        "slug": qset.slug, "title": qset.title, "category": qset.category,
        "interviewer_name": qset.interviewer_name, "description": qset.description,
        "questions": questions_text(qset),
    }  # fmt: skip
    # A pack set is "edited" by saving the org's own copy under the same slug, which replaces it.
    editing = slug in await content.own_slugs(session, ctx.tenant.org)
    return await _form(request, session, ctx, values, editing=editing)


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
    editing = slug in await content.own_slugs(session, ctx.tenant.org)
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
        return await _form(
            request, session, ctx, values, editing=editing, error=detail, status_code=exc.status
        )
    event = service.QUESTION_SET_UPDATED if editing else service.QUESTION_SET_CREATED
    await _audit(request, session, ctx, event, slug=slug, title=title.strip())
    flash.put(ctx, "notice", text=f'"{title.strip()}" is saved.')
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/{slug}/delete")
async def delete_set(
    request: Request, session: SessionDep, ctx: WriterDep, pack: PackDep, slug: str
) -> Response:
    row = await content.delete_org_set(session, ctx.tenant.org, slug)
    await _audit(request, session, ctx, service.QUESTION_SET_DELETED, slug=slug, title=row.title)
    replaced = any(s.slug == slug for s in pack.question_sets)
    text = f'"{row.title}" is deleted.' + (
        " The default pack's set of that name is offered again." if replaced else ""
    )
    flash.put(ctx, "notice", text=text)
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/{slug}/hidden")
async def hide_or_show(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    pack: PackDep,
    slug: str,
    hidden: Annotated[str, Form()] = "yes",
) -> Response:
    hide = hidden == "yes"
    changed = await content.set_hidden(session, ctx.tenant.org, pack, slug, hidden=hide)
    if changed:
        event = service.QUESTION_SET_HIDDEN if hide else service.QUESTION_SET_SHOWN
        await _audit(request, session, ctx, event, slug=slug)
    state = "hidden from your users" if hide else "offered to your users again"
    flash.put(ctx, "notice", text=f"The default set {slug} is {state}.")
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/categories")
async def add_category(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    pack: PackDep,
    name: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        added = await content.add_category(session, ctx.tenant.org, name)
    except (ValidationFailed, Conflict) as exc:
        return await _list(
            request, session, ctx, pack, error=exc.detail, category=name, status_code=exc.status
        )
    await _audit(request, session, ctx, service.QUESTION_CATEGORY_ADDED, name=added)
    flash.put(ctx, "notice", text=f"Category {added} added.")
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/categories/{name}/delete")
async def remove_category(
    request: Request, session: SessionDep, ctx: WriterDep, pack: PackDep, name: str
) -> Response:
    try:
        await content.remove_category(session, ctx.tenant.org, name)
    except Conflict as exc:
        return await _list(request, session, ctx, pack, error=exc.detail, status_code=exc.status)
    await _audit(request, session, ctx, service.QUESTION_CATEGORY_REMOVED, name=name)
    flash.put(ctx, "notice", text=f"Category {name} removed.")
    return RedirectResponse(PATH, status_code=303)
