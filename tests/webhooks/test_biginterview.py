"""Endpoints in Big Interview's format (issue 16, item 6): the `{"webhook": {...}}` envelope,
the org's verification key in `Authorization`, `application/json; charset=utf-8`, success only on
a 200, and the Standard Webhooks signature headers still there. The receiver refuses (401) a
request whose `Authorization` is not the key it was given."""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from greenroom.core import clock
from greenroom.webhooks import service
from greenroom.webhooks.models import WebhookVerificationKey
from tests.conftest import Partner
from tests.factories import make_org
from tests.practice.helpers import Member, make_user, signed_in
from tests.webhooks.conftest import Receiver, make_worker
from tests.webhooks.test_delivery import MILLISECOND, deliveries, when

JANE = {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@xyz.example.com"}
# The members of Big Interview's interview object (their partner docs, "The webhook object").
INTERVIEW_KEYS = {
    "id", "title", "interviewer_name", "category", "completed", "created_at", "updated_at", "links",
}  # fmt: skip


async def big_interview_endpoint(
    partner: Partner, receiver: Receiver, path: str, **fields: Any
) -> dict[str, Any]:
    """A Big Interview endpoint on the receiver, which then checks its key and signature."""
    created = await partner.api.post(
        "/api/webhooks", json={"url": receiver.url(path), "format": "biginterview", **fields}
    )
    assert created.status_code == 201, created.text
    webhook: dict[str, Any] = created.json()["webhook"]
    receiver.secrets[path] = webhook["secret"]
    if webhook["verification_key"] is not None:
        receiver.keys[path] = webhook["verification_key"]
    return webhook


async def test_deliveries_carry_the_envelope_and_the_verification_key(
    app, partner, client_for, receiver
) -> None:
    org, api = partner.org, partner.api
    webhook = await big_interview_endpoint(partner, receiver, "/bi")
    assert webhook["format"] == "biginterview"
    key = webhook["verification_key"]
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert "verification_key" not in (await api.get(f"/api/webhooks/{webhook['id']}")).text

    # Real changes: a user through the API, an interview in the practice app, the deletion.
    assert (await api.post("/api/users/abc123def", json=JANE)).status_code == 201
    member = await make_user(app, org, partner_id="member-1")
    browser = client_for(org.slug)
    await signed_in(app, browser, org, member)
    interview = await Member(browser).start("basics")
    assert (await Member(browser).answer_text(interview, 1, "An answer.")).status_code == 303
    assert (await api.delete("/api/users/abc123def")).status_code == 204
    await make_worker(app, org).run_until_idle()

    got = receiver.at("/bi")
    assert got and all(r.status == 200 for r in got)  # the receiver accepted the key
    assert {d["status"] for d in await deliveries(api, webhook["id"])} == {"succeeded"}
    by_event: dict[str, list[dict[str, Any]]] = {}
    for request in got:
        assert request.headers["authorization"] == key
        assert request.headers["content-type"] == "application/json; charset=utf-8"
        assert request.verify_error is None  # Standard Webhooks signature over this body
        assert list(request.body_json) == ["webhook"]
        envelope = request.body_json["webhook"]
        assert set(envelope) == {
            "id", "event_name", "partner_id", "api_id", "api_type", "api_object",
        }  # fmt: skip
        assert envelope["id"] == request.headers["webhook-id"]
        by_event.setdefault(envelope["event_name"], []).append(envelope)

    # (The practising member was made too: only Jane's creation is looked at here.)
    [created] = [e for e in by_event["user.created"] if e["partner_id"] == "abc123def"]
    assert created["partner_id"] == created["api_id"] == "abc123def"
    assert created["api_type"] == "User" and created["api_object"]["email"] == JANE["email"]
    [deleted] = by_event["user.deleted"]
    assert deleted["api_type"] == "User" and deleted["api_id"] == "abc123def"
    assert deleted["api_object"] is None  # as Big Interview's deletions
    [started] = by_event["interview.created"]
    assert started["partner_id"] == "member-1" and started["api_type"] == "Interview"
    assert set(started["api_object"]) == INTERVIEW_KEYS
    assert started["api_id"] == str(started["api_object"]["id"])
    listed = await api.get("/api/users/member-1/interviews")
    [item] = listed.json()["interviews"]
    assert started["api_object"]["id"] == item["id"] and item["links"]
    assert by_event["interview.updated"][-1]["api_object"] == item
    [progress, *_] = by_event["progress.updated"]
    assert progress["api_type"] == "Progress" and progress["api_id"] == "member-1"
    assert progress["api_object"]["partner_id"] == "member-1"


async def test_the_key_is_made_once_per_environment_and_kept_encrypted(
    app, partner, api_for, receiver, db
) -> None:
    org = partner.org
    first = await big_interview_endpoint(partner, receiver, "/one")
    second = await big_interview_endpoint(partner, receiver, "/two")
    standard = (await partner.api.post("/api/webhooks", json={"url": receiver.url("/std")})).json()
    assert first["verification_key"] and second["verification_key"] is None
    assert standard["webhook"]["verification_key"] is None
    assert standard["webhook"]["format"] == "standard"
    sandbox = await api_for(org, "sandbox")
    in_sandbox = await sandbox.post(
        "/api/webhooks", json={"url": receiver.url("/sandbox"), "format": "biginterview"}
    )
    sandbox_key = in_sandbox.json()["webhook"]["verification_key"]
    assert sandbox_key and sandbox_key != first["verification_key"]

    rows = (
        (
            await db.execute(
                select(WebhookVerificationKey).where(WebhookVerificationKey.org_id == org.id)
            )
        )
        .scalars()
        .all()
    )
    assert {row.environment for row in rows} == {"production", "sandbox"}
    for row in rows:
        plain = service.verification_key(row, app.state.settings)
        assert plain in (first["verification_key"], sandbox_key)
        assert plain not in row.key_ciphertext and row.hint == plain[-4:]
    await db.rollback()


async def test_switching_an_endpoint_to_the_format_makes_the_key(app, partner, receiver) -> None:
    org, api = partner.org, partner.api
    created = (await api.post("/api/webhooks", json={"url": receiver.url("/switch")})).json()
    receiver.secrets["/switch"] = created["webhook"]["secret"]
    path = f"/api/webhooks/{created['webhook']['id']}"
    switched = await api.post(path, json={"format": "biginterview"})
    assert switched.status_code == 200, switched.text
    key = switched.json()["webhook"]["verification_key"]
    assert key and switched.json()["webhook"]["format"] == "biginterview"
    again = await api.post(path, json={"format": "biginterview", "description": "LMS"})
    assert again.json()["webhook"]["verification_key"] is None
    receiver.keys["/switch"] = key
    assert (await api.post("/api/users/abc123def", json=JANE)).status_code == 201
    await make_worker(app, org).run_until_idle()
    [got] = receiver.at("/switch")
    assert got.status == 200 and got.body_json["webhook"]["event_name"] == "user.created"
    # And back: the standard body, without the key.
    await api.post(path, json={"format": "standard"})
    await api.post("/api/users/abc123def", json={"first_name": "Janet"})
    await make_worker(app, org).run_until_idle()
    last = receiver.at("/switch")[-1]
    assert last.payload["type"] == "user.updated" and "authorization" not in last.headers


@pytest.mark.parametrize(
    "body", [{"format": "bigInterview"}, {"format": None}, {"format": ""}, {"format": 1}]
)
async def test_an_unknown_format_is_422(partner, body) -> None:
    api = partner.api
    created = await api.post("/api/webhooks", json={"url": "https://93.184.215.14/h", **body})
    assert created.status_code == 422, created.text
    hook = await api.post("/api/webhooks", json={"url": "https://93.184.215.14/h"})
    updated = await api.post(f"/api/webhooks/{hook.json()['webhook']['id']}", json=body)
    assert updated.status_code == 422, updated.text
    assert updated.json()["errors"][0]["field"] == "format"


async def test_only_a_200_is_a_success(app, partner, receiver) -> None:
    org, api = partner.org, partner.api
    webhook = await big_interview_endpoint(partner, receiver, "/bi")
    receiver.statuses["/bi"] = [204]
    assert (await api.post("/api/users/abc123def", json=JANE)).status_code == 201
    worker = make_worker(app, org)
    await worker.run_until_idle()
    [delivery] = await deliveries(api, webhook["id"])
    assert delivery["status"] == "pending" and delivery["response_status"] == 204
    assert delivery["error"] == "HTTP 204: the Big Interview format needs a 200."
    clock.advance(when(delivery["next_attempt_at"]) - clock.now() + MILLISECOND)
    await worker.run_until_idle()
    [delivery] = await deliveries(api, webhook["id"])
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 2


async def test_a_rotated_key_is_sent_from_then_on_retries_included(app, partner, receiver) -> None:
    org, api = partner.org, partner.api
    webhook = await big_interview_endpoint(partner, receiver, "/bi")
    old_key = receiver.keys["/bi"]
    rotated = await api.post("/api/webhooks/verification-key/rotate")
    assert rotated.status_code == 200, rotated.text
    new_key = rotated.json()["verification_key"]
    assert re.fullmatch(r"[0-9a-f]{32}", new_key) and new_key != old_key
    # The receiver still expects the old key: 401, retried.
    assert (await api.post("/api/users/abc123def", json=JANE)).status_code == 201
    worker = make_worker(app, org)
    await worker.run_until_idle()
    [first] = receiver.at("/bi")
    assert first.status == 401 and first.headers["authorization"] == new_key
    receiver.keys["/bi"] = new_key
    [delivery] = await deliveries(api, webhook["id"])
    clock.advance(when(delivery["next_attempt_at"]) - clock.now() + MILLISECOND)
    await worker.run_until_idle()
    assert receiver.at("/bi")[-1].status == 200
    [delivery] = await deliveries(api, webhook["id"])
    assert delivery["status"] == "succeeded"


async def test_rotating_without_a_key_makes_one_and_is_per_environment(app, api_for) -> None:
    org = await make_org(app)
    production, sandbox = await api_for(org), await api_for(org, "sandbox")
    made = (await production.post("/api/webhooks/verification-key/rotate")).json()
    other = (await sandbox.post("/api/webhooks/verification-key/rotate")).json()
    assert made["verification_key"] != other["verification_key"]
    # Existing: a Big Interview endpoint made later gets no new key.
    hook = await production.post(
        "/api/webhooks", json={"url": "https://93.184.215.14/h", "format": "biginterview"}
    )
    assert hook.json()["webhook"]["verification_key"] is None


async def test_a_retried_rotation_with_an_idempotency_key_rotates_once(partner, receiver) -> None:
    await big_interview_endpoint(partner, receiver, "/bi")
    headers = {"Idempotency-Key": "rotate-bi-key"}
    first = await partner.api.post("/api/webhooks/verification-key/rotate", headers=headers)
    again = await partner.api.post("/api/webhooks/verification-key/rotate", headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()


async def test_the_big_interview_timeout_is_its_own(app, partner, receiver) -> None:
    """A send in this format waits `webhooks_biginterview_timeout_seconds` (30 s, Big
    Interview's), not the standard timeout: here the standard one is 0.2 s and the receiver
    answers only after more than that has passed."""
    org, api = partner.org, partner.api
    webhook = await big_interview_endpoint(partner, receiver, "/slow")
    receiver.held_paths.add("/slow")
    assert (await api.post("/api/users/abc123def", json=JANE)).status_code == 201
    worker = make_worker(
        app, org, webhooks_timeout_seconds=0.2, webhooks_biginterview_timeout_seconds=60
    )
    released = threading.Event()

    def release_after_the_standard_timeout() -> None:
        assert receiver.wait_for("/slow", 30)
        released.wait(1.0)  # past the standard timeout (0.2 s), within the format's (60 s)
        receiver.hold.set()

    releasing = asyncio.to_thread(release_after_the_standard_timeout)
    await asyncio.gather(worker.run_until_idle(), releasing)
    [delivery] = await deliveries(api, webhook["id"])
    assert delivery["status"] == "succeeded", delivery

    # And it does time out, after its own limit.
    receiver.hold.clear()
    await api.post("/api/users/abc123def", json={"first_name": "Janet"})
    short = make_worker(app, org, webhooks_biginterview_timeout_seconds=0.3)
    await short.run_until_idle()
    latest = (await deliveries(api, webhook["id"]))[0]
    assert latest["status"] == "pending" and latest["error"] == "Timed out."
    receiver.hold.set()


async def test_the_key_survives_a_server_secret_rotation(app, partner, receiver, db) -> None:
    org, api = partner.org, partner.api
    await big_interview_endpoint(partner, receiver, "/bi")
    old = app.state.settings.secrets.get_secret_value()
    rotated = SecretStr(f"t2:second-secret-0123456789abcdef0123456789,{old}")
    assert (await api.post("/api/users/abc123def", json=JANE)).status_code == 201
    await make_worker(app, org, secrets=rotated).run_until_idle()
    row = await db.get(WebhookVerificationKey, (org.id, "production"))
    assert row.key_version == "t2"  # re-encrypted under the newest server secret
    await db.rollback()
    # The old server secret can go; a key it alone could read could not be sent.
    await api.post("/api/users/abc123def", json={"first_name": "Janet"})
    only_new = SecretStr("t2:second-secret-0123456789abcdef0123456789")
    await make_worker(app, org, secrets=only_new).run_until_idle()
    assert [r.status for r in receiver.at("/bi")] == [200, 200]


async def test_concurrent_first_endpoints_make_one_key(partner, receiver) -> None:
    """Several first endpoints in the format at once (each in its own transaction; on
    PostgreSQL truly concurrent): one key, made once, returned once, and no 5xx."""
    answers = await asyncio.gather(
        *(
            partner.api.post(
                "/api/webhooks", json={"url": receiver.url(f"/race-{n}"), "format": "biginterview"}
            )
            for n in range(4)
        )
    )
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    keys = [a.json()["webhook"]["verification_key"] for a in answers]
    assert len([k for k in keys if k is not None]) == 1
