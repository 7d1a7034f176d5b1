"""Log-in to the admin area: credentials, sessions (rotation, expiry, log-out), CSRF, headers."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from greenroom.core import clock
from tests.admin_area.conftest import assert_error_page, csrf_of
from tests.conftest import unique_address
from tests.factories import make_admin, make_org


async def test_good_credentials_start_a_session_and_land_on_the_dashboard(app, browser_for) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    browser = browser_for(org.slug)
    response = await browser.log_in(admin.email)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin"
    cookie = response.headers["set-cookie"]
    assert "gr_admin=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = await browser.get("/admin/api-settings")
    assert page.status_code == 200
    assert "Pat Admin" in page.text and "API Settings" in page.text


async def test_wrong_password_and_unknown_email_get_the_same_message(app, browser_for) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    browser = browser_for(org.slug)
    wrong = await browser.log_in(admin.email, "not the password at all")
    unknown = await browser.log_in("nobody@xyz.example.com", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password." in wrong.text and "Wrong email or password." in unknown.text
    assert "gr_admin=" not in wrong.headers.get("set-cookie", "")


async def test_an_email_with_a_nul_is_a_wrong_log_in_not_an_error(app, browser_for) -> None:
    # PostgreSQL refuses NUL in text: the look-up was a 500 there.
    from greenroom.audit import service as audit

    org = await make_org(app)
    admin = await make_admin(app, org)
    response = await browser_for(org.slug).log_in(admin.email + "\x00", "not the password at all")
    assert response.status_code == 401 and "Wrong email or password." in response.text
    # Audited, the NUL shown as U+FFFD: as it was, the entry failed its whole write-behind batch
    # on PostgreSQL, and the failed log-ins of others with it.
    await app.state.authenticator.drain()
    async with app.state.sessionmaker() as session:
        page = await audit.list_events(session, org.id)
    assert [(e.event, e.actor) for e in page.events] == [
        ("admin.login_failed", f"admin:{admin.email}\ufffd")
    ]


async def test_admin_of_another_org_cannot_log_in_here(app, browser_for) -> None:
    org, other = await make_org(app), await make_org(app)
    stranger = await make_admin(app, other)
    response = await browser_for(org.slug).log_in(stranger.email)
    assert response.status_code == 401


async def test_pages_without_a_session_redirect_to_log_in(app, browser_for) -> None:
    org = await make_org(app)
    assert (await browser_for(org.slug).get("/admin")).headers["location"] == "/login/admin"
    for path in ("/admin/api-settings", "/admin/admins"):
        response = await browser_for(org.slug).get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login/admin?next={quote(path, safe='')}"


async def test_session_id_is_rotated_at_log_in(app, browser_for) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    browser = browser_for(org.slug)
    await browser.log_in(admin.email)
    first = browser.client.cookies["gr_admin"]
    await browser.log_in(admin.email)
    second = browser.client.cookies["gr_admin"]
    assert first != second
    # The old id no longer works.
    old = browser_for(org.slug)
    old.client.cookies.set("gr_admin", first)
    assert (await old.get("/admin/api-settings")).status_code == 303


async def test_idle_and_absolute_expiry(app, browser_for, settings) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    browser = browser_for(org.slug)
    await browser.log_in(admin.email)
    clock.advance(timedelta(minutes=settings.session_idle_minutes + 1))
    assert (await browser.get("/admin/api-settings")).status_code == 303

    await browser.log_in(admin.email)
    started = clock.now()
    for _ in range(settings.session_absolute_hours * 60 // (settings.session_idle_minutes - 1) + 1):
        clock.advance(timedelta(minutes=settings.session_idle_minutes - 1))
        response = await browser.get("/admin/api-settings")
        if response.status_code == 303:
            break
    else:
        raise AssertionError("the session outlived its absolute limit")
    # Kept alive by activity until the absolute limit, not a moment longer.
    elapsed = clock.now() - started
    assert timedelta(hours=settings.session_absolute_hours) <= elapsed
    assert elapsed < timedelta(
        hours=settings.session_absolute_hours, minutes=settings.session_idle_minutes
    )


async def test_log_out_ends_the_session(area) -> None:
    response = await area.browser.submit("/admin/api-settings", "/admin/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/login/admin"
    assert (await area.browser.get("/admin/api-settings")).status_code == 303


async def test_forms_without_the_csrf_token_are_refused(app, browser_for, area) -> None:
    # Log-in form, even without any cookie yet (log-in CSRF).
    org = await make_org(app)
    admin = await make_admin(app, org)
    fresh = browser_for(org.slug)
    response = await fresh.client.post(
        "/login/admin", data={"email": admin.email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 403
    # A signed-in form: creating a key.
    response = await area.browser.client.post("/admin/api-settings", data={"name": "x"})
    assert_error_page(response, 403, "csrf_failed")
    # A token from another session's cookie does not match either.
    other = browser_for(area.org.slug)
    token = csrf_of((await other.get("/login/admin")).text)
    response = await area.browser.client.post(
        "/admin/api-settings", data={"csrftoken": token + "x", "name": "x"}
    )
    assert response.status_code == 403


async def test_security_headers_on_admin_pages(area) -> None:
    for path in ("/login/admin", "/admin/api-settings"):
        response = await area.browser.get(path)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"]
        assert "<script>" not in response.text  # no inline script anywhere


async def test_hsts_is_sent_under_https(settings, migrated) -> None:
    import httpx

    from greenroom.app import create_app

    https_app = create_app(
        settings.model_copy(update={"public_scheme": "https"}), configure_logs=False
    )
    org_host = "nobody." + settings.base_domain
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=https_app), base_url=f"https://{org_host}"
    ) as client:
        response = await client.get("/healthz")
    assert "max-age=" in response.headers["strict-transport-security"]
    await https_app.state.database.dispose()


async def test_sandbox_host_sends_admins_to_the_production_host(app, browser_for) -> None:
    org = await make_org(app)
    response = await browser_for(org.slug, "sandbox").get("/login/admin")
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"//{org.slug}.greenroom.localhost/login/admin")


async def test_five_failures_for_an_account_throttle_it_even_with_the_right_password(
    app, browser_for
) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    for _ in range(5):
        # A new address each time: the account alone trips the throttle.
        response = await browser_for(org.slug).log_in(admin.email, "wrong password, certainly")
        assert response.status_code == 401
    throttled = await browser_for(org.slug).log_in(admin.email)
    assert throttled.status_code == 429
    assert "Too many failed log-ins. Try again in 15 minutes." in throttled.text
    assert 800 < int(throttled.headers["retry-after"]) <= 900
    assert "gr_admin=" not in throttled.headers.get("set-cookie", "")


async def test_five_failures_from_one_address_throttle_every_account(app, browser_for) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    address = unique_address()
    for i in range(5):
        await browser_for(org.slug, address=address).log_in(f"guess{i}@xyz.example.com", "nope")
    throttled = await browser_for(org.slug, address=address).log_in(admin.email)
    assert throttled.status_code == 429
    # The same account from elsewhere still gets in.
    assert (await browser_for(org.slug).log_in(admin.email)).status_code == 303


async def test_log_ins_are_in_the_audit_log(app, browser_for) -> None:
    from greenroom.audit import service as audit

    org = await make_org(app)
    admin = await make_admin(app, org)
    await browser_for(org.slug, address="10.250.1.1").log_in(admin.email, "wrong password!")
    await app.state.authenticator.drain()  # failed log-ins are audited behind the request
    await browser_for(org.slug, address="10.250.1.1").log_in(admin.email)
    async with app.state.sessionmaker() as session:
        page = await audit.list_events(session, org.id)
    assert [(e.event, e.admin_id, e.client_address) for e in page.events] == [
        ("admin.login_succeeded", admin.id, "10.250.1.1"),
        ("admin.login_failed", admin.id, "10.250.1.1"),
    ]
