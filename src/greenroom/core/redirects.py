"""Which `redirect_to` values are safe: a path on the org's own host, nothing else.

Used when a token is issued (POST /api/users/{partner_id}/sso) and again when it is redeemed
(GET /sso/login), so both sides refuse the same open-redirect tricks.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2048


def _plain_path(value: str, *, decoded: bool) -> bool:
    if not value.startswith("/") or value.startswith("//"):
        return False
    # Raw, even a space is refused; once decoded, a space is just part of a path.
    lowest = 32 if decoded else 33
    if "\\" in value or any(ord(c) < lowest or ord(c) == 127 for c in value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def safe_path(value: object) -> str | None:
    """`value` when it is a path (with optional query) on this host, else None.

    Refused: absolute and scheme-relative URLs (`https://x`, `//x`, `javascript:...`),
    backslashes, whitespace and control characters, non-ASCII, and any of those hidden behind
    percent-encoding (`/%2F%2Fevil.com`, `/%5Cevil`), decoded as many times as a browser or proxy
    might.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        return None
    if not value.isascii():
        return None
    current = value
    for depth in range(4):
        if not _plain_path(current, decoded=depth > 0):
            return None
        decoded = unquote(current)
        if decoded == current:
            return value
        current = decoded
    return None
