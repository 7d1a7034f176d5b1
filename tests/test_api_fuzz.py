"""Schemathesis over the served OpenAPI document: every /api/ operation, generated requests with a
valid key. No 5xx, and every response (status, content type, body) matches the document.

Bounded (a few examples per operation) so it runs with the rest of the suite, and so in CI.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import make_key, make_org

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
            kwargs = case.as_transport_kwargs(base_url=str(api.base_url))
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
            response = await api.request(headers=headers, **kwargs)
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
