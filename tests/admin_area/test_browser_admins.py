"""The Admins page in a real headless Chromium against a live uvicorn server."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from playwright.async_api import expect

from greenroom.admins.models import Admin, AdminRole
from tests.admin_area.conftest import log_in, open_page
from tests.browser import screenshot_on_failure
from tests.factories import make_admin, make_org

pytestmark = pytest.mark.browser


async def admin_row(app: FastAPI, admin_id: uuid.UUID) -> Admin | None:
    async with app.state.sessionmaker() as session:
        row: Admin | None = await session.get(Admin, admin_id)
    return row


async def test_add_an_admin_change_their_role_and_remove_them(app, live_server, chromium) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    sam_context, sam_page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-admins"):
        await log_in(page, origin, admin.email)
        await (
            page.get_by_role("navigation", name="Admin sections")
            .get_by_role("link", name="Admins")
            .click()
        )
        await page.get_by_role("heading", name="Admins", exact=True).wait_for()
        await expect(page.locator("[data-testid=admins] tbody tr")).to_have_count(1)

        # Alone, I cannot demote myself: the page says why.
        me = page.locator(f"tr[data-admin='{admin.email}']")
        await me.get_by_label(f"Role of {admin.email}").select_option("viewer")
        await me.get_by_role("button", name="Change role").click()
        await expect(page.get_by_test_id("form-error")).to_have_text(
            "The org must keep at least one admin."
        )
        await expect(me.locator("td").nth(2)).to_have_text("admin")

        # Add Sam as a viewer: the one-time password is shown once.
        await page.get_by_label("Email", exact=True).fill("Sam@XYZ.example.com")
        await page.get_by_label("Name", exact=True).fill("Sam Rivers")
        await page.get_by_label("Role", exact=True).select_option("viewer")
        await page.get_by_role("button", name="Add admin").click()
        added = page.get_by_test_id("new-admin")
        await expect(added).to_contain_text("sam@xyz.example.com can now log in")
        password = (await page.get_by_test_id("new-admin-password").inner_text()).strip()
        assert len(password) >= 12
        sam = page.locator("tr[data-admin='sam@xyz.example.com']")
        await expect(sam.locator("td").nth(1)).to_have_text("Sam Rivers")
        await expect(sam.locator("td").nth(2)).to_have_text("viewer")
        await expect(sam.locator("td").nth(3)).to_have_text("never")
        await page.goto(f"{origin}/admin/admins")
        await expect(sam).to_be_visible()
        assert password not in await page.content()

        # Sam logs in with it, as a viewer: no controls.
        async with screenshot_on_failure(sam_page, "admin-admins-sam"):
            await log_in(sam_page, origin, "sam@xyz.example.com", password)
            # A one-time password: Sam chooses his own before anything else.
            await sam_page.get_by_role("heading", name="Choose your own password").wait_for()
            await sam_page.goto(f"{origin}/admin/admins")
            await sam_page.get_by_role("heading", name="Choose your own password").wait_for()
            await sam_page.get_by_label("New password (at least 12 characters)").fill(
                "sam's own passphrase"
            )
            await sam_page.get_by_label("New password again").fill("sam's own passphrase")
            await sam_page.get_by_role("button", name="Save password").click()
            await sam_page.get_by_role("heading", name="Dashboard").wait_for()
            await expect(sam_page.get_by_test_id("menu")).to_have_text("Sam Rivers (viewer)")
            await sam_page.goto(f"{origin}/admin/admins")
            await expect(sam_page.locator(f"tr[data-admin='{admin.email}']")).to_be_visible()
            await expect(sam_page.get_by_role("heading", name="Add an admin")).to_have_count(0)
            await expect(sam_page.get_by_role("button", name="Change role")).to_have_count(0)

        # Make Sam an admin.
        await sam.get_by_label("Role of sam@xyz.example.com").select_option("admin")
        await sam.get_by_role("button", name="Change role").click()
        await expect(sam.locator("td").nth(2)).to_have_text("admin")
        await expect(sam.locator("td").nth(3)).not_to_have_text("never")  # Sam has logged in
        sam_id = uuid.UUID(
            (await sam.locator("form[action$='/role']").get_attribute("action")).split("/")[3]
        )
        sam_row = await admin_row(app, sam_id)
        assert sam_row is not None and sam_row.role == AdminRole.ADMIN.value

        async with screenshot_on_failure(sam_page, "admin-admins-sam"):
            await sam_page.reload()
            await expect(sam_page.get_by_role("heading", name="Add an admin")).to_be_visible()
            await expect(sam_page.get_by_test_id("menu")).to_have_text("Sam Rivers")

        # Remove Sam (behind its confirmation step): gone from the list, and signed out.
        await sam.get_by_text("Remove", exact=True).click()
        await sam.get_by_role("button", name="Remove sam@xyz.example.com").click()
        await expect(sam).to_have_count(0)
        await expect(page.locator("[data-testid=admins] tbody tr")).to_have_count(1)
        assert await admin_row(app, sam_id) is None

        async with screenshot_on_failure(sam_page, "admin-admins-sam"):
            await sam_page.reload()
            await sam_page.get_by_role("heading", name="Admin log-in").wait_for()
            assert sam_page.url == f"{origin}/login/admin?next=%2Fadmin%2Fadmins"
    await sam_context.close()
    await context.close()


async def test_viewer_sees_admins_but_cannot_manage_them(app, live_server, chromium) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    viewer = await make_admin(app, org, role=AdminRole.VIEWER)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-admins-viewer"):
        await log_in(page, origin, viewer.email)
        await page.get_by_role("heading", name="Dashboard").wait_for()
        await page.goto(f"{origin}/admin/admins")
        target = page.locator(f"tr[data-admin='{admin.email}']")
        await expect(target.locator("td").nth(2)).to_have_text("admin")
        await expect(page.locator(f"tr[data-admin='{viewer.email}'] td").nth(2)).to_have_text(
            "viewer"
        )
        await expect(page.get_by_role("columnheader", name="Actions")).to_have_count(0)
        await expect(page.locator("form[action^='/admin/admins']")).to_have_count(0)
        await expect(page.get_by_role("button", name="Add admin")).to_have_count(0)

        # A forged form post, with the page's valid CSRF token, is refused.
        token = await page.locator("input[name=csrftoken]").first.get_attribute("value")
        refused = await page.evaluate(
            """async ([token, path]) => {
                 const r = await fetch(path, {method: "POST",
                   body: new URLSearchParams({csrftoken: token, role: "viewer"})});
                 return [r.status, await r.text()];
               }""",
            [token, f"/admin/admins/{admin.id}/role"],
        )
        assert refused[0] == 403
        assert "Viewers can look at the admin area but not change it." in refused[1]
        await page.reload()
        await expect(target.locator("td").nth(2)).to_have_text("admin")
        row = await admin_row(app, admin.id)
        assert row is not None and row.role == AdminRole.ADMIN.value
    await context.close()
