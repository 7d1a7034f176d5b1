"""The OpenAPI document as a partner developer reads it (and their code generator): readable
`operationId`s, only the error statuses each operation can return, request and response examples
on every operation, form-encoded bodies beside JSON, and the webhook payloads.

`install_reference(app)` wraps `app.openapi` after the problem and security parts
(`core.problems`, `auth.openapi`) are in. Descriptions come from the models and endpoints
themselves (docstrings and `Field(description=...)`); a test checks that none is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic.json_schema import models_json_schema

from greenroom.apidocs.events import EVENTS, biginterview_event_models, standard_event_models
from greenroom.auth.guard import ApiRoute
from greenroom.core.errors import PROBLEM_JSON
from greenroom.core.problems import ERROR_DESCRIPTIONS, problem_example

JSON = "application/json"
REF = "#/components/schemas/{model}"

# (method, path) -> operationId. An operation not listed gets its function's name in camelCase.
OPERATION_IDS: dict[tuple[str, str], str] = {
    ("GET", "/api/auth/check"): "checkAuth",
    ("POST", "/api/auth/token"): "createAccessToken",
    ("POST", "/api/auth/refresh"): "refreshAccessToken",
    ("POST", "/api/auth/revoke"): "revokeToken",
    ("POST", "/api/users/anonymous"): "createAnonymousUser",
    ("POST", "/api/users/{partner_id}"): "createOrUpdateUser",
    ("GET", "/api/users/{partner_id}"): "getUser",
    ("DELETE", "/api/users/{partner_id}"): "deleteUser",
    ("GET", "/api/users"): "listUsers",
    ("POST", "/api/users/{partner_id}/sso"): "createSignInLink",
    ("GET", "/sso/login"): "signIn",
    ("GET", "/api/users/{partner_id}/progress"): "getUserProgress",
    ("GET", "/api/progress"): "listProgress",
    ("GET", "/api/users/{partner_id}/tracks"): "getUserTracks",
    ("GET", "/api/users/{partner_id}/track"): "getUserTrack",
    ("GET", "/api/users/{partner_id}/interviews"): "listUserInterviews",
    ("POST", "/api/users/{partner_id}/export"): "createUserExport",
    ("GET", "/api/users/{partner_id}/exports/{export_id}"): "getUserExport",
    ("GET", "/api/users/{partner_id}/exports/{export_id}/download"): "downloadUserExport",
    ("POST", "/api/webhooks"): "createWebhook",
    ("GET", "/api/webhooks"): "listWebhooks",
    ("GET", "/api/webhooks/{webhook_id}"): "getWebhook",
    ("POST", "/api/webhooks/{webhook_id}"): "updateWebhook",
    ("DELETE", "/api/webhooks/{webhook_id}"): "deleteWebhook",
    ("POST", "/api/webhooks/{webhook_id}/rotate-secret"): "rotateWebhookSecret",
    ("POST", "/api/webhooks/verification-key/rotate"): "rotateWebhookVerificationKey",
    ("GET", "/api/webhooks/{webhook_id}/deliveries"): "listWebhookDeliveries",
    ("GET", "/api/webhooks/{webhook_id}/deliveries/{delivery_id}"): "getWebhookDelivery",
    ("POST", "/api/webhooks/{webhook_id}/deliveries/{delivery_id}/resend"): "resendWebhookDelivery",
}
# OpenAPI links: what a response's id leads to (clients and schemathesis's stateful tests follow
# them: create -> read, update, delete).
_USER_ID = "$response.body#/user/partner_id"
_WEBHOOK_ID = "$response.body#/webhook/id"
_USER_LINKS = {
    "GetUser": ("getUser", "The user."),
    "UpdateUser": ("createOrUpdateUser", "Update the user (or refresh the sign-in token)."),
    "DeleteUser": ("deleteUser", "Delete the user."),
    "GetUserProgress": ("getUserProgress", "The user's progress."),
    "CreateSignInLink": ("createSignInLink", "A sign-in link for the user."),
    "ListUserInterviews": ("listUserInterviews", "The user's interviews."),
}
_WEBHOOK_LINKS = {
    "GetWebhook": ("getWebhook", "The endpoint."),
    "UpdateWebhook": ("updateWebhook", "Change the endpoint."),
    "DeleteWebhook": ("deleteWebhook", "Delete the endpoint."),
    "RotateWebhookSecret": ("rotateWebhookSecret", "A new signing secret for the endpoint."),
    "ListWebhookDeliveries": ("listWebhookDeliveries", "The endpoint's delivery log."),
}
_EXPORT_ID = "$response.body#/export/id"
_EXPORT_LINKS = {
    "GetUserExport": ("getUserExport", "The export's state."),
    "DownloadUserExport": ("downloadUserExport", "The export's ZIP, once ready."),
}
# A link's request body, where following it needs one to mean anything (an update that sends
# the user's own first name again: a valid change, whatever else a client would send).
LINK_BODIES: dict[str, dict[str, str]] = {
    "UpdateUser": {"first_name": "$response.body#/user/first_name"},
}
LINKS: dict[tuple[str, str], tuple[str, str, dict[str, tuple[str, str]]]] = {
    ("POST", "/api/users/{partner_id}"): ("partner_id", _USER_ID, _USER_LINKS),
    ("POST", "/api/users/anonymous"): ("partner_id", _USER_ID, _USER_LINKS),
    ("POST", "/api/webhooks"): ("webhook_id", _WEBHOOK_ID, _WEBHOOK_LINKS),
    ("POST", "/api/webhooks/{webhook_id}"): ("webhook_id", _WEBHOOK_ID, _WEBHOOK_LINKS),
    ("POST", "/api/users/{partner_id}/export"): ("export_id", _EXPORT_ID, _EXPORT_LINKS),
}
# Further parameters a link passes, where its target's path has more than one.
LINK_PARAMETERS: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/api/users/{partner_id}/export"): {"partner_id": "$response.body#/export/partner_id"},
}
# Examples of parameters, by name, where the route did not give one.
PARAMETER_EXAMPLES: dict[str, Any] = {
    "partner_id": "abc123def",
    "webhook_id": "0b8f6c3e-2d55-4a4e-9a43-1f8a3c2e9d10",
    "delivery_id": "5a7d2e1c-8b0f-4c7e-a1d2-3e4f5a6b7c8d",
    "limit": 50,
    "cursor": "WyIyMDI2LTExLTIzVDEyOjAwOjAwKzAwOjAwIiwiMGI4ZjZjM2UiXQ",
    "email": "jane.doe@xyz.example.com",
    "updated_since": "2026-11-01T00:00:00.000Z",
    "anonymous": False,
    "status": "failed",
    "token": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "redirect_to": "/members/dashboard",
    "return_url": "https://lms.xyz.example.com/home",
}
# 2xx bodies that have no model of their own.
RESPONSE_EXAMPLES: dict[tuple[str, str], Any] = {("POST", "/api/auth/revoke"): {}}
FORM_BODIES = (
    "JSON, or the same fields form-encoded (`application/x-www-form-urlencoded`, as Big "
    "Interview's clients send them): objects as `name[key]=value`, lists as repeated names "
    "(`events=a&events=b` or `events[]=a`), every value as text."
)
# The sign-in page's answers (it is no JSON API, but a partner sends browsers to it).
SIGN_IN_RESPONSES: dict[str, Any] = {
    "303": {
        "description": "Signed in: on to `redirect_to` (a safe path) or the dashboard.",
        "headers": {"Location": {"schema": {"type": "string"}, "example": "/members/dashboard"}},
    },
    "401": {
        "description": "The token is unknown, used, expired or another org's: a page that "
        "says so, linking to your return URL.",
        "content": {"text/html": {"schema": {"type": "string"}}},
    },
}
WEBHOOK_HEADERS = (
    ("webhook-id", "The message id (`msg_...`), the same on every retry: drop duplicates by it.", "msg_2Kx9bQ7aTm4Vd1"),
    ("webhook-timestamp", "Unix seconds of this attempt.", "1795437000"),
    ("webhook-signature", "`v1,` and the base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` under your `whsec_` secret.", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="),
)  # fmt: skip


def install_reference(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = original()
        routes = _routes(app)
        components = doc.setdefault("components", {}).setdefault("schemas", {})
        for path, operations in doc.get("paths", {}).items():
            for method, operation in operations.items():
                route = routes.get((method.upper(), path))
                operation["operationId"] = OPERATION_IDS.get(
                    (method.upper(), path),
                    _camel(route.name if route else operation["operationId"]),
                )
                if (method.upper(), path) == ("GET", "/sso/login"):
                    operation["responses"] = SIGN_IN_RESPONSES
                if not path.startswith("/api/"):
                    continue
                _parameter_examples(operation)
                _request_examples(operation, components)
                _response_examples(
                    operation, components, RESPONSE_EXAMPLES.get((method.upper(), path))
                )
                if route is not None:
                    statuses = error_statuses(route, method.upper(), operation)
                    _error_responses(operation, statuses)
                if (method.upper(), path) in LINKS:
                    _links(
                        operation,
                        *LINKS[(method.upper(), path)],
                        LINK_PARAMETERS.get((method.upper(), path), {}),
                    )
        doc["webhooks"] = webhooks_section(components)
        doc["components"].setdefault("securitySchemes", {})[VERIFICATION_KEY_SCHEME] = (
            VERIFICATION_KEY_SECURITY
        )
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def _routes(app: FastAPI) -> dict[tuple[str, str], APIRoute]:
    found: dict[tuple[str, str], APIRoute] = {}
    for route in app.routes:
        if isinstance(route, APIRoute):
            for method in route.methods or ():
                found[(method, route.path_format)] = route
    return found


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def error_statuses(route: APIRoute, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses the operation can answer, from what it takes: credentials (400 a
    malformed header, 401, 429), a scope (403), a resource in the path (404), parameters or a
    body to validate (422; a body may also be malformed, 400), a POST (409 for a reused
    `Idempotency-Key`, 413, 415), and whatever the route declared itself."""
    statuses: set[int] = set()
    if isinstance(route, ApiRoute):
        statuses |= {400, 401, 429}
        if route.required_scope is not None:
            statuses.add(403)
    parameters = [p for p in operation.get("parameters", ()) if p.get("in") in ("path", "query")]
    if any(p["in"] == "path" for p in parameters):
        statuses |= {404, 422}
    if parameters:
        statuses.add(422)
    if operation.get("requestBody"):
        statuses |= {400, 422}
    if method == "POST":
        statuses |= {409, 413, 415}
    statuses |= {int(s) for s in route.responses if str(s).isdigit() and int(s) >= 400}
    return statuses


