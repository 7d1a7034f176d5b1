"""Per-key and per-org request budgets (org settings from `greenroom org set`)."""

from __future__ import annotations

from greenroom.tenancy import service as orgs
from tests.auth.conftest import CHECK
from tests.factories import make_key, make_org


async def _limit(
    app,
    org,
    *,
    rate_limit_per_minute: int | None = None,
    key_rate_limit_per_minute: int | None = None,
) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await orgs.update_org(
            session,
            org.slug,
            rate_limit_per_minute=rate_limit_per_minute,
            key_rate_limit_per_minute=key_rate_limit_per_minute,
        )


async def test_key_over_its_budget_gets_429_with_retry_after(app, client_for) -> None:
    org = await make_org(app)
    await _limit(app, org, key_rate_limit_per_minute=3)
    key, other_key = await make_key(app, org), await make_key(app, org)
    api = client_for(org.slug)
    statuses = [
        (await api.get(CHECK, headers={"Authorization": key})).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    response = await api.get(CHECK, headers={"Authorization": key})
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.headers["ratelimit-limit"] == "3"
    assert response.headers["ratelimit-remaining"] == "0"
    assert response.headers["ratelimit-policy"] == "3;w=60"
    # The budget is the key's: another key of the org still gets through.
    assert (await api.get(CHECK, headers={"Authorization": other_key})).status_code == 200


async def test_org_budget_is_shared_by_its_keys(app, client_for, api_for) -> None:
    org = await make_org(app)
    await _limit(app, org, rate_limit_per_minute=4)
    first, second = await make_key(app, org), await make_key(app, org)
    api = client_for(org.slug)
    statuses = []
    for key in (first, second, first, second, first):
        statuses.append((await api.get(CHECK, headers={"Authorization": key})).status_code)
    assert statuses == [200, 200, 200, 200, 429]
    other = await make_org(app)
    assert (await (await api_for(other)).get(CHECK)).status_code == 200


async def test_every_api_answer_says_what_is_left_of_the_budget(app, client_for) -> None:
    org = await make_org(app)
    await _limit(app, org, key_rate_limit_per_minute=5, rate_limit_per_minute=100)
    key = await make_key(app, org)
    api = client_for(org.slug, headers={"Authorization": key})
    first = await api.get(CHECK)
    assert (first.headers["ratelimit-limit"], first.headers["ratelimit-remaining"]) == ("5", "4")
    assert 1 <= int(first.headers["ratelimit-reset"]) <= 60
    # Errors after authentication carry them too (a 404, a 422).
    missing = await api.get("/api/users/nobody")
    assert missing.status_code == 404 and missing.headers["ratelimit-remaining"] == "3"
    invalid = await api.post("/api/users/abc", json={"first_name": "Jane"})
    assert invalid.status_code == 422 and invalid.headers["ratelimit-remaining"] == "2"


async def test_the_tighter_budget_is_the_one_reported(app, client_for) -> None:
    org = await make_org(app)
    await _limit(app, org, key_rate_limit_per_minute=50, rate_limit_per_minute=3)
    api = client_for(org.slug, headers={"Authorization": await make_key(app, org)})
    response = await api.get(CHECK)
    assert (response.headers["ratelimit-limit"], response.headers["ratelimit-remaining"]) == (
        "3",
        "2",
    )


async def test_the_default_budget_lets_a_plain_sync_through(app, client_for) -> None:
    org = await make_org(app)
    api = client_for(org.slug, headers={"Authorization": await make_key(app, org)})
    response = await api.get(CHECK)
    assert response.headers["ratelimit-limit"] == "6000"
