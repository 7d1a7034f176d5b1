"""The SDK's webhook verification agrees with the third-party `standardwebhooks` library."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from greenroom_client import WebhookVerificationError, verify

SECRET = "whsec_" + base64.b64encode(b"x" * 32).decode()


def _signed(
    payload: dict[str, Any], msg_id: str = "msg_1", at: float | None = None
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    timestamp = datetime.fromtimestamp(at or time.time(), UTC)
    signature = Webhook(SECRET).sign(msg_id, timestamp, body.decode())
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }
    return body, headers


def test_verify_accepts_what_the_library_signs() -> None:
    body, headers = _signed({"type": "user.created", "data": {"user": {"partner_id": "abc123def"}}})
    event = verify(body, headers, SECRET)
    assert event["data"]["user"]["partner_id"] == "abc123def"


def test_verify_accepts_one_good_signature_among_several() -> None:
    body, headers = _signed({"type": "user.updated"})
    headers["webhook-signature"] = "v1,AAAA " + headers["webhook-signature"]
    assert verify(body, headers, SECRET)["type"] == "user.updated"


@pytest.mark.parametrize("tamper", ["body", "id", "secret", "old", "missing"])
def test_verify_refuses_tampering_and_replays(tamper: str) -> None:
    body, headers = _signed(
        {"type": "user.created"}, at=time.time() - 3600 if tamper == "old" else None
    )
    secret = SECRET
    if tamper == "body":
        body = body.replace(b"created", b"deleted")
    elif tamper == "id":
        headers["webhook-id"] = "msg_2"
    elif tamper == "secret":
        secret = "whsec_" + base64.b64encode(b"y" * 32).decode()
    elif tamper == "missing":
        del headers["webhook-signature"]
    with pytest.raises(WebhookVerificationError):
        verify(body, headers, secret)
