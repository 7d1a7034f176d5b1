"""The ASGI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from greenroom import __version__, aliases, background, error_pages
from greenroom.admin_area import routes as admin_routes
from greenroom.apidocs import routes as apidocs_routes
from greenroom.apidocs.reference import install_reference
from greenroom.auth import routes as auth_routes
from greenroom.auth.authenticator import Authenticator
from greenroom.auth.openapi import install_security_docs
from greenroom.core.csrf import CSRFMiddleware
from greenroom.core.db import Database
from greenroom.core.errors import install_error_handlers
from greenroom.core.forms import FormLists
from greenroom.core.headers import security_headers
from greenroom.core.logging import access_log, configure_logging
from greenroom.core.middleware import BodyLimitMiddleware, RequestContextMiddleware
from greenroom.core.problems import install_problem_docs
from greenroom.core.routing import add_routes
from greenroom.core.settings import Settings, get_settings
from greenroom.core.writebehind import WriteBehind
from greenroom.exports import routes as exports_routes
from greenroom.exports.archive import exports_storage
from greenroom.idempotency.middleware import IdempotencyMiddleware
from greenroom.ops import routes as ops_routes
from greenroom.ops.metrics import Metrics
from greenroom.practice import api_routes as practice_api
from greenroom.practice import pages as practice_pages
from greenroom.practice.storage import recordings_storage
from greenroom.progress import routes as progress_routes
from greenroom.sso import login as sso_login
from greenroom.sso import routes as sso_routes
from greenroom.subscribers import subscribe_all
from greenroom.templating import STATIC_DIR
from greenroom.tenancy.context import OrgResolver, TenancyMiddleware
from greenroom.users import routes as users_routes
from greenroom.webhooks import routes as webhooks_routes
from greenroom.websessions import service as websessions
from greenroom.websessions.service import COOKIE_NAMES as SESSION_COOKIES

log = logging.getLogger("greenroom")
API_DESCRIPTION = """
The Partner API of Greenroom, in the conventions of Big Interview's partner API: a partner that
integrated with it switches by changing the host and the key.

Every request goes to your organization's host: `https://{org}.{domain}` for production,
`https://{org}.sandbox.{domain}` for the sandbox. For **XYZ Corporation** (`xyz`) with the key
`935d85189822bf96c28c4fa79d3d8f31`, reading the progress of the user `abc123def` is:

```http
GET /api/users/abc123def/progress HTTP/1.1
Host: xyz.greenroom.localhost
Accept: application/json
Authorization: 935d85189822bf96c28c4fa79d3d8f31
```

