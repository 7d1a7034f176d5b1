"""Audit log page: the events of the org, filtered by event, admin and date."""

from __future__ import annotations

from datetime import timedelta

from greenroom.core import clock
from tests.factories import make_admin, make_key, make_org

PAGE = "/admin/audit"


async def test_admin_actions_and_log_ins_are_listed_and_filterable(app, area, browser_for) -> None:
    await area.browser.submit("/admin/admins", "/admin/admins", {"email": "sam@xyz.example.com"})
    await area.browser.submit(
        "/admin/api-settings", "/admin/api-settings", {"name": "K", "scopes": ["users:read"]}
    )
    other = await make_admin(app, area.org)
    await browser_for(area.org.slug).log_in(other.email, "wrong password here")
    await app.state.authenticator.drain()  # failed log-ins are audited behind the request
    page = (await area.browser.get(PAGE)).text
    for event in ("admin.login_succeeded", "admin.added", "key.created", "admin.login_failed"):
        assert f"<td>{event}</td>" in page
    only_keys = (await area.browser.get(PAGE, params={"event": "key.created"})).text
    assert "<td>key.created</td>" in only_keys and "<td>admin.added</td>" not in only_keys
    by_other = (await area.browser.get(PAGE, params={"admin": str(other.id)})).text
    assert "<td>admin.login_failed</td>" in by_other and "<td>admin.added</td>" not in by_other


async def test_date_filter_takes_whole_utc_days(app, area) -> None:
    today = clock.now().date()
    clock.advance(timedelta(days=3))
    await area.browser.log_in(area.admin.email)  # the session expired meanwhile
    later = clock.now().date()
    only_old = (
        await area.browser.get(
            PAGE, params={"since": today.isoformat(), "until": today.isoformat()}
        )
    ).text
    assert only_old.count("<td>admin.login_succeeded</td>") == 1
    only_new = (await area.browser.get(PAGE, params={"since": later.isoformat()})).text
    assert only_new.count("<td>admin.login_succeeded</td>") == 1
    assert "No events match." in (await area.browser.get(PAGE, params={"until": "2001-01-01"})).text


async def test_other_orgs_events_never_show(app, area) -> None:
    other = await make_org(app)
    await make_key(app, other, name="Their key")
    assert "Their key" not in (await area.browser.get(PAGE)).text
