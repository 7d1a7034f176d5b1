"""A recording over HTTP: its plaintext streamed from storage, whole or one byte range.

Recordings may be sealed at rest (`storage`, `sealed`), so the file on disk cannot be handed to
the server as it is (a `FileResponse`). Each response decrypts only the chunks its range needs,
in a worker thread, a chunk at a time. A player asks for `Range: bytes=START-`, `START-END` or a
suffix `-N`; one range is answered 206 with `Content-Range`, a range that starts past the end 416
with `Content-Range: bytes */SIZE`. Several ranges, another unit, a malformed header or an
`If-Range` (we send no validators to match) get the whole recording, 200, as RFC 9110 allows.

A file that fails its check (changed on disk, cut short, sealed under a secret no longer
configured) fails closed: before the response starts, a 500 `recording_unreadable`; in the
middle of the body (a chunk further on was changed), the connection is cut. Either way it is
logged, and no unchecked byte is sent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Mapping

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import StreamingResponse

from greenroom.core.errors import AppError, NotFound
from greenroom.practice import sealed
from greenroom.practice.storage import Storage

log = logging.getLogger("greenroom.practice.playback")
# Positions of at most 18 digits (any file's size fits): a longer number is no range we read,
# so the whole recording comes (Python refuses to read numbers of over 4,300 digits at all).
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d{0,18})\s*-\s*(\d{0,18})\s*$", re.ASCII | re.IGNORECASE)


class RecordingUnreadable(AppError):
    code = "recording_unreadable"
    default_detail = "This recording cannot be read. It has been reported to the operators."


class RangeNotSatisfiable(AppError):
    status, code, title = 416, "range_not_satisfiable", "Range Not Satisfiable"
    default_detail = "The requested range starts past the end of the recording."


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one range asked for, as (start, stop) with `stop` excluded; None for the whole
    recording. Raises `RangeNotSatisfiable` when the range lies past the end."""
    found = _RANGE.match(header) if header is not None else None
    if found is None:
        return None
    first, last = found.group(1), found.group(2)
    if not first:  # a suffix: the last N bytes
        if not last:
            return None
        if int(last) == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(0, size - int(last)), size
    start = int(first)
    if last and int(last) < start:
        return None  # invalid: ignored, as RFC 9110 allows
    if start >= size:
        raise _unsatisfiable(size)
    return start, size if not last else min(int(last) + 1, size)


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(headers={"content-range": f"bytes */{size}"})


def _unreadable(key: str, exc: sealed.Unreadable) -> RecordingUnreadable:
    log.error("recording unreadable", extra={"storage_key": key, "reason": str(exc)})
    return RecordingUnreadable()


async def open_recording(storage: Storage, key: str) -> sealed.Reader:
    """The recording's reader; a 404 when its file is gone, a 500 when it fails its check."""
    try:
        return await to_thread.run_sync(storage.open, key)
    except FileNotFoundError:
        raise NotFound("The recording's file is gone.", code="recording_not_found") from None
    except sealed.Unreadable as exc:
        raise _unreadable(key, exc) from None


async def respond(
    request: Request,
    reader: sealed.Reader,
    key: str,
    *,
    media_type: str | None,
    headers: Mapping[str, str],
) -> StreamingResponse:
    """The response for `reader` (which it closes): the range asked for, or all of it. The
    first piece is read and checked before the response starts."""
    try:
        span = None
        if request.headers.get("if-range") is None:
            span = byte_range(request.headers.get("range"), reader.size)
        start, stop = span or (0, reader.size)
        first = await to_thread.run_sync(reader.piece, start, stop) if stop > start else b""
    except sealed.Unreadable as exc:
        reader.close()
        raise _unreadable(key, exc) from None
    except BaseException:
        reader.close()
        raise
    sent = {**headers, "accept-ranges": "bytes", "content-length": str(stop - start)}
    if span is not None:
        sent["content-range"] = f"bytes {start}-{stop - 1}/{reader.size}"
    return StreamingResponse(
        _stream(reader, key, first, start + len(first), stop),
        status_code=206 if span is not None else 200,
        media_type=media_type,
        headers=sent,
    )


async def _stream(
    reader: sealed.Reader, key: str, first: bytes, position: int, stop: int
) -> AsyncIterator[bytes]:
    try:
        if first:
            yield first
        while position < stop:
            piece = await to_thread.run_sync(reader.piece, position, stop)
            if not piece:
                raise sealed.Unreadable("shorter than its size")
            yield piece
            position += len(piece)
    except sealed.Unreadable as exc:
        log.error(
            "recording unreadable part-way: response cut short",
            extra={"storage_key": key, "reason": str(exc), "at": position},
        )
        raise
    finally:
        reader.close()
