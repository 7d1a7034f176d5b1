"""Routes that call their endpoint themselves (`ApiRoute._direct_app`) answer exactly as
FastAPI's handler would: every case below is sent twice, once through each, and compared."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, FastAPI, Path, Request, Response

from greenroom.auth.guard import ApiRoute, requires
from greenroom.keys.scopes import Scope
from tests.conftest import ClientFor, Partner
from tests.factories import make_key

JANE = {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@xyz.example.com"}
# The hot paths of the Partner API: they must stay direct.
HOT = {
    ("GET", "/api/auth/check"),
    ("GET", "/api/users"),
    ("GET", "/api/users/{partner_id}"),
    ("GET", "/api/users/{partner_id}/progress"),
    ("GET", "/api/users/{partner_id}/interviews"),
    ("GET", "/api/users/{partner_id}/interviews/{interview_id}"),
    ("POST", "/api/users/anonymous"),
    ("POST", "/api/users/{partner_id}"),
    ("POST", "/api/users/{partner_id}/sso"),
}
# What differs by design from one call to the next: ids and times of this call, fresh tokens.
VARYING_HEADERS = {"x-request-id", "ratelimit-remaining", "date"}
VARYING_FIELDS = {"request_id", "token", "url", "expires_at", "updated_at"}


def api_routes(app: FastAPI) -> list[ApiRoute]:
    return [route for route in app.router.routes if isinstance(route, ApiRoute)]


@contextmanager
def through_fastapi(app: FastAPI) -> Iterator[None]:
    """Every route answers through FastAPI's own handler while the block runs."""
    direct = [(route, route.app) for route in api_routes(app) if route.direct]
    for route, _own in direct:
        route.app = route.framework_app
    try:
        yield
    finally:
        for route, own in direct:
            route.app = own


def test_the_hot_paths_are_direct(app: FastAPI) -> None:
    direct = {
        (method, route.path)
        for route in api_routes(app)
        if route.direct
        for method in route.methods or ()
    }
    assert direct >= HOT, HOT - direct


