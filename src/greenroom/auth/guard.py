"""Authentication of every `/api/` request, and the scope each endpoint needs.

Three forms are accepted (docs/partner-api.md, Presenting credentials):
- `Authorization: {api_key}` (Big Interview),
- `X-API-Key: {api_key}` with `Authorization: Bearer {access_token}` (Exterview),
- `X-API-Key: {api_key}` alone.

Endpoints declare their scope once, with `@requires(...)`; `ApiRoute` enforces it.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response, params
from fastapi._compat import ModelField
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_body_to_args
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from starlette.convertors import StringConvertor
from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as ASGIScope

from greenroom.admins.models import AdminRole
from greenroom.auth.authenticator import Authenticator
from greenroom.auth.errors import (
    InsufficientScope,
    InvalidApiKey,
    InvalidAuthHeader,
    MissingCredentials,
)
from greenroom.auth.principal import Principal
from greenroom.core import clock
from greenroom.core.logging import key_id_var
from greenroom.core.middleware import EXTRA_RESPONSE_HEADERS
from greenroom.keys.scopes import READ_SCOPES, Scope
from greenroom.tenancy.context import get_tenant

_KEY_RE = re.compile(r"^[0-9a-fA-F]{32}$")
_PRINCIPAL = "greenroom.principal"  # where the request's principal is kept in the ASGI scope


def _single(name: str, values: list[str]) -> str | None:
    if len(values) > 1:
        raise InvalidAuthHeader(f"Send one {name} header, not {len(values)}.")
    return values[0].strip() if values else None


def _credential_headers(request: Request) -> tuple[str | None, str | None]:
    """The Authorization and X-API-Key values (one of each at most), in one pass over the raw
    headers (ASGI gives their names in lower case)."""
    authorization: list[str] = []
    x_api_key: list[str] = []
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            authorization.append(value.decode("latin-1"))
        elif name == b"x-api-key":
            x_api_key.append(value.decode("latin-1"))
    return _single("authorization", authorization), _single("x-api-key", x_api_key)


def _check_key_format(value: str, header: str) -> str:
    if not _KEY_RE.fullmatch(value):
        raise InvalidAuthHeader(f"The {header} header must hold a 32-character hex API key.")
    return value.lower()


def parse_credentials(request: Request) -> tuple[str, str | None]:
    """(api_key, bearer_token or None) from the headers, or the right 400/401."""
    authorization, x_api_key = _credential_headers(request)
    if not authorization and not x_api_key:
        raise MissingCredentials()
    bearer: str | None = None
    key_from_authorization: str | None = None
    if authorization:
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() == "bearer":
            bearer = rest.strip()
            if not bearer or " " in bearer:
                raise InvalidAuthHeader("'Authorization: Bearer' must be followed by a token.")
            if not x_api_key:
                raise InvalidAuthHeader("A bearer token must come with the org key in X-API-Key.")
        else:
            key_from_authorization = _check_key_format(authorization, "Authorization")
    key_from_header = _check_key_format(x_api_key, "X-API-Key") if x_api_key else None
    if key_from_authorization and key_from_header and key_from_authorization != key_from_header:
        raise InvalidAuthHeader("Authorization and X-API-Key hold two different keys.")
    api_key = key_from_header or key_from_authorization
    assert api_key is not None
    return api_key, bearer


async def authenticate(request: Request, *, again: bool = False) -> Principal:
    """The caller, or the right 400/401/429; kept in the request's scope for `principal_of`.

    Once per request: a later call (the route, after the idempotency middleware checked the
    caller before reading the body) gets the same principal, and the request counts against
    the rate limits once. `again` checks the credentials anew (a replay after a wait)."""
    known = request.scope.get(_PRINCIPAL)
    if isinstance(known, Principal) and not again:
        return known
    principal = await _authenticate(request)
    request.scope[_PRINCIPAL] = principal
    return principal


async def _authenticate(request: Request) -> Principal:
    tenant = get_tenant(request)  # not TenantDep: one dependency less to resolve per request
    api_key, bearer = parse_credentials(request)
    authenticator: Authenticator = request.app.state.authenticator
    # On a cache hit without a bearer token no session is opened at all.
    key = await authenticator.resolve_key(request, api_key)
    now = clock.now()
    if (
        key is None
        or key.org_id != tenant.org_id
        or key.environment != tenant.environment.value
        or not key.usable_at(now)
    ):
        raise InvalidApiKey()
    key_id_var.set(key.id_text)
    budget = await authenticator.limiter.hit(tenant.org, key.id_text)
    # `RequestContextMiddleware` adds them to the response, an error's too.
    request.scope[EXTRA_RESPONSE_HEADERS] = budget.headers()
    authenticator.note_use(key, now)
    if bearer is None:
        return Principal(
            tenant=tenant,
            key_id=key.id,
            key_name=key.name,
            key_last4=key.last4,
            scopes=key.scopes,
            key_scopes=key.scopes,
        )
    access = await authenticator.resolve_bearer(request, tenant, bearer)
    role = access.admin_role
    return Principal(
        tenant=tenant,
        key_id=key.id,
        key_name=key.name,
        key_last4=key.last4,
        scopes=key.scopes if role == AdminRole.ADMIN else key.scopes & READ_SCOPES,
        key_scopes=key.scopes,
        admin_id=access.admin_id,
        admin_email=access.admin_email,
        admin_role=role,
    )


async def authorize(request: Request, scope: Scope | None, *, again: bool = False) -> Principal:
    """`authenticate`, then the 403 when the caller lacks `scope`: all that an `ApiRoute` checks
    before its endpoint (the idempotency middleware checks the same before it reads the body)."""
    principal = await authenticate(request, again=again)
    if scope is not None and scope not in principal.scopes:
        raise InsufficientScope(scope.value)
    return principal


_REQUIRES = "greenroom_requires"
_UNSET = object()
F = TypeVar("F", bound=Callable[..., Any])


def requires(scope: Scope | None) -> Callable[[F], F]:
    """Declares what a Partner API endpoint needs: a valid key (`None`), or a key (and, with a
    bearer token, an admin) allowed `scope` (else 403 `insufficient_scope`). Goes under the
    route decorator; the endpoint then reads the caller with `principal_of(request)`.

    An `ApiRoute` refuses, at start-up, an endpoint that declares nothing, so no Partner API
    route can be public by omission. `auth.openapi` documents each operation's scope from here.
    """

    def mark(endpoint: F) -> F:
        setattr(endpoint, _REQUIRES, scope)
        return endpoint

    return mark


def principal_of(request: Request) -> Principal:
    """The caller of a Partner API endpoint, authenticated by its `ApiRoute`."""
    principal = request.scope.get(_PRINCIPAL)
    if not isinstance(principal, Principal):
        raise RuntimeError("no principal: is this endpoint on an ApiRoute, with @requires?")
    return principal


class ApiRoute(APIRoute):
    """The route class of the Partner API's routers: the caller is authenticated, and the
    endpoint's scope checked, before FastAPI reads the body or solves any parameter.

    Not a FastAPI dependency: each dependency costs a resolution (about 11 us in process) on
    every request, and a dependency runs only after the body was read and parsed, so an
    unauthenticated caller could make us parse a megabyte of JSON for nothing.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        required = getattr(endpoint, _REQUIRES, _UNSET)
        if required is _UNSET:
            raise TypeError(
                f"{path}: a Partner API endpoint must declare what it needs with @requires(...)"
            )
        self.required_scope: Scope | None = required  # type: ignore[assignment]
        super().__init__(path, endpoint, **kwargs)
        # FastAPI's handler, and whether the route calls the endpoint itself (`_direct_app`).
        self.framework_app = self.app
        direct = self._direct_app()
        self.direct = direct is not None
        if direct is not None:
            self.app = direct

    def checks(self) -> Callable[[Request], None] | None:
        """What a subclass checks of the request once the caller is authenticated, before the
        endpoint (a path parameter's rule, say); None: nothing."""
        return None

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        scope = self.required_scope
        check = self.checks()

        async def authenticated(request: Request) -> Response:
            await authorize(request, scope)
            if check is not None:
                check(request)
            return await handler(request)

        return authenticated

    def _direct_app(self) -> ASGIApp | None:
        """The route as an ASGI app that calls the endpoint itself, when `_is_direct` finds
        that FastAPI would only hand it the request, its path's strings, values made from the
        request alone and a JSON body; None for any other endpoint. Query parameters are
        FastAPI's to read and check: a request that sends a query string goes through FastAPI's
        handler, one without gets their defaults.

        FastAPI's per-request machinery (two exit stacks, the endpoint's error context, the
        query string parsed, dependencies solved) costs about 30 us a call in process, 40% of
        an authenticated `GET /api/auth/check` (docs/decisions.md, "The data path"). Errors
        are raised to the app's exception middleware, whose handlers answer them as they do
        for FastAPI's handler; `tests/auth/test_direct_routes.py` compares the two.
        """
        if not self._is_direct():
            return None
        dependant = self.dependant
        path_names = [field.name for field in dependant.path_params]
        body_fields = dependant.body_params
        embed = self._embed_body_fields
        whole_body = _whole_body_validator(body_fields, embed)
        providers = [_provider(d) for d in dependant.dependencies]
        reads_query = any(d.query_params for d in (dependant, *dependant.dependencies))
        endpoint = self.endpoint
        request_name = dependant.request_param_name
        assert request_name is not None
        required = self.required_scope
        check = self.checks()
        framework = self.framework_app  # for a query string to read

        async def app(scope: ASGIScope, receive: Receive, send: Send) -> None:
            if reads_query and scope["query_string"]:
                await framework(scope, receive, send)
                return
            request = Request(scope, receive, send)
            await authorize(request, required)
            if check is not None:
                check(request)
            values: dict[str, Any] = {request_name: request}
            if body_fields:  # read before anything else, as FastAPI does
                values.update(await _json_body(request, body_fields, embed, whole_body))
            path_params = scope["path_params"]
            for name in path_names:
                values[name] = path_params[name]
            for name, provide in providers:
                values[name] = await provide(request)
            response = await endpoint(**values)
            if not isinstance(response, Response):
                raise TypeError(f"{endpoint.__qualname__} is declared to return a Response")
            await response(scope, receive, send)

        return app

    def _is_direct(self) -> bool:
        """Whether FastAPI would do nothing for this endpoint that `_direct_app` does not."""
        dependant = self.dependant
        dependencies = dependant.dependencies
        strict = self.strict_content_type
        if isinstance(strict, DefaultPlaceholder):
            strict = strict.value
        return (
            dependant.request_param_name is not None
            and _returns_response(self.endpoint)
            and _direct_call(dependant)
            # Named, distinct, plain dependencies (FastAPI caches one used twice), and no body
            # beside them.
            and all(d.name is not None and _direct_call(d) for d in dependencies)
            and len({d.call for d in dependencies}) == len(dependencies)
            and not (dependencies and dependant.body_params)
            # A JSON body as FastAPI reads it by default: no form, no limit of the route's own.
            and not any(isinstance(f.field_info, params.Form) for f in dependant.body_params)
            and strict is True
            and getattr(self, "max_body_size", None) is None
            # Path parameters that FastAPI would neither convert nor check nor rename.
            and all(
                f.field_info.annotation is str
                and not f.field_info.metadata
                and f.alias == f.name
                and isinstance(self.param_convertors.get(f.name), StringConvertor)
                for f in dependant.path_params
            )
        )


