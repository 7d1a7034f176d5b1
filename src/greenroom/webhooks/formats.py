"""How a delivery looks on the wire, per endpoint `format`.

- `standard`: the Standard Webhooks body `{"type", "timestamp", "data"}` as the outbox stored it
  (`service.record_event`), `Content-Type: application/json`; any 2xx is a success.
- `biginterview`: Big Interview's envelope, made from the same stored message at send time:

  ```json
  {"webhook": {"id": "msg_...", "event_name": "interview.created", "partner_id": "abc123def",
               "api_id": "95607", "api_type": "Interview", "api_object": {...}}}
  ```

  with the org's verification key in `Authorization`, `Content-Type: application/json;
  charset=utf-8`; only a 200 within `webhooks_biginterview_timeout_seconds` (30 s, as Big
  Interview waits) is a success. The Standard Webhooks signature headers come too, computed over
  this body.

Big Interview sends the interview events only. Ours map one to one: `event_name` is our event
type, `api_type` the kind of object (`Interview`, `User`, `Progress`), `api_id` its id as text
(the interview's integer id; the `partner_id` for users and progress), `api_object` the object as
our API answers it, and null for deletions (as Big Interview's `interview.deleted`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, Literal

STANDARD: Final = "standard"
BIGINTERVIEW: Final = "biginterview"
FORMATS: Final = (STANDARD, BIGINTERVIEW)
Format = Literal["standard", "biginterview"]

STANDARD_CONTENT_TYPE: Final = "application/json"
BIGINTERVIEW_CONTENT_TYPE: Final = "application/json; charset=utf-8"
# The events Big Interview's partner docs list (their "List of Events").
BIGINTERVIEW_EVENTS: Final = ("interview.created", "interview.updated", "interview.deleted")

# Event type -> (api_type, the member of `data` holding the object).
API_TYPES: Final[dict[str, tuple[str, str]]] = {
    "user.created": ("User", "user"),
    "user.updated": ("User", "user"),
    "user.deleted": ("User", "user"),
    "user.exported": ("Export", "export"),
    "sso.redeemed": ("User", "user"),
    "progress.updated": ("Progress", "progress"),
    "interview.created": ("Interview", "interview"),
    "interview.updated": ("Interview", "interview"),
    "interview.deleted": ("Interview", "interview"),
}


def subject(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The one object an event's `data` is about (`{"user": {...}}` -> the user)."""
    if len(data) != 1:
        return None
    (value,) = data.values()
    return value if isinstance(value, Mapping) else None


def partner_id_of(data: Mapping[str, Any]) -> str | None:
    """The `partner_id` of the user an event is about (every event of ours has one)."""
    found = subject(data)
    partner_id = found.get("partner_id") if found is not None else None
    return partner_id if isinstance(partner_id, str) and partner_id else None


def ordering_key(data: Mapping[str, Any]) -> str | None:
    """The queue a delivery of this event waits in (docs/webhooks.md, Order): one per user."""
    partner_id = partner_id_of(data)
    return f"user:{partner_id}" if partner_id is not None else None


def biginterview_envelope(msg_id: str, event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    api_type, member = API_TYPES.get(event_type, ("None", ""))
    found = data.get(member) if member else None
    obj: dict[str, Any] | None = dict(found) if isinstance(found, Mapping) else None
    partner_id = partner_id_of(data)
    if api_type == "Interview":
        api_id = obj.get("id") if obj is not None else None
        if obj is not None:
            # The object as `GET /api/users/{partner_id}/interviews` lists it: the user is
            # named by the envelope's `partner_id`.
            obj.pop("partner_id", None)
    else:
        api_id = partner_id
    return {
        "webhook": {
            "id": msg_id,
            "event_name": event_type,
            "partner_id": partner_id,
            "api_id": None if api_id is None else str(api_id),
            "api_type": api_type,
            "api_object": None if event_type.endswith(".deleted") else obj,
        }
    }


def biginterview_body(msg_id: str, standard_body: str) -> str:
    """The Big Interview body of a stored message (the same bytes on every retry)."""
    message = json.loads(standard_body)
    envelope = biginterview_envelope(msg_id, message["type"], message.get("data") or {})
    return json.dumps(envelope, separators=(",", ":"))
