"""Webhooks page: endpoints of the environment in view, secret once, delivery log, resend."""

from __future__ import annotations

import re

from greenroom.admins.models import AdminRole
from tests.admin_area.conftest import assert_error_page, logged_in
from tests.factories import make_key
from tests.helpers import group_of

PAGE = "/admin/webhooks"
URL = "http://127.0.0.1:9999/hook"


async def test_add_endpoint_shows_secret_once_and_lists_it(area) -> None:
    response = await area.browser.submit(
        PAGE, PAGE, {"url": URL, "events": ["user.created"], "description": "CRM sync"}
    )
    shown = (await area.browser.follow(response)).text
    secret = re.search(r'data-testid="new-webhook-secret">(whsec_[^<]+)<', shown)
    assert secret
    listing = (await area.browser.get(PAGE)).text
    assert URL in listing and "CRM sync" in listing and secret.group(1) not in listing


async def test_bad_url_is_explained_and_the_form_keeps_its_values(area) -> None:
    response = await area.browser.submit(
        PAGE,
        PAGE,
        {"url": "ftp://x.example.com/", "description": "CRM sync", "events": ["user.deleted"]},
    )
    assert response.status_code == 422 and 'data-testid="form-error"' in response.text
    assert 'value="ftp://x.example.com/"' in response.text and 'value="CRM sync"' in response.text
    assert 'value="user.deleted" checked' in response.text
    assert 'value="user.created" checked' not in response.text


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
    assert_error_page(await area.browser.get(endpoint_path), 404, "not_found")


async def test_disable_and_delete(area) -> None:
    await area.browser.submit(PAGE, PAGE, {"url": URL})
    listing = (await area.browser.get(PAGE)).text
    endpoint_id = group_of(r"/admin/webhooks/([0-9a-f-]{36})", listing)
    off = await area.browser.submit(PAGE, f"{PAGE}/{endpoint_id}/enabled", {"enabled": "no"})
    assert off.status_code == 303 and "disabled (manual)" in (await area.browser.get(PAGE)).text
    gone = await area.browser.submit(PAGE, f"{PAGE}/{endpoint_id}/delete")
    assert gone.status_code == 303 and "No endpoints." in (await area.browser.get(PAGE)).text
    # Each change is in the audit log, and the audit page filters by it.
    audit = await area.browser.get("/admin/audit", params={"event": "webhook.disabled"})
    assert (
        "webhook.disabled" in audit.text and "webhook.deleted" not in audit.text.split("<tbody>")[1]
    )
    events = (await area.browser.get("/admin/audit")).text
    for event in ("webhook.created", "webhook.disabled", "webhook.deleted"):
        assert f'<option value="{event}"' in events and f"<td>{event}</td>" in events


async def test_viewer_sees_but_cannot_add(app, browser_for, area) -> None:
    await area.browser.submit(PAGE, PAGE, {"url": URL})
    _viewer, browser = await logged_in(app, browser_for, area.org, AdminRole.VIEWER)
    page = await browser.get(PAGE)
    assert URL in page.text and "Add an endpoint" not in page.text
    assert_error_page(await browser.submit(PAGE, PAGE, {"url": URL}), 403, "read_only")
