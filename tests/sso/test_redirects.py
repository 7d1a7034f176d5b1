from __future__ import annotations

import pytest

from greenroom.sso.redirects import safe_path


@pytest.mark.parametrize(
    "value",
    [
        "/members/dashboard",
        "/members/modules/stories/lessons/star",
        "/members/interviews?x=1#top",
    ],
)
def test_plain_paths_on_this_host_are_safe(value: str) -> None:
    assert safe_path(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "",
        "//evil.com",
        "///evil.com",
        "https://evil.com/",
        "javascript:alert(1)",
        "members/dashboard",
        "/\\evil.com",
        "\\\\evil.com",
        "/%2F%2Fevil.com",
        "/%2f%2fevil.com",
        "/%5Cevil.com",
        "/%252F%252Fevil.com",
        "/members\n/x",
        "/members\t",
        "/%0d%0aSet-Cookie:x=1",
        "/" + "a" * 3000,
    ],
)
def test_other_hosts_schemes_backslashes_and_encoded_tricks_are_refused(value: str) -> None:
    assert safe_path(value) is None
