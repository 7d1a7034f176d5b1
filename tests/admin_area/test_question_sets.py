"""Question sets: the org adds and edits its own; members see them; other orgs do not."""

from __future__ import annotations

from fastapi import FastAPI

from greenroom.admins.models import AdminRole
from greenroom.content import service as content
from greenroom.content.loader import QuestionSet, get_pack
from greenroom.tenancy.context import OrgSnapshot
from greenroom.tenancy.models import Organization
from tests.admin_area.conftest import logged_in
from tests.factories import make_org

PAGE = "/admin/question-sets"
NEW = {
    "slug": "sales-roles",
    "title": "Sales roles",
    "category": "behavioural",
    "interviewer_name": "Morgan",
    "description": "For our sales track",
    "questions": "Tell me about a deal you lost. | Use STAR | Say what you learned\nWhy sales?\n\n",
}


async def sets_of(app: FastAPI, org: Organization) -> list[QuestionSet]:
    async with app.state.sessionmaker() as session:
        return await content.sets_for(
            session, OrgSnapshot.of(org), get_pack(app.state.settings.content_dir)
        )


async def test_add_then_edit_an_own_set(app, area) -> None:
    created = await area.browser.submit(f"{PAGE}/new", PAGE, NEW)
    assert created.status_code == 303
    listing = (await area.browser.get(PAGE)).text
    assert "Sales roles" in listing and "your own" in listing
    own = next(s for s in await sets_of(app, area.org) if s.slug == "sales-roles")
    assert [q.prompt for q in own.questions] == ["Tell me about a deal you lost.", "Why sales?"]
    assert own.questions[0].tips == ("Use STAR", "Say what you learned")
    form = await area.browser.get(f"{PAGE}/sales-roles")
    assert "Tell me about a deal you lost. | Use STAR | Say what you learned" in form.text
    edited = await area.browser.submit(
        f"{PAGE}/sales-roles", PAGE, {**NEW, "title": "Sales roles (2027)", "questions": "One?"}
    )
    assert edited.status_code == 303
    own = next(s for s in await sets_of(app, area.org) if s.slug == "sales-roles")
    assert own.title == "Sales roles (2027)" and len(own.questions) == 1
    other = await make_org(app)
    assert all(s.slug != "sales-roles" for s in await sets_of(app, other))


async def test_invalid_set_is_explained(area) -> None:
    response = await area.browser.submit(
        f"{PAGE}/new", PAGE, {**NEW, "slug": "Bad Slug", "questions": ""}
    )
    assert response.status_code == 422
    assert "slug" in response.text and "questions" in response.text


async def test_saving_a_pack_set_makes_the_orgs_own_copy(app, area) -> None:
    pack_set = get_pack(app.state.settings.content_dir).question_sets[0]
    form = await area.browser.get(f"{PAGE}/{pack_set.slug}")
    assert form.status_code == 200 and pack_set.title in form.text
    await area.browser.submit(
        f"{PAGE}/{pack_set.slug}", PAGE,
        {**NEW, "slug": pack_set.slug, "title": "Our version", "questions": "Only this?"},
    )  # fmt: skip
    mine = [s for s in await sets_of(app, area.org) if s.slug == pack_set.slug]
    assert len(mine) == 1 and mine[0].title == "Our version"


async def test_viewer_sees_sets_but_cannot_save(app, browser_for, area) -> None:
    _viewer, browser = await logged_in(app, browser_for, area.org, AdminRole.VIEWER)
    listing = await browser.get(PAGE)
    assert listing.status_code == 200 and "Add a question set" not in listing.text
    assert (await browser.get(f"{PAGE}/new")).status_code == 403
    assert (await browser.submit(PAGE, PAGE, NEW)).status_code == 403
