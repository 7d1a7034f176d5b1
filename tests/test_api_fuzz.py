"""Schemathesis over the served OpenAPI document: every /api/ operation, generated requests with a
valid key. No 5xx, and every response (status, content type, body) matches the document. Then
the stateful run: sequences that follow the document's links (create a user -> read, update,
delete it, its progress, a sign-in link; create a webhook endpoint -> read, update, delete it),
where a resource read after its creation must be there and one read after its deletion must not.

Bounded (a few examples per operation, a few dozen short sequences) so it runs with the rest of
the suite, on SQLite and on PostgreSQL, and so in CI.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections import Counter
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.generation.stateful.state_machine import (
    APIStateMachine,
    StepInput,
    StepOutput,
)
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from tests.conftest import host_for
from tests.factories import make_key, make_org

T = TypeVar("T")

# Small and derandomized in the suite (CI must be stable); raise it for a deeper local run:
# GREENROOM_FUZZ_EXAMPLES=200 pytest tests/test_api_fuzz.py
EXAMPLES_PER_OPERATION = int(os.environ.get("GREENROOM_FUZZ_EXAMPLES", "10"))
DERANDOMIZE = "GREENROOM_FUZZ_EXAMPLES" not in os.environ
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
AUTH_HEADERS = {"authorization", "x-api-key"}
# The stateful run: scenarios and steps per scenario (each step one request); derandomized like
# the plain run unless GREENROOM_FUZZ_EXAMPLES is set.
SCENARIOS = int(os.environ.get("GREENROOM_FUZZ_SCENARIOS", "40"))
STEPS = 8
STATEFUL_CHECKS = [*CHECKS, use_after_free, ensure_resource_availability]
# A webhook URL that passes the URL rules here (private addresses are allowed in tests), so that
# generated endpoints get created and the links from them get followed.
HOOK_URL = "http://127.0.0.1:9999/fuzz-hook"


def _request_kwargs(case: Any, base_url: str, key: str) -> dict[str, Any]:
    """The generated request as httpx arguments, with this org's key as the only credential."""
    kwargs: dict[str, Any] = case.as_transport_kwargs(base_url=base_url)
    headers = {
        k: v
        for k, v in (kwargs.pop("headers", None) or {}).items()
        if k.lower() not in AUTH_HEADERS
    }
    headers.pop("Host", None)
    headers["Authorization"] = key
    kwargs.pop("cookies", None)
    if isinstance(kwargs.get("data"), bytes | str):
        kwargs["content"] = kwargs.pop("data")
    return {"headers": headers, **kwargs}


def _cases(operation: Any) -> list[Any]:
    cases: list[Any] = []

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        database=None,
        deadline=None,
        derandomize=DERANDOMIZE,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy())
    def collect(case: Any) -> None:
        cases.append(case)

    collect()
    return cases


