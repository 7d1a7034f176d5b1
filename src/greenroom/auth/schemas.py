from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class OrgOut(BaseModel):
    slug: str = Field(examples=["xyz"])
    name: str = Field(examples=["XYZ Corporation"])


class KeyOut(BaseModel):
    id: uuid.UUID
    name: str = Field(examples=["XYZ integration"])
    last4: str = Field(examples=["8f31"])
    scopes: list[str] = Field(description="The key's own scopes.")


class AdminOut(BaseModel):
    id: uuid.UUID
    email: str = Field(examples=["pat@xyz.example.com"])
    role: str = Field(examples=["admin"])


class AuthCheck(BaseModel):
    org: OrgOut
    environment: str = Field(examples=["production"])
    key: KeyOut
    scopes: list[str] = Field(
        description="What this request may do: the key's scopes, narrowed by the admin's role "
        "when a bearer token came along."
    )
    admin: AdminOut | None = Field(description="The bearer token's admin, if one was sent.")


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=320, examples=["pat@xyz.example.com"])
    password: str = Field(max_length=1024, examples=["correct horse battery staple"])


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(max_length=256)


class RevokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(max_length=256, description="An access or a refresh token.")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105
    expires_in: int = Field(examples=[900], description="Seconds the access token lives.")
    refresh_token: str
    refresh_expires_in: int = Field(examples=[2592000])
