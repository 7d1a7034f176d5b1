"""When the database cannot be reached: 503 and "try again shortly", never a 500.

A request that fails because the database refused or lost its connection (the server is down,
restarting or out of connections) is answered 503 `service_unavailable` with `Retry-After`:
problem+json for the API and other clients, a plain page for browsers. Nothing is retried here;
the engine's pool (pre-ping) reconnects by itself once the database is back, so service resumes
without a restart.

`RequestContextMiddleware`, which every error that nothing else answered reaches (from a route,
a dependency, or a middleware's own query: the host's org, idempotency records), asks
`unavailable_response` before it answers 500.

A database whose disk is full (SQLite's `SQLITE_FULL`, PostgreSQL's `53100 disk_full`, an
`ENOSPC` on the way) cannot write either: 503 `insufficient_storage` with a longer
`Retry-After`, and a warning that says so (docs/operations.md, When the disk is full). Reads go
on meanwhile.
"""

from __future__ import annotations

import errno
import logging
import socket
import sqlite3
import time
import traceback
from typing import Any

from sqlalchemy import exc as sa_exc
from starlette.responses import HTMLResponse, Response
from starlette.types import Scope

from greenroom.core.errors import BadRequest, ServiceUnavailable, problem_response

log = logging.getLogger("greenroom.errors")
RETRY_AFTER_SECONDS = 5
# PostgreSQL's answers that mean "not now" rather than "wrong request": the connection failed
# or was closed, the server is starting up or shutting down, or it has no connection left.
_UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # no pooled connection came free in time
)
_DISK_FULL_ERRORS: tuple[type[BaseException], ...] = ()
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
DISK_FULL_RETRY_AFTER_SECONDS = 300
try:  # the driver is the optional `greenroom[postgres]` extra
    import asyncpg

    _DISK_FULL_ERRORS += (asyncpg.exceptions.DiskFullError,)
    _UNAVAILABLE_ERRORS += (
        asyncpg.exceptions.PostgresConnectionError,  # class 08: connection exceptions
        asyncpg.exceptions.CannotConnectNowError,
        asyncpg.exceptions.AdminShutdownError,
        asyncpg.exceptions.CrashShutdownError,
        asyncpg.exceptions.TooManyConnectionsError,
    )
except ImportError:  # SQLite only: no PostgreSQL error can happen
    pass
# Raised by the operating system when connecting: counted only when raised from a driver.
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ETIMEDOUT,
        errno.EHOSTUNREACH,
        errno.EHOSTDOWN,
        errno.ENETUNREACH,
        errno.ENETDOWN,
    }
)
_DRIVER_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.")

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Back shortly</title></head>
<body>
<h1>We'll be back shortly</h1>
<p>Greenroom cannot reach its database right now. Nothing you did caused this.
Please try again in a few moments.</p>
</body>
</html>
"""


DISK_FULL_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Back shortly</title></head>
<body>
<h1>We'll be back shortly</h1>
<p>Greenroom cannot save anything right now. Nothing you did caused this, and nothing was
half-saved. Please try again later.</p>
</body>
</html>
"""


class DiskFull(ServiceUnavailable):
    code = "insufficient_storage"
    default_detail = (
        "The server has no room to save this right now; nothing was saved. Retry after the "
        "Retry-After delay."
    )


class DatabaseUnavailable(ServiceUnavailable):
    code = "service_unavailable"
    default_detail = "The service is briefly unavailable; retry after the Retry-After delay."


def _raised_by_driver(exc: BaseException) -> bool:
    return any(
        str(frame.f_globals.get("__name__", "")).startswith(_DRIVER_MODULES)
        for frame, _ in traceback.walk_tb(exc.__traceback__)
    )


def _network_error(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        return True
    return isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps) says the database could not be reached."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _UNAVAILABLE_ERRORS):
            return True
        if _network_error(current) and _raised_by_driver(current):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps) says the database's disk (or quota) is full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.Error) and (
            getattr(current, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_FULL
        ):
            return True
        if isinstance(current, _DISK_FULL_ERRORS):
            return True
        if isinstance(current, OSError) and current.errno in _DISK_FULL_ERRNOS:
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


class _Reporter:
    """One warning line when an outage starts, then at most one every 10 s while it lasts."""

    def __init__(
        self, every: float = 10.0, message: str = "database unreachable: answering 503"
    ) -> None:
        self.every = every
        self.message = message
        self._last = 0.0
        self._since = 0

    def report(self, exc: BaseException, path: str) -> None:
        now = time.monotonic()
        self._since += 1
        if now - self._last < self.every:
            return
        log.warning(
            self.message,
            extra={"error": type(exc).__name__, "path": path, "requests": self._since},
        )
        self._last, self._since = now, 0


_reporter = _Reporter()
_disk_reporter = _Reporter(message="disk full: the database cannot write; answering 503")


def _wants_html(scope: Scope) -> bool:
    if str(scope.get("path", "")).startswith("/api/"):
        return False
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            return b"text/html" in value
    return False


def unavailable_response(scope: Scope, exc: BaseException) -> Response | None:
    """The 503 for a request that failed because the database is unreachable (or its disk is
    full), else None."""
    if is_disk_full(exc):
        _disk_reporter.report(exc, str(scope.get("path", "")))
        full = {"Retry-After": str(DISK_FULL_RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
        if _wants_html(scope):
            return HTMLResponse(DISK_FULL_PAGE, status_code=503, headers=full)
        return problem_response(DiskFull(headers=full))
    if not is_database_unavailable(exc):
        return None
    _reporter.report(exc, str(scope.get("path", "")))
    app: Any = scope.get("app")
    metrics = getattr(getattr(app, "state", None), "metrics", None)
    if metrics is not None:
        metrics.database_unavailable.inc()
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if _wants_html(scope):
        return HTMLResponse(PAGE, status_code=503, headers=headers)
    return problem_response(DatabaseUnavailable(headers=headers))


# --- input the database refuses ---------------------------------------------------------------

# PostgreSQL's "character not in repertoire": a NUL in text, which it never stores (SQLite does).
NUL_IN_TEXT_SQLSTATE = "22021"


class UnstorableText(BadRequest):
    code = "unstorable_text"
    default_detail = "The request holds a NUL character, which cannot be stored."


UNSTORABLE_TEXT_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Bad request</title></head>
<body>
<h1>This could not be saved</h1>
<p>What was sent holds a NUL character, which cannot be stored. Nothing was changed.</p>
</body>
</html>
"""


def refused_text_response(scope: Scope, exc: BaseException) -> Response | None:
    """The 400 for a request whose text PostgreSQL refused (a NUL, from a form field, a path or a
    filter that no check of its own caught); else None. The backstop for every surface: the
    statement failed, so its transaction wrote nothing."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlstate", None) == NUL_IN_TEXT_SQLSTATE:
            if str(scope.get("path", "")).startswith("/api/"):
                return problem_response(UnstorableText())
            return HTMLResponse(UNSTORABLE_TEXT_PAGE, status_code=400)  # a page's form
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return None
