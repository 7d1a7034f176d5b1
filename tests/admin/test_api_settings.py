"""API Settings: every key of the org, create (shown once, works on the API), viewer limits."""

from __future__ import annotations

import re
from datetime import timedelta

from greenroom.admins.models import AdminRole
from greenroom.core import clock
from tests.admin.conftest import logged_in
from tests.factories import make_key, make_org

PAGE = "/admin/api-settings"
KEY_RE = re.compile(r'data-testid="new-key-value">([0-9a-f]{32})<')


async def create(browser, **fields):  # type: ignore[no-untyped-def]
    data = {"name": "XYZ integration", "environment": "production", **fields}
    return await browser.submit(PAGE, PAGE, data)


async def test_created_key_is_shown_once_and_works_on_the_api(area, client_for) -> None:
    response = await create(area.browser, scopes=["users:read", "progress:read"], name="Reporting")
    assert response.status_code == 201
    key = KEY_RE.search(response.text).group(1)  # type: ignore[union-attr]
    api = client_for(area.org.slug)
    check = await api.get("/api/_probe/whoami", headers={"Authorization": key})
    assert check.status_code == 200, check.text
    # Listed with its last 4 and who made it, never in full again.
    listing = await area.browser.get(PAGE)
    assert key not in listing.text
    assert key[-4:] in listing.text and area.admin.email in listing.text
    assert (
        "users:read, progress:read" in listing.text or "progress:read, users:read" in listing.text
    )


async def test_sandbox_key_works_only_on_the_sandbox_host(area, client_for) -> None:
    response = await create(area.browser, environment="sandbox", scopes=["users:read"])
    key = KEY_RE.search(response.text).group(1)  # type: ignore[union-attr]
    sandbox = client_for(area.org.slug, "sandbox")
    assert (
        await sandbox.get("/api/_probe/whoami", headers={"Authorization": key})
    ).status_code == 200
    production = client_for(area.org.slug)
    assert (
        await production.get("/api/_probe/whoami", headers={"Authorization": key})
    ).status_code == 401


async def test_invalid_create_is_explained_and_makes_nothing(area) -> None:
    no_scope = await create(area.browser, name="No scopes")
    assert no_scope.status_code == 422 and "at least one scope" in no_scope.text
    no_name = await create(area.browser, name="  ", scopes=["users:read"])
    assert no_name.status_code == 422
    past = await create(area.browser, scopes=["users:read"], expires_on="2001-01-01")
    assert past.status_code == 422
    assert "No keys yet." in (await area.browser.get(PAGE)).text


async def test_lists_both_environments_and_flags_old_keys(app, area) -> None:
    await make_key(app, area.org, name="Old production")
    clock.advance(timedelta(days=91))
    await make_key(app, area.org, environment="sandbox", name="Fresh sandbox")
    await area.browser.log_in(area.admin.email)  # the old session expired meanwhile
    text = (await area.browser.get(PAGE)).text
    assert "Old production" in text and "Fresh sandbox" in text
    assert text.count("rotation recommended") == 1


async def test_keys_of_other_orgs_are_not_listed(app, area) -> None:
    other = await make_org(app)
    await make_key(app, other, name="Someone else's key")
    assert "Someone else" not in (await area.browser.get(PAGE)).text


async def test_viewer_sees_keys_but_no_forms_and_cannot_post(app, browser_for, area) -> None:
    await make_key(app, area.org, name="Visible to viewers")
    _viewer, browser = await logged_in(app, browser_for, area.org, AdminRole.VIEWER)
    page = await browser.get(PAGE)
    assert "Visible to viewers" in page.text
    assert "Create a key" not in page.text and 'action="/admin/api-settings"' not in page.text
    response = await create(browser, scopes=["users:read"])
    assert response.status_code == 403
    assert response.json()["code"] == "read_only"
