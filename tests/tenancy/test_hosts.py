"""Which org and environment a Host header names, and what unknown hosts get."""

from __future__ import annotations

import pytest

from greenroom.tenancy.hosts import Environment, HostMatch, parse_host, slug_problem
from tests.factories import make_org

BASE = "greenroom.localhost"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("xyz.greenroom.localhost", HostMatch("xyz", Environment.PRODUCTION)),
        ("xyz.sandbox.greenroom.localhost", HostMatch("xyz", Environment.SANDBOX)),
        ("XYZ.GreenRoom.LOCALHOST", HostMatch("xyz", Environment.PRODUCTION)),
        ("xyz.greenroom.localhost:8000", HostMatch("xyz", Environment.PRODUCTION)),
        ("xyz.sandbox.greenroom.localhost:8000", HostMatch("xyz", Environment.SANDBOX)),
        ("xyz.greenroom.localhost.", HostMatch("xyz", Environment.PRODUCTION)),
        ("xyz.greenroom.localhost.:443", HostMatch("xyz", Environment.PRODUCTION)),
        ("greenroom.localhost", None),
        ("greenroom.localhost:8000", None),
        (".greenroom.localhost", None),
        ("a.b.greenroom.localhost", None),
        ("xyz.staging.greenroom.localhost", None),
        ("sandbox.greenroom.localhost", None),  # reserved, never an org
        ("www.greenroom.localhost", None),
        ("xyz.greenroom.localhost.evil.com", None),
        ("xyzgreenroom.localhost", None),
        ("-xyz.greenroom.localhost", None),
        ("xyz_1.greenroom.localhost", None),
        ("xyz.greenroom.localhost:80x", None),
        ("[::1]:8000", None),
        ("127.0.0.1:8000", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_host(host: str | None, expected: HostMatch | None) -> None:
    assert parse_host(host, BASE) == expected


@pytest.mark.parametrize("slug", ["a", "xyz", "xyz-corp", "a1", "1a", "a" * 63])
def test_valid_slugs(slug: str) -> None:
    assert slug_problem(slug) is None


@pytest.mark.parametrize(
    "slug",
    [
        "",
        "A",
        "xyz-",
        "-xyz",
        "x_y",
        "a" * 64,
        "www",
        "api",
        "admin",
        "sandbox",
        "static",
        "xyz.corp",
        "zürich",
        "xyz\n",
    ],
)
def test_invalid_slugs(slug: str) -> None:
    assert slug_problem(slug) is not None


async def test_known_org_resolves_in_both_environments(app, client_for) -> None:
    org = await make_org(app)
    for environment in ("production", "sandbox"):
        response = await client_for(org.slug, environment).get("/api/no-such-page")
        # A route 404, not a host 404: the org was found.
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "host_template",
    [
        "{slug}.GREENROOM.localhost",
        "{slug}.greenroom.localhost:8000",
        "{slug}.greenroom.localhost.",
        "{slug}.sandbox.greenroom.localhost.:8000",
    ],
)
async def test_host_variants_resolve(app, client_for, host_template: str) -> None:
    org = await make_org(app)
    response = await client_for(host=host_template.format(slug=org.slug)).get("/api/no-such-page")
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "host",
    [
        "nobody-here.greenroom.localhost",
        "greenroom.localhost",
        "greenroom.localhost:8000",
        "nobody.sandbox.greenroom.localhost",
        "example.com",
        "127.0.0.1:8000",
    ],
)
async def test_unknown_or_bare_host_is_404_problem(client_for, host: str) -> None:
    response = await client_for(host=host).get("/api/users")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "unknown_host"
    assert body["status"] == 404
    assert "nobody" not in body["detail"]


async def test_forwarded_host_ignored_unless_proxy_trusted(app, client_for) -> None:
    org = await make_org(app)
    response = await client_for(host="unknown.greenroom.localhost").get(
        "/x", headers={"X-Forwarded-Host": f"{org.slug}.greenroom.localhost"}
    )
    assert response.json()["code"] == "unknown_host"
