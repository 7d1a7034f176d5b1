"""One uvicorn server process for a benchmark, run as `greenroom serve` runs it: 1 worker, no
access log of uvicorn's own, no proxy headers or Server header, and Greenroom's HTTP protocol (`greenroom.core.serving`: a
response's head and body in one write). The bare app and Greenroom both run through here, so that
their figures differ by the app alone.

    python bench/serve.py TARGET PORT [--factory]
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

# After whatever PYTHONPATH names: a benchmark of another checkout's `src` keeps that one.
sys.path.append(str(Path(__file__).resolve().parents[1] / "src"))

from greenroom.core.serving import HttpProtocol


def main() -> None:
    target, port = sys.argv[1], int(sys.argv[2])
    uvicorn.run(
        target,
        host="127.0.0.1",
        port=port,
        workers=1,
        access_log=False,
        log_level="warning",
        factory="--factory" in sys.argv[3:],
        http=HttpProtocol,
        # As `greenroom serve` without GREENROOM_TRUST_PROXY: no X-Forwarded-* rewriting, no
        # Server header.
        proxy_headers=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
