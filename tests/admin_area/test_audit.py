"""Audit log page: the events of the org, filtered by event, admin and date."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from greenroom.audit import service as audit
from greenroom.core import clock
from tests.admin_area.conftest import assert_error_page
from tests.core.test_cursors import BAD_CURSORS
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


async def test_the_last_day_python_knows_is_a_filter_like_any_other(area) -> None:
    # The end of 9999-12-31 was one day past Python's last date: a 500.
    for params in ({"until": "9999-12-31"}, {"since": "0001-01-01", "until": "9999-12-31"}):
        response = await area.browser.get(PAGE, params=params)
        assert response.status_code == 200 and "<td>admin.login_succeeded</td>" in response.text


async def test_other_orgs_events_never_show(app, area) -> None:
    other = await make_org(app)
    await make_key(app, other, name="Their key")
    assert "Their key" not in (await area.browser.get(PAGE)).text


async def test_older_events_are_a_cursor_away(app, area) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        for n in range(51):
            await audit.record(
                session, org_id=area.org.id, environment=None, event="key.revoked", actor=f"n{n}"
            )
            clock.advance(timedelta(seconds=1))
    first = (await area.browser.get(PAGE, params={"event": "key.revoked"})).text
    assert first.count("<td>key.revoked</td>") == 50
    older = re.search(r'rel="next" href="([^"]+)"', first)
    assert older is not None
    second = (await area.browser.get(html.unescape(older.group(1)))).text
    assert second.count("<td>key.revoked</td>") == 1 and 'rel="next"' not in second
    assert "<td>n0</td>" in second and "<td>n0</td>" not in first


@pytest.mark.parametrize("cursor", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
async def test_a_cursor_we_did_not_write_is_400_invalid_cursor(area, cursor) -> None:
    response = await area.browser.get(PAGE, params={"cursor": cursor})
    assert_error_page(response, 400, "invalid_cursor")


async def test_a_nul_in_a_pages_path_or_filter_is_not_found_not_an_error(area) -> None:
    # PostgreSQL refuses NUL in text: these reached its look-ups and were 500s there.
    for path in (
        "/admin/users/%00",
        "/admin/users/abc%00",
        f"/admin/users/%00/interviews/{'0' * 32}",
    ):
        response = await area.browser.get(path)
        assert response.status_code == 404, (path, response.status_code)
    for action in ("/admin/question-sets/%00/delete", "/admin/question-sets/categories/%00/delete"):
        response = await area.browser.submit("/admin/question-sets", action, {})
        assert response.status_code in (303, 404), (action, response.status_code)
    for event in ("%00", "a%00b"):
        response = await area.browser.get(f"{PAGE}?event={event}")
        assert response.status_code in (200, 400, 422), (event, response.status_code)
