"""The OpenAPI document as a partner developer and their code generator read it: readable
operation ids, a description on every schema and property, examples on every operation, only
the error statuses each operation can return, and the webhook payloads."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from greenroom.apidocs.events import EVENTS, standard_event_models
from tests.practice.helpers import Member, make_user, signed_in
from tests.webhooks.conftest import make_worker
from tests.webhooks.conftest import receiver as receiver  # the fixture


@pytest.fixture
def document(app) -> dict[str, Any]:
    spec: dict[str, Any] = app.openapi()
    return spec


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_operation_ids_are_readable_and_unique(document) -> None:
    ids = {(m, p): o["operationId"] for m, p, o in _operations(document)}
    assert len(set(ids.values())) == len(ids)
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", i) for i in ids.values()), ids
    assert ids[("POST", "/api/users/{partner_id}")] == "createOrUpdateUser"
    assert ids[("GET", "/api/users/{partner_id}/progress")] == "getUserProgress"
    assert ids[("GET", "/api/users/{partner_id}/interviews")] == "listUserInterviews"
    assert ids[("POST", "/api/users/{partner_id}/sso")] == "createSignInLink"


def test_every_schema_and_property_is_described(document) -> None:
    missing = []
    for name, schema in document["components"]["schemas"].items():
        if not schema.get("description"):
            missing.append(name)
        missing += [
            f"{name}.{prop}"
            for prop, sub in schema.get("properties", {}).items()
            if not sub.get("description")
        ]
    assert not missing, missing


def test_every_api_operation_has_request_and_response_examples(document) -> None:
    missing = []
    for method, path, operation in _operations(document):
        if not path.startswith("/api/"):
            continue
        name = f"{method} {path}"
        for parameter in operation.get("parameters", ()):
            if "example" not in parameter and "examples" not in parameter:
                missing.append(f"{name}: parameter {parameter['name']}")
        body = operation.get("requestBody")
        if body and "example" not in body["content"]["application/json"]:
            missing.append(f"{name}: request example")
        if body and "form-encoded" not in body.get("description", ""):
            missing.append(f"{name}: the form-encoded body is not mentioned")
        for status, response in operation["responses"].items():
            for media in response.get("content", {}).values():
                if "example" not in media:
                    missing.append(f"{name}: {status} example")
        assert any(s.startswith("2") for s in operation["responses"]), name
    assert not missing, missing


def test_the_big_interview_examples_are_where_they_exist(document) -> None:
    interviews = document["paths"]["/api/users/{partner_id}/interviews"]["get"]
    [item] = interviews["responses"]["200"]["content"]["application/json"]["example"]["interviews"]
    assert item["id"] == 95607 and item["created_at"].endswith(".000Z")
    create = document["paths"]["/api/users/{partner_id}"]["post"]
    assert "935d85189822bf96c28c4fa79d3d8f31" in create["description"]
    problem = create["responses"]["422"]["content"]["application/problem+json"]["example"]
    assert problem["error"] == {
        "type": "validation_error",
        "message": {"email": ["value is not a valid email address"]},
    }


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("GET", "/api/auth/check", {400, 401, 429}),
        ("POST", "/api/auth/token", {400, 401, 409, 413, 415, 422, 429}),
        ("GET", "/api/users", {400, 401, 403, 422, 429}),
        ("GET", "/api/users/{partner_id}", {400, 401, 403, 404, 422, 429}),
        ("POST", "/api/users/{partner_id}", {400, 401, 403, 404, 409, 413, 415, 422, 429}),
        ("DELETE", "/api/users/{partner_id}", {400, 401, 403, 404, 422, 429}),
        ("POST", "/api/users/anonymous", {400, 401, 403, 409, 413, 415, 429}),
    ],
)
def test_operations_document_only_the_errors_they_can_return(
    document, method: str, path: str, statuses: set[int]
) -> None:
    responses = document["paths"][path][method.lower()]["responses"]
    assert {int(s) for s in responses if s[0] in "45"} == statuses


async def test_the_errors_an_operation_answers_are_documented(document, partner) -> None:
    """The cases the pruning must keep: a GET with nothing in its path cannot 404, but can 400
    and 422 on its query; a missing user is a documented 404."""
    api = partner.api
    cases = [
        ("GET", "/api/users", await api.get("/api/users?cursor=nope")),
        ("GET", "/api/users", await api.get("/api/users?limit=500")),
        ("GET", "/api/users/{partner_id}", await api.get("/api/users/nobody")),
        ("GET", "/api/auth/check", await partner.bare.get("/api/auth/check")),
    ]
    for method, path, response in cases:
        documented = document["paths"][path][method.lower()]["responses"]
        assert str(response.status_code) in documented, (path, response.status_code)


def test_the_webhooks_section_describes_every_event(document) -> None:
    webhooks = document["webhooks"]
    assert set(EVENTS) <= set(webhooks)
    schemas = document["components"]["schemas"]
    for event_type in EVENTS:
        operation = webhooks[event_type]["post"]
        assert {p["name"] for p in operation["parameters"]} == {
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
        }
        media = operation["requestBody"]["content"]["application/json"]
        schema = schemas[media["schema"]["$ref"].rsplit("/", 1)[-1]]
        assert schema["properties"]["type"]["const"] == event_type
        assert media["example"]["type"] == event_type
        assert set(media["example"]) == {"type", "timestamp", "data"}


async def test_real_deliveries_match_their_documented_payloads(
    app, partner, client_for, receiver
) -> None:
    org, api = partner.org, partner.api
    await api.post("/api/webhooks", json={"url": receiver.url("/hook"), "events": ["*"]})
    jane = {"first_name": "Jane", "last_name": "Doe", "email": "jane@xyz.example.com"}
    await api.post("/api/users/abc123def", json=jane)
    await api.post("/api/users/abc123def", json={"last_name": "Roe"})
    user = await make_user(app, org)
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    interview = await Member(browser).start("basics")
    await Member(browser).answer_text(interview, 1, "An answer.", rating=3)
    await api.delete("/api/users/abc123def")
    await make_worker(app, org).run_until_idle()
    models = standard_event_models()
    seen = set()
    for request in receiver.at("/hook"):
        payload = json.loads(request.body)
        model = models[payload["type"]]
        parsed = model.model_validate(payload)
        assert parsed.model_dump(mode="json") == payload, payload["type"]
        seen.add(payload["type"])
    assert seen >= {
        "user.created", "user.updated", "user.deleted", "sso.redeemed", "interview.created",
        "interview.updated", "progress.updated",
    }  # fmt: skip
