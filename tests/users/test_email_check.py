"""A user's email is checked as email-validator checks it, also when its domain's check was kept
(core/emails.py): the answer for an address never depends on what was checked before it."""

from __future__ import annotations

import pytest

from greenroom.core.emails import domain_cache
from tests.users.helpers import JANE


async def _email_of(api, partner_id: str, email: str) -> tuple[int, object]:
    response = await api.post(f"/api/users/{partner_id}", json={**JANE, "email": email})
    body = response.json()
    if response.status_code >= 400:
        return response.status_code, [e["field"] for e in body.get("errors", [])]
    return response.status_code, body["user"]["email"]


async def test_a_kept_domain_gives_the_same_answer_as_a_fresh_check(api) -> None:
    before = domain_cache().cache_info()
    first = await _email_of(api, "mail1", "Ada@Mail.Example.ORG")
    second = await _email_of(api, "mail2", "Ada@Mail.Example.ORG")
    third = await _email_of(api, "mail3", "grace@mail.example.org")
    # The library lower-cases the domain, never the part before the @.
    assert first == second == (201, "Ada@mail.example.org")
    assert third == (201, "grace@mail.example.org")
    after = domain_cache().cache_info()
    assert after.hits >= before.hits + 1  # the second address did not check its domain again


@pytest.mark.parametrize(
    "email",
    ["a@b", "a@-x.com", "a@ex ample.com", "a@localhost", "a@xn--.com", "a@x..com", "@x.com"],
)
async def test_a_refused_domain_is_refused_every_time(api, email: str) -> None:
    first = await _email_of(api, "mail1", email)
    again = await _email_of(api, "mail1", email)
    assert first == again == (422, ["email"])
    assert (await api.get("/api/users/mail1")).status_code == 404  # nothing half-written


async def test_an_international_domain_is_normalised_the_same_way_twice(api) -> None:
    assert await _email_of(api, "idn1", "anna@BÜCHER.de") == (201, "anna@bücher.de")
    assert await _email_of(api, "idn2", "anna@BÜCHER.de") == (201, "anna@bücher.de")


def test_the_cache_is_installed_in_front_of_the_library() -> None:
    import importlib

    module = importlib.import_module("email_validator.validate_email")
    assert module.validate_email_domain_name is domain_cache()
    assert hasattr(domain_cache(), "cache_info")
