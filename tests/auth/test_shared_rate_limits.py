"""With a shared store (Redis), several processes spend one budget."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from greenroom.auth.ratelimit import RequestLimiter, close_storage, make_storage
from greenroom.core.errors import RateLimited
from greenroom.core.settings import Settings
from greenroom.tenancy.context import OrgSnapshot
from tests.faults.servers import RedisServer


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # Skipped without redis-server, failed instead when GREENROOM_REQUIRE_REDIS=1 (CI).
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def _org(key_limit: int, org_limit: int) -> OrgSnapshot:
    return OrgSnapshot(
        id=uuid.uuid4(),
        slug="xyz",
        name="XYZ Corporation",
        anonymous_users_enabled=False,
        sso_return_url=None,
        sso_allowed_return_origins=(),
        sso_token_ttl_seconds=60,
        rate_limit_per_minute=org_limit,
        key_rate_limit_per_minute=key_limit,
        anonymous_daily_cap=None,
    )


async def test_two_limiters_on_one_redis_share_the_budget(redis_url: str) -> None:
    settings = Settings(redis_url=redis_url)
    # Two limiters with their own storage objects: as in two server processes.
    one = RequestLimiter(make_storage(redis_url), settings)
    two = RequestLimiter(make_storage(redis_url), settings)
    org, key_id = _org(key_limit=4, org_limit=100), str(uuid.uuid4())
    try:
        for limiter in (one, two, one, two):
            await limiter.hit(org, key_id)
        with pytest.raises(RateLimited) as raised:
            await two.hit(org, key_id)
        assert int(raised.value.headers["Retry-After"]) >= 1
    finally:
        await close_storage(one.storage)
        await close_storage(two.storage)


async def test_memory_limiters_are_per_process() -> None:
    settings = Settings()
    one, two = (
        RequestLimiter(make_storage(None), settings),
        RequestLimiter(make_storage(None), settings),
    )
    org, key_id = _org(key_limit=2, org_limit=100), str(uuid.uuid4())
    for limiter in (one, one, two, two):
        await limiter.hit(org, key_id)
    with pytest.raises(RateLimited):
        await one.hit(org, key_id)
