"""The access line: one JSON object per request, written straight to the log stream, carrying the
request's context and never its query string or credentials."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from greenroom.core.logging import ACCESS_FLUSH_SECONDS, PIPE_BUF, access_log, configure_logging
from tests.factories import make_key, make_org


@contextmanager
def served_logs() -> Iterator[io.StringIO]:
    """Logging as `greenroom serve` sets it up (our JSON handler alone on the root logger), into
    a buffer. Entered inside the test: pytest adds its capture handler to the root logger for
    each phase, and the access line takes the logging module's path whenever another handler
    is there."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    configure_logging("INFO")
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.stream = stream
    try:
        yield stream
    finally:
        access_log.flush()
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


async def test_access_line_carries_context_and_no_secrets(app, client_for) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    with served_logs() as stream:
        response = await client_for(org.slug).get(
            "/api/auth/check?token=query-secret", headers={"Authorization": key}
        )
    assert response.status_code == 200
    text = stream.getvalue()
    assert key not in text and "query-secret" not in text
    access = [json.loads(line) for line in text.splitlines() if '"greenroom.access"' in line]
    assert len(access) == 1
    line = access[0]
    # The order `AccessLog` writes (through the logging module it would differ).
    assert list(line) == [
        "time", "level", "logger", "message", "request_id", "org", "environment", "key_id",
        "method", "path", "status", "duration_ms",
    ]  # fmt: skip
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["time"].endswith("+00:00")
    assert {k: line[k] for k in ("level", "message", "method", "path", "status", "org")} == {
        "level": "info",
        "message": "request",
        "method": "GET",
        "path": "/api/auth/check",
        "status": 200,
        "org": org.slug,
    }
    assert line["environment"] == "production"
    assert line["key_id"] == response.json()["key"]["id"]
    assert isinstance(line["duration_ms"], float)


async def test_access_line_follows_the_access_loggers_level(app, client_for) -> None:
    org = await make_org(app)
    access = logging.getLogger("greenroom.access")
    access.setLevel(logging.WARNING)
    try:
        with served_logs() as stream:
            await client_for(org.slug).get("/api/auth/check")
    finally:
        access.setLevel(logging.NOTSET)
    assert '"greenroom.access"' not in stream.getvalue()


class _Writes(io.StringIO):
    """A stream that keeps each write apart."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


async def test_access_lines_go_out_together_in_whole_lines_soon_after(app, client_for) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    client = client_for(org.slug)
    with served_logs():
        handler = logging.getLogger().handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        stream = handler.stream = _Writes()
        # A path long enough that its lines fill more than one write.
        path = "/api/auth/check/" + "x" * 400
        for _ in range(30):
            await client.get(path, headers={"Authorization": key})
        waiting = len(stream.writes)
        await asyncio.sleep(ACCESS_FLUSH_SECONDS * 4)  # no flush called: the timer writes them
        writes = stream.writes[:]
    lines = [line for text in writes for line in text.splitlines()]
    assert len([line for line in lines if '"greenroom.access"' in line]) == 30
    assert waiting < 30  # lines waited rather than going out one by one
    assert 2 <= len(writes) < 30
    for text in writes:
        assert text.endswith("\n") and len(text.encode()) <= PIPE_BUF
