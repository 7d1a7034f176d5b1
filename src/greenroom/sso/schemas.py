from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from greenroom.core.responses import Timestamp


class SsoRequest(BaseModel):
    """Body of `POST /api/users/{partner_id}/sso`; both fields are optional."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"redirect_to": "/members/dashboard", "expires_in": 300}]},
    )

    redirect_to: str | None = Field(
        default=None,
        max_length=2048,
        description="A path on your organization's host to land on after sign-in.",
    )
    expires_in: int | None = Field(
        default=None,
        description="Lifetime in seconds: 60 up to your organization's token lifetime (48 h).",
    )


class SsoTokenOut(BaseModel):
    """A one-time sign-in link."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "url": "http://xyz.greenroom.localhost/sso/login?token=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "expires_at": "2026-11-25T12:00:00.000Z",
                }
            ]
        }
    )

    token: str = Field(description="The token itself: 64 hex characters, usable once.")
    url: str = Field(description="Send the user's browser here; it works once.")
    expires_at: Timestamp = Field(description="When the link stops working.")
