"""JSON logs carrying the request id, org, environment and key id of the request at hand.

Only what is set here reaches a log line: no headers, no query strings, no bodies, so that no key,
token or password can slip into the logs.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

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


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
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
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", *, json_output: bool = True) -> None:
    # Documented speed-ups (see "Optimization" in the logging HOWTO): our lines carry none of
    # the caller's file and line, thread or process, so the logging module need not look them up.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    if json_output:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's access log prints query strings (which can hold SSO tokens): ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
