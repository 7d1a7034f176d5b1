"""Helpers for driving the admin area over HTTP like a browser (forms with their CSRF token), and
in a real Chromium (`open_page`, `log_in`, with the fixtures of `tests.browser`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from greenroom.admins.models import Admin, AdminRole
from greenroom.tenancy.models import Organization
from tests.conftest import host_for, unique_address
from tests.factories import ADMIN_PASSWORD, make_admin, make_org

_TOKEN_RE = re.compile(r'name="csrftoken" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _TOKEN_RE.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


@dataclass
class Browser:
    """An httpx client that submits forms the way a browser would (token taken from the page)."""

    client: httpx.AsyncClient

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def submit(
        self, page: str, action: str, data: dict[str, Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """GETs `page`, then POSTs `data` to `action` with that page's CSRF token."""
        shown = await self.client.get(page)
        assert shown.status_code == 200, shown.text
        form = {"csrftoken": csrf_of(shown.text), **(data or {})}
        return await self.client.post(action, data=form, **kwargs)

    async def log_in(self, email: str, password: str = ADMIN_PASSWORD) -> httpx.Response:
        return await self.submit(
            "/login/admin", "/login/admin", {"email": email, "password": password}
        )

    async def follow(self, response: httpx.Response) -> httpx.Response:
        """The page a 303 leads to, as a browser would load it."""
        assert response.status_code == 303, response.text
        return await self.client.get(response.headers["location"])


def assert_error_page(response: httpx.Response, status: int, code: str) -> None:
    """A browser-facing error: an HTML page with the status and the code, never problem+json."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert f'data-code="{code}"' in response.text, response.text


@dataclass
class Area:
    org: Organization
    admin: Admin
    browser: Browser


@pytest.fixture
async def browser_for(app, settings):
    """`browser_for(slug, environment)`: a Browser on that org's host from its own address."""
    clients: list[httpx.AsyncClient] = []

    def make(slug: str, environment: str = "production", address: str | None = None) -> Browser:
        transport = httpx.ASGITransport(app=app, client=(address or unique_address(), 50000))
        client = httpx.AsyncClient(
            transport=transport, base_url=f"http://{host_for(settings, slug, environment)}"
        )
        clients.append(client)
        return Browser(client)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def area(app, browser_for) -> Area:
    """An org with one admin, logged in."""
    org = await make_org(app)
    admin = await make_admin(app, org)
    browser = browser_for(org.slug)
    response = await browser.log_in(admin.email)
    assert response.status_code == 303, response.text
    return Area(org, admin, browser)


async def logged_in(app, browser_for, org, role: AdminRole = AdminRole.ADMIN):
    admin = await make_admin(app, org, role=role)
    browser = browser_for(org.slug)
    response = await browser.log_in(admin.email)
    assert response.status_code == 303, response.text
    return admin, browser


async def open_page(browser, address: str | None = None):
    """A fresh Chromium context (no cookies) and its page."""
    # uvicorn trusts X-Forwarded-For from 127.0.0.1: each test gets a client address of its own,
    # so that the log-in throttle of one test never blocks another.
    context = await browser.new_context(
        extra_http_headers={"X-Forwarded-For": address or unique_address()}
    )
    return context, await context.new_page()


async def log_in(page, origin: str, email: str, password: str = ADMIN_PASSWORD) -> None:
    await page.goto(f"{origin}/login/admin")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()


from tests.browser import chromium, live_server  # noqa: E402, F401
