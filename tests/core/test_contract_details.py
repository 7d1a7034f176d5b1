"""Contract details: 405 lists every method of the path, /sso/login's answers are documented,
JSON bodies are UTF-8, names refuse bidirectional controls, webhook ports are checked."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_key, make_org

BIDI = ["\u202e", "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2069", "\u200e", "\u200f"]
ALL_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
async def api(app, client_for):
    org = await make_org(app)
    key = await make_key(app, org)
    return client_for(org.slug, headers={"Authorization": key})


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "abc123def", template)


def _matches(template: str, path: str) -> bool:
    pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
    return re.match(pattern, path) is not None


async def test_405_lists_every_method_of_the_path(app, api) -> None:
    paths = app.openapi()["paths"]
    checked = 0
    for template in paths:
        if not template.startswith("/api/"):
            continue  # a browser's page (`/sso/login`): CSRF refuses unsafe methods first
        path = _concrete(template)
        served = {
            method.upper()
            for other, operations in paths.items()
            if _matches(other, path)
            for method in operations
        }
        for method in sorted(ALL_METHODS - served):
            response = await api.request(method, path)
            assert response.status_code == 405, (method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            allowed = {m.strip() for m in response.headers["allow"].split(",")}
            assert allowed - {"HEAD"} == served, (method, path, allowed)
            checked += 1
    assert checked > 20
    # The case that was reported: GET and DELETE exist beside POST.
    response = await api.put("/api/users/abc123def", json={})
    assert response.headers["allow"] == "DELETE, GET, POST"


async def test_sso_login_documents_its_401_page_and_its_redirect(app) -> None:
    responses = app.openapi()["paths"]["/sso/login"]["get"]["responses"]
    assert set(responses) == {"303", "401"}
    assert "text/html" in responses["401"]["content"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-16",
        "application/json; charset=UTF-16LE",
        "application/json; charset=iso-8859-1",
        'application/json; charset="utf-32"',
    ],
)
async def test_json_declared_in_another_charset_is_415(api, content_type: str) -> None:
    body = '{"first_name": "Jane", "last_name": "Doe", "email": "jane@xyz.example.com"}'
    encoding = content_type.split("=")[1].strip('"').replace("UTF-16LE", "utf-16-le")
    response = await api.post(
        "/api/users/charset-user",
        content=body.encode(encoding),
        headers={"Content-Type": content_type},
    )
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unsupported_media_type"
    assert "UTF-8" in response.json()["detail"]
    assert (await api.get("/api/users/charset-user")).status_code == 404  # nothing was made


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/json;charset=UTF8"],
)
async def test_json_in_utf8_is_read(api, content_type: str) -> None:
    body = '{"first_name": "Zoë", "last_name": "Doe", "email": "zoe@xyz.example.com"}'
    response = await api.post(
        "/api/users/utf8-user", content=body.encode(), headers={"Content-Type": content_type}
    )
    assert response.status_code in (200, 201), response.text
    assert response.json()["user"]["first_name"] == "Zoë"


@pytest.mark.parametrize("control", BIDI)
@pytest.mark.parametrize("field", ["first_name", "last_name"])
async def test_names_with_bidirectional_controls_are_422(api, field: str, control: str) -> None:
    body = {"first_name": "Jane", "last_name": "Doe", "email": "jane@xyz.example.com"}
    body[field] = f"Jane{control}gpj.exe"
    response = await api.post("/api/users/bidi-user", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert "bidirectional" in errors[0]["message"]


async def test_webhook_description_with_bidirectional_controls_is_422(api) -> None:
    response = await api.post(
        "/api/webhooks",
        json={"url": "https://93.184.215.14/hooks", "description": "LMS \u202esync"},
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["description"]


@pytest.mark.parametrize(
    ("port", "accepted"),
    [
        (0, False),
        (22, False),
        (79, False),
        (1023, False),
        (6379, False),
        (5432, False),
        (2375, False),
        (2379, False),
        (3306, False),
        (5984, False),
        (6443, False),
        (8500, False),
        (9200, False),
        (11211, False),
        (27017, False),
        (80, True),
        (443, True),
        (1024, True),
        (8443, True),
        (65535, True),
    ],
)
async def test_webhook_ports(api, port: int, accepted: bool) -> None:
    response = await api.post("/api/webhooks", json={"url": f"https://93.184.215.14:{port}/hooks"})
    if accepted:
        assert response.status_code == 201, response.text
        return
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_webhook_url"
    assert [e["field"] for e in body["errors"]] == ["url"]
    assert "port" in body["detail"].lower() or "Port" in body["detail"]
