"""The security part of the OpenAPI document: the three ways to present credentials, and, on each
operation, the scope it needs.

FastAPI would derive this from security dependencies, but those run on every request; here it is
read from each `ApiRoute`'s declared scope (`@requires`).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, routing

from greenroom.auth.guard import ApiRoute
from greenroom.keys.scopes import Scope

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "ApiKeyAuthorization": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "The org API key as the whole header value: "
        "`Authorization: 935d85189822bf96c28c4fa79d3d8f31`.",
    },
    "ApiKeyHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The org API key; alone, or together with a bearer token.",
    },
    "BearerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An admin's access token from `POST /api/auth/token`, sent as "
        "`Authorization: Bearer {access_token}` together with `X-API-Key`.",
    },
}


def security_for(scope: Scope | None) -> list[dict[str, list[str]]]:
    """The operation's security requirements (alternatives) for an endpoint that needs `scope`."""
    scopes = [scope.value] if scope is not None else []
    return [
        {"ApiKeyAuthorization": scopes},
        {"ApiKeyHeader": scopes},
        {"ApiKeyHeader": scopes, "BearerToken": scopes},
    ]


def install_security_docs(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = original()
        doc.setdefault("components", {}).setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
        # Routes of included routers come wrapped; iterate their contexts like FastAPI does.
        for route in routing.iter_route_contexts(app.routes):
            api_route = route.original_route
            if not isinstance(api_route, ApiRoute) or not route.include_in_schema:
                continue
            security = security_for(api_route.required_scope)
            for method in route.methods or ():
                operation = doc["paths"].get(route.path_format, {}).get(method.lower())
                if operation is not None:
                    operation["security"] = security
                    if security[0]["ApiKeyAuthorization"]:
                        needs = ", ".join(f"`{s}`" for s in security[0]["ApiKeyAuthorization"])
                        operation["description"] = (
                            f"{operation.get('description', '')}\n\n**Scope:** {needs}".strip()
                        )
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
