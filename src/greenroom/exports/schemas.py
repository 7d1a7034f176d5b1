"""Response shapes of the exports API, for the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from greenroom.core.responses import Timestamp

EXAMPLE_EXPORT: dict[str, Any] = {
    "id": "7c1e4b2a-5d3f-4e6a-9b8c-0d1e2f3a4b5c",
    "partner_id": "abc123def",
    "state": "ready",
    "created_at": "2026-11-20T15:04:05.000Z",
    "ready_at": "2026-11-20T15:04:09.000Z",
    "expires_at": "2026-11-21T15:04:09.000Z",
    "size_bytes": 48213377,
    "download_url": "/api/users/abc123def/exports/7c1e4b2a-5d3f-4e6a-9b8c-0d1e2f3a4b5c/download",
    "error": None,
}
EXAMPLE_PENDING: dict[str, Any] = {
    **EXAMPLE_EXPORT,
    "state": "pending",
    "ready_at": None,
    "expires_at": "2026-11-21T15:04:05.000Z",
    "size_bytes": None,
    "download_url": None,
}


class ExportOut(BaseModel):
    """An export of a user's data: a ZIP built in the background."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_EXPORT]})

    id: str = Field(description="The export's id (a UUID).")
    partner_id: str = Field(description="The user the export is of.")
    state: Literal["pending", "running", "ready", "failed", "expired"] = Field(
        description="`pending` (queued), `running`, `ready` (download it), `failed` (see "
        "`error`; ask again) or `expired` (its file is deleted; ask again)."
    )
    created_at: Timestamp = Field(description="When it was asked for.")
    ready_at: Timestamp | None = Field(description="When the ZIP was ready; null before.")
    expires_at: Timestamp = Field(
        description="When the export and its file are deleted: 24 hours after it became ready "
        "(before that, 24 hours after it was asked for)."
    )
    size_bytes: int | None = Field(description="The ZIP's size in bytes, when ready.")
    download_url: str | None = Field(
        description="When ready and not expired: the path (on your organization's host) to "
        "`GET` with your API key for the ZIP; else null."
    )
    error: str | None = Field(description="Why it failed, when `failed`; else null.")


class ExportEnvelope(BaseModel):
    """`{"export": {...}}`."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"export": EXAMPLE_EXPORT}]})

    export: ExportOut = Field(description="The export.")


class ExportStartedEnvelope(BaseModel):
    """`{"export": {...}}` just after it was asked for."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"export": EXAMPLE_PENDING}]})

    export: ExportOut = Field(description="The export, `pending`.")