def _whole_body_validator(
    fields: list[ModelField], embed: bool
) -> tuple[str, TypeAdapter[Any]] | None:
    """For an endpoint whose one body parameter is the whole body (FastAPI's "single, not
    embedded" case), its name and the validator FastAPI checks it with; else None."""
    if len(fields) != 1 or embed:
        return None
    adapter = getattr(fields[0], "_type_adapter", None)  # FastAPI's own, where it has one
    return (fields[0].name, adapter) if isinstance(adapter, TypeAdapter) else None


async def _json_body(
    request: Request,
    fields: list[ModelField],
    embed: bool,
    whole_body: tuple[str, TypeAdapter[Any]] | None = None,
) -> dict[str, Any]:
    """The body parameters, read and checked as FastAPI's handler reads a JSON body (the body
    limit middleware answers 415 for any other kind on `/api/`): malformed JSON and invalid
    values raise its `RequestValidationError`, with its error details; a body that cannot be
    read or decoded otherwise is its 400.

    With `whole_body` (`_whole_body_validator`), a JSON body is first parsed and checked in one
    pass by pydantic (`validate_json`: ~13 us for a user create's body, where `json.loads` and
    FastAPI's check take ~27). What it accepts it accepts as the usual path does (both in
    pydantic's lax mode, on the same JSON values); whatever it refuses goes the usual way, so
    that every error is FastAPI's, word for word."""
    body: Any = PydanticUndefined
    try:
        received = await request.body()
        if received:
            if _is_json(request.headers.get("content-type", "")):
                if whole_body is not None:
                    name, adapter = whole_body
                    try:
                        value = adapter.validate_json(received)
                    except ValidationError:
                        value = None  # the usual path gives FastAPI's errors
                    if value is not None:  # (FastAPI gives a JSON null the default)
                        return {name: value}
                body = json.loads(received)
            else:
                body = received  # as FastAPI does: checked against the model as bytes
    except json.JSONDecodeError as exc:
        error = {
            "type": "json_invalid",
            "loc": ("body", exc.pos),
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": exc.msg},
        }
        raise RequestValidationError([error], body=exc.doc) from exc
    except HTTPException:
        raise
    except Exception as exc:  # undecodable text, nesting too deep, the client gone
        raise HTTPException(status_code=400, detail="There was an error parsing the body") from exc
    values, errors = await request_body_to_args(
        body_fields=fields, received_body=body, embed_body_fields=embed
    )
    if errors:
        raise RequestValidationError(errors, body=body)
    return values