Bodies are JSON or form-encoded (`application/x-www-form-urlencoded`), as Big Interview's
clients send them. Timestamps are ISO 8601 in UTC with milliseconds (`2015-01-01T00:00:00.000Z`).
Errors are `application/problem+json` with a stable `code` and the `request_id`, and Big
Interview's `error` object (`{"type", "message"}`) in the same body. Webhook payloads are under
`webhooks`. The Python SDK is `greenroom-client` (`clients/python` in the repository).
"""
# Log-in forms are checked even when the browser sends no cookie yet (log-in CSRF).
CSRF_ALWAYS_PROTECT = ("/login/admin",)


def create_app(settings: Settings | None = None, *, configure_logs: bool = True) -> FastAPI:
    """The service: the process's shared state, its routes, its middleware, and a lifespan that
    runs the background work."""
    settings = settings or get_settings()
    if configure_logs:
        configure_logging(settings.log_level, json_output=settings.log_json)
    app = FastAPI(
        title="Greenroom Partner API",
        version=__version__,
        description=API_DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
        # Our metrics are Prometheus (ops/metrics.py); FastAPI's OpenTelemetry bridge would
        # otherwise look up the global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    _add_state(app, settings)
    _add_routes(app)
    _add_middleware(app, settings)
    return app


def _add_state(app: FastAPI, settings: Settings) -> None:
    """What the process shares between requests, on `app.state`."""
    database = Database(settings.resolved_database_url)
    app.state.settings = settings
    app.state.database = database
    app.state.engine = database.engine
    # The read-write session maker, for work outside a request (background jobs, tests).
    app.state.sessionmaker = database.writer
    app.state.metrics = Metrics()
    # The process's background jobs runner; its loop runs from the lifespan when `run_worker`.
    # Worker processes for spoken-answer analysis (the `transcription` jobs this process runs).
    app.state.speech = background.speech_pool(settings)
    app.state.jobs = background.runner(
        settings, database, metrics=app.state.metrics, speech=app.state.speech
    )
    app.state.org_resolver = OrgResolver(database.reader, settings.auth_cache_seconds)
    app.state.storage = recordings_storage(settings)
    app.state.exports = exports_storage(settings.data_dir)
    subscribe_all(app.state.storage, exports=app.state.exports)
    app.state.authenticator = Authenticator(settings, database)
    app.state.websessions_seen = WriteBehind(
        database.writer, websessions.write_last_seen, what="browser sessions' last use"
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """WAL checkpoints (SQLite) and, with `run_worker`, the background jobs; on the way out,
    the jobs' work in flight is finished and the written-behind bookkeeping (and access lines)
    flushed."""
    settings: Settings = app.state.settings
    database: Database = app.state.database
    log.info("greenroom started", extra={"version": __version__})
    tasks: list[asyncio.Task[None]] = []
    if database.is_sqlite:
        tasks.append(asyncio.create_task(database.checkpoints(), name="checkpoints"))
    stop_jobs = asyncio.Event()
    jobs_task: asyncio.Task[None] | None = None
    if settings.run_worker:
        # Background jobs (imports, the purge, webhook deliveries...: greenroom.background).
        jobs_task = asyncio.create_task(app.state.jobs.run_forever(stop_jobs), name="jobs")
    app.state.background_tasks = [*tasks, *([jobs_task] if jobs_task else [])]
    # What start-up built (modules, routes, schemas: most of the heap) lives as long as the
    # process. Frozen, it is left out of the collector's full passes, which otherwise walked it
    # all a few times a second under load: up to 95 ms each, the p99 of PostgreSQL reads
    # (docs/decisions.md, "The data path"). Unfrozen on the way out, for processes (the tests)
    # that start many apps.
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        stop_jobs.set()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if jobs_task is not None:
            # Not cancelled: jobs are handed back at their next pause, and the webhook sends in
            # flight end and are recorded.
            await jobs_task
        app.state.speech.close()
        await app.state.authenticator.close()
        await app.state.websessions_seen.flush()
        await database.dispose()
        access_log.flush()


def _add_routes(app: FastAPI) -> None:
    """Every route, the error handlers, static files and the OpenAPI document's additions."""
    # Browser-facing routes (admin area, members' app, the org's root) show errors as pages;
    # the API's stay problem+json.
    install_error_handlers(app, page_for=error_pages.page_for)
    # The router asks each route in turn (~1 us each), so the Partner API's routers come first
    # (in the API reference's order) and the health checks after them: `GET /api/auth/check`
    # 48 -> 45 us in process. No route hides another (tests/core/test_route_table.py), so the
    # order changes no answer.
    for router in (
        auth_routes.router,
        users_routes.router,
        exports_routes.router,
        sso_routes.router,
        sso_login.router,
        progress_routes.router,
        practice_api.router,
        ops_routes.router,
        practice_pages.router,
        webhooks_routes.router,
        aliases.router,
    ):
        add_routes(app, router)
    install_problem_docs(app)
    # After the problem docs: it wraps whatever `app.openapi` is when installed.
    install_security_docs(app)
    # Last: operation ids, each operation's own error statuses, examples, webhook payloads.
    install_reference(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    add_routes(app, apidocs_routes.router)
    admin_routes.install(app)
    app.mount("/api/docs/assets", apidocs_routes.assets, name="apidocs-assets")


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """The pure-ASGI layers, outermost last: request id and access log wrap everything, then the
    host, then bodies, CSRF and idempotency."""

    def body_limit(path: str) -> int:
        return (
            settings.upload_max_bytes
            if path.startswith("/members/") or path == "/admin/imports"
            else settings.max_body_bytes
        )

    https = settings.public_scheme == "https"
    app.add_middleware(
        IdempotencyMiddleware,
        sessions=app.state.database.writer,
        secret=lambda: settings.server_secrets[0],
    )
    app.add_middleware(
        CSRFMiddleware,
        secret=settings.server_secrets[0].value,
        https=https,
        session_cookies=SESSION_COOKIES.values(),
        always_protect=CSRF_ALWAYS_PROTECT,
        refusal=error_pages.csrf_refusal,
    )
    app.add_middleware(BodyLimitMiddleware, limit_for=body_limit, form_lists=FormLists(app))
    app.add_middleware(TenancyMiddleware, settings=settings, resolver=app.state.org_resolver)
    app.add_middleware(
        RequestContextMiddleware,
        on_response=app.state.metrics.observe,
        response_headers=security_headers(https=https),
    )
