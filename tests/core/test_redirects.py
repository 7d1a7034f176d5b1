from __future__ import annotations

import pytest

from greenroom.core.redirects import safe_path

SAFE = ["/", "/members/dashboard", "/members/lessons/intro?step=2", "/members/x#part", "/a%20b"]
UNSAFE = [
    "",
    "members/dashboard",
    "//evil.com",
    "//evil.com/members",
    "https://evil.com/",
    "http:/evil.com",
    "javascript:alert(1)",
    "/\\evil.com",
    "\\\\evil.com",
    "/%2F%2Fevil.com",
    "/%2f/evil.com",
    "/%5Cevil",
    "/%5cevil",
    "/%252F%252Fevil.com",
    "/members\r\nSet-Cookie: x=1",
    "/members\x00",
    "/members dashboard",
    "/%0d%0aSet-Cookie:x",
    "/\u2215\u2215evil.com",
    " /members",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("value", SAFE)
def test_paths_on_the_host_are_safe(value: str) -> None:
    assert safe_path(value) == value


@pytest.mark.parametrize("value", UNSAFE)
def test_anything_that_could_leave_the_host_is_refused(value: str) -> None:
    assert safe_path(value) is None


def test_non_strings_are_refused() -> None:
    assert safe_path(None) is None
    assert safe_path(["/members"]) is None
