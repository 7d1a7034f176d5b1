"""Input that databases disagree about (NUL characters) is refused cleanly on both."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from greenroom.users.models import User
from tests.users.helpers import JANE


@pytest.mark.parametrize(
    "body",
    [
        {**JANE, "first_name": "Ja\x00ne"},
        {**JANE, "last_name": "\x00"},
        {**JANE, "metadata": {"note": "a\x00b"}},
        {**JANE, "metadata": {"a\x00": 1}},
    ],
)
async def test_nul_characters_in_the_body_are_422(api, body) -> None:
    response = await api.post("/api/users/abc123def", json=body)
    assert response.status_code == 422, response.text


async def test_nul_in_a_filter_is_not_a_server_error(api) -> None:
    response = await api.get("/api/users", params={"email": "a\x00b@x.com"})
    assert response.status_code in (200, 422), response.text


async def test_a_literal_backslash_u_in_metadata_is_fine(api) -> None:
    response = await api.post("/api/users/abc123def", json={**JANE, "metadata": {"n": "\\u0000"}})
    assert response.status_code == 201
    assert response.json()["user"]["metadata"] == {"n": "\\u0000"}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"first_name": "\\ud800", "last_name": "Doe", "email": "j@xyz.example.com"}',
        b'{"first_name": "Jane", "last_name": "Doe", "email": "j@xyz.example.com", "metadata": {"\\udfff": 1}}',
    ],
)
async def test_lone_surrogates_are_refused_not_a_server_error(api, raw: bytes) -> None:
    response = await api.post(
        "/api/users/abc123def", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        (b"NaN", "finite"),
        (b"-Infinity", "finite"),
        (b"1e400", "finite"),  # read as infinity
        (b"9223372036854775808", "64 bits"),  # 2**63
        (b"-9223372036854775809", "64 bits"),
        (b'[1, {"deep": 123456789012345678901234567890}]', "64 bits"),
    ],
)
async def test_metadata_numbers_that_cannot_come_back_as_sent_are_422(
    api, number: bytes, problem: str
) -> None:
    # Python's JSON reading takes these. Before, on SQLite an integer over 64 bits was stored and
    # every answer about the user was a 500 after, and on PostgreSQL NaN was a 500.
    raw = b'{"first_name": "Jane", "last_name": "Doe", "email": "j@xyz.example.com", '
    response = await api.post(
        "/api/users/abc123def",
        content=raw + b'"metadata": {"n": ' + number + b"}}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "metadata" and problem in error["message"], error
    assert (await api.get("/api/users/abc123def")).status_code == 404  # nothing written


async def test_metadata_numbers_at_the_edges_come_back_as_sent(api) -> None:
    metadata = {"max": 2**63 - 1, "min": -(2**63), "small": 5e-324, "big": 1.7976931348623157e308}
    response = await api.post("/api/users/abc123def", json={**JANE, "metadata": metadata})
    assert response.status_code == 201, response.text
    assert response.json()["user"]["metadata"] == metadata
    assert (await api.get("/api/users/abc123def")).json()["user"]["metadata"] == metadata


async def test_a_user_stored_with_a_huge_integer_before_the_check_still_reads(api, db) -> None:
    # Before the metadata check, SQLite kept such a number and every answer about the user was
    # a 500 (the response writer refused it). PostgreSQL's JSON reading makes it a float.
    assert (await api.post("/api/users/abc123def", json=JANE)).status_code == 201
    await db.execute(
        update(User).where(User.partner_id == "abc123def").values(metadata_={"n": 2**100})
    )
    await db.commit()
    for path in ("/api/users/abc123def", "/api/users"):
        response = await api.get(path)
        assert response.status_code == 200, response.text
        [number] = re.findall(r'"n":([0-9.e+]+)', response.text)
        assert float(number) == pytest.approx(2**100)


@pytest.mark.parametrize("depth", [33, 600, 990])
@pytest.mark.parametrize("shape", ["arrays", "objects"])
async def test_metadata_nested_too_deep_is_422(api, depth: int, shape: str) -> None:
    # 600 and 990 levels (about 2 KB, under the 4 KB) were a 500: the check recursed.
    opening, closing = ('{"a":', "}") if shape == "objects" else ("[", "]")
    nested = opening * (depth - 1) + "1" + closing * (depth - 1)
    raw = '{"first_name": "Jane", "last_name": "Doe", "email": "j@xyz.example.com", '
    response = await api.post(
        "/api/users/abc123def",
        content=(raw + '"metadata": {"n": ' + nested + "}}").encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422), response.text
    if response.status_code == 422:
        assert response.json()["errors"][0]["field"] == "metadata"
    assert (await api.get("/api/users/abc123def")).status_code == 404


async def test_metadata_32_levels_deep_comes_back_as_sent(api) -> None:
    nested: object = "deepest"
    for _ in range(31):
        nested = {"a": [nested]} if isinstance(nested, str) else {"a": nested}
    response = await api.post("/api/users/abc123def", json={**JANE, "metadata": nested})
    assert response.status_code == 201, response.text
    assert (await api.get("/api/users/abc123def")).json()["user"]["metadata"] == nested
