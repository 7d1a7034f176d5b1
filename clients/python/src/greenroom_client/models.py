"""What the API answers, as typed objects (attribute access, completion in an editor), written
from the OpenAPI document (`/api/openapi.json`; the names follow its schemas).

Every response object carries `request_id` (the `X-Request-Id` of its response: quote it when
you ask for help) and `raw`, the decoded JSON as it came, for fields newer than this SDK.
Timestamps are timezone-aware `datetime`s in UTC.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")
M = TypeVar("M", bound="Model")


@dataclass(frozen=True)
class Model:
    """Base of the response objects."""

    @classmethod
    def from_json(cls: type[M], data: dict[str, Any], request_id: str | None = None) -> M:
        """The object from its JSON; fields the SDK does not know are kept in `raw` only."""
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for item in dataclasses.fields(cls):
            if item.name in ("request_id", "raw"):
                continue
            if item.name in data:
                values[item.name] = _convert(hints[item.name], data[item.name])
        if "request_id" in hints:
            values["request_id"] = request_id
        if "raw" in hints:
            values["raw"] = data
        return cls(**values)


@dataclass(frozen=True)
class Response(Model):
    """A response object: `request_id` and `raw` come with each."""

    request_id: str | None = field(default=None, kw_only=True, compare=False)
    raw: dict[str, Any] = field(default_factory=dict, kw_only=True, repr=False, compare=False)


@dataclass(frozen=True)
class SignInToken(Model):
    """A one-time sign-in token: send the browser to `/sso/login?token={token}`."""

    token: str
    expires_at: datetime


@dataclass(frozen=True)
class User(Response):
    """A user (`GET /api/users/{partner_id}`). From the create calls also `token` (None when
    the key lacks `sso:create`) and `created` (True when the call created the user)."""

    partner_id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    metadata: dict[str, Any] | None = None
    anonymous: bool = False
    expires_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    token: SignInToken | None = None
    created: bool = False


@dataclass(frozen=True)
class SignInLink(Response):
    """`POST /api/users/{partner_id}/sso`: send the user's browser to `url`, once."""

    token: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class Counts(Model):
    completed: int
    total: int


@dataclass(frozen=True)
class InterviewCounts(Model):
    started: int
    completed: int


@dataclass(frozen=True)
class ModuleProgress(Model):
    slug: str
    title: str
    lessons_completed: int
    lessons_total: int
    percent_complete: int
    link: str


@dataclass(frozen=True)
class Progress(Response):
    """A user's progress (`GET /api/users/{partner_id}/progress`)."""

    partner_id: str
    percent_complete: int
    lessons: Counts
    practice_interviews: InterviewCounts
    answers_recorded: int
    average_rating: float | None
    last_activity_at: datetime | None
    modules: list[ModuleProgress]
    updated_at: datetime


@dataclass(frozen=True)
class TrackStep(Model):
    step: int
    title: str
    link: str
    completed: bool


@dataclass(frozen=True)
class Track(Model):
    """Big Interview's track: a module, with its lessons as `tracks` (the steps)."""

    title: str
    progress: float
    tracks: list[TrackStep]


@dataclass(frozen=True)
class Tracks(Response):
    tracks: list[Track]


@dataclass(frozen=True)
class InterviewLinks(Model):
    review: str
    retake: str


@dataclass(frozen=True)
class Interview(Response):
    """A practice interview; `id` is an integer, unique in the org."""

    id: int
    title: str
    interviewer_name: str
    category: str
    completed: bool
    created_at: datetime
    updated_at: datetime
    links: InterviewLinks


@dataclass(frozen=True)
class Webhook(Response):
    """A webhook endpoint; `secret` only in the answer that created it, `verification_key` (Big
    Interview format) only in the answer that made it."""

    id: str
    url: str
    description: str | None = None
    events: list[str] = field(default_factory=list)
    enabled: bool = True
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    failing_since: datetime | None = None
    last_error: str | None = None
    environment: str = "production"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    secret: str | None = None
    format: str = "standard"
    verification_key: str | None = None


@dataclass(frozen=True)
class WebhookSecret(Response):
    secret: str


@dataclass(frozen=True)
class VerificationKey(Response):
    """The organization's new verification key for this environment (Big Interview format)."""

    verification_key: str


@dataclass(frozen=True)
class Attempt(Model):
    number: int
    at: datetime
    succeeded: bool
    response_status: int | None = None
    response_ms: int | None = None
    response_excerpt: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Delivery(Response):
    """One delivery of an event to an endpoint; `attempt_log` when read on its own."""

    id: str
    webhook_id: str
    message_id: str
    event_type: str
    status: str
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    response_status: int | None = None
    response_ms: int | None = None
    response_excerpt: str | None = None
    error: str | None = None
    resend_of: str | None = None
    attempt_log: list[Attempt] | None = None


@dataclass(frozen=True)
class Org(Model):
    slug: str
    name: str


@dataclass(frozen=True)
class KeyInfo(Model):
    id: str
    name: str
    last4: str
    scopes: list[str]


@dataclass(frozen=True)
class Admin(Model):
    id: str
    email: str
    role: str


@dataclass(frozen=True)
class AuthCheck(Response):
    """What the credentials are (`GET /api/auth/check`)."""

    org: Org
    environment: str
    key: KeyInfo
    scopes: list[str]
    admin: Admin | None = None


@dataclass(frozen=True)
class Tokens(Response):
    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


@dataclass(frozen=True)
class Empty(Response):
    """An answer without a body (a delete), or with nothing in it."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: `items`, and `next_cursor` for the next one (None at the end)."""

    items: list[T]
    next_cursor: str | None
    request_id: str | None = field(default=None, compare=False)


def _hints(cls: type) -> dict[str, Any]:
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = get_type_hints(cls, vars(sys.modules[__name__]))
    return found


_HINTS: dict[type, dict[str, Any]] = {}


def _convert(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(kind)
    if origin is Union or type(kind).__name__ == "UnionType":
        options = [a for a in get_args(kind) if a is not type(None)]
        return _convert(options[0], value) if len(options) == 1 else value
    if origin is list:
        (item,) = get_args(kind)
        return [_convert(item, v) for v in value]
    if kind is datetime and isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(kind, type) and issubclass(kind, Model) and isinstance(value, dict):
        return kind.from_json(value)
    return value
