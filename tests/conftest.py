"""Test harness: the real app over HTTP (httpx) against a real database.

SQLite by default (a file per test process); PostgreSQL when GREENROOM_TEST_DATABASE_URL names a
server (any database on it: each test process creates and drops a database of its own). Each test
makes its own organizations with unique slugs, so tests share one migrated database without
seeing each other's rows.

Clients: `client_for(slug)` is a bare client on an org's host; `api_for(org)` one that sends a new
key of that org; `partner` (or `partner_for(...)`) a new org with its key and both kinds of client.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from argon2 import PasswordHasher
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.admins import passwords
from greenroom.app import create_app
from greenroom.core import clock
from greenroom.core.migrate import upgrade
from greenroom.core.settings import Settings
from greenroom.tenancy.models import Organization
from tests import pg, probe
from tests.factories import make_key, make_org
from tests.factories import unique_slug as unique_slug  # its old home; import it from factories

TEST_SECRETS = "t1:test-secret-0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get("GREENROOM_TEST_DATABASE_URL")
    if server:
        with pg.temporary_database(server) as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secrets=TEST_SECRETS,
        log_json=True,
        webhooks_allow_private=True,
        run_worker=False,
        content_dir=Path(__file__).parent / "practice" / "pack",
    )


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await asyncio.to_thread(upgrade, database_url)
    return database_url


@pytest.fixture(scope="session")
async def app(settings: Settings, migrated: str) -> AsyncIterator[FastAPI]:
    application = create_app(settings, configure_logs=False)
    probe.include(application)
    async with LifespanManager(application):
        yield application


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """argon2id at its lowest cost: the production parameters make every admin made and every
    log-in cost a third of a second of CPU, about a third of the suite's time, and no test is about
    the cost. Hashes are still argon2id, and processes the tests start hash at full cost."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        patch.setattr(passwords, "_DUMMY_HASH", cheap.hash("no such account"))
        yield


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.reset()


@pytest.fixture
async def db(app: FastAPI) -> AsyncIterator[AsyncSession]:
    """A session for arranging and checking rows directly; commit what you arrange."""
    async with app.state.sessionmaker() as session:
        yield session


def host_for(settings: Settings, slug: str, environment: str = "production") -> str:
    if environment == "sandbox":
        return f"{slug}.sandbox.{settings.base_domain}"
    return f"{slug}.{settings.base_domain}"


class ClientFor(Protocol):
    def __call__(
        self,
        slug: str | None = None,
        environment: str = "production",
        host: str | None = None,
        **kwargs: Any,
    ) -> httpx.AsyncClient: ...


@pytest.fixture
async def client_for(app: FastAPI, settings: Settings) -> AsyncIterator[ClientFor]:
    """`client_for(slug, environment)`: an httpx client whose requests carry that org's host."""
    clients: list[httpx.AsyncClient] = []

    def make(
        slug: str | None = None,
        environment: str = "production",
        host: str | None = None,
        **kwargs: Any,
    ) -> httpx.AsyncClient:
        target = host or host_for(settings, slug or "none", environment)
        c = httpx.AsyncClient(
            # A client address of its own: one test's failed log-ins never throttle another's.
            transport=httpx.ASGITransport(app=app, client=(unique_address(), 50000)),
            base_url=f"http://{target}",
            **kwargs,
        )
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.aclose()


class ApiFor(Protocol):
    def __call__(
        self, org: Organization, environment: str = "production", **key_options: Any
    ) -> Awaitable[httpx.AsyncClient]: ...


@pytest.fixture
def api_for(app: FastAPI, client_for: ClientFor) -> ApiFor:
    """`await api_for(org, environment, **key_options)`: a client on the org's host (of that
    environment) that sends a new key of the org in `Authorization`; `key_options` go to
    `make_key` (scopes, name, expires_at)."""

    async def make(
        org: Organization, environment: str = "production", **key_options: Any
    ) -> httpx.AsyncClient:
        key = await make_key(app, org, environment=environment, **key_options)
        return client_for(org.slug, environment, headers={"Authorization": key})

    return make


@dataclass(frozen=True)
class Partner:
    """A new org as its partner system sees it: a production key with every scope, and clients."""

    org: Organization
    key: str
    api: httpx.AsyncClient  # on the org's host, sending `key` in `Authorization`
    bare: httpx.AsyncClient  # on the org's host, with no credentials


class PartnerFor(Protocol):
    def __call__(self, *, anonymous: bool = False) -> Awaitable[Partner]: ...


@pytest.fixture
def partner_for(app: FastAPI, client_for: ClientFor) -> PartnerFor:
    """`await partner_for(anonymous=True)`: a Partner whose org may create anonymous users."""

    async def make(*, anonymous: bool = False) -> Partner:
        org = await make_org(app, anonymous=anonymous)
        key = await make_key(app, org)
        return Partner(
            org, key, client_for(org.slug, headers={"Authorization": key}), client_for(org.slug)
        )

    return make


@pytest.fixture
async def partner(partner_for: PartnerFor) -> Partner:
    """A new org (anonymous users off) with its key and clients."""
    return await partner_for()


@pytest.fixture
async def anonymous_partner(partner_for: PartnerFor) -> Partner:
    """A new org that may create anonymous users, with its key and clients."""
    return await partner_for(anonymous=True)


@pytest.fixture
def api(partner: Partner) -> httpx.AsyncClient:
    """The `partner` fixture's client that sends the key."""
    return partner.api


def unique_address() -> str:
    """A client address of its own, so that log-in failures of one test never throttle another."""
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


_addresses = itertools.count(uuid.uuid4().int % 2_000_000 + 1)
