from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.cli.common import run_in_session, settings
from greenroom.core.migrate import upgrade
from greenroom.core.serving import HttpProtocol
from greenroom.core.settings import Settings
from greenroom.demo import DemoInfo, seed_demo


def listen_port_is_public(cfg: Settings, port: int) -> bool:
    """Whether the URLs we hand out should carry the port `serve` listens on: when no public
    address was configured (no `GREENROOM_PUBLIC_PORT`, plain http, no proxy in front), the
    server is reached where it listens, e.g. http://demo.greenroom.localhost:8000."""
    return (
        cfg.public_port is None
        and cfg.public_scheme == "http"
        and not cfg.trust_proxy
        and port != 80
    )


def _prepare(demo: bool, port: int) -> None:
    cfg = settings()
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(cfg.resolved_database_url)
    if listen_port_is_public(cfg, port):
        cfg.public_port = port
        # Through the environment too: with --workers, each server process reads its own settings.
        os.environ["GREENROOM_PUBLIC_PORT"] = str(port)
    if demo:

        async def work(session: AsyncSession) -> DemoInfo:
            return await seed_demo(session, cfg)

        info = run_in_session(work)
        typer.echo("\n".join(info.lines))


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes")] = 1,
    demo: Annotated[bool, typer.Option("--demo", help="Set up the demo organization")] = False,
) -> None:
    """Apply migrations, then run the service."""
    _prepare(demo, port)
    cfg = settings()
    uvicorn.run(
        "greenroom.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=cfg.trust_proxy,
        forwarded_allow_ips="*" if cfg.trust_proxy else None,
        server_header=False,
        http=HttpProtocol,  # a response's head and body in one write (core/serving.py)
    )


def demo(
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
) -> None:
    """The same as `greenroom serve --demo`."""
    serve(host="127.0.0.1", port=port, workers=1, demo=True)
