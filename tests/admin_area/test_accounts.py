"""Accounts done right (issue 18, item 5): one-time passwords, changing and resetting
passwords, returning to the page asked for, sessions and signing out everywhere."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select

from greenroom.admins.models import Admin
from tests.admin_area.conftest import Area, assert_error_page, logged_in
from tests.factories import ADMIN_PASSWORD, make_admin
from tests.helpers import group_of

PASSWORD = "/admin/account/password"
NEW = "another long passphrase"


async def test_changing_ones_own_password_needs_the_current_one(app, area: Area, browser_for):
    wrong = await area.browser.submit(
        PASSWORD, PASSWORD, {"current": "not it at all", "new": NEW, "confirm": NEW}
    )
    assert wrong.status_code == 422 and "This is not your current password." in wrong.text
    short = await area.browser.submit(
        PASSWORD, PASSWORD, {"current": ADMIN_PASSWORD, "new": "short", "confirm": "short"}
    )
    assert short.status_code == 422 and "At least 12 characters." in short.text
    differ = await area.browser.submit(
        PASSWORD, PASSWORD, {"current": ADMIN_PASSWORD, "new": NEW, "confirm": NEW + "!"}
    )
    assert differ.status_code == 422 and "The two new passwords differ." in differ.text
    # Another browser of the same admin is signed out by the change; this one stays.
    elsewhere = browser_for(area.org.slug)
    await elsewhere.log_in(area.admin.email)
    changed = await area.browser.submit(
        PASSWORD, PASSWORD, {"current": ADMIN_PASSWORD, "new": NEW, "confirm": NEW}
    )
    assert changed.status_code == 303 and changed.headers["location"] == "/admin/account"
    assert "Your password is changed" in (await area.browser.follow(changed)).text
    assert (await elsewhere.get("/admin")).status_code == 303
    fresh = browser_for(area.org.slug)
    assert (await fresh.log_in(area.admin.email)).status_code == 401
    assert (await fresh.log_in(area.admin.email, NEW)).status_code == 303
    audit = await area.browser.get("/admin/audit", params={"event": "admin.password_changed"})
    assert "<td>admin.password_changed</td>" in audit.text


async def test_an_admin_resets_another_admins_password(app, area: Area, browser_for) -> None:
    other, other_browser = await logged_in(app, browser_for, area.org)
    page = "/admin/admins"
    reset = await area.browser.submit(page, f"{page}/{other.id}/password")
    assert reset.status_code == 303
    shown = await area.browser.follow(reset)
    password = group_of(r'data-testid="new-admin-password">([^<]+)<', shown.text)
    assert f"New one-time password for {other.email}" in shown.text
    assert password not in (await area.browser.get(page)).text  # once
    # Their sessions ended; the old password no longer works; the new one is one-time.
    assert (await other_browser.get("/admin")).status_code == 303
    again = browser_for(area.org.slug)
    assert (await again.log_in(other.email)).status_code == 401
    logged = await again.log_in(other.email, password)
    assert logged.headers["location"] == PASSWORD
    async with app.state.sessionmaker() as session:
        row = await session.scalar(select(Admin).where(Admin.id == other.id))
    assert row is not None and row.must_change_password
    # One's own password is changed, not reset.
    own = await area.browser.submit(page, f"{page}/{area.admin.id}/password")
    assert own.status_code == 409 and "Change your own password" in own.text
    audit = await area.browser.get("/admin/audit", params={"event": "admin.password_reset"})
    assert f"email={other.email}" in audit.text


async def test_a_forced_change_needs_no_current_password_and_opens_the_area(
    app, area: Area, browser_for
) -> None:
    added = await area.browser.submit(
        "/admin/admins", "/admin/admins", {"email": "new@xyz.example.com", "role": "admin"}
    )
    password = group_of(
        r'data-testid="new-admin-password">([^<]+)<', (await area.browser.follow(added)).text
    )
    new = browser_for(area.org.slug)
    await new.log_in("new@xyz.example.com", password)
    for path in ("/admin", "/admin/users", "/admin/account"):
        assert (await new.get(path)).headers["location"] == PASSWORD
    form = await new.get(PASSWORD)
    assert 'name="current"' not in form.text and 'data-testid="forced"' in form.text
    # Re-using the one-time password is not a new password.
    same = await new.submit(PASSWORD, PASSWORD, {"new": password, "confirm": password})
    assert same.status_code == 422
    done = await new.submit(PASSWORD, PASSWORD, {"new": NEW, "confirm": NEW})
    assert done.headers["location"] == "/admin"
    assert (await new.get("/admin/users")).status_code == 200


async def test_after_log_in_the_admin_returns_to_the_page_asked_for(app, browser_for) -> None:
    from tests.factories import make_org

    org = await make_org(app)
    admin = await make_admin(app, org)
    browser = browser_for(org.slug)
    asked = "/admin/users?q=garcia&sort=name"
    redirected = await browser.get(asked)
    assert redirected.headers["location"] == f"/login/admin?next={quote(asked, safe='')}"
    form = await browser.get(redirected.headers["location"])
    assert 'name="next" value="/admin/users?q=garcia&amp;sort=name"' in form.text
    logged = await browser.submit(
        redirected.headers["location"],
        "/login/admin",
        {"email": admin.email, "password": ADMIN_PASSWORD, "next": asked},
    )
    assert logged.headers["location"] == asked
    # Only a path of the admin area on this host: anything else lands on the dashboard.
    for unsafe in (
        "//evil.example.com/admin", "https://evil.example.com/admin", "/members/dashboard",
        "/admin/../api/users", "/\\evil.example.com", "/admin\r\nSet-Cookie: x=1",
    ):  # fmt: skip
        logged = await browser_for(org.slug).submit(
            "/login/admin",
            "/login/admin",
            {"email": admin.email, "password": ADMIN_PASSWORD, "next": unsafe},
        )
        assert logged.headers["location"] == "/admin", unsafe


async def test_sessions_are_listed_ended_one_by_one_or_everywhere(
    app, area: Area, browser_for
) -> None:
    second = browser_for(area.org.slug)
    second.client.headers["user-agent"] = "Second browser/1.0"
    await second.log_in(area.admin.email)
    page = await area.browser.get("/admin/account")
    assert page.text.count("data-session=") == 2 and "this session" in page.text
    assert "Second browser/1.0" in page.text
    other_id = group_of(r'action="/admin/account/sessions/([0-9a-f-]{36})/end"', page.text)
    # The current session is ended by logging out, not here.
    flat = page.text.replace("\n", " ")
    current = group_of(r'<tr data-session="([0-9a-f-]{36})">(?:(?!</tr>).)*this session', flat)
    assert_error_page(
        await area.browser.submit("/admin/account", f"/admin/account/sessions/{current}/end"),
        409,
        "current_session",
    )
    ended = await area.browser.submit("/admin/account", f"/admin/account/sessions/{other_id}/end")
    assert ended.status_code == 303
    assert (await second.get("/admin")).status_code == 303
    assert (await area.browser.get("/admin/account")).text.count("data-session=") == 1
    # Sign out everywhere: every session of this admin, this one too.
    await second.log_in(area.admin.email)
    out = await area.browser.submit("/admin/account", "/admin/account/sessions/end-all")
    assert out.headers["location"] == "/login/admin"
    assert (await area.browser.get("/admin")).status_code == 303
    assert (await second.get("/admin")).status_code == 303
    audit = browser_for(area.org.slug)
    await audit.log_in(area.admin.email)
    log = await audit.get("/admin/audit", params={"event": "admin.signed_out_everywhere"})
    assert "<td>admin.signed_out_everywhere</td>" in log.text
