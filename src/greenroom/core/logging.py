"""JSON logs carrying the request id, org, environment and key id of the request at hand.

Only what is set here reaches a log line: no headers, no query strings, no bodies, so that no key,
token or password can slip into the logs.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import sys
import time
from contextvars import ContextVar
from typing import Any

import orjson

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
org_var: ContextVar[str | None] = ContextVar("org", default=None)
environment_var: ContextVar[str | None] = ContextVar("environment", default=None)
key_id_var: ContextVar[str | None] = ContextVar("key_id", default=None)

_CONTEXT = {
    "request_id": request_id_var,
    "org": org_var,
    "environment": environment_var,
    "key_id": key_id_var,
}
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}
_base_factory = logging.getLogRecordFactory()


def _record_with_context(*args: object, **kwargs: object) -> logging.LogRecord:
    # Read the request's context when the record is made, not when a handler formats it later.
    record = _base_factory(*args, **kwargs)
    for name, var in _CONTEXT.items():
        value = var.get()
        if value is not None and not hasattr(record, name):
            setattr(record, name, value)
    return record


if getattr(_base_factory, "__name__", "") != "_record_with_context":
    logging.setLogRecordFactory(_record_with_context)


class _Timestamps:
    """ISO 8601 UTC times with milliseconds; the seconds part formatted once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._stamp = ""

    def format(self, created: float) -> str:
        second = int(created)
        # Callers hold the handler's lock (`JsonFormatter`) or are the loop's thread (`AccessLog`).
        if second != self._second:
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._stamp}.{int((created - second) * 1000):03d}+00:00"


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def __init__(self) -> None:
        super().__init__()
        self._times = _Timestamps()

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self._times.format(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = record.__dict__
        for key in fields.keys() - _STANDARD:  # the `extra` and context fields, in one C-level pass
            if not key.startswith("_"):
                entry[key] = fields[key]
        if record.exc_info:
            # Stack traces go to the log (never to a response) for the operator to read.
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


# Access lines wait this long at most before they are written, together (`AccessLog`).
ACCESS_FLUSH_SECONDS = 0.05
# POSIX writes at most this many bytes to a pipe in one piece: the lines of two processes that
# share one stderr (`--workers 2`, a log collector's pipe) never interleave within a line.
PIPE_BUF = 4096


class AccessLog:
    """The one line per request, in the shape `JsonFormatter` gives every other line, written
    straight to the log's stream, several at a time.

    Through the logging module the line costs about 13 us per request in process (a record, the
    record factory, filters, the handler's lock and the formatter): more than a tenth of an
    authenticated API call. Written here it costs under 2 us. It still honours the level (and
    `disabled`) of the `greenroom.access` logger. When our JSON handler is not the root logger's
    only handler (plain-text logs, logging configured by someone else, pytest's capture), the line
    goes through the logging module instead, so that every handler gets it.

    A write of its own per line (stderr is line-buffered) was one system call per request, 6% of
    `GET /api/auth/check` under load. So lines wait, for `ACCESS_FLUSH_SECONDS` at most, and go
    out together, whole lines in writes of at most `PIPE_BUF` bytes (a line longer than that
    alone); any other log line writes them first (`_JsonHandler`). `flush` writes them now: the
    app's shutdown and the interpreter's exit call it, so only a process killed outright loses
    the last 50 ms of access lines. Lines are written from the event loop's thread.
    """

    def __init__(self) -> None:
        self.logger = logging.getLogger("greenroom.access")
        self._times = _Timestamps()
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._pending_for: logging.StreamHandler[Any] | None = None
        self._flush_later: asyncio.TimerHandle | None = None
        self._flush_loop: asyncio.AbstractEventLoop | None = None

    def write(self, method: str, path: str, status: int, duration_ms: float) -> None:
        root_handlers = logging.root.handlers
        handler = _json_handler
        if handler is None or len(root_handlers) != 1 or root_handlers[0] is not handler:
            self.logger.info(
                "request",
                extra={
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )
            return
        if not self.logger.isEnabledFor(logging.INFO):
            return
        created = time.time()
        entry: dict[str, object] = {
            "time": self._times.format(created),
            "level": "info",
            "logger": "greenroom.access",
            "message": "request",
        }
        for name, var in _CONTEXT.items():
            value = var.get()
            if value is not None:
                entry[name] = value
        entry["method"] = method
        entry["path"] = path
        entry["status"] = status
        entry["duration_ms"] = duration_ms
        line = orjson.dumps(entry, default=str) + b"\n"
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if (
            handler is not self._pending_for
            or self._pending_bytes + len(line) > PIPE_BUF
            # Lines that wait for the timer of a loop that ended (or another loop's).
            or (self._flush_later is not None and self._flush_loop is not loop)
        ):
            self.flush()
        self._pending.append(line)
        self._pending_bytes += len(line)
        self._pending_for = handler
        if loop is None:  # no event loop to come back: now
            self.flush()
        elif self._flush_later is None:
            self._flush_later = loop.call_later(ACCESS_FLUSH_SECONDS, self.flush)
            self._flush_loop = loop

    def flush(self) -> None:
        """Write the lines that wait, now."""
        if self._flush_later is not None:
            self._flush_later.cancel()
            self._flush_later = self._flush_loop = None
        handler, lines = self._pending_for, self._pending
        self._pending, self._pending_bytes, self._pending_for = [], 0, None
        if handler is None or not lines:
            return
        with handler.lock or contextlib.nullcontext():
            handler.stream.write(b"".join(lines).decode())
            handler.stream.flush()


access_log = AccessLog()


class _JsonHandler(logging.StreamHandler[Any]):
    """The process's log handler: the access lines that wait go out before any other line, so
    the log stays in the order things happened."""

    def emit(self, record: logging.LogRecord) -> None:
        access_log.flush()
        super().emit(record)


atexit.register(access_log.flush)
_json_handler: logging.StreamHandler[Any] | None = None


def configure_logging(level: str = "INFO", *, json_output: bool = True) -> None:
    # Documented speed-ups (see "Optimization" in the logging HOWTO): our lines carry none of
    # the caller's file and line, thread or process, so the logging module need not look them up.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    global _json_handler
    handler = _JsonHandler(sys.stderr)
    if json_output:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    _json_handler = handler if json_output else None
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's access log prints query strings (which can hold SSO tokens): ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every request it makes, whole URL included, at INFO: the webhook worker's
    # requests go to partners' URLs, whose query strings may hold their secrets.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
