"""Question sets: the org adds and edits its own; members see them; other orgs do not."""

from __future__ import annotations

from fastapi import FastAPI

from greenroom.admins.models import AdminRole
from greenroom.content import service as content
from greenroom.content.loader import Question, QuestionSet, get_pack
from greenroom.core.errors import ValidationFailed
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


async def audited(area, event: str) -> str:
    page = await area.browser.get("/admin/audit", params={"event": event})
    body: str = page.text.split("<tbody>", 1)[1]
    return body


async def test_hide_a_default_set_and_show_it_again(app, area, client_for) -> None:
    from tests.practice.helpers import make_user, signed_in

    member = client_for(area.org.slug)
    await signed_in(app, member, area.org, await make_user(app, area.org))
    assert 'href="/members/practice/basics"' in (await member.get("/members/dashboard")).text
    hidden = await area.browser.submit(PAGE, f"{PAGE}/basics/hidden", {"hidden": "yes"})
    assert "hidden from your users" in (await area.browser.follow(hidden)).text
    listing = (await area.browser.get(PAGE)).text
    assert 'data-testid="hidden"' in listing and 'Show "Interview basics"' in listing
    # Members are no longer offered it, nor can they start it by its address.
    assert 'href="/members/practice/basics"' not in (await member.get("/members/dashboard")).text
    assert (await member.get("/members/practice/basics")).status_code == 404
    # Other orgs still have it.
    assert any(s.slug == "basics" for s in await sets_of(app, await make_org(app)))
    await area.browser.submit(PAGE, f"{PAGE}/basics/hidden", {"hidden": "no"})
    assert 'href="/members/practice/basics"' in (await member.get("/members/dashboard")).text
    assert "<td>question_set.hidden</td>" in await audited(area, "question_set.hidden")
    assert "<td>question_set.shown</td>" in await audited(area, "question_set.shown")
    # Only pack sets hide; the org's own are deleted instead.
    await area.browser.submit(f"{PAGE}/new", PAGE, NEW)
    refused = await area.browser.submit(PAGE, f"{PAGE}/sales-roles/hidden", {"hidden": "yes"})
    assert refused.status_code == 404


async def test_delete_an_own_set_brings_back_the_pack_set_it_replaced(app, area) -> None:
    pack_set = get_pack(app.state.settings.content_dir).question_sets[0]
    await area.browser.submit(
        f"{PAGE}/{pack_set.slug}", PAGE,
        {**NEW, "slug": pack_set.slug, "title": "Our version", "questions": "Only this?"},
    )  # fmt: skip
    await area.browser.submit(f"{PAGE}/new", PAGE, NEW)
    gone = await area.browser.submit(PAGE, f"{PAGE}/sales-roles/delete")
    assert "is deleted" in (await area.browser.follow(gone)).text
    assert all(s.slug != "sales-roles" for s in await sets_of(app, area.org))
    back = await area.browser.submit(PAGE, f"{PAGE}/{pack_set.slug}/delete")
    assert "offered again" in (await area.browser.follow(back)).text
    (again,) = [s for s in await sets_of(app, area.org) if s.slug == pack_set.slug]
    assert again.title == pack_set.title
    # A pack set itself cannot be deleted (hide it instead).
    assert (await area.browser.submit(PAGE, f"{PAGE}/{pack_set.slug}/delete")).status_code == 404
    body = await audited(area, "question_set.deleted")
    assert body.count("<td>question_set.deleted</td>") == 2


async def test_the_orgs_own_categories(app, area) -> None:
    bad = await area.browser.submit(PAGE, f"{PAGE}/categories", {"name": "Sales Roles!"})
    assert bad.status_code == 422 and 'value="Sales Roles!"' in bad.text
    added = await area.browser.submit(PAGE, f"{PAGE}/categories", {"name": "sales-roles"})
    assert "Category sales-roles added" in (await area.browser.follow(added)).text
    twice = await area.browser.submit(PAGE, f"{PAGE}/categories", {"name": "sales-roles"})
    assert twice.status_code == 409
    builtin = await area.browser.submit(PAGE, f"{PAGE}/categories", {"name": "general"})
    assert builtin.status_code == 409
    form = await area.browser.get(f"{PAGE}/new")
    assert '<option value="sales-roles"' in form.text
    saved = await area.browser.submit(f"{PAGE}/new", PAGE, {**NEW, "category": "sales-roles"})
    assert saved.status_code == 303
    # Another org cannot use it.
    other = await make_org(app)
    async with app.state.sessionmaker() as session, session.begin():
        try:
            await content.create_org_set(
                session, OrgSnapshot.of(other), slug="x", title="X", category="sales-roles",
                interviewer_name="Y", questions=[Question("Q?")],
            )  # fmt: skip
        except ValidationFailed as exc:
            assert exc.errors and exc.errors[0]["field"] == "category"
        else:
            raise AssertionError("another org used this org's category")
    # Not removed while a set uses it; removed once none does.
    in_use = await area.browser.submit(PAGE, f"{PAGE}/categories/sales-roles/delete")
    assert in_use.status_code == 409 and "sales-roles" in in_use.text
    await area.browser.submit(PAGE, f"{PAGE}/sales-roles/delete")
    removed = await area.browser.submit(PAGE, f"{PAGE}/categories/sales-roles/delete")
    assert removed.status_code == 303
    assert "<td>question_category.added</td>" in await audited(area, "question_category.added")
    assert "<td>question_category.removed</td>" in await audited(area, "question_category.removed")


async def test_question_set_changes_are_audited_and_in_the_filter(area) -> None:
    await area.browser.submit(f"{PAGE}/new", PAGE, NEW)
    await area.browser.submit(f"{PAGE}/sales-roles", PAGE, {**NEW, "title": "Sales (2027)"})
    audit = await area.browser.get("/admin/audit")
    for event in ("question_set.created", "question_set.updated", "question_set.hidden",
                  "question_set.deleted", "question_category.added"):  # fmt: skip
        assert f'<option value="{event}"' in audit.text
    assert 'label="Question sets"' in audit.text and 'label="Webhooks"' in audit.text
    created = await audited(area, "question_set.created")
    assert "slug=sales-roles" in created and "<td>question_set.updated</td>" not in created
