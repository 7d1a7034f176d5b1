"""CSRF tokens (core/csrf.py) are bound to the org's host and to the browser's session: a token and
its cookie minted on another org's host, anonymously, or for another session are refused, even
when the cookie is planted in the victim's browser; the browser's own token works."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from greenroom.keys.models import ApiKey
from greenroom.tenancy.models import Organization
from tests.admin_area.conftest import Area, Browser, assert_error_page, csrf_of, logged_in
from tests.factories import make_org
from tests.practice.helpers import csrf_from, make_user, signed_in

PAGE = "/admin/api-settings"


async def minted(browser: Browser | httpx.AsyncClient, path: str) -> tuple[str, str]:
    """The form token shown at `path` and the nonce cookie it goes with."""
    client = browser.client if isinstance(browser, Browser) else browser
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text), client.cookies["csrftoken"]


def cookies_with(client: httpx.AsyncClient, nonce: str) -> dict[str, str]:
    """The client's own cookies (its session) with `nonce` planted as the CSRF cookie."""
    own = {cookie.name: cookie.value for cookie in client.cookies.jar}
    own["csrftoken"] = nonce
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in own.items())}


async def create_key(browser: Browser, token: str, nonce: str, name: str) -> httpx.Response:
    return await browser.client.post(
        PAGE,
        data={"csrftoken": token, "name": name, "scopes": "users:read"},
        headers=cookies_with(browser.client, nonce),
    )


async def keys_named(app: FastAPI, org: Organization, name: str) -> int:
    async with app.state.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).where(ApiKey.org_id == org.id, ApiKey.name == name)
        )
    return int(count or 0)


async def test_a_pair_minted_anonymously_on_another_orgs_host_is_refused(
    app, area: Area, browser_for
) -> None:
    # The report: a token pair from one org's log-in page, with the cookie planted in the
    # browser of another org's admin, created a key in that org's admin area.
    other = await make_org(app)
    token, nonce = await minted(browser_for(other.slug), "/login/admin")
    response = await create_key(area.browser, token, nonce, "planted")
    assert_error_page(response, 403, "csrf_failed")
    assert await keys_named(app, area.org, "planted") == 0


async def test_a_pair_minted_on_another_orgs_admin_area_is_refused(
    app, area: Area, browser_for
) -> None:
    other = await make_org(app)
    _, attacker = await logged_in(app, browser_for, other)
    token, nonce = await minted(attacker, PAGE)
    assert (await create_key(area.browser, token, nonce, "planted")).status_code == 403
    assert await keys_named(app, area.org, "planted") == 0


async def test_a_pair_minted_anonymously_on_the_same_host_is_refused(
    app, area: Area, browser_for
) -> None:
    token, nonce = await minted(browser_for(area.org.slug), "/login/admin")
    assert (await create_key(area.browser, token, nonce, "planted")).status_code == 403
    assert await keys_named(app, area.org, "planted") == 0


async def test_a_token_from_another_session_is_refused(app, area: Area, browser_for) -> None:
    _, colleague = await logged_in(app, browser_for, area.org)
    token, nonce = await minted(colleague, PAGE)
    assert (await create_key(area.browser, token, nonce, "planted")).status_code == 403
    # Nor with the victim's own nonce cookie.
    _, own_nonce = await minted(area.browser, PAGE)
    assert (await create_key(area.browser, token, own_nonce, "planted")).status_code == 403
    assert await keys_named(app, area.org, "planted") == 0


async def test_a_missing_or_altered_token_is_refused(app, area: Area) -> None:
    token, nonce = await minted(area.browser, PAGE)
    missing = await area.browser.client.post(PAGE, data={"name": "x"})
    assert_error_page(missing, 403, "csrf_failed")
    altered = await create_key(
        area.browser, token[:-1] + ("0" if token[-1] != "0" else "1"), nonce, "x"
    )
    assert altered.status_code == 403
    in_header = await area.browser.client.post(
        PAGE, data={"name": "x"}, headers={"x-csrftoken": token + "0"}
    )
    assert in_header.status_code == 403
    assert await keys_named(app, area.org, "x") == 0


async def test_the_token_of_the_page_works_in_the_form_or_the_header(app, area: Area) -> None:
    token, nonce = await minted(area.browser, PAGE)
    assert (await create_key(area.browser, token, nonce, "by form")).status_code == 303
    by_header = await area.browser.client.post(
        PAGE,
        data={"name": "by header", "scopes": "users:read"},
        headers={"x-csrftoken": token},
    )
    assert by_header.status_code == 303
    assert await keys_named(app, area.org, "by form") == 1
    assert await keys_named(app, area.org, "by header") == 1


async def test_the_log_in_form_token_works_only_before_log_in(app, browser_for) -> None:
    org = await make_org(app)
    admin, browser = await logged_in(app, browser_for, org)
    fresh = browser_for(org.slug)
    token, nonce = await minted(fresh, "/login/admin")
    # Valid for the browser that was shown the form ...
    response = await fresh.client.post(
        "/login/admin",
        data={"csrftoken": token, "email": admin.email, "password": "wrong password"},
    )
    assert response.status_code != 403
    # ... not for one that holds a session.
    assert (await create_key(browser, token, nonce, "planted")).status_code == 403


async def test_the_nonce_cookie_is_host_only_http_only_and_lax(area: Area, browser_for) -> None:
    response = await browser_for(area.org.slug).get("/login/admin")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("csrftoken=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "domain" not in cookie.lower()
    assert "Cookie" in response.headers["vary"]


async def test_a_members_token_is_bound_to_the_members_session(app, client_for) -> None:
    org = await make_org(app)
    victim, attacker = client_for(org.slug), client_for(org.slug)
    await signed_in(app, victim, org, await make_user(app, org))
    await signed_in(app, attacker, org, await make_user(app, org))
    token, nonce = await minted(attacker, "/members/dashboard")
    refused = await victim.post(
        "/members/logout", data={"csrftoken": token}, headers=cookies_with(victim, nonce)
    )
    assert refused.status_code == 403
    assert (await victim.get("/members/dashboard")).status_code == 200
    own = await csrf_from(victim, "/members/dashboard")
    assert (await victim.post("/members/logout", data={"csrftoken": own})).status_code == 200
