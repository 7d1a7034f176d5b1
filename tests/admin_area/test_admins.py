"""Admins page: add with a one-time password, roles, removal that never leaves no admin."""

from __future__ import annotations

import re

from greenroom.admins.models import AdminRole
from tests.admin_area.conftest import assert_error_page, logged_in
from tests.factories import make_admin, make_org
from tests.helpers import group_of

PAGE = "/admin/admins"
PASSWORD_RE = re.compile(r'data-testid="new-admin-password">([^<]+)<')


async def test_added_admin_can_log_in_with_the_one_time_password(area, browser_for) -> None:
    response = await area.browser.submit(
        PAGE, PAGE, {"email": "Sam@XYZ.example.com", "name": "Sam", "role": "viewer"}
    )
    assert response.status_code == 303 and response.headers["location"] == PAGE
    password = group_of(PASSWORD_RE, (await area.browser.follow(response)).text)
    assert password not in (await area.browser.get(PAGE)).text  # shown once
    sam = browser_for(area.org.slug)
    logged = await sam.log_in("sam@xyz.example.com", password)
    # One-time: the first log-in leads to choosing a password, and every page waits for it.
    assert logged.status_code == 303 and logged.headers["location"] == "/admin/account/password"
    assert (await sam.get(PAGE)).headers["location"] == "/admin/account/password"
    chosen = await sam.submit(
        "/admin/account/password",
        "/admin/account/password",
        {"new": "a brand new passphrase", "confirm": "a brand new passphrase"},
    )
    assert chosen.status_code == 303
    assert "(viewer)" in (await sam.get(PAGE)).text
    again = browser_for(area.org.slug)
    assert (await again.log_in("sam@xyz.example.com", password)).status_code == 401
    assert (await again.log_in("sam@xyz.example.com", "a brand new passphrase")).status_code == 303


async def test_adding_an_existing_admin_or_a_bad_email_is_explained(area) -> None:
    again = await area.browser.submit(PAGE, PAGE, {"email": area.admin.email, "role": "admin"})
    assert again.status_code == 409 and "already an admin" in again.text
    bad = await area.browser.submit(
        PAGE, PAGE, {"email": "not-an-email", "name": "Kept Name", "role": "coach"}
    )
    assert bad.status_code == 422
    # The form keeps what was typed.
    assert 'value="not-an-email"' in bad.text and 'value="Kept Name"' in bad.text
    assert '<option value="coach" selected>' in bad.text


async def test_role_change_and_never_the_last_admin(app, area) -> None:
    me = area.admin
    # Alone: cannot demote or remove myself.
    demote = await area.browser.submit(PAGE, f"{PAGE}/{me.id}/role", {"role": "viewer"})
    assert demote.status_code == 409 and "at least one admin" in demote.text
    remove = await area.browser.submit(PAGE, f"{PAGE}/{me.id}/delete")
    assert remove.status_code == 409
    # With a second admin, the other one can be demoted and then removed.
    other = await make_admin(app, area.org)
    ok = await area.browser.submit(PAGE, f"{PAGE}/{other.id}/role", {"role": "viewer"})
    assert ok.status_code == 303
    assert (
        await area.browser.submit(PAGE, f"{PAGE}/{me.id}/role", {"role": "viewer"})
    ).status_code == 409
    gone = await area.browser.submit(PAGE, f"{PAGE}/{other.id}/delete")
    shown = (await area.browser.follow(gone)).text
    assert f"{other.email} was removed" in shown and f'data-admin="{other.email}"' not in shown
    assert other.email not in (await area.browser.get(PAGE)).text  # the message was shown once


async def test_removed_admin_is_signed_out(app, browser_for, area) -> None:
    other, other_browser = await logged_in(app, browser_for, area.org)
    await area.browser.submit(PAGE, f"{PAGE}/{other.id}/delete")
    assert (await other_browser.get(PAGE)).status_code == 303


async def test_admins_of_another_org_are_404(app, area) -> None:
    stranger = await make_admin(app, await make_org(app))
    response = await area.browser.submit(PAGE, f"{PAGE}/{stranger.id}/delete")
    assert_error_page(response, 404, "admin_not_found")


async def test_viewer_cannot_manage_admins(app, browser_for, area) -> None:
    _viewer, browser = await logged_in(app, browser_for, area.org, AdminRole.VIEWER)
    page = await browser.get(PAGE)
    assert area.admin.email in page.text and "Add an admin" not in page.text
    response = await browser.submit(PAGE, f"{PAGE}/{area.admin.id}/delete")
    assert_error_page(response, 403, "read_only")
