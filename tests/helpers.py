"""Small helpers shared by tests of several features."""

from __future__ import annotations

import re


def group_of(pattern: str | re.Pattern[str], text: str) -> str:
    """The first group of `pattern`'s first match in `text`; fails the test when there is none."""
    match = re.search(pattern, text)
    assert match is not None, f"{pattern!r} not found"
    return match.group(1)
