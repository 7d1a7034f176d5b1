"""A real HTTP receiver on 127.0.0.1 that verifies every delivery with the third-party
`standardwebhooks` library (and, where told, the `Authorization` key of the Big Interview
format), and helpers to publish events and drive the worker."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi import FastAPI
from standardwebhooks import Webhook, WebhookVerificationError

from greenroom.core import events
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization
from greenroom.webhooks.worker import Worker


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    payload: Any = None  # what standardwebhooks.verify returned
    verify_error: str | None = None
    status: int = 200  # what the receiver answered

    @property
    def body_json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    port: int = 0
    requests: list[Received] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    # Per path: statuses to answer with, in order (then 200).
    statuses: dict[str, list[int]] = field(default_factory=dict)
    bodies: dict[str, bytes] = field(default_factory=dict)
    redirects: set[str] = field(default_factory=set)
    # Per path: the verification key a request must carry in `Authorization` (else 401), as a
    # Big Interview receiver checks it.
    keys: dict[str, str] = field(default_factory=dict)
    # Paths that answer 500 to the first attempt of every message (by `webhook-id`).
    fail_first: set[str] = field(default_factory=set)
    # Paths whose requests are held until the event is set (a receiver that never answers).
    hold: threading.Event = field(default_factory=threading.Event)
    held_paths: set[str] = field(default_factory=set)
    lock: threading.Condition = field(default_factory=threading.Condition)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, path: str, timeout: float) -> bool:
        """Block until a request reached `path` (for a worker running on its own)."""
        with self.lock:
            return self.lock.wait_for(lambda: any(r.path == path for r in self.requests), timeout)

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            record = Received(self.path, headers, body)
            secret = receiver.secrets.get(self.path)
            if secret is not None:
                try:
                    record.payload = Webhook(secret).verify(body, headers)
                except WebhookVerificationError as exc:
                    record.verify_error = str(exc)
            with receiver.lock:
                queue = receiver.statuses.get(self.path) or []
                status = queue.pop(0) if queue else 200
                key = receiver.keys.get(self.path)
                if key is not None and headers.get("authorization") != key:
                    status = 401
                if self.path in receiver.fail_first and not any(
                    r.path == self.path and r.headers.get("webhook-id") == headers.get("webhook-id")
                    for r in receiver.requests
                ):
                    status = 500
                record.status = status
                receiver.requests.append(record)
                receiver.lock.notify_all()
            if self.path in receiver.held_paths:
                receiver.hold.wait(30)
            if self.path in receiver.redirects:
                self.send_response(302)
                self.send_header("Location", receiver.url("/elsewhere"))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            reply = receiver.bodies.get(self.path, b'{"ok": true}')
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog (5) refuses connections under load
    daemon_threads = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    server = _Server(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield state
    state.hold.set()
    server.shutdown()
    server.server_close()


def tenant_of(org: Organization, environment: str = "production") -> Tenant:
    return Tenant(OrgSnapshot.of(org), Environment(environment))


async def publish(
    app: FastAPI,
    org: Organization,
    event_type: str,
    data: Mapping[str, Any],
    environment: str = "production",
) -> None:
    """What a service does: publish inside the transaction of its change, then commit."""
    async with app.state.sessionmaker() as session, session.begin():
        await events.publish(session, tenant_of(org, environment), event_type, data)


def make_worker(app: FastAPI, *orgs: Organization, **overrides: Any) -> Worker:
    """A worker for these orgs' deliveries only (the test database is shared by all tests)."""
    settings = app.state.settings.model_copy(update=overrides)
    return Worker(app.state.sessionmaker, settings, org_ids=[o.id for o in orgs])


def user_data(partner_id: str = "abc123def") -> dict[str, Any]:
    return {
        "user": {
            "partner_id": partner_id,
            "email": "john.doe@xyz.example.com",
            "first_name": "John",
            "last_name": "Doe",
            "metadata": None,
            "anonymous": False,
        }
    }
