from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core import clock
from greenroom.tenancy.models import Organization
from greenroom.websessions.models import WebSession
from tests.factories import make_org
from tests.practice.helpers import make_token, make_user, post_form, recorded_events, signed_in


async def _org_with_return(app: FastAPI, db: AsyncSession) -> Organization:
    org = await make_org(app)
    row = await db.get(Organization, org.id)
    assert row is not None
    row.sso_return_url = "https://lms.xyz.example/home"
    row.sso_allowed_return_origins = ["https://portal.xyz.example"]
    await db.commit()
    return row


async def test_a_token_signs_in_once_and_lands_on_the_dashboard(app, client_for) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    token = await make_token(app, org, user)
    browser = client_for(org.slug)
    with recorded_events() as seen:
        first = await browser.get("/sso/login", params={"token": token})
    assert first.status_code == 303
    assert first.headers["location"] == "/members/dashboard"
    cookie = first.headers["set-cookie"]
    assert "gr_member=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # http in tests
    assert [e for e, _ in seen] == ["sso.redeemed"]
    assert seen[0][1]["user"]["partner_id"] == user.partner_id
    page = await browser.get("/members/dashboard")
    assert page.status_code == 200 and "Your progress" in page.text

    again = await client_for(org.slug).get("/sso/login", params={"token": token})
    assert again.status_code == 401
    assert "does not work" in again.text
    assert "set-cookie" not in again.headers or "gr_member" not in again.headers["set-cookie"]


async def test_failed_sign_in_links_to_the_org_return_url(app, db, client_for) -> None:
    org = await _org_with_return(app, db)
    response = await client_for(org.slug).get("/sso/login", params={"token": "ab" * 32})
    assert response.status_code == 401
    assert 'href="https://lms.xyz.example/home"' in response.text


async def test_expired_tokens_are_refused(app, client_for) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    token = await make_token(app, org, user, ttl=timedelta(seconds=60))
    clock.advance(timedelta(seconds=61))
    response = await client_for(org.slug).get("/sso/login", params={"token": token})
    assert response.status_code == 401


async def test_a_token_works_only_on_its_own_org_and_environment(app, client_for) -> None:
    org, other = await make_org(app), await make_org(app)
    user = await make_user(app, org)
    token = await make_token(app, org, user)
    assert (
        await client_for(other.slug).get("/sso/login", params={"token": token})
    ).status_code == 401
    sandbox = client_for(org.slug, "sandbox")
    assert (await sandbox.get("/sso/login", params={"token": token})).status_code == 401
    # Still unused: the failed attempts did not burn it.
    assert (
        await client_for(org.slug).get("/sso/login", params={"token": token})
    ).status_code == 303


async def test_expired_anonymous_users_cannot_sign_in(app, client_for) -> None:
    org = await make_org(app, anonymous=True)
    user = await make_user(app, org, anonymous=True, expires_at=clock.now() + timedelta(hours=24))
    token = await make_token(app, org, user)
    clock.advance(timedelta(hours=24, seconds=1))
    response = await client_for(org.slug).get("/sso/login", params={"token": token})
    assert response.status_code == 401


async def test_malformed_and_unknown_tokens_are_refused(app, client_for) -> None:
    org = await make_org(app)
    client = client_for(org.slug)
    for value in ["", "x", "ab" * 32, "AB" * 31 + "zz", "ab" * 40, "a" * 5000]:
        assert (await client.get("/sso/login", params={"token": value})).status_code == 401


async def test_redirect_to_is_followed_only_for_safe_paths(app, client_for) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    lesson = "/members/modules/stories/lessons/star"
    for asked, landed in [
        (lesson, lesson),
        ("//evil.com/x", "/members/dashboard"),
        ("https://evil.com/", "/members/dashboard"),
        ("/%2F%2Fevil.com", "/members/dashboard"),
        ("/\\evil.com", "/members/dashboard"),
        ("/" + "a" * 5000, "/members/dashboard"),
    ]:
        token = await make_token(app, org, user)
        response = await client_for(org.slug).get(
            "/sso/login", params={"token": token, "redirect_to": asked}
        )
        assert response.headers["location"] == landed, asked


async def test_the_tokens_own_redirect_to_is_used_when_none_is_given(app, client_for) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    token = await make_token(app, org, user, redirect_to="/members/interviews")
    response = await client_for(org.slug).get("/sso/login", params={"token": token})
    assert response.headers["location"] == "/members/interviews"


