"""Form-encoded bodies on every POST /api/... that takes a body (issue 16, item 3): the same
validation and the same errors as JSON, through one mechanism (`core.forms`)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from greenroom.core.forms import form_to_json
from tests.core.test_errors import assert_problem

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _post_routes_with_a_body(app: FastAPI) -> list[APIRoute]:
    return [
        route
        for route in app.routes
        if isinstance(route, APIRoute)
        and route.path.startswith("/api/")
        and "POST" in (route.methods or ())
        and route.body_field is not None
        and not route.path.startswith("/api/_probe")
    ]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "abc123def", path)


async def test_every_api_post_with_a_body_answers_a_form_as_it_answers_json(app, partner) -> None:
    """Each route refuses the same unknown and mistyped fields with the same problem, whether
    they come as JSON or as a form."""
    routes = _post_routes_with_a_body(app)
    assert {r.path for r in routes} >= {
        "/api/users/{partner_id}",
        "/api/users/{partner_id}/sso",
        "/api/webhooks",
        "/api/webhooks/{webhook_id}",
        "/api/auth/token",
        "/api/auth/refresh",
        "/api/auth/revoke",
    }
    for route in routes:
        path = _concrete(route.path)
        as_json = await partner.api.post(path, json={"no_such_field": "1"})
        as_form = await partner.api.post(path, content=b"no_such_field=1", headers=FORM)
        assert as_json.status_code == 422, (path, as_json.text)
        body_json, body_form = as_json.json(), as_form.json()
        for body in (body_json, body_form):
            body.pop("request_id")
        assert body_form == body_json, path
        assert_problem(as_form, 422, body_json["code"])


async def test_create_update_and_refresh_a_user_with_forms(partner) -> None:
    api = partner.api
    created = await api.post(
        "/api/users/abc123def",
        content=b"first_name=Jane&last_name=Doe&email=jane.doe%40xyz.example.com"
        b"&metadata[cohort]=2026-fall&metadata[tags][]=a&metadata[tags][]=b",
        headers=FORM,
    )
    assert created.status_code == 201, created.text
    user = created.json()["user"]
    assert user["email"] == "jane.doe@xyz.example.com"
    assert user["metadata"] == {"cohort": "2026-fall", "tags": ["a", "b"]}
    updated = await api.post(
        "/api/users/abc123def",
        content=b"first_name=&last_name=Roe&email=",
        headers={"content-type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["user"]["first_name"] == "Jane"
    assert updated.json()["user"]["last_name"] == "Roe"
    refreshed = await api.post("/api/users/abc123def", content=b"", headers=FORM)
    assert refreshed.status_code == 200 and refreshed.json()["user"]["token"]


async def test_form_values_are_read_as_the_fields_types(partner) -> None:
    api = partner.api
    await api.post(
        "/api/users/abc123def",
        json={"first_name": "Jane", "last_name": "Doe", "email": "jane@xyz.example.com"},
    )
    sso = await api.post(
        "/api/users/abc123def/sso",
        content=b"redirect_to=%2Fmembers%2Fdashboard&expires_in=300",
        headers=FORM,
    )
    assert sso.status_code == 201, sso.text
    bad = await api.post("/api/users/abc123def/sso", content=b"expires_in=soon", headers=FORM)
    body = assert_problem(bad, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["expires_in"]


@pytest.mark.parametrize(
    ("form", "events"),
    [
        (b"events=user.created", ["user.created"]),
        (b"events=user.created&events=user.updated", ["user.created", "user.updated"]),
        (b"events[]=user.created&events[]=user.updated", ["user.created", "user.updated"]),
    ],
)
async def test_list_fields_take_one_or_more_values(partner, form: bytes, events: list[str]) -> None:
    response = await partner.api.post(
        "/api/webhooks",
        content=b"url=https%3A%2F%2Fhooks.xyz.example.com%2Fgr&enabled=true&" + form,
        headers=FORM,
    )
    assert response.status_code == 201, response.text
    webhook = response.json()["webhook"]
    assert webhook["events"] == events and webhook["enabled"] is True
    update = await partner.api.post(
        f"/api/webhooks/{webhook['id']}", content=b"enabled=false", headers=FORM
    )
    assert update.status_code == 200 and update.json()["webhook"]["enabled"] is False


@pytest.mark.parametrize(
    "content",
    [
        b"first_name=%ff",
        b"metadata=x&metadata[a]=1",
        b"tags[]=a&tags[b]=c",
        "a=\u00e9".encode("latin-1"),
    ],
)
async def test_unreadable_forms_are_400_after_authentication(partner, content: bytes) -> None:
    response = await partner.api.post("/api/users/abc123def", content=content, headers=FORM)
    assert_problem(response, 400, "malformed_form")
    # Credentials come first: without them the body is never read.
    anonymous = await partner.bare.post("/api/users/abc123def", content=content, headers=FORM)
    assert_problem(anonymous, 401, "missing_credentials")


async def test_a_form_in_another_charset_or_another_type_is_415(partner) -> None:
    for headers in (
        {"content-type": "application/x-www-form-urlencoded; charset=latin-1"},
        {"content-type": "multipart/form-data; boundary=x"},
    ):
        response = await partner.api.post(
            "/api/users/abc123def", content=b"first_name=J", headers=headers
        )
        assert_problem(response, 415, "unsupported_media_type")


async def test_an_idempotent_retry_may_switch_between_form_and_json(partner) -> None:
    api = partner.api
    key = {"Idempotency-Key": "form-then-json"}
    first = await api.post(
        "/api/users/abc123def",
        content=b"first_name=Jane&last_name=Doe&email=jane%40xyz.example.com",
        headers={**FORM, **key},
    )
    again = await api.post(
        "/api/users/abc123def",
        json={"email": "jane@xyz.example.com", "first_name": "Jane", "last_name": "Doe"},
        headers=key,
    )
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"


async def test_a_form_over_the_size_limit_is_413(partner, settings) -> None:
    big = b"first_name=" + b"a" * (settings.max_body_bytes + 1)
    response = await partner.api.post("/api/users/abc123def", content=big, headers=FORM)
    assert_problem(response, 413, "payload_too_large")


def test_the_conversion_rules() -> None:
    def parsed(body: bytes, lists: tuple[str, ...] = ()) -> Any:
        import json

        return json.loads(form_to_json(body, lists))

    assert parsed(b"a=1&b=&c=x+y%21") == {"a": "1", "b": "", "c": "x y!"}
    assert parsed(b"a[b][c]=1&a[b][d]=2") == {"a": {"b": {"c": "1", "d": "2"}}}
    assert parsed(b"a[]=1&a[]=2&b=1&b=2") == {"a": ["1", "2"], "b": ["1", "2"]}
    assert parsed(b"events=x", ("events",)) == {"events": ["x"]}
    assert parsed(b"a[][x]=1") == {"a": [{"x": "1"}]}
    assert parsed(b"") == {}
