"""The OpenAPI `webhooks` section describes each event in both payload formats, and real
deliveries in the Big Interview format match what it says (as the standard ones do in
test_reference.py)."""

from __future__ import annotations

from typing import Any

import pytest

from greenroom.apidocs.events import EVENTS, biginterview_event_models
from tests.practice.helpers import Member, make_user, signed_in
from tests.webhooks.conftest import make_worker
from tests.webhooks.conftest import receiver as receiver  # the fixture


@pytest.fixture
def document(app) -> dict[str, Any]:
    spec: dict[str, Any] = app.openapi()
    return spec


def _schema(document: dict[str, Any], ref: str) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return found


def test_every_event_is_described_in_both_formats(document) -> None:
    webhooks = document["webhooks"]
    assert set(webhooks) == set(EVENTS) | {f"{e} (biginterview)" for e in EVENTS}
    scheme = document["components"]["securitySchemes"]["WebhookVerificationKey"]
    assert scheme["in"] == "header" and scheme["name"] == "Authorization"
    for event_type in EVENTS:
        standard = webhooks[event_type]["post"]
        big = webhooks[f"{event_type} (biginterview)"]["post"]
        assert "security" not in standard
        assert big["security"] == [{"WebhookVerificationKey": []}]
        assert list(big["responses"]) == ["200"]  # only a 200 counts
        assert {p["name"] for p in big["parameters"]} == {
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
        }
        media = big["requestBody"]["content"]["application/json"]
        envelope = _schema(document, media["schema"]["$ref"])
        assert list(envelope["properties"]) == ["webhook"]
        inner = _schema(document, envelope["properties"]["webhook"]["$ref"])
        assert set(inner["required"]) == {
            "id", "event_name", "partner_id", "api_id", "api_type", "api_object",
        }  # fmt: skip
        assert inner["properties"]["event_name"]["const"] == event_type
        example = media["example"]["webhook"]
        assert example["event_name"] == event_type
        if event_type.endswith(".deleted"):
            assert example["api_object"] is None
            assert inner["properties"]["api_object"]["type"] == "null"
        else:
            assert isinstance(example["api_object"], dict)
        assert big["operationId"] != standard["operationId"]


async def test_real_big_interview_deliveries_match_their_documented_payloads(
    app, partner, client_for, receiver
) -> None:
    org, api = partner.org, partner.api
    created = await api.post(
        "/api/webhooks", json={"url": receiver.url("/bi"), "format": "biginterview"}
    )
    receiver.keys["/bi"] = created.json()["webhook"]["verification_key"]
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
    models = biginterview_event_models()
    seen = set()
    for request in receiver.at("/bi"):
        assert request.status == 200  # the key was right
        payload = request.body_json
        event_type = payload["webhook"]["event_name"]
        parsed = models[event_type].model_validate(payload)
        assert parsed.model_dump(mode="json") == payload, event_type
        seen.add(event_type)
    assert seen >= {
        "user.created", "user.updated", "user.deleted", "sso.redeemed", "interview.created",
        "interview.updated", "progress.updated",
    }  # fmt: skip