def _error_responses(operation: dict[str, Any], statuses: Iterable[int]) -> None:
    responses = operation.setdefault("responses", {})
    wanted = {str(s) for s in statuses}
    for status in [s for s in responses if s[:1] in ("4", "5") and s not in wanted]:
        del responses[status]
    for status in sorted(wanted):
        existing = responses.get(status, {})
        responses[status] = {
            "description": existing.get("description") or ERROR_DESCRIPTIONS[int(status)],
            "content": {
                PROBLEM_JSON: {
                    "schema": {"$ref": REF.format(model="Problem")},
                    "example": problem_example(int(status)),
                }
            },
        }


def _links(
    operation: dict[str, Any],
    parameter: str,
    expression: str,
    links: dict[str, tuple[str, str]],
    more: dict[str, str],
) -> None:
    for status, response in operation.get("responses", {}).items():
        if status.startswith("2"):
            response["links"] = {
                name: {
                    "operationId": target,
                    "parameters": {**more, parameter: expression},
                    **({"requestBody": LINK_BODIES[name]} if name in LINK_BODIES else {}),
                    "description": description,
                }
                for name, (target, description) in links.items()
            }


def _parameter_examples(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", ()):
        if "example" in parameter or "examples" in parameter:
            continue
        schema = parameter.get("schema", {})
        if "examples" in schema:
            parameter["example"] = schema["examples"][0]
        elif parameter["name"] in PARAMETER_EXAMPLES:
            parameter["example"] = PARAMETER_EXAMPLES[parameter["name"]]


def _request_examples(operation: dict[str, Any], components: dict[str, Any]) -> None:
    body = operation.get("requestBody", {})
    content = body.get("content", {})
    media = content.get(JSON)
    if media is None:
        return
    options = media["schema"].get("anyOf", ())
    if len(options) == 2 and {"type": "null"} in options:
        # An optional body (`Model | None`): the model, and the body not required.
        media["schema"] = next(o for o in options if o != {"type": "null"})
        body["required"] = False
    media.setdefault("example", example_of(media["schema"], components))
    # The same body may come form-encoded (core.forms). Said in words rather than as a second
    # media type of the same schema, which code generators turn into two competing bodies.
    body.setdefault("description", FORM_BODIES)


def _response_examples(
    operation: dict[str, Any], components: dict[str, Any], given: Any | None
) -> None:
    for status, response in operation.get("responses", {}).items():
        media = response.get("content", {}).get(JSON)
        if not status.startswith("2") or media is None:
            continue
        if given is not None:
            media["schema"] = {"type": "object", "description": "Nothing more to say."}
            media["example"] = given
        elif "schema" in media:
            media.setdefault("example", example_of(media["schema"], components))


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 20:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
        seen += 1
    return schema


def example_of(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """An example of `schema`: its own, else one put together from its properties' examples."""
    if depth > 12:
        return None
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    if "$ref" in schema:
        return example_of(_resolve(schema, components), components, depth + 1)
    if "const" in schema:
        return schema["const"]
    options = [o for o in schema.get("anyOf", ()) if o.get("type") != "null"]
    if options:
        return example_of(options[0], components, depth + 1)
    if "anyOf" in schema:
        return None
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: example_of(sub, components, depth + 1)
            for name, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [example_of(schema.get("items", {}), components, depth + 1)]
    if "enum" in schema:
        return schema["enum"][0]
    return _PLACEHOLDERS.get(str(kind))


_PLACEHOLDERS: dict[str, Any] = {"string": "", "integer": 0, "number": 0, "boolean": False}
# (event type, the payload model's schema name, an example body) -> the webhook's operation.
PayloadFormat = Callable[[str, str, Any], dict[str, Any]]


def webhooks_section(components: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.1 `webhooks`: one entry per event type and payload format, each a POST to your
    endpoint: "{event}" in the standard format (the Standard Webhooks body `{"type",
    "timestamp", "data"}`), "{event} (biginterview)" in Big Interview's (`{"webhook": {...}}`).
    An endpoint's `format` chooses one; the formats are listed in `PAYLOAD_FORMATS`."""
    section: dict[str, Any] = {}
    for format_name, (make_models, describe) in PAYLOAD_FORMATS.items():
        models = make_models()
        _, schemas = models_json_schema(
            [(model, "serialization") for model in models.values()], ref_template=REF
        )
        for name, schema in schemas.get("$defs", {}).items():
            components.setdefault(name, schema)
        for event_type, model in models.items():
            key = event_type if format_name == "standard" else f"{event_type} ({format_name})"
            example = model.model_json_schema()["examples"][0]
            section[key] = {"post": describe(event_type, model.__name__, example)}
    return dict(sorted(section.items()))


def _operation_id(event_type: str, suffix: str = "") -> str:
    return "on" + re.sub(r"(?:^|\.)(\w)", lambda m: m.group(1).upper(), event_type) + suffix


def _headers(headers: Iterable[tuple[str, str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "header",
            "required": True,
            "description": description,
            "schema": {"type": "string"},
            "example": value,
        }
        for name, description, value in headers
    ]


def _body(model_name: str, example: Any, media_type: str = JSON) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            media_type: {"schema": {"$ref": REF.format(model=model_name)}, "example": example}
        },
    }


def _standard_payload(event_type: str, model_name: str, example: Any) -> dict[str, Any]:
    meaning = EVENTS[event_type][0]
    return {
        "operationId": _operation_id(event_type),
        "summary": f"{event_type} (standard format)",
        "description": f"{meaning} Sent to endpoints that subscribed to `{event_type}` (or `*`), "
        "signed as Standard Webhooks specifies: verify the signature over the raw body before "
        "trusting it (e.g. with the `standardwebhooks` library, or `greenroom_client.verify`).",
        "parameters": _headers(WEBHOOK_HEADERS),
        "requestBody": _body(model_name, example),
        "responses": {
            "2XX": {
                "description": "Received. Any other answer, or none within the timeout (15 s), "
                "is a failure and retried with backoff for 24 hours."
            }
        },
    }


# `Authorization` cannot be a header parameter (OpenAPI ignores those): a security scheme says it.
VERIFICATION_KEY_SCHEME = "WebhookVerificationKey"
VERIFICATION_KEY_SECURITY = {
    "type": "apiKey",
    "in": "header",
    "name": "Authorization",
    "description": "Deliveries in the Big Interview format carry the verification key of your "
    "organization and environment (shown when it was made or rotated) as the whole "
    "`Authorization` header, e.g. `Authorization: 935d85189822bf96c28c4fa79d3d8f31`: compare "
    "it with yours before trusting the request.",
}


def _biginterview_payload(event_type: str, model_name: str, example: Any) -> dict[str, Any]:
    meaning = EVENTS[event_type][0]
    return {
        "operationId": _operation_id(event_type, "BigInterview"),
        "summary": f"{event_type} (Big Interview format)",
        "description": f"{meaning} Sent to endpoints with `format: biginterview` that "
        f"subscribed to `{event_type}` (or `*`), in Big Interview's envelope with your "
        "verification key in `Authorization` (`Content-Type: application/json; charset=utf-8`). "
        "The Standard Webhooks signature headers come too, over this body. Deliveries to one "
        "endpoint go in order per user.",
        "security": [{VERIFICATION_KEY_SCHEME: []}],
        "parameters": _headers(WEBHOOK_HEADERS),
        "requestBody": _body(model_name, example),
        "responses": {
            "200": {
                "description": "Received. Only a 200 within 30 s counts (as with Big "
                "Interview): anything else is a failure and retried with backoff for 24 hours."
            }
        },
    }


# Payload formats of webhook endpoints: the name an endpoint's `format` takes, the models of its
# bodies (one per event type), and how its deliveries are described.
PAYLOAD_FORMATS: dict[str, tuple[Callable[[], dict[str, Any]], PayloadFormat]] = {
    "standard": (standard_event_models, _standard_payload),
    "biginterview": (biginterview_event_models, _biginterview_payload),
}
