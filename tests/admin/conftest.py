"""Helpers for driving the admin area over HTTP like a browser: forms with their CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from greenroom.admins.models import Admin, AdminRole
from greenroom.tenancy.models import Organization
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


@dataclass
class Area:
    org: Organization
    admin: Admin
    browser: Browser


@pytest.fixture
def browser_for(client_for):  # type: ignore[no-untyped-def]
    def make(slug: str, environment: str = "production") -> Browser:
        return Browser(client_for(slug, environment))

    return make


@pytest.fixture
async def area(app, browser_for) -> Area:  # type: ignore[no-untyped-def]
    """An org with one admin, logged in."""
    org = await make_org(app)
    admin = await make_admin(app, org)
    browser = browser_for(org.slug)
    response = await browser.log_in(admin.email)
    assert response.status_code == 303, response.text
    return Area(org, admin, browser)


async def logged_in(app, browser_for, org, role: AdminRole = AdminRole.ADMIN):  # type: ignore[no-untyped-def]
    admin = await make_admin(app, org, role=role)
    browser = browser_for(org.slug)
    response = await browser.log_in(admin.email)
    assert response.status_code == 303, response.text
    return admin, browser


from tests.browser import chromium, live_server  # noqa: E402, F401
