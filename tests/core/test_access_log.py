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


async def test_lines_left_by_a_loop_that_ended_go_out_with_the_next_line(app, client_for) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    client = client_for(org.slug)

    async def on_another_loop() -> None:  # its timer never fires: the loop ends first
        access_log.write("GET", "/from-a-loop-that-ended", 200, 1.0)

    with served_logs() as stream:
        await asyncio.to_thread(asyncio.run, on_another_loop())
        await client.get("/api/auth/check", headers={"Authorization": key})
        await asyncio.sleep(ACCESS_FLUSH_SECONDS * 4)
        text = stream.getvalue()
    paths = [json.loads(line)["path"] for line in text.splitlines() if "greenroom.access" in line]
    assert paths == ["/from-a-loop-that-ended", "/api/auth/check"]


async def test_access_lines_that_wait_go_out_before_any_other_line(app, client_for) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    with served_logs() as stream:
        await client_for(org.slug).get("/api/auth/check", headers={"Authorization": key})
        logging.getLogger("greenroom").warning("after the request")
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines][-2:] == ["request", "after the request"]
