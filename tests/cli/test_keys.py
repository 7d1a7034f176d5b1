"""`greenroom key create|list|revoke|roll` and the demo's keys."""

from __future__ import annotations

import re

from greenroom.demo import DEMO_KEY_NAME, seed_demo
from greenroom.keys import service as keys
from greenroom.tenancy import repository
from tests.auth.conftest import CHECK
from tests.factories import make_org


async def test_key_create_prints_the_key_alone_and_it_works(app, cli, client_for) -> None:
    org = await make_org(app)
    result = await cli(
        "key", "create", "--org", org.slug, "--name", "CRM sync", "--scope", "users:read"
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and re.fullmatch(r"[0-9a-f]{32}", lines[0])
    key = lines[0]
    body = (await client_for(org.slug).get(CHECK, headers={"Authorization": key})).json()
    assert body["key"]["name"] == "CRM sync" and body["scopes"] == ["users:read"]

    listing = await cli("key", "list", "--org", org.slug)
    assert listing.exit_code == 0
    assert key not in listing.output
    assert f"...{key[-4:]}\tCRM sync\tusers:read" in listing.output
    assert "active" in listing.output


async def test_key_create_for_sandbox_with_expiry(app, cli, client_for) -> None:
    org = await make_org(app)
    result = await cli("key", "create", "--org", org.slug, "--env", "sandbox", "--expires-in", "30")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert (
        await client_for(org.slug, "sandbox").get(CHECK, headers={"Authorization": key})
    ).status_code == 200
    assert (
        await client_for(org.slug).get(CHECK, headers={"Authorization": key})
    ).status_code == 401


async def test_key_create_refuses_unknown_scope_and_org(app, cli) -> None:
    org = await make_org(app)
    bad_scope = await cli("key", "create", "--org", org.slug, "--scope", "users:everything")
    assert bad_scope.exit_code == 1 and "unknown scope" in bad_scope.output
    no_org = await cli("key", "create", "--org", "no-such-org-here")
    assert no_org.exit_code == 1 and "No organization" in no_org.output


async def test_key_revoke_refuses_the_key_at_once(app, cli, client_for) -> None:
    org = await make_org(app)
    key = (await cli("key", "create", "--org", org.slug)).stdout.strip()
    api = client_for(org.slug)
    key_id = (await api.get(CHECK, headers={"Authorization": key})).json()["key"]["id"]
    result = await cli("key", "revoke", "--org", org.slug, key_id)
    assert result.exit_code == 0, result.output
    # The CLI is another process as far as the server is concerned: the cache drops the key
    # within auth_cache_seconds. Here it is the same process, so it is dropped at once.
    assert (await api.get(CHECK, headers={"Authorization": key})).status_code == 401
    assert "revoked" in (await cli("key", "list", "--org", org.slug)).output
    bad = await cli("key", "revoke", "--org", org.slug, "not-an-id")
    assert bad.exit_code == 1


async def test_key_roll_prints_a_new_key(app, cli, client_for) -> None:
    org = await make_org(app)
    old = (await cli("key", "create", "--org", org.slug, "--name", "LMS")).stdout.strip()
    api = client_for(org.slug)
    key_id = (await api.get(CHECK, headers={"Authorization": old})).json()["key"]["id"]
    result = await cli("key", "roll", "--org", org.slug, key_id, "--grace-hours", "0")
    assert result.exit_code == 0, result.output
    new = result.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{32}", new)
    assert (await api.get(CHECK, headers={"Authorization": old})).status_code == 401
    assert (await api.get(CHECK, headers={"Authorization": new})).json()["key"]["name"] == "LMS"


async def test_demo_issues_fresh_keys_and_revokes_the_previous_ones(app, client_for) -> None:
    settings = app.state.settings
    async with app.state.sessionmaker() as session, session.begin():
        first = await seed_demo(session, settings)
    async with app.state.sessionmaker() as session, session.begin():
        second = await seed_demo(session, settings)
    for info in (first, second):
        assert set(info.keys) == {"production", "sandbox"}
    text = "\n".join(second.lines)
    assert (
        f"curl -H 'Authorization: {second.keys['production']}' http://demo.greenroom.localhost"
        in text
    )
    api, sandbox = client_for("demo"), client_for("demo", "sandbox")
    assert (
        await api.get(CHECK, headers={"Authorization": first.keys["production"]})
    ).status_code == 401
    assert (
        await sandbox.get(CHECK, headers={"Authorization": first.keys["sandbox"]})
    ).status_code == 401
    body = (await api.get(CHECK, headers={"Authorization": second.keys["production"]})).json()
    assert body["key"]["name"] == DEMO_KEY_NAME
    assert (
        await sandbox.get(CHECK, headers={"Authorization": second.keys["sandbox"]})
    ).status_code == 200
    async with app.state.sessionmaker() as session:
        demo = await repository.get_by_slug(session, "demo")
        assert demo is not None
        live = [
            k
            for k in await keys.list_keys(session, demo.id)
            if k.revoked_at is None and k.name == DEMO_KEY_NAME
        ]
    assert len(live) == 2


async def test_org_set_rate_limits_apply(app, cli, client_for) -> None:
    org = await make_org(app)
    assert (await cli("org", "set", org.slug, "--key-rate-limit", "2")).exit_code == 0
    key = (await cli("key", "create", "--org", org.slug)).stdout.strip()
    api = client_for(org.slug)
    statuses = [
        (await api.get(CHECK, headers={"Authorization": key})).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
