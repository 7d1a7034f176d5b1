"""The partner_id rules of the seeds, at their boundaries."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from greenroom.users.service import InvalidPartnerId, check_partner_id
from tests.users.helpers import JANE

VALID = ["a", "Z", "0", "-", "_", "abc123def", "A-b_9", "x" * 64, "9" * 64, "-_-"]
INVALID = [
    "x" * 65,
    "abc def",
    "abc.def",
    "abc+def",
    "abc@def",
    "abc%41",
    "abc~",
    "ab:c",
    "abç",  # a Unicode letter
    "١٢٣",  # Arabic-Indic digits
    "\uff41\uff42\uff43",  # full-width letters
    "abc\n",  # trailing newline
    "abc\t",
    "é",
]


@pytest.mark.parametrize("partner_id", VALID)
async def test_valid_partner_ids_are_created_and_read_back(api, partner_id: str) -> None:
    created = await api.post(f"/api/users/{partner_id}", json=JANE)
    assert created.status_code == 201, created.text
    assert created.json()["user"]["partner_id"] == partner_id
    fetched = await api.get(f"/api/users/{partner_id}")
    assert fetched.status_code == 200
    assert fetched.json()["user"]["partner_id"] == partner_id


@pytest.mark.parametrize("partner_id", INVALID)
@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
async def test_invalid_partner_ids_are_422(api, partner_id: str, method: str) -> None:
    kwargs = {"json": JANE} if method == "POST" else {}
    # Sent percent-encoded as a client library would; "%" itself is kept to try the decoding trick.
    response = await api.request(method, f"/api/users/{quote(partner_id, safe='%')}", **kwargs)
    assert response.status_code == 422, (partner_id, response.text)
    assert response.json()["code"] == "invalid_partner_id"


async def test_anonymous_literal_cannot_be_created_through_the_path(api) -> None:
    # POST /api/users/anonymous is the anonymous-user endpoint; it never makes a user "anonymous".
    response = await api.post("/api/users/anonymous", json=JANE)
    assert response.status_code in (403, 422)
    assert (await api.get("/api/users/anonymous")).status_code == 404


async def test_partner_ids_differ_by_case(api) -> None:
    assert (await api.post("/api/users/AbC", json=JANE)).status_code == 201
    assert (await api.post("/api/users/abc", json=JANE)).status_code == 201
    assert (await api.get("/api/users/ABC")).status_code == 404


@pytest.mark.parametrize("partner_id", [*INVALID, "", "abc/def", "abc%41", "x" * 1000])
def test_the_rule_itself_refuses_every_invalid_id(partner_id: str) -> None:
    with pytest.raises(InvalidPartnerId):
        check_partner_id(partner_id)


@pytest.mark.parametrize("partner_id", VALID)
def test_the_rule_itself_accepts_every_valid_id(partner_id: str) -> None:
    assert check_partner_id(partner_id) == partner_id
