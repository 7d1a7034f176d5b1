"""The HTTP protocol of `greenroom serve` (`core.serving.HttpProtocol`): a response's head and body
go to the socket in one write, and nothing else about the bytes on the connection changes.

A real uvicorn server on 127.0.0.1 with a small ASGI app; the writes that reach the real
transport are recorded below the protocol's own stand-in.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from greenroom.core.serving import WRITE_AT_ONCE, HttpProtocol

BIG = b"x" * (WRITE_AT_ONCE * 8)


class _Recorder:
    """The real transport, with each write kept for the test."""

    def __init__(self, transport: asyncio.Transport, writes: list[bytes]) -> None:
        self._transport = transport
        self._writes = writes

    def write(self, data: bytes) -> None:
        self._writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


WRITES: list[bytes] = []


class _Recorded(HttpProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        recorder: Any = _Recorder(transport, WRITES)
        super().connection_made(recorder)


async def _json(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def _stream(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for n in range(5):
            yield f"chunk {n};".encode()
            await asyncio.sleep(0.01)

    return StreamingResponse(chunks(), media_type="text/plain")


async def _big(request: Request) -> Response:
    return Response(BIG, media_type="application/octet-stream")


async def _echo(request: Request) -> Response:
    return Response(await request.body(), media_type="application/octet-stream")


async def _no_content(request: Request) -> Response:
    return Response(status_code=204)


APP = Starlette(
    routes=[
        Route("/json", _json),
        Route("/stream", _stream),
        Route("/big", _big),
        Route("/echo", _echo, methods=["POST"]),
        Route("/none", _no_content),
    ]
)


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    config = uvicorn.Config(
        APP, host="127.0.0.1", port=0, http=_Recorded, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    WRITES.clear()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_a_responses_head_and_body_go_out_in_one_write(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.get("/json")
        assert response.status_code == 200 and response.json() == {"ok": True}
        assert len(WRITES) == 1
        assert WRITES[0].startswith(b"HTTP/1.1 200 OK\r\n") and WRITES[0].endswith(b'{"ok":true}')
        # The next request on the same connection: one write again, the bytes in order.
        WRITES.clear()
        assert (await client.get("/none")).status_code == 204
        assert len(WRITES) == 1


async def test_a_streamed_body_goes_out_as_it_comes_in_order(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.get("/stream")
    assert response.text == "".join(f"chunk {n};" for n in range(5))
    # The chunks come a turn of the loop apart or more: each is written when it comes.
    assert len(WRITES) >= 5


async def test_a_large_body_is_written_at_once_and_whole(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.get("/big")
        assert response.content == BIG
        echoed = await client.post("/echo", content=BIG)
        assert echoed.content == BIG
    # Not kept back: the body is one write of its own after the head.
    assert any(len(write) == len(BIG) for write in WRITES)


def _exchange(port: int, request: bytes, body: bytes = b"") -> bytes:
    """A raw HTTP/1.1 exchange with `Connection: close`: everything until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        if body:
            # Expect: 100-continue: the interim answer comes before the body is sent.
            while b"\r\n\r\n" not in received:
                received += sock.recv(65536)
            assert received.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), received
            sock.sendall(body)
        while chunk := sock.recv(65536):
            received += chunk
    return received


async def test_connection_close_and_100_continue_keep_every_byte(base_url: str) -> None:
    port = int(base_url.rsplit(":", 1)[1])
    closing = await asyncio.to_thread(
        _exchange, port, b"GET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert closing.startswith(b"HTTP/1.1 200 OK\r\n") and closing.endswith(b'{"ok":true}')
    expecting = await asyncio.to_thread(
        _exchange,
        port,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n"
        b"Expect: 100-continue\r\n\r\n",
        b"hello",
    )
    assert expecting.endswith(b"\r\n\r\nhello")
