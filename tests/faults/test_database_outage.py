"""PostgreSQL stopped and restarted under the app: 503 `service_unavailable` with Retry-After
(problem+json for the API, a plain page for browsers) while it is down, never a 500; and
service again once it is back, without a restart.

The test runs a PostgreSQL server of its own (initdb as the `postgres` user), whatever database
the rest of the suite uses; it is skipped where PostgreSQL is not installed, unless
GREENROOM_REQUIRE_POSTGRES_FAULTS=1.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from greenroom.app import create_app
from greenroom.core.migrate import upgrade
from greenroom.core.settings import Settings
from tests.admin_area.conftest import csrf_of
from tests.conftest import TEST_SECRETS
from tests.factories import ADMIN_PASSWORD, make_admin, make_key, make_org
from tests.faults.conftest import client
from tests.faults.servers import PostgresServer

pytestmark = pytest.mark.slow
RECOVERY_SECONDS = 15


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    if os.geteuid() != 0 and os.environ.get("GREENROOM_REQUIRE_POSTGRES_FAULTS") != "1":
        pytest.skip("starting a PostgreSQL server of its own needs root (runuser -u postgres)")
    server = PostgresServer()
    try:
        server.start()
        upgrade(server.url)
        yield server
    finally:
        server.remove()


@dataclass
class Site:
    app: FastAPI
    settings: Settings
    slug: str
    key: str
    admin_email: str
    admin_cookies: httpx.Cookies
    member_cookies: httpx.Cookies

    def api(self, address: str = "127.0.0.1") -> httpx.AsyncClient:
        return client(self.app, self.settings, self.slug, address)


@pytest.fixture(params=[0.0, 5.0], ids=["no-cache", "cached-org-and-key"])
async def site(
    request: pytest.FixtureRequest, postgres: PostgresServer, tmp_path: Path
) -> AsyncIterator[Site]:
    """An app on that server, with an admin and a member signed in. Without the org and key
    caches every request queries the database in the middleware (the host's org); with them,
    the first requests of an outage fail in the routes instead."""
    settings = Settings(
        database_url=postgres.url,
        data_dir=tmp_path,
        secrets=TEST_SECRETS,
        run_worker=False,
        auth_cache_seconds=request.param,
    )
    app = create_app(settings, configure_logs=False)
    async with LifespanManager(app):
        org = await make_org(app)
        admin = await make_admin(app, org)
        key = await make_key(app, org)
        async with client(app, settings, org.slug, "10.99.0.1") as browser:
            form = await browser.get("/login/admin")
            logged_in = await browser.post(
                "/login/admin",
                data={
                    "csrftoken": csrf_of(form.text),
                    "email": admin.email,
                    "password": ADMIN_PASSWORD,
                },
            )
            assert logged_in.status_code == 303, logged_in.text
            admin_cookies = httpx.Cookies(browser.cookies)
        async with client(app, settings, org.slug) as api:
            created = await api.post(
                "/api/users/member-1",
                headers={"Authorization": key},
                json={"first_name": "Jane", "last_name": "Doe", "email": "jane@xyz.example.com"},
            )
            assert created.status_code == 201, created.text
            token = created.json()["user"]["token"]["token"]
            signed_in = await api.get("/sso/login", params={"token": token})
            assert signed_in.status_code == 303, signed_in.text
            member_cookies = httpx.Cookies(api.cookies)
        yield Site(app, settings, org.slug, key, admin.email, admin_cookies, member_cookies)


HTML = {"Accept": "text/html,application/xhtml+xml"}


_runs = iter(range(1, 250))


def answered(outcome: tuple[str, httpx.Response]) -> bool:
    kind, response = outcome
    return response.status_code < 400 or (kind == "login" and response.status_code == 401)


async def calls(site: Site) -> list[tuple[str, httpx.Response]]:
    """One of each kind: API reads and writes, the admin area, the members' app."""
    out: list[tuple[str, httpx.Response]] = []
    auth = {"Authorization": site.key}
    async with site.api(f"10.98.0.{next(_runs)}") as api:
        out.append(("api", await api.get("/api/users", headers=auth)))
        out.append(("api", await api.get("/api/users/member-1", headers=auth)))
        out.append(
            (
                "api",
                await api.post("/api/users/member-1", headers=auth, json={"first_name": "Janet"}),
            )
        )
        out.append(("api", await api.get("/api/users/member-1/progress", headers=auth)))
        form = await api.get("/login/admin", headers=HTML)
        # The form itself needs no database once the host's org is cached.
        out.append(("html" if form.status_code == 503 else "no-db", form))
        if form.status_code == 200:
            # A log-in attempt (someone else's account: the admin's own stays unthrottled).
            data = {"csrftoken": csrf_of(form.text), "email": "nobody@xyz.example.com"}
            out.append(("login", await api.post("/login/admin", data=data, headers=HTML)))
        api.cookies = site.admin_cookies
        out.append(("html", await api.get("/admin/api-settings", headers=HTML)))
        out.append(("html", await api.get("/admin/users", headers=HTML)))
        api.cookies = site.member_cookies
        out.append(("html", await api.get("/members/dashboard", headers=HTML)))
    return out


async def test_database_down_answers_503_and_service_resumes_when_it_is_back(
    site: Site, postgres: PostgresServer
) -> None:
    before = await calls(site)
    assert all(answered(c) for c in before), [(str(r.url), r.status_code) for _, r in before]

    await asyncio.to_thread(postgres.stop)
    try:
        during = await calls(site)
        for kind, response in during:
            where = f"{response.request.method} {response.request.url.path}"
            if kind == "no-db":
                assert response.status_code == 200, where
                continue
            assert response.status_code == 503, (where, response.status_code, response.text)
            assert int(response.headers["retry-after"]) > 0, where
            if kind == "api":  # problem+json, as every API error
                assert response.headers["content-type"] == "application/problem+json", where
                body = response.json()
                assert body["code"] == "service_unavailable", where
                assert body["status"] == 503 and body["request_id"], where
                assert str(postgres.port) not in response.text, where
            else:
                assert response.headers["content-type"].startswith("text/html"), where
                assert "try again" in response.text.lower(), where
        async with site.api() as api:
            ready = await api.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["code"] == "database_unavailable"
            # A log-in tried during the outage is not evaluated, so it does not count against
            # the throttle: more than the limit of them, and the admin still gets in later.
            for _ in range(7):
                tried = await api.post(
                    "/api/auth/token",
                    headers={"X-API-Key": site.key},
                    json={"email": site.admin_email, "password": "wrong, but never checked"},
                )
                assert tried.status_code == 503, tried.text
            metrics = (await api.get("/metrics")).text
        unavailable = re.search(r"^greenroom_database_unavailable_total (\S+)$", metrics, re.M)
        assert unavailable and float(unavailable.group(1)) >= len(during)
    finally:
        await asyncio.to_thread(postgres.start)

    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        after = await calls(site)
        if all(answered(c) for c in after):
            break
        assert all(answered(c) or c[1].status_code == 503 for c in after), [
            r.status_code for _, r in after
        ]
        assert time.monotonic() < deadline, "no recovery after the database came back"
        await asyncio.sleep(0.2)
    async with site.api() as api:
        assert (await api.get("/readyz")).status_code == 200
        signed_in = await api.post(
            "/api/auth/token",
            headers={"X-API-Key": site.key},
            json={"email": site.admin_email, "password": ADMIN_PASSWORD},
        )
        assert signed_in.status_code == 200, signed_in.text
