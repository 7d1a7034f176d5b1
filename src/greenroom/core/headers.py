"""The security headers of every response, by kind (CSRF protection lives in `core/csrf.py`).

- The Partner API's JSON (`/api/...`): `X-Content-Type-Options` and `Cache-Control: no-store`
  (answers carry partners' data and secrets: no cache may keep them). A browser never renders
  them, so the page headers would be bytes for nothing.
- Static files (`/static/`, the API docs' assets): `X-Content-Type-Options` only; they may be
  cached.
- Pages (admin area, practice app, sign-in, the API docs page): the framing, referrer and
  content-security policies, HSTS under https, and `Cache-Control: no-store` (a page may show
  a new key once, or a student's work).

A response that sets one of these headers itself keeps its own.
"""

from __future__ import annotations

from collections.abc import Callable

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
Headers = list[tuple[bytes, bytes]]
_STATIC_PREFIXES = ("/static/", "/api/docs/assets/")
_PAGE_PREFIXES = ("/api/docs",)


def security_headers(*, https: bool) -> Callable[[str], Headers]:
    """The headers for a path (used by `RequestContextMiddleware`, in the same pass as the
    request id, rather than by a middleware layer of their own)."""
    nosniff = (b"x-content-type-options", b"nosniff")
    no_store = (b"cache-control", b"no-store")
    api: Headers = [nosniff, no_store]
    static: Headers = [nosniff]
    page: Headers = [
        nosniff,
        no_store,
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", CSP.encode()),
    ]
    if https:
        page.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    def for_path(path: str) -> Headers:
        if path.startswith("/api/") and not path.startswith(_PAGE_PREFIXES):
            return api
        if path.startswith(_STATIC_PREFIXES):
            return static
        return page

    return for_path
