"""The HTTP protocol `greenroom serve` runs: uvicorn's (httptools), with a response's head and body
sent in one system call.

uvicorn writes a response's status line and headers when the app sends `http.response.start`
and its body when the app sends `http.response.body`: two writes to the socket, and on each one
the kernel sends a segment (the sockets are `TCP_NODELAY`) and wakes the client. Under wrk a write
to a loopback socket cost ~13 us of the server's CPU, and the two of them a quarter of
`GET /api/auth/check` (`perf`; docs/decisions.md, "The data path").

`HttpProtocol` gives uvicorn a transport that keeps what is written during one turn of the event
loop and writes it at the start of the next, in one call: the head and the body of a response
that the app sends without waiting in between (every JSON response and page of ours) go out
together. A write that would make what is kept reach `WRITE_AT_ONCE` bytes goes out at once with
what is kept before it, so that a large or streamed body still fills the socket's buffer and
uvicorn's flow control still slows the app down; `close` writes what is kept first, and once
the connection is lost nothing is written (uvicorn's own rule). The order
of the bytes on the connection never changes. uvicorn is told to use it through its documented
`http` setting (`uvicorn.run(..., http=HttpProtocol)`), the bench's servers included.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# What one turn of the loop may keep before it is written (bytes): well above a response head
# and a JSON body, well below the socket's buffer.
WRITE_AT_ONCE = 16 * 1024


class _OneWritePerTurn:
    """A transport's stand-in that writes what it is given during one turn of the loop together,
    at the start of the next (see the module's docstring); anything else goes to the transport."""

    __slots__ = ("_kept", "_kept_bytes", "_loop", "_transport", "lost")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._kept: list[bytes] = []
        self._kept_bytes = 0
        self.lost = False  # the connection is gone (`HttpProtocol.connection_lost`)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._kept_bytes + len(data) >= WRITE_AT_ONCE:
            self.flush()
            self._transport.write(data)
            return
        if not self._kept:
            self._loop.call_soon(self.flush)
        self._kept.append(bytes(data))
        self._kept_bytes += len(data)

    def flush(self) -> None:
        """Write what is kept, now; nothing once the connection is lost (as uvicorn sends
        nothing then). A transport that is closing still takes it: it closes once its buffer is
        sent (a client that half-closed its side still gets the whole response)."""
        if not self._kept:
            return
        kept = self._kept
        self._kept, self._kept_bytes = [], 0
        if not self.lost:
            self._transport.write(kept[0] if len(kept) == 1 else b"".join(kept))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing through `_OneWritePerTurn`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._stand_in = _OneWritePerTurn(transport, self.loop)
        stand_in: Any = self._stand_in
        super().connection_made(stand_in)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stand_in.lost = True
        super().connection_lost(exc)
