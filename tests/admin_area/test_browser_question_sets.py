"""The Question sets page in a real headless Chromium against a live uvicorn server, and what the
members' practice app then offers."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from greenroom.admins.models import AdminRole
from greenroom.content import service as content
from greenroom.content.loader import get_pack
from greenroom.tenancy.context import OrgSnapshot
from tests.admin_area.conftest import log_in, open_page
from tests.browser import screenshot_on_failure
from tests.factories import make_admin, make_org
from tests.practice.helpers import make_token, make_user

pytestmark = pytest.mark.browser

QUESTIONS = "Tell me about a deal you lost. | Use STAR | Say what you learned\nWhy sales?\n"
EDITED = (
    "Tell me about a deal you lost. | Use STAR | Say what you learned\n"
    "Why sales? | Be specific\n"
    "How do you handle a price objection?\n"
)


async def own_set(app, org, slug: str):
    async with app.state.sessionmaker() as session:
        sets = await content.sets_for(
            session, OrgSnapshot.of(org), get_pack(app.state.settings.content_dir)
        )
    return next((s for s in sets if s.slug == slug), None)


async def test_add_and_edit_a_set_then_a_member_practises_it(app, live_server, chromium) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    origin = live_server.origin(org.slug)
    pack = get_pack(app.state.settings.content_dir)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-question-sets"):
        await log_in(page, origin, admin.email)
        await (
            page.get_by_role("navigation", name="Admin sections")
            .get_by_role("link", name="Question sets")
            .click()
        )
        await page.get_by_role("heading", name="Question sets").wait_for()
        rows = page.locator("[data-testid=question-sets] tbody tr")
        await expect(rows).to_have_count(len(pack.question_sets))
        await expect(rows.locator("td").nth(4)).to_have_text("default pack")

        # A bad slug is explained, and what was typed is kept.
        await page.get_by_role("link", name="Add a question set").click()
        await page.get_by_role("heading", name="Add a question set").wait_for()
        await page.get_by_label("Slug").fill("Sales Roles")
        await page.get_by_label("Title").fill("Sales roles")
        await page.get_by_label("Category").select_option("situational")
        await page.get_by_label("Interviewer's name").fill("Morgan")
        await page.get_by_label("Description").fill("For our sales track")
        await page.get_by_label("Questions").fill(QUESTIONS)
        await page.get_by_role("button", name="Save question set").click()
        await expect(page.get_by_test_id("form-error")).to_contain_text("slug")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Add a question set")
        await expect(page.get_by_label("Slug")).to_be_editable()
        await expect(page.get_by_label("Questions")).to_have_value(QUESTIONS)
        await expect(page.get_by_label("Category")).to_have_value("situational")

        await page.get_by_label("Slug").fill("sales-roles")
        await page.get_by_role("button", name="Save question set").click()
        mine = page.locator("tr[data-slug='sales-roles']")
        await expect(mine.locator("td").nth(5)).to_contain_text("Edit")
        await expect(mine.locator("td")).to_have_text(
            ["Sales roles", "situational", "Morgan", "2", "your own", re.compile("Edit")]
        )
        await expect(rows).to_have_count(len(pack.question_sets) + 1)
        saved = await own_set(app, org, "sales-roles")
        assert saved is not None
        assert [(q.prompt, q.tips) for q in saved.questions] == [
            ("Tell me about a deal you lost.", ("Use STAR", "Say what you learned")),
            ("Why sales?", ()),
        ]

        # Edit it: the form holds what was saved; the slug cannot change.
        await mine.get_by_role("link", name="Edit").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Edit a question set")
        await expect(page.get_by_label("Slug")).to_have_value("sales-roles")
        await expect(page.get_by_label("Slug")).not_to_be_editable()
        await expect(page.get_by_label("Title")).to_have_value("Sales roles")
        await expect(page.get_by_label("Questions")).to_have_value(QUESTIONS.rstrip("\n"))
        await page.get_by_label("Title").fill("Sales roles (2027)")
        await page.get_by_label("Category").select_option("behavioural")
        await page.get_by_label("Questions").fill(EDITED)
        await page.get_by_role("button", name="Save question set").click()
        await expect(mine.locator("td")).to_have_text(
            ["Sales roles (2027)", "behavioural", "Morgan", "3", "your own", re.compile("Edit")]
        )
        await expect(rows).to_have_count(len(pack.question_sets) + 1)
        saved = await own_set(app, org, "sales-roles")
        assert saved is not None and saved.title == "Sales roles (2027)"
        assert [q.prompt for q in saved.questions][2] == "How do you handle a price objection?"
        assert await own_set(app, await make_org(app), "sales-roles") is None
    await context.close()

    # A member of the org is offered the edited set, and practises its questions.
    user = await make_user(app, org, first_name="Jane")
    token = await make_token(app, org, user)
    context = await chromium.new_context()
    page = await context.new_page()
    async with screenshot_on_failure(page, "admin-question-sets-member"):
        await page.goto(f"{origin}/sso/login?token={token}")
        await page.get_by_role("heading", name="Welcome, Jane").wait_for()
        offered = page.locator("li", has=page.get_by_role("link", name="Sales roles (2027)"))
        await expect(offered).to_contain_text("with Morgan · 3 questions")
        await offered.get_by_role("link").click()
        await page.get_by_role("heading", name="Sales roles (2027)").wait_for()
        await expect(page.get_by_text("For our sales track")).to_be_visible()
        await page.get_by_role("button", name="Start the interview").click()
        await expect(page.locator("#prompt")).to_have_text("Tell me about a deal you lost.")
        await expect(page.get_by_text("question 1 of 3")).to_be_visible()
        await page.get_by_text("Tips", exact=True).click()
        await expect(page.get_by_text("Say what you learned")).to_be_visible()
    await context.close()


async def test_viewer_sees_sets_but_cannot_add_or_edit(app, live_server, chromium) -> None:
    org = await make_org(app)
    viewer = await make_admin(app, org, role=AdminRole.VIEWER)
    origin = live_server.origin(org.slug)
    pack = get_pack(app.state.settings.content_dir)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-question-sets-viewer"):
        await log_in(page, origin, viewer.email)
        await page.get_by_role("heading", name="Dashboard").wait_for()
        await page.goto(f"{origin}/admin/question-sets")
        rows = page.locator("[data-testid=question-sets] tbody tr")
        await expect(rows).to_have_count(len(pack.question_sets))
        await expect(rows.first.locator("td").first).to_have_text(pack.question_sets[0].title)
        await expect(page.get_by_role("link", name="Add a question set")).to_have_count(0)
        await expect(page.get_by_role("link", name="Edit")).to_have_count(0)
        # Typing the form's address gets a refusal, not the form.
        refused = await page.goto(f"{origin}/admin/question-sets/new")
        assert refused is not None and refused.status == 403
        await expect(page.locator("body")).to_contain_text(
            "Viewers can look at the admin area but not change it."
        )
        await expect(page.get_by_role("button", name="Save question set")).to_have_count(0)
    await context.close()