def _is_json(content_type: str) -> bool:
    """`application/json` or `application/*+json`, read as FastAPI reads it (through
    `email.message`: a type without exactly one slash is `text/plain`)."""
    media = content_type.partition(";")[0].strip().lower()
    if media.count("/") != 1:
        return False
    main, _, sub = media.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def _returns_response(endpoint: Callable[..., Any]) -> bool:
    """Whether the endpoint is annotated to return a `Response` (FastAPI then sends it as is)."""
    returned = typing.get_type_hints(endpoint).get("return")
    return isinstance(returned, type) and issubclass(returned, Response)


def _provider(dependency: Dependant) -> tuple[str, Callable[[Request], Awaitable[Any]]]:
    """A dependency that `_direct_call` accepts, as (its parameter, request -> its value)."""
    call = dependency.call
    name = dependency.request_param_name
    assert dependency.name is not None and call is not None
    if name is None:
        return dependency.name, lambda _request: call()  # query parameters at their defaults
    return dependency.name, lambda request: call(**{name: request})


def _direct_call(dependant: Dependant) -> bool:
    """Whether an endpoint or one of its dependencies can be called without FastAPI: a
    coroutine function (not a generator: nothing to close) that takes the request, query
    parameters with Python defaults and (the endpoint only) path parameters and a JSON body;
    no value FastAPI makes (a response to set headers on, background tasks, security scopes)
    and no header or cookie parameter."""
    call = dependant.call
    if call is None or not inspect.iscoroutinefunction(call):
        return False
    if (
        dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.security_scopes_param_name
        or dependant.header_params
        or dependant.cookie_params
    ):
        return False
    if dependant.name is not None and (
        dependant.dependencies or dependant.path_params or dependant.body_params
    ):
        return False  # a dependency: only the request and query parameters
    parameters = inspect.signature(call).parameters
    # A default that is `Query(...)` itself (the older spelling) is FastAPI's to read.
    return all(
        parameters[field.name].default is not inspect.Parameter.empty
        and not isinstance(parameters[field.name].default, FieldInfo)
        for field in dependant.query_params
    )
