"""The export from a student's page in the admin area: admins start it (audited), the page
shows its state, and the ZIP downloads with the admin's session (audited); coaches and viewers
cannot. In Chromium too: click, wait for ready, download, read the ZIP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from greenroom.admins.models import AdminRole
from tests.admin_area.conftest import Area, assert_error_page, log_in, logged_in, open_page
from tests.admin_area.test_coaching import audit_events
from tests.browser import screenshot_on_failure
from tests.exports.helpers import check_contents, practised
from tests.factories import make_org
from tests.helpers import group_of
from tests.practice.helpers import recorded_events


async def test_an_admin_exports_a_students_data_from_their_page(
    app, area: Area, browser_for, client_for
) -> None:
    student = await practised(app, client_for, area)
    page = f"/admin/users/{student.partner_id}"
    shown = await area.browser.get(page)
    assert "Export this student's data" in shown.text
    # Once, in the page's body (it was once pasted into the <title> block too).
    assert shown.text.count('id="export"') == 1
    title = group_of(r"(?s)<title>(.*?)</title>", shown.text)
    assert student.partner_id in title and "<" not in title and "export" not in title.lower()
    with recorded_events(student.partner_id) as seen:
        started = await area.browser.submit(page, f"{page}/exports")
    assert started.status_code == 303 and started.headers["location"] == f"{page}#export"
    after = await area.browser.follow(started)
    assert 'data-testid="export-state">ready<' in after.text
    link = group_of(r'href="(/admin/users/abc123def/exports/[0-9a-f-]+/download)"', after.text)
    downloaded = await area.browser.get(link)
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"] == "application/zip"
    check_contents(downloaded.content, student)
    assert [kind for kind, _ in seen].count("user.exported") == 1
    (asked,) = await audit_events(app, area.org, "user.exported")
    assert asked.actor == f"admin:{area.admin.email}"
    assert asked.details["partner_id"] == student.partner_id
    (fetched,) = await audit_events(app, area.org, "user.export_downloaded")
    assert fetched.details["export_id"] == asked.details["export_id"] == link.split("/")[-2]

    # Coaches and viewers neither start nor download an export.
    for role in (AdminRole.COACH, AdminRole.VIEWER):
        _, other = await logged_in(app, browser_for, area.org, role)
        assert "Export this student" not in (await other.get(page)).text
        refused = await other.submit(page, f"{page}/exports")
        assert refused.status_code == 403
        assert (await other.get(link)).status_code == 403
    # Another org's admin: no such user.
    stranger = await logged_in_elsewhere(app, browser_for)
    assert_error_page(await stranger.get(link), 404, "user_not_found")


async def logged_in_elsewhere(app: Any, browser_for: Any) -> Any:
    org = await make_org(app)
    _, browser = await logged_in(app, browser_for, org)
    return browser


@pytest.mark.browser
async def test_the_export_in_chromium(app, area: Area, client_for, live_server, chromium) -> None:
    student = await practised(app, client_for, area)
    origin = live_server.origin(area.org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-export"):
        await log_in(page, origin, area.admin.email)
        await page.get_by_role("heading", name="Dashboard").wait_for()
        await page.goto(f"{origin}/admin/users/{student.partner_id}")
        await page.get_by_role("button", name="Export this student's data").click()
        state = page.get_by_test_id("export-state").first
        await state.wait_for()
        # Built after the response: the page says so until it is ready (reloaded, as told).
        for _ in range(100):
            if await state.inner_text() == "ready":
                break
            await page.reload()
        await expect(state).to_have_text("ready")
        async with page.expect_download() as info:
            await page.get_by_role("link", name="Download ZIP").click()
        download = await info.value
        assert download.suggested_filename.endswith(".zip")
        check_contents(Path(await download.path()).read_bytes(), student)
    await context.close()
