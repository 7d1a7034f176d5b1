"""JSON logs carrying the request id, org, environment and key id of the request at hand.

Only what is set here reaches a log line: no headers, no query strings, no bodies, so that no key,
token or password can slip into the logs.
"""

from __future__ import annotations

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
        if second != self._second:  # callers hold the handler's lock
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


class AccessLog:
    """The one line per request, in the shape `JsonFormatter` gives every other line, written
    straight to the log's stream.

    Through the logging module the line costs about 13 us per request in process (a record, the
    record factory, filters, the handler's lock and the formatter): more than a tenth of an
    authenticated API call. Written here it costs under 2 us. It still honours the level (and
    `disabled`) of the `greenroom.access` logger. When our JSON handler is not the root logger's
    only handler (plain-text logs, logging configured by someone else, pytest's capture), the line
    goes through the logging module instead, so that every handler gets it.
    """

    def __init__(self) -> None:
        self.logger = logging.getLogger("greenroom.access")
        self._times = _Timestamps()

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
            "time": "",
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
        with handler.lock or contextlib.nullcontext():
            entry["time"] = self._times.format(created)
            handler.stream.write(orjson.dumps(entry, default=str).decode() + "\n")
            handler.stream.flush()


access_log = AccessLog()
_json_handler: logging.StreamHandler[Any] | None = None


def configure_logging(level: str = "INFO", *, json_output: bool = True) -> None:
    # Documented speed-ups (see "Optimization" in the logging HOWTO): our lines carry none of
    # the caller's file and line, thread or process, so the logging module need not look them up.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    global _json_handler
    handler = logging.StreamHandler(sys.stderr)
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
