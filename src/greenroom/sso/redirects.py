"""Which `redirect_to` values are safe: a path on the org's own host, nothing else."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2048


def safe_path(value: str) -> str | None:
    """`value` when it is a plain absolute path on this host, else None.

    Refused: anything not starting with a single `/` (`//host`, `https://...`, `javascript:`),
    backslashes (browsers read `/\\host` as `//host`), control characters and whitespace, and the
    same tricks percent-encoded (`/%2F%2Fevil.com`, `/%5Cevil.com`), decoded repeatedly.
    """
    if not value or len(value) > MAX_LENGTH:
        return None
    decoded = value
    for _ in range(4):  # undo nested encodings (%252F -> %2F -> /)
        candidate = unquote(decoded)
        if candidate == decoded:
            break
        decoded = candidate
    else:
        return None
    for text in (value, decoded):
        if not text.startswith("/") or text.startswith("//"):
            return None
        if "\\" in text or any(ord(c) < 0x21 or ord(c) == 0x7F for c in text):
            return None
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return None
    return value
