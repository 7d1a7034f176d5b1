"""Request and response shapes of the users API (docs/partner-api.md, Users)."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from greenroom.core.emails import keep_domain_checks
from greenroom.core.responses import Timestamp
from greenroom.core.text import refuse_bidi_controls

keep_domain_checks()  # `EmailStr` checks a domain once (core/emails.py)

METADATA_MAX_BYTES = 4096
# No control characters (PostgreSQL refuses NUL in text, and none belongs in a name).
Name = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
    AfterValidator(refuse_bidi_controls),  # no U+202E and the like (core/text.py)
]

EXAMPLE_USER: dict[str, Any] = {
    "partner_id": "abc123def",
    "email": "jane.doe@xyz.example.com",
    "first_name": "Jane",
    "last_name": "Doe",
    "metadata": {"cohort": "2026-fall"},
    "anonymous": False,
    "expires_at": None,
    "created_at": "2026-11-23T12:00:00.000Z",
    "updated_at": "2026-11-23T12:00:00.000Z",
}
EXAMPLE_TOKEN: dict[str, Any] = {
    "token": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "expires_at": "2026-11-25T12:00:00.000Z",
}


NAME_FIELDS = ("first_name", "last_name", "email")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# The integers metadata may hold: those every part of the way stores and writes back as they
# were (a JSON number of PostgreSQL, the API's and the webhooks' JSON), signed 64-bit.
METADATA_INT_RANGE = range(-(2**63), 2**63)
# How deep metadata may nest (objects and arrays in one another). Partners' metadata is a level
# or two; a limit keeps every reader and writer of it (ours, the databases', JSON libraries with
# limits of their own, such as orjson's 255) far from where they give up.
METADATA_MAX_DEPTH = 32


def _metadata_problem(metadata: dict[str, Any]) -> str | None:
    """Why `metadata` (as the JSON was read) cannot be kept and given back as it was sent, or
    None. NUL: PostgreSQL refuses it in text. NaN and infinities (`NaN`, `1e400`): not JSON;
    PostgreSQL refuses them, and JSON writers turn them into null. Integers beyond 64 bits: the
    API's JSON writer refuses them. Walked without recursion, so no depth breaks the check."""
    pending: list[tuple[Any, int]] = [(metadata, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > METADATA_MAX_DEPTH:
                return f"may nest at most {METADATA_MAX_DEPTH} levels deep"
            parts = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((part, depth + 1) for part in parts)
        elif isinstance(value, str):
            if "\x00" in value:
                return "may not contain NUL characters"
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if value not in METADATA_INT_RANGE:
                return "integers must fit in 64 bits"
        elif isinstance(value, float) and not math.isfinite(value):
            return "numbers must be finite (no NaN or Infinity)"
    return None


class UserWrite(BaseModel):
    """Body of `POST /api/users/{partner_id}`. All fields are required when the user is created."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "first_name": "Jane",
                    "last_name": "Doe",
                    "email": "jane.doe@xyz.example.com",
                    "metadata": {"cohort": "2026-fall"},
                }
            ]
        },
    )

    first_name: Name | None = Field(
        default=None,
        description="Required when the user is created. On update, null or empty leaves it as it is.",
    )
    last_name: Name | None = Field(
        default=None,
        description="Required when the user is created. On update, null or empty leaves it as it is.",
    )
    email: EmailStr | None = Field(
        default=None,
        max_length=320,
        description="Required when the user is created. On update, null or empty leaves it as it is.",
    )
    metadata: dict[str, Any] | None = Field(
        default=None,
        description="Your own data about the user: a JSON object of at most 4 KB, given back as "
        "sent (finite numbers, integers within signed 64 bits, no NUL characters, nested at most "
        "32 levels).",
    )

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        """A null or empty `first_name`, `last_name` or `email` counts as not sent: an update
        leaves the stored value, a create names it as missing. (Big Interview ignores these
        fields on update; a client that always sends them, blank or not, keeps working.)"""
        if isinstance(data, dict) and any(_is_blank(data.get(f, "-")) for f in NAME_FIELDS):
            return {k: v for k, v in data.items() if k not in NAME_FIELDS or not _is_blank(v)}
        return data

    @field_validator("metadata")
    @classmethod
    def _small_metadata(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            problem = _metadata_problem(value)
            if problem is not None:
                raise ValueError(f"metadata {problem}")
            size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
            if size > METADATA_MAX_BYTES:
                raise ValueError(f"metadata is {size} bytes; at most {METADATA_MAX_BYTES}")
        return value


class SignInToken(BaseModel):
    """A one-time sign-in token: send the user's browser to `/sso/login?token={token}`."""

    token: str = Field(description="64 hex characters; use once at /sso/login?token=...")
    expires_at: Timestamp = Field(
        description="When the token stops working (at most the user's own expiry)."
    )


class UserOut(BaseModel):
    """A user of your organization, in this environment."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_USER]})

    partner_id: str = Field(
        description="Your id for the user (an anonymous user's is a UUID we made)."
    )
    email: str | None = Field(description="The user's email address; null for anonymous users.")
    first_name: str | None = Field(description="The user's first name; null for anonymous users.")
    last_name: str | None = Field(description="The user's last name; null for anonymous users.")
    metadata: dict[str, Any] | None = Field(
        description="Your own JSON object about the user, or null."
    )
    anonymous: bool = Field(description="Whether this is a temporary, anonymous user.")
    expires_at: Timestamp | None = Field(description="When an anonymous user goes away; else null.")
    created_at: Timestamp = Field(description="When the user was created.")
    updated_at: Timestamp = Field(description="When the user's fields last changed.")


class UserCreated(UserOut):
    """The user object of the two create calls: with a fresh sign-in token."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**EXAMPLE_USER, "token": EXAMPLE_TOKEN}]}
    )

    token: SignInToken | None = Field(
        description="A one-time sign-in token; null when the key lacks the sso:create scope."
    )


class UserEnvelope(BaseModel):
    """One user."""

    user: UserOut = Field(description="The user object.")


class UserCreatedEnvelope(BaseModel):
    """The user created or updated, with a sign-in token."""

    user: UserCreated = Field(description="The user object with `token`.")


class UserList(BaseModel):
    """A page of users, least recently changed first."""

    users: list[UserOut] = Field(description="The users of this page.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