async def test_every_api_operation_answers_within_its_documented_schema(app, client_for) -> None:
    org = await make_org(app, anonymous=True)
    key = await make_key(app, org)
    api = client_for(org.slug)
    document = (await api.get("/api/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    api_operations = [op for op in operations if op.path.startswith("/api/")]
    assert len(api_operations) >= 6
    # A user that exists, so that generated requests also reach the success paths.
    await api.post(
        "/api/users/abc123def",
        json={"first_name": "Jane", "last_name": "Doe", "email": "jane@xyz.example.com"},
        headers={"Authorization": key},
    )
    seen: set[str] = set()
    statuses: set[int] = set()
    for operation in api_operations:
        for case in _cases(operation):
            response = await api.request(**_request_kwargs(case, str(api.base_url), key))
            case.validate_response(response, checks=CHECKS)
            seen.add(operation.label)
            statuses.add(response.status_code)
    assert len(seen) == len(api_operations)
    # The run reached both the success paths and the documented errors.
    assert any(s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses), statuses


def test_every_api_operation_documents_its_errors_as_problem_json(app) -> None:
    document = app.openapi()
    for path, operations in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            errors = [s for s in operation["responses"] if s[:1] in ("4", "5")]
            assert {"400", "401", "429"} <= set(errors), (method, path)  # credentials
            for status in errors:
                content = operation["responses"][status]["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)


def test_user_operations_carry_the_seeds_example(app) -> None:
    document = app.openapi()
    for path, operations in document["paths"].items():
        if not path.startswith("/api/users"):
            continue
        for method, operation in operations.items():
            text = operation.get("description", "")
            assert "935d85189822bf96c28c4fa79d3d8f31" in text, (method, path)
            assert "abc123def" in text or path in ("/api/users", "/api/users/anonymous"), (
                method,
                path,
            )


async def test_linked_operations_keep_their_resources_consistent(app, settings) -> None:
    """Schemathesis's state machine over the document's links: users and webhook endpoints are
    created, read, changed and deleted in generated sequences; every response conforms, none is
    a 5xx, a resource is there right after its creation and gone after its deletion.

    Each sequence runs in an org of its own, so that it meets no other sequence's users and
    endpoints (Hypothesis replays sequences and needs the same answers to the same requests)."""
    loop = asyncio.get_running_loop()
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    org = await make_org(app, anonymous=True)
    document = (await api.get(f"http://{host_for(settings, org.slug)}/api/openapi.json")).json()
    document_schema = schemathesis.openapi.from_dict(document)
    followed: Counter[tuple[str, int]] = Counter()
    calls: Counter[tuple[str, int]] = Counter()

    def on_loop(coroutine: Coroutine[Any, Any, T]) -> T:
        """Run on the app's loop: the machine runs in a thread, the app and its database here."""
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    async def new_org() -> tuple[str, str]:
        org = await make_org(app, anonymous=True)
        return f"http://{host_for(settings, org.slug)}", await make_key(app, org)

    def links_of(family: str) -> Any:
        """A state machine over one family of operations (users with what hangs off them, or
        webhook endpoints): apart, each gets all the sequences, and which links it reaches
        does not depend on what else Hypothesis happened to explore first."""
        schema = document_schema.include(path_regex=rf"^/api/{family}")
        machine: type[APIStateMachine] = schema.as_state_machine()

        class Links(machine):  # type: ignore[valid-type,misc]  # a class made from the document
            def setup(self) -> None:
                self.base_url, self.key = on_loop(new_org())

            def step(self, input: StepInput) -> StepOutput:
                output: StepOutput = super().step(input)
                if input.transition is not None and input.is_applied:
                    name = input.transition.id.rsplit(" -> ", 1)[0].rsplit(" ", 1)[-1]
                    name = re.sub(r"_\d+$", "", name)  # "GetUser_1": a link of that name elsewhere
                    followed[(name, output.response.status_code)] += 1
                return output

            def call(self, case: Any, **_kwargs: Any) -> Response:
                if isinstance(case.body, dict) and isinstance(case.body.get("url"), str):
                    case.body["url"] = HOOK_URL  # keep the rest generated
                kwargs = _request_kwargs(case, self.base_url, self.key)
                if "Idempotency-Key" in kwargs["headers"]:
                    # The generator repeats the document's example key, which answers every later,
                    # different request 409: the sequences would stop there. (The plain run above
                    # sends what it generates.)
                    kwargs["headers"]["Idempotency-Key"] = uuid.uuid4().hex
                response = on_loop(api.request(**kwargs))
                calls[(case.operation.label, response.status_code)] += 1
                return Response.from_httpx(response, verify=False)

            def validate_response(
                self, response: Response, case: Any, additional_checks: Any = None, **kwargs: Any
            ) -> None:
                case.validate_response(response, checks=STATEFUL_CHECKS, recorder=self.recorder)

        return Links

    run = hypothesis_settings(
        max_examples=SCENARIOS,
        stateful_step_count=STEPS,
        database=None,
        deadline=None,
        derandomize=DERANDOMIZE,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    try:
        for family in ("users", "webhooks"):
            await asyncio.to_thread(links_of(family).run, settings=run)
    finally:
        await api.aclose()

    # The links were followed to their targets' success paths.
    succeeded = {name for (name, status), _ in followed.items() if 200 <= status < 300}
    wanted = {"GetUser", "UpdateUser", "DeleteUser", "GetWebhook", "UpdateWebhook", "DeleteWebhook"}
    assert wanted <= succeeded, (followed, calls)
