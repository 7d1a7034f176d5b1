"""The webhook payloads, as models for the OpenAPI document's `webhooks` section.

What the outbox sends is built in `webhooks/service.py` from the same public objects
(`users.service.public_user`, `progress.service.to_public`, `practice.service.interview_payload`);
these models describe it, so that a partner's generated code and our reference agree. Each event
has a model per payload format: the standard body, and Big Interview's envelope
(`webhooks.formats`, whose function also makes the examples).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from greenroom.core.responses import Timestamp
from greenroom.exports.schemas import EXAMPLE_EXPORT, ExportOut
from greenroom.progress.schemas import EXAMPLE_INTERVIEW, EXAMPLE_PROGRESS, InterviewItem, Progress
from greenroom.users.schemas import EXAMPLE_USER, UserOut
from greenroom.webhooks import formats


class InterviewEventItem(InterviewItem):
    """An interview as `GET /api/users/{partner_id}/interviews` lists it, with its user."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**EXAMPLE_INTERVIEW, "partner_id": "abc123def"}]}
    )

    partner_id: str = Field(description="The `partner_id` of the user the interview belongs to.")


class UserEventData(BaseModel):
    """The user the event is about, as `GET /api/users/{partner_id}` answers."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"user": EXAMPLE_USER}]})

    user: UserOut = Field(description="The user object.")


class ProgressEventData(BaseModel):
    """The user's progress, as `GET /api/users/{partner_id}/progress` answers."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"progress": EXAMPLE_PROGRESS}]})

    progress: Progress = Field(description="The progress object.")


class InterviewEventData(BaseModel):
    """The interview the event is about."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"interview": {**EXAMPLE_INTERVIEW, "partner_id": "abc123def"}}]
        }
    )

    interview: InterviewEventItem = Field(description="The interview object, with `partner_id`.")


class ExportEventData(BaseModel):
    """The export that became ready, as `GET /api/users/{partner_id}/exports/{id}` answers."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"export": EXAMPLE_EXPORT}]})

    export: ExportOut = Field(description="The export object, `ready`, with its `download_url`.")


# Each event type: what it means, and the model of its `data`.
EVENTS: dict[str, tuple[str, type[BaseModel]]] = {
    "user.created": ("A user was created (through the API, an import or anonymously).", UserEventData),
    "user.updated": ("A user's fields changed.", UserEventData),
    "user.deleted": ("A user was deleted, or an anonymous user expired and was purged.", UserEventData),
    "user.exported": ("An export of a user's data is ready to download (for 24 hours).", ExportEventData),
    "progress.updated": ("A user's progress changed (a lesson, an answer, an interview).", ProgressEventData),
    "sso.redeemed": ("A user signed in with a sign-in token.", UserEventData),
    "interview.created": ("A user started a practice interview.", InterviewEventData),
    "interview.updated": ("An interview changed: an answer, a rating, its completion.", InterviewEventData),
    "interview.deleted": ("A user deleted a practice interview.", InterviewEventData),
}  # fmt: skip


def _model_name(event_type: str, suffix: str = "Event") -> str:
    return "".join(part.capitalize() for part in event_type.split(".")) + suffix


def _example(event_type: str) -> dict[str, Any]:
    example: dict[str, Any] = EVENTS[event_type][1].model_json_schema()["examples"][0]
    return example


# The object of each kind, as `api_object` holds it.
_API_OBJECTS: dict[str, type[BaseModel]] = {
    "User": UserOut,
    "Progress": Progress,
    "Interview": InterviewItem,
    "Export": ExportOut,
}
EXAMPLE_MESSAGE_ID = "msg_2Kx9bQ7aTm4Vd1"


def standard_event_models() -> dict[str, type[BaseModel]]:
    """Per event type, the model of its Standard Webhooks body: `{"type", "timestamp", "data"}`."""
    models: dict[str, type[BaseModel]] = {}
    for event_type, (meaning, data_model) in EVENTS.items():
        example: dict[str, Any] = {
            "type": event_type,
            "timestamp": "2026-11-23T12:30:00.123Z",
            "data": data_model.model_json_schema()["examples"][0],
        }
        models[event_type] = create_model(
            _model_name(event_type),
            __config__=ConfigDict(json_schema_extra={"examples": [example]}),
            __doc__=f"`{event_type}` in the standard format: {meaning}",
            type=(
                str,
                Field(description="The event type.", json_schema_extra={"const": event_type}),
            ),
            timestamp=(Timestamp, Field(description="When the event happened.")),
            data=(data_model, Field(description=f"What `{event_type}` is about.")),
        )
    return models


def biginterview_event_models() -> dict[str, type[BaseModel]]:
    """Per event type, the model of its body in Big Interview's format: `{"webhook": {...}}`."""
    models: dict[str, type[BaseModel]] = {}
    for event_type, (meaning, _data_model) in EVENTS.items():
        api_type, _member = formats.API_TYPES[event_type]
        deleted = event_type.endswith(".deleted")
        example = formats.biginterview_envelope(
            EXAMPLE_MESSAGE_ID, event_type, _example(event_type)
        )
        obj: Any = (
            (None, Field(description="Null: the object is gone (as Big Interview's deletions)."))
            if deleted
            else (
                _API_OBJECTS[api_type],
                Field(description=f"The {api_type.lower()} as the Partner API answers it."),
            )
        )
        webhook = create_model(
            _model_name(event_type, "BigInterviewWebhook"),
            __config__=ConfigDict(json_schema_extra={"examples": [example["webhook"]]}),
            __doc__=f"The `webhook` object of `{event_type}` in the Big Interview format.",
            id=(
                str,
                Field(
                    description="This notification's id: the `webhook-id` header, the same on "
                    "every retry and resend."
                ),
            ),
            event_name=(
                str,
                Field(description="The event type.", json_schema_extra={"const": event_type}),
            ),
            partner_id=(str, Field(description="The `partner_id` of the user it is about.")),
            api_id=(
                str,
                Field(
                    description="The object's id, as text: the interview's integer id, or the "
                    "user's `partner_id` for users and progress."
                ),
            ),
            api_type=(
                str,
                Field(
                    description="The kind of object (`User`, `Progress` or `Interview`).",
                    json_schema_extra={"const": api_type},
                ),
            ),
            api_object=obj,
        )
        models[event_type] = create_model(
            _model_name(event_type, "BigInterviewEvent"),
            __config__=ConfigDict(json_schema_extra={"examples": [example]}),
            __doc__=f"`{event_type}` in the Big Interview format: {meaning}",
            webhook=(webhook, Field(description="The notification.")),
        )
    return models
