from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class OrgOut(BaseModel):
    """The organization the credentials belong to."""

    slug: str = Field(description="The org's subdomain.", examples=["xyz"])
    name: str = Field(description="The org's name.", examples=["XYZ Corporation"])


class KeyOut(BaseModel):
    """The API key that was sent (never the key itself)."""

    id: uuid.UUID = Field(description="The key's id.")
    name: str = Field(description="The key's name.", examples=["XYZ integration"])
    last4: str = Field(description="The key's last 4 characters.", examples=["8f31"])
    scopes: list[str] = Field(description="The key's own scopes.")


class AdminOut(BaseModel):
    """The admin whose bearer token came along."""

    id: uuid.UUID = Field(description="The admin's id.")
    email: str = Field(description="The admin's email.", examples=["pat@xyz.example.com"])
    role: str = Field(description="`admin` or `viewer`.", examples=["admin"])


class AuthCheck(BaseModel):
    """What the credentials of this request are."""

    org: OrgOut = Field(description="The org of the key.")
    environment: str = Field(
        description="`production` or `sandbox`: the host's, and the key's.", examples=["production"]
    )
    key: KeyOut = Field(description="The key sent.")
    scopes: list[str] = Field(
        description="What this request may do: the key's scopes, narrowed by the admin's role "
        "when a bearer token came along."
    )
    admin: AdminOut | None = Field(description="The bearer token's admin, if one was sent.")


class TokenRequest(BaseModel):
    """An admin's credentials, to sign in with."""

    model_config = ConfigDict(extra="forbid")
    email: str = Field(
        max_length=320, description="The admin's email.", examples=["pat@xyz.example.com"]
    )
    password: str = Field(
        max_length=1024,
        description="The admin's password.",
        examples=["correct horse battery staple"],
    )


class RefreshRequest(BaseModel):
    """A refresh token to exchange; it works once."""

    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(
        max_length=256,
        description="The `refresh_token` of the last token response.",
        examples=["rt_8Qb2Yc5Vt1Xw3Za7Kd9Le0Mf4Ng6Ph"],
    )


class RevokeRequest(BaseModel):
    """A token whose sign-in ends."""

    model_config = ConfigDict(extra="forbid")
    token: str = Field(
        max_length=256,
        description="An access or a refresh token.",
        examples=["rt_8Qb2Yc5Vt1Xw3Za7Kd9Le0Mf4Ng6Ph"],
    )


class TokenResponse(BaseModel):
    """An admin's bearer tokens."""

    access_token: str = Field(
        description="Send as `Authorization: Bearer {access_token}` beside `X-API-Key`.",
        examples=["at_3Hc8Jd1Ke5Lf9Mg2Nh6Pi0Qj4Rk7Sl"],
    )
    token_type: str = Field(default="Bearer", description="Always `Bearer`.")
    expires_in: int = Field(examples=[900], description="Seconds the access token lives.")
    refresh_token: str = Field(
        description="For `POST /api/auth/refresh`; works once.",
        examples=["rt_8Qb2Yc5Vt1Xw3Za7Kd9Le0Mf4Ng6Ph"],
    )
    refresh_expires_in: int = Field(
        description="Seconds the refresh token lives.", examples=[2592000]
    )
