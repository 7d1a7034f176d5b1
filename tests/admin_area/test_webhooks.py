"""Webhooks page: endpoints of the environment in view, secret once, delivery log, resend."""

from __future__ import annotations

import re

from greenroom.admins.models import AdminRole
from tests.admin_area.conftest import logged_in
from tests.factories import make_key
from tests.helpers import group_of

PAGE = "/admin/webhooks"
URL = "http://127.0.0.1:9999/hook"


async def test_add_endpoint_shows_secret_once_and_lists_it(area) -> None:
    response = await area.browser.submit(
        PAGE, PAGE, {"url": URL, "events": ["user.created"], "description": "CRM sync"}
    )
    assert response.status_code == 201
    secret = re.search(r'data-testid="new-webhook-secret">(whsec_[^<]+)<', response.text)
    assert secret
    listing = (await area.browser.get(PAGE)).text
    assert URL in listing and "CRM sync" in listing and secret.group(1) not in listing


async def test_bad_url_is_explained(area) -> None:
    response = await area.browser.submit(PAGE, PAGE, {"url": "ftp://x.example.com/"})
    assert response.status_code == 422 and 'data-testid="form-error"' in response.text


async def test_sandbox_view_manages_sandbox_endpoints_and_resend(app, area, client_for) -> None:
    await area.browser.submit("/admin/users", "/admin/view", {"view": "sandbox", "next": PAGE})
    await area.browser.submit(PAGE, PAGE, {"url": URL})
    # A sandbox user created through the API queues a delivery to it.
    key = await make_key(app, area.org, environment="sandbox")
    api = client_for(area.org.slug, "sandbox")
    created = await api.post(
        "/api/users/abc123def",
        headers={"Authorization": key},
        json={"first_name": "Jane", "last_name": "Doe", "email": "jane@xyz.example.com"},
    )
    assert created.status_code == 201
    listing = (await area.browser.get(PAGE)).text
    endpoint_path = group_of(r'href="(/admin/webhooks/[0-9a-f-]{36})"', listing)
    log = await area.browser.get(endpoint_path)
    assert "user.created" in log.text and log.text.count("Resend") == 1
    action = group_of(r'action="([^"]+/resend)"', log.text)
    assert (await area.browser.submit(endpoint_path, action)).status_code == 303
    assert (await area.browser.get(endpoint_path)).text.count("user.created") == 2
    # Production shows no endpoint.
    await area.browser.submit(PAGE, "/admin/view", {"view": "production", "next": PAGE})
    assert "No endpoints." in (await area.browser.get(PAGE)).text
    assert (await area.browser.get(endpoint_path)).status_code == 404


async def test_disable_and_delete(area) -> None:
    await area.browser.submit(PAGE, PAGE, {"url": URL})
    listing = (await area.browser.get(PAGE)).text
    endpoint_id = group_of(r"/admin/webhooks/([0-9a-f-]{36})", listing)
    off = await area.browser.submit(PAGE, f"{PAGE}/{endpoint_id}/enabled", {"enabled": "no"})
    assert off.status_code == 303 and "disabled (manual)" in (await area.browser.get(PAGE)).text
    gone = await area.browser.submit(PAGE, f"{PAGE}/{endpoint_id}/delete")
    assert gone.status_code == 303 and "No endpoints." in (await area.browser.get(PAGE)).text


async def test_viewer_sees_but_cannot_add(app, browser_for, area) -> None:
    await area.browser.submit(PAGE, PAGE, {"url": URL})
    _viewer, browser = await logged_in(app, browser_for, area.org, AdminRole.VIEWER)
    page = await browser.get(PAGE)
    assert URL in page.text and "Add an endpoint" not in page.text
    assert (await browser.submit(PAGE, PAGE, {"url": URL})).status_code == 403