async def test_two_concurrent_redemptions_give_exactly_one_session(app, db, client_for) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    token = await make_token(app, org, user)
    responses = await asyncio.gather(
        *[client_for(org.slug).get("/sso/login", params={"token": token}) for _ in range(4)]
    )
    assert sorted(r.status_code for r in responses) == [303, 401, 401, 401]
    sessions = (
        (await db.execute(select(WebSession).where(WebSession.subject_id == user.id)))
        .scalars()
        .all()
    )
    assert len(sessions) == 1


async def test_sign_in_rotates_the_session_id(app, db, client_for) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    first = browser.cookies["gr_member"]
    await signed_in(app, browser, org, user)
    second = browser.cookies["gr_member"]
    assert first != second
    sessions = (
        (await db.execute(select(WebSession).where(WebSession.subject_id == user.id)))
        .scalars()
        .all()
    )
    assert len(sessions) == 1  # the old one was ended


async def test_a_session_works_only_on_its_own_org_and_environment(app, client_for) -> None:
    org, other = await make_org(app), await make_org(app)
    user = await make_user(app, org)
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    cookie = {"gr_member": browser.cookies["gr_member"]}
    assert (
        await client_for(other.slug, cookies=cookie).get("/members/dashboard")
    ).status_code == 401
    sandbox = client_for(org.slug, "sandbox", cookies=cookie)
    assert (await sandbox.get("/members/dashboard")).status_code == 401


async def test_sessions_expire_when_idle_and_after_the_absolute_limit(
    app, settings, client_for
) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    clock.advance(timedelta(minutes=settings.session_idle_minutes + 1))
    assert (await browser.get("/members/dashboard")).status_code == 401

    await signed_in(app, browser, org, user)
    for _ in range(settings.session_absolute_hours):
        clock.advance(timedelta(minutes=59))
        assert (await browser.get("/members/dashboard")).status_code == 200
    clock.advance(timedelta(minutes=settings.session_absolute_hours + 1))
    assert (await browser.get("/members/dashboard")).status_code == 401


async def test_log_out_honours_only_allowed_return_urls(app, db, client_for) -> None:
    org = await _org_with_return(app, db)
    user = await make_user(app, org)
    cases = [
        ("https://portal.xyz.example/done", "https://portal.xyz.example/done"),
        ("https://lms.xyz.example/other", "https://lms.xyz.example/other"),
        ("https://evil.example/phish", "https://lms.xyz.example/home"),
        ("//evil.example", "https://lms.xyz.example/home"),
        ("javascript:alert(1)", "https://lms.xyz.example/home"),
    ]
    for given, expected in cases:
        browser = client_for(org.slug)
        await signed_in(app, browser, org, user, return_url=given)
        out = await post_form(browser, "/members/dashboard", "/members/logout")
        assert out.status_code == 303 and out.headers["location"] == expected, given
        assert (await browser.get("/members/dashboard")).status_code == 401


async def test_log_out_without_a_return_url_shows_a_page(app, client_for) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    out = await post_form(browser, "/members/dashboard", "/members/logout")
    assert out.status_code == 200 and "signed out" in out.text


async def test_log_out_needs_the_csrf_token(app, client_for) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    await browser.get("/members/dashboard")  # sets the csrf cookie
    response = await browser.post("/members/logout", data={"csrftoken": "forged"})
    assert response.status_code == 403
    assert (await browser.get("/members/dashboard")).status_code == 200


async def test_the_session_cookie_is_secure_under_https(app, settings) -> None:
    import httpx
    from asgi_lifespan import LifespanManager

    from greenroom.app import create_app

    secure_app = create_app(
        settings.model_copy(update={"public_scheme": "https"}), configure_logs=False
    )
    org = await make_org(app)
    user = await make_user(app, org)
    token = await make_token(app, org, user)
    async with (
        LifespanManager(secure_app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=secure_app),
            base_url=f"https://{org.slug}.{settings.base_domain}",
        ) as client,
    ):
        response = await client.get("/sso/login", params={"token": token})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "gr_member=" in cookie and "Secure" in cookie and "HttpOnly" in cookie


async def test_sandbox_users_sign_in_on_the_sandbox_host_only(app, client_for) -> None:
    org = await make_org(app)
    user = await make_user(app, org, environment="sandbox")
    token = await make_token(app, org, user)
    assert (
        await client_for(org.slug).get("/sso/login", params={"token": token})
    ).status_code == 401
    sandbox = client_for(org.slug, "sandbox")
    assert (await sandbox.get("/sso/login", params={"token": token})).status_code == 303
    assert (await sandbox.get("/members/dashboard")).status_code == 200
    cookie = {"gr_member": sandbox.cookies["gr_member"]}
    production = client_for(org.slug, cookies=cookie)
    assert (await production.get("/members/dashboard")).status_code == 401
