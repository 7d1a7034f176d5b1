"""Every route that takes `{partner_id}` applies the one rule (users/params.py): an id that
needs percent-encoding, is too long, or has non-ASCII letters or digits is 422
`invalid_partner_id`, never decoded into a valid id nor looked up."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.conftest import Partner

JANE = {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@xyz.example.com"}
BAD_IDS = {
    "encoded letter": "abc%41",  # would decode to the valid "abcA"
    "encoded slash": "abc%2Fdef",
    "65 characters": "a" * 65,
    "arabic-indic digits": "abc\u0661\u0662",
    "accented letter": "caf\u00e9",
}


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    document = app.openapi()
    return [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        if "{partner_id}" in path
        for method in operations
    ]


async def test_the_routes_with_a_partner_id_are_all_covered(app: FastAPI) -> None:
    routes = _routes(app)
    assert len(routes) >= 8  # get, create/update, delete, progress, tracks, interviews, sso, ...


@pytest.mark.parametrize("kind", list(BAD_IDS))
async def test_every_partner_id_route_refuses_the_same_ids(
    app: FastAPI, partner: Partner, kind: str
) -> None:
    # A user whose id an encoded form would decode to: it must not be found through it.
    assert (await partner.api.post("/api/users/abcA", json=JANE)).status_code == 201
    for method, path in _routes(app):
        url = path.replace("{partner_id}", BAD_IDS[kind])
        if "{" in url:  # a second parameter (an interview's id): any value will do
            url = url.split("{", 1)[0] + "1"
        body = JANE if method == "POST" else None
        response = await partner.api.request(method, url, json=body)
        if kind == "encoded slash":
            # Routing decodes %2F into a path separator first: no route with a partner_id
            # matches the path it makes, so it is an unknown path (or, for a path that exists
            # with another method, 405), and never a user.
            assert response.status_code in (404, 405), (kind, method, url, response.text)
            continue
        assert response.status_code == 422, (kind, method, url, response.text)
        assert response.json()["code"] == "invalid_partner_id", (kind, method, url)
