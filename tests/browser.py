"""Shared fixtures for browser tests: a live uvicorn server and a headless Chromium.

Use them from a conftest (`from tests.browser import chromium, live_server  # noqa: F401`) and
mark the tests `@pytest.mark.browser`. Without /usr/bin/chromium they skip, unless
GREENROOM_REQUIRE_BROWSER=1 (CI), where they fail instead.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from greenroom.app import create_app
from greenroom.core.serving import HttpProtocol
from greenroom.core.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
# axe-core from npm (`.ci/run`: npm install --prefix .ci/axe axe-core@4.14.1), or where
# GREENROOM_AXE_JS says.
AXE_JS = Path(__file__).resolve().parents[1] / ".ci/axe/node_modules/axe-core/axe.min.js"


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("GREENROOM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{CHROMIUM} is missing and GREENROOM_REQUIRE_BROWSER=1")
    pytest.skip(f"{CHROMIUM} is not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def axe_source() -> str:
    """axe-core's script, to run in a page; the test skips without it, unless
    GREENROOM_REQUIRE_BROWSER=1 (CI), where it fails instead."""
    path = Path(os.environ.get("GREENROOM_AXE_JS") or AXE_JS)
    if not path.exists():
        if os.environ.get("GREENROOM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{path} is missing (npm install --prefix .ci/axe axe-core@4.14.1)")
        pytest.skip(f"axe-core is not installed at {path}")
    return path.read_text(encoding="utf-8")


# What counts as a failure of the accessibility check.
AXE_BLOCKING = ("serious", "critical")


async def axe_violations(page: Any, source: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (its default rules:
    WCAG 2.x A and AA and its best practices), each as {id, impact, help, targets}. The script
    is run through the DevTools protocol, which the pages' CSP (no inline script) does not
    govern."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.evaluate(source)
    results: list[dict[str, Any]] = await page.evaluate(
        """async () => {
             const r = await axe.run(document, {resultTypes: ["violations"]});
             return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
               targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
           }"""
    )
    return [v for v in results if v["impact"] in AXE_BLOCKING]


@dataclass
class LiveServer:
    port: int
    settings: Settings

    def origin(self, slug: str, environment: str = "production") -> str:
        return self.settings.org_origin(slug, environment)

    def api(self, slug: str, key: str) -> httpx.AsyncClient:
        """Python cannot resolve *.localhost: connect to 127.0.0.1 and send the org's Host."""
        host = self.origin(slug).split("://", 1)[1]
        return httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"Host": host, "Authorization": key},
        )


@pytest.fixture(scope="session")
def live_server(settings: Settings, migrated: str) -> Iterator[LiveServer]:
    """The app served by uvicorn on 127.0.0.1 in a background thread (same database)."""
    port = _free_port()
    live_settings = settings.model_copy(update={"public_port": port})
    app = create_app(live_settings, configure_logs=False)
    # With the HTTP protocol `greenroom serve` runs (core/serving.py): the pages, their assets
    # and uploads go through it to a real browser.
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            http=HttpProtocol,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)  # waiting for a real server to bind, not for app behaviour
    yield LiveServer(port, live_settings)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@asynccontextmanager
async def screenshot_on_failure(page: Any, name: str) -> AsyncIterator[None]:
    """Saves `test-artifacts/{name}.png` when the block fails, then re-raises."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise
