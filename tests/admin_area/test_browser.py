"""The admin area in a real headless Chromium against a live uvicorn server."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenroom.admins.models import AdminRole
from tests.admin_area.conftest import log_in, open_page
from tests.browser import screenshot_on_failure
from tests.factories import make_admin, make_key, make_org

pytestmark = pytest.mark.browser


async def test_log_in_sections_account_menu_and_log_out(app, live_server, chromium) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-login"):
        await log_in(page, origin, admin.email, "wrong password, certainly")
        await page.get_by_text("Wrong email or password.").wait_for()
        await log_in(page, origin, admin.email)
        # The dashboard is the landing page.
        await page.get_by_role("heading", name="Dashboard").wait_for()
        assert page.url == f"{origin}/admin"
        # The main sections are always visible, without opening anything.
        sections = page.get_by_role("navigation", name="Admin sections")
        names = ("Dashboard", "Users", "API Settings", "Webhooks", "Question sets", "Audit log",
                 "Admins")  # fmt: skip
        for name in names:
            assert await sections.get_by_role("link", name=name, exact=True).is_visible()
        assert (
            await sections.get_by_role("link", name="Dashboard").get_attribute("aria-current")
            == "page"
        )
        # The drop-down under the admin's name holds only their own things.
        menu = page.get_by_test_id("menu")
        assert await menu.inner_text() == "Pat Admin"
        links = page.locator(".menu ul")
        assert not await links.is_visible()
        await menu.click()
        assert await links.is_visible()
        assert [t.strip() for t in await links.locator("li").all_inner_texts()] == [
            "Account and sessions", "Change password", "Log out",
        ]  # fmt: skip
        await sections.get_by_role("link", name="Admins").click()
        await page.get_by_role("heading", name="Admins", exact=True).wait_for()
        await page.get_by_test_id("menu").click()
        await page.get_by_role("button", name="Log out").click()
        await page.get_by_role("heading", name="Admin log-in").wait_for()
        await page.goto(f"{origin}/admin/api-settings")
        assert page.url.startswith(f"{origin}/login/admin")
    await context.close()


async def test_create_a_key_and_use_it_on_the_api(app, live_server, chromium) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-create-key"):
        await log_in(page, origin, admin.email)
        await page.goto(f"{origin}/admin/api-settings")
        await page.get_by_label("Name").fill("XYZ integration")
        await page.get_by_label("webhooks:manage").uncheck()
        await page.get_by_role("button", name="Create key").click()
        key = (await page.get_by_test_id("new-key-value").inner_text()).strip()
        assert len(key) == 32
        await page.get_by_role("button", name="Copy").click()
        await page.get_by_text("Copied").wait_for()
        row = page.locator(f"tr[data-last4='{key[-4:]}']")
        assert "webhooks:manage" not in await row.locator(".scopes").inner_text()
        async with live_server.api(org.slug, key) as api:
            check = await api.get("/api/auth/check")
            assert check.status_code == 200, check.text
            assert check.json()["key"]["name"] == "XYZ integration"
            # Reloading never shows the key again.
            await page.goto(f"{origin}/admin/api-settings")
            assert key not in await page.content()
            # Delete it (with the confirmation step): the API refuses it at once.
            row = page.locator(f"tr[data-last4='{key[-4:]}']")
            await row.get_by_text("Delete", exact=True).click()
            await row.get_by_role("button", name='Delete key "XYZ integration"').click()
            await page.get_by_text("No keys yet.").wait_for()
            assert (await api.get("/api/auth/check")).status_code == 401
    await context.close()


async def test_viewer_sees_keys_and_changes_nothing(app, live_server, chromium) -> None:
    org = await make_org(app)
    await make_key(app, org, name="Reporting key")
    viewer = await make_admin(app, org, role=AdminRole.VIEWER)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-viewer"):
        await log_in(page, origin, viewer.email)
        await page.goto(f"{origin}/admin/api-settings")
        await page.get_by_text("Reporting key").wait_for()
        assert await page.get_by_role("button", name="Create key").count() == 0
        assert await page.locator("form[action*='/roll'], form[action*='/delete']").count() == 0
        # A forged form post, with a valid CSRF token, is still refused.
        token = await page.locator("input[name=csrftoken]").first.get_attribute("value")
        status = await page.evaluate(
            """async (token) => (await fetch("/admin/api-settings", {method: "POST",
                body: new URLSearchParams({csrftoken: token, name: "x", scopes: "users:read"})})).status""",
            token,
        )
        assert status == 403
    await context.close()


async def test_form_posted_without_its_csrf_token_is_refused(app, live_server, chromium) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-csrf"):
        await log_in(page, origin, admin.email)
        await page.goto(f"{origin}/admin/api-settings")
        await page.get_by_label("Name").fill("No token")
        # Remove the token from the create form, as a cross-site form would lack it.
        await page.locator("form[action='/admin/api-settings'] input[name=csrftoken]").evaluate(
            "el => el.remove()"
        )
        await page.get_by_role("button", name="Create key").click()
        await page.get_by_text("CSRF check failed").wait_for()
        await page.goto(f"{origin}/admin/api-settings")
        assert await page.get_by_text("No token").count() == 0
    await context.close()


async def test_csv_import_with_bad_rows_then_good_and_export(app, live_server, chromium) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    origin = live_server.origin(org.slug)
    header = "partner_id,email,first_name,last_name\n"
    good = "abc123def,jane.doe@xyz.example.com,Jane,Doe\nxyz789,sam@xyz.example.com,Sam,Smith\n"
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-import"):
        await log_in(page, origin, admin.email)
        await page.goto(f"{origin}/admin/imports")
        await page.get_by_label("CSV file").set_input_files(
            files=[{"name": "bad.csv", "mimeType": "text/csv",
                    "buffer": (header + good + "not ok!,x@xyz.example.com,A,B\n").encode()}]
        )  # fmt: skip
        await page.get_by_role("button", name="Import into production").click()
        errors = page.get_by_test_id("import-errors")
        await errors.wait_for()
        assert "Nothing was imported: 1 bad row" in await errors.inner_text()
        assert await errors.locator("td").first.inner_text() == "4"

        await page.get_by_label("CSV file").set_input_files(
            files=[{"name": "good.csv", "mimeType": "text/csv", "buffer": (header + good).encode()}]
        )
        await page.get_by_role("button", name="Import into production").click()
        result = page.get_by_test_id("import-result")
        await result.wait_for()
        assert "2 created" in await result.inner_text()

        await page.goto(f"{origin}/admin/users")
        async with page.expect_download() as download_info:
            await page.get_by_role("link", name="CSV", exact=True).click()
        download = await download_info.value
        path = await download.path()
        text = Path(path).read_text(encoding="utf-8")
        lines = text.strip().splitlines()
        assert lines[0].startswith("partner_id,email,first_name,last_name")
        assert sorted(line.split(",")[0] for line in lines[1:]) == ["abc123def", "xyz789"]
    await context.close()


async def test_roll_with_grace_keeps_the_old_key_working(app, live_server, chromium) -> None:
    org = await make_org(app)
    old = await make_key(app, org, name="Nightly sync")
    admin = await make_admin(app, org)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-roll"):
        await log_in(page, origin, admin.email)
        await page.goto(f"{origin}/admin/api-settings")
        row = page.locator(f"tr[data-last4='{old[-4:]}']")
        await row.get_by_text("Roll", exact=True).click()
        await row.get_by_label("Old key keeps working for").select_option("72")
        await row.get_by_role("button", name="Roll key").click()
        new = (await page.get_by_test_id("new-key-value").inner_text()).strip()
        assert new != old and len(new) == 32
        old_row = page.locator(f"tr[data-last4='{old[-4:]}']")
        assert "never" not in await old_row.locator("td").nth(7).inner_text()  # it now expires
        async with live_server.api(org.slug, new) as api:
            assert (await api.get("/api/auth/check")).json()["key"]["name"] == "Nightly sync"
        async with live_server.api(org.slug, old) as api:
            assert (await api.get("/api/auth/check")).status_code == 200  # within the grace
    await context.close()


async def test_throttled_log_in_says_so(app, live_server, chromium) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-throttle"):
        for _ in range(5):
            await log_in(page, origin, admin.email, "not the password, 5 times")
            await page.get_by_text("Wrong email or password.").wait_for()
        await log_in(page, origin, admin.email)
        await page.get_by_text("Too many failed log-ins. Try again in 15 minutes.").wait_for()
        assert page.url == f"{origin}/login/admin"
    await context.close()


async def test_sandbox_toggle_and_user_chart(app, live_server, chromium) -> None:
    from tests.practice.helpers import make_user

    org = await make_org(app)
    admin = await make_admin(app, org)
    await make_user(app, org, partner_id="prod-user")
    await make_user(app, org, partner_id="sandbox-user", environment="sandbox")
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-sandbox"):
        await log_in(page, origin, admin.email)
        await page.goto(f"{origin}/admin/users")
        await page.get_by_role("link", name="prod-user").wait_for()
        await page.get_by_role("button", name="Show sandbox").click()
        await page.get_by_role("link", name="sandbox-user").wait_for()
        assert await page.get_by_test_id("view").inner_text() == "Sandbox data"
        assert await page.get_by_role("link", name="prod-user").count() == 0
        await page.get_by_role("link", name="sandbox-user").click()
        chart = page.locator("[data-testid=chart] svg")
        await chart.wait_for()
        assert await chart.locator("rect.track").count() >= 1
    await context.close()
