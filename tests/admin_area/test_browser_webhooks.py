"""The Webhooks page in a real headless Chromium against a live uvicorn server.

The tests' settings allow private addresses (`webhooks_allow_private`), so a loopback URL is
accepted; the worker does not run, so deliveries stay queued.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import expect

from greenroom.admins.models import AdminRole
from greenroom.webhooks import service as webhooks
from greenroom.webhooks.models import WebhookEndpoint
from tests.admin_area.conftest import log_in, open_page
from tests.browser import screenshot_on_failure
from tests.factories import make_admin, make_key, make_org

pytestmark = pytest.mark.browser

URL = "http://127.0.0.1:9999/hook"


async def test_add_an_endpoint_see_its_secret_once_deliveries_disable_and_delete(
    app, live_server, chromium
) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    key = await make_key(app, org)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-webhooks"), live_server.api(org.slug, key) as api:
        await log_in(page, origin, admin.email)
        await (
            page.get_by_role("navigation", name="Admin sections")
            .get_by_role("link", name="Webhooks")
            .click()
        )
        await expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks (production)")
        await expect(page.get_by_text("No endpoints.")).to_be_visible()

        # A URL the app refuses is explained, and nothing is added.
        await page.get_by_label("URL").fill("ftp://xyz.example.com/hook")
        await page.get_by_role("button", name="Add endpoint").click()
        await expect(page.get_by_test_id("form-error")).to_have_text(
            "Only http and https URLs can receive webhooks."
        )
        await expect(page.get_by_text("No endpoints.")).to_be_visible()

        await page.get_by_label("URL").fill(URL)
        await page.get_by_label("Description").fill("CRM sync")
        await page.get_by_label("user.created").check()
        await page.get_by_role("button", name="Add endpoint").click()
        shown = page.get_by_test_id("new-webhook-secret")
        await expect(shown).to_have_text(re.compile(r"^whsec_\S+$"))
        secret = (await shown.inner_text()).strip()
        await page.get_by_test_id("new-webhook").get_by_role("button", name="Copy").click()
        await expect(page.get_by_text("Copied")).to_be_visible()
        row = page.locator(
            "[data-testid=webhooks] tbody tr", has=page.get_by_role("link", name=URL)
        )
        await expect(row).to_have_count(1)
        await expect(row.locator("td").nth(0)).to_contain_text("CRM sync")
        await expect(row.locator("td").nth(1)).to_have_text("user.created")
        await expect(row.locator("td").nth(2)).to_have_text("receiving")

        # The API sees the same endpoint, and the secret shown is the one it signs with.
        listed = (await api.get("/api/webhooks")).json()["webhooks"]
        assert [(w["url"], w["events"], w["enabled"]) for w in listed] == [
            (URL, ["user.created"], True)
        ]
        async with app.state.sessionmaker() as session:
            endpoint = await session.get(WebhookEndpoint, uuid.UUID(listed[0]["id"]))
            assert endpoint is not None
            assert webhooks.endpoint_secret(endpoint, app.state.settings) == secret

        # Never shown again.
        await page.goto(f"{origin}/admin/webhooks")
        await expect(row).to_have_count(1)
        assert secret not in await page.content()
        await expect(page.get_by_test_id("new-webhook")).to_have_count(0)

        # A user created through the API queues a delivery, listed on the endpoint's page.
        created = await api.post(
            "/api/users/abc123def",
            json={"first_name": "Jane", "last_name": "Doe", "email": "jane@xyz.example.com"},
        )
        assert created.status_code == 201, created.text
        await row.get_by_role("link", name=URL).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"Deliveries to {URL}")
        deliveries = page.locator("[data-testid=deliveries] tbody tr")
        await expect(deliveries).to_have_count(1)
        await expect(deliveries.locator("td").nth(1)).to_have_text("user.created")
        await expect(deliveries.get_by_role("button", name="Resend")).to_be_visible()

        # Disable it: the list, the delivery page and the API say so; no resend while off.
        await page.get_by_role("link", name="← Webhooks").click()
        await row.get_by_role("button", name="Disable").click()
        await expect(row.locator("td").nth(2)).to_have_text("disabled (manual)")
        await expect(row.get_by_role("button", name="Disable")).to_have_count(0)
        (hook,) = (await api.get("/api/webhooks")).json()["webhooks"]
        assert (hook["enabled"], hook["disabled_reason"]) == (False, "manual")
        await row.get_by_role("link", name=URL).click()
        await expect(page.get_by_text("Disabled (manual). Enable it to resend.")).to_be_visible()
        await expect(deliveries.locator("td").nth(1)).to_have_text("user.created")
        await expect(page.get_by_role("button", name="Resend")).to_have_count(0)

        # Enable it again.
        await page.get_by_role("link", name="← Webhooks").click()
        await row.get_by_role("button", name="Enable").click()
        await expect(row.locator("td").nth(2)).to_have_text("receiving")
        (hook,) = (await api.get("/api/webhooks")).json()["webhooks"]
        assert hook["enabled"] is True

        # Delete it (behind its confirmation step).
        await row.get_by_text("Delete", exact=True).click()
        await row.get_by_role("button", name="Delete this endpoint and its log").click()
        await expect(page.get_by_text("No endpoints.")).to_be_visible()
        assert (await api.get("/api/webhooks")).json()["webhooks"] == []
    await context.close()


async def test_viewer_sees_endpoints_but_cannot_change_them(app, live_server, chromium) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    viewer = await make_admin(app, org, role=AdminRole.VIEWER)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with (
        screenshot_on_failure(page, "admin-webhooks-viewer"),
        live_server.api(org.slug, key) as api,
    ):
        added = await api.post("/api/webhooks", json={"url": URL, "description": "CRM sync"})
        assert added.status_code == 201, added.text
        await log_in(page, origin, viewer.email)
        await page.get_by_role("heading", name="Dashboard").wait_for()
        await page.goto(f"{origin}/admin/webhooks")
        await expect(page.get_by_role("link", name=URL)).to_be_visible()
        await expect(page.get_by_text("CRM sync")).to_be_visible()
        await expect(page.get_by_role("heading", name="Add an endpoint")).to_have_count(0)
        await expect(page.get_by_role("button", name="Disable")).to_have_count(0)
        await expect(
            page.get_by_role("button", name="Delete this endpoint and its log")
        ).to_have_count(0)

        token = await page.locator("input[name=csrftoken]").first.get_attribute("value")
        status = await page.evaluate(
            """async ([token, path]) => (await fetch(path, {method: "POST",
                 body: new URLSearchParams({csrftoken: token, enabled: "no"})})).status""",
            [token, f"/admin/webhooks/{added.json()['webhook']['id']}/enabled"],
        )
        assert status == 403
        (hook,) = (await api.get("/api/webhooks")).json()["webhooks"]
        assert hook["enabled"] is True
    await context.close()
