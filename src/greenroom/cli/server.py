from __future__ import annotations

from typing import Annotated

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.cli.common import run_in_session, settings
from greenroom.core.migrate import upgrade
from greenroom.demo import DemoInfo, seed_demo


def _prepare(demo: bool, port: int) -> None:
    cfg = settings()
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(cfg.resolved_database_url)
    if demo:
        if cfg.public_port is None and port not in (80, 443):
            cfg.public_port = port

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
    )


def demo(
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
) -> None:
    """The same as `greenroom serve --demo`."""
    serve(host="127.0.0.1", port=port, workers=1, demo=True)