class Chunks:
    """A body sent in chunks, with no Content-Length: the limit is found as it arrives."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), 65536):
            yield self.data[start : start + 65536]


def without_varying(value: object) -> object:
    if isinstance(value, dict):
        return {k: without_varying(v) for k, v in value.items() if k not in VARYING_FIELDS}
    if isinstance(value, list):
        return [without_varying(v) for v in value]
    return value


def comparable(response: httpx.Response) -> tuple[int, dict[str, str], object]:
    """The answer without what differs by design from one request to the next."""
    headers = {k: v for k, v in response.headers.items() if k not in VARYING_HEADERS}
    body: object = response.content
    if response.headers.get("content-type", "").endswith("json") and response.content:
        body = without_varying(response.json())
        headers.pop("content-length")  # the varying fields' lengths
    return response.status_code, headers, body


async def test_direct_routes_answer_as_fastapi_would(
    app: FastAPI, partner: Partner, client_for: ClientFor
) -> None:
    assert (await partner.api.post("/api/users/abc123def", json=JANE)).status_code == 201
    narrow = await make_key(app, partner.org, scopes=frozenset({Scope.USERS_READ}))
    readers = client_for(partner.org.slug, headers={"Authorization": narrow})
    other = client_for("no-such-org", headers={"Authorization": partner.key})
    cases: list[tuple[httpx.AsyncClient, str]] = [
        (partner.api, "/api/auth/check"),
        (partner.bare, "/api/auth/check"),  # 401
        (other, "/api/auth/check"),  # 404, unknown org
        (partner.api, "/api/users/abc123def"),
        (partner.api, "/api/users/nobody"),  # 404
        (partner.api, "/api/users/abc%41"),  # 422 invalid_partner_id
        (partner.api, "/api/users/" + "a" * 65),  # 422
        (partner.api, "/api/users/abc123def/progress"),
        (readers, "/api/users/abc123def/progress"),  # 403 insufficient_scope
        (readers, "/api/users/abc123def"),
        (partner.api, "/api/users/abc123def/interviews"),
        (partner.api, "/api/users/abc123def/interviews?limit=1"),
        (partner.api, "/api/users/abc123def/interviews?limit=0"),  # 422, FastAPI's check
        (partner.api, "/api/users/abc123def/interviews/nope"),
        (partner.api, "/api/users"),
        (partner.api, "/api/users?limit=abc"),
        (partner.api, "/api/users?cursor=not-ours"),
        (partner.api, "/api/users/abc123def/tracks"),
    ]
    for client, path in cases:
        direct = await client.get(path)
        with through_fastapi(app):
            framework = await client.get(path)
        assert comparable(direct) == comparable(framework), path
    statuses = {(await client.get(path)).status_code for client, path in cases}
    assert statuses >= {200, 400, 401, 403, 404, 422}  # the cases reach every kind of answer


async def test_direct_writes_read_their_body_as_fastapi_would(
    app: FastAPI, partner: Partner
) -> None:
    """Bodies good and bad, on an existing user (so that both calls do the same thing)."""
    assert (await partner.api.post("/api/users/abc123def", json=JANE)).status_code == 201
    user = "/api/users/abc123def"
    json_type = {"Content-Type": "application/json"}
    too_long = app.state.settings.max_body_bytes + 1
    cases: list[tuple[str, dict[str, object]]] = [
        (user, {"json": JANE}),
        (user, {"json": {}}),
        (user, {}),  # no body: a refresh
        (user, {"content": b"null", "headers": json_type}),
        (user, {"content": b"{not json", "headers": json_type}),
        (user, {"content": b"   ", "headers": json_type}),
        (user, {"json": []}),
        (user, {"json": "Jane"}),
        (user, {"json": {"email": "not-an-email"}}),
        (user, {"json": {"first_name": 5, "last_name": None}}),
        (user, {"json": {"nickname": "JD"}}),
        (user, {"json": {"metadata": "not an object"}}),
        # Where pydantic's one-pass JSON check (`_json_body`'s `whole_body`) could part from
        # json.loads and FastAPI's check: repeated keys, numbers Python's json takes, escapes,
        # a byte-order mark, blanks and nesting.
        (user, {"content": b'{"first_name": "A", "first_name": "Jane"}', "headers": json_type}),
        (
            user,
            {
                "content": b'{"metadata": {"n": NaN, "i": -Infinity, "f": 1e400, '
                b'"big": 123456789012345678901234567890, "e": "\\u00e9\\n"}}',
                "headers": json_type,
            },
        ),
        (user, {"content": b'{"first_name": "\\ud800"}', "headers": json_type}),
        (user, {"content": b'{"metadata": {"x": "\\udc00"}}', "headers": json_type}),
        (user, {"content": b'\xef\xbb\xbf{"first_name": "Jane"}', "headers": json_type}),
        (user, {"content": '{"last_name": "Zo\u00eb"}'.encode("utf-16"), "headers": json_type}),
        (user, {"json": {"first_name": "Zo\u00eb", "last_name": "", "email": None}}),
        (user, {"json": {"metadata": {"a": [1, {"b": None}], "c": True}}}),
        (user, {"data": {"first_name": "Janet"}}),  # form-encoded
        (user, {"content": b"first_name=Jane", "headers": {"Content-Type": "text/plain"}}),
        (user, {"content": b'{"a": 1}', "headers": {"Content-Type": "application/x+json"}}),
        (user, {"content": b'{"first_name": "\xff"}', "headers": json_type}),  # not UTF-8
        (user, {"content": b"[" * 5000 + b"]" * 5000, "headers": json_type}),  # too deep
        (user, {"json": JANE, "headers": {"Content-Type": "application/x/+json"}}),
        (user, {"content": b"[" * too_long, "headers": json_type}),  # 413 by its length
        (user, {"content": Chunks(b"[" * too_long), "headers": json_type}),  # 413 as it streams
        ("/api/users/newcomer", {"json": {"first_name": "Only"}}),  # 422: no user made
        ("/api/users/abc%41", {"json": JANE}),
        (f"{user}/sso", {}),
        (f"{user}/sso", {"json": {"expires_in": 60}}),
        (f"{user}/sso", {"json": {"expires_in": "soon"}}),
        (f"{user}/sso", {"json": {"redirect_to": "https://evil.example.com/"}}),
        ("/api/users/nobody/sso", {}),
    ]
    statuses = set()
    for path, request in cases:
        direct = await partner.api.post(path, **request)  # type: ignore[arg-type]
        with through_fastapi(app):
            framework = await partner.api.post(path, **request)  # type: ignore[arg-type]
        assert comparable(direct) == comparable(framework), (path, request)
        statuses.add(direct.status_code)
    assert statuses >= {200, 201, 400, 404, 413, 415, 422}
    assert (await partner.api.get("/api/users/newcomer")).status_code == 404


async def _pack(request: Request) -> str:
    return "pack"


async def _count(request: Request) -> int:
    return 1


def undecided_routes() -> list[ApiRoute]:
    """Endpoints FastAPI treats in ways the direct call does not: each must keep its handler."""
    router = APIRouter(route_class=ApiRoute)

    @router.get("/listed", dependencies=[Depends(_count)])
    @requires(None)
    async def unnamed_dependency(request: Request) -> Response:
        return Response()

    @router.get("/twice")
    @requires(None)
    async def same_dependency_twice(
        request: Request,
        a: Annotated[int, Depends(_count)],
        b: Annotated[int, Depends(_count)],
    ) -> Response:
        return Response()

    @router.get("/alias/{the-id}")
    @requires(None)
    async def aliased(request: Request, the_id: Annotated[str, Path(alias="the-id")]) -> Response:
        return Response()

    @router.get("/number/{n:int}")
    @requires(None)
    async def converted(request: Request, n: str) -> Response:
        return Response()

    @router.post("/small", max_body_size=10)
    @requires(None)
    async def own_limit(request: Request, data: dict[str, str]) -> Response:
        return Response()

    @router.post("/both")
    @requires(None)
    async def body_and_dependency(
        request: Request, data: dict[str, str], pack: Annotated[str, Depends(_pack)]
    ) -> Response:
        return Response()

    @router.get("/model")
    @requires(None)
    async def returns_a_model(request: Request) -> dict[str, str]:
        return {}

    @router.get("/plain")
    @requires(None)
    async def direct(request: Request, pack: Annotated[str, Depends(_pack)]) -> Response:
        return Response()

    return [route for route in router.routes if isinstance(route, ApiRoute)]


def test_endpoints_fastapi_must_handle_keep_its_handler() -> None:
    routes = {route.path: route.direct for route in undecided_routes()}
    assert routes.pop("/plain")  # the control: a request and a plain dependency
    assert not any(routes.values()), routes
