"""Data scale: the Partner API's lookups and lists at 1,000 and at 1,000,000 users in one org.

    python bench/scale.py [--users 1000000] [--small 1000] [--database-url URL] [--rounds 3]

Seeds (once; the database file or PostgreSQL database is kept between runs) an org `small` with
`--small` users and an org `large` with `--users` users (bench/seed_scale.py: each user with a
progress row, every tenth with an interview), starts one server (uvicorn, 1 worker), and drives
each call for a user in the middle of each org with wrk, alternating the orgs round by round.
Prints each call's medians for both orgs and the ratio of the large org's p50 to the small one's
(goal: within 1.3).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.run import Result, run_wrk, start_server  # noqa: E402
from bench.seed_scale import SECRETS, partner_id, seed  # noqa: E402

from greenroom.core.migrate import upgrade  # noqa: E402


def cases(client: httpx.Client, slug: str, users: int) -> list[tuple[str, str]]:
    """(name, path) for a user in the middle of the org."""
    middle = (users // 2) // 10 * 10  # a user with an interview
    user = f"/api/users/{partner_id(middle)}"
    host = {"Host": f"{slug}.greenroom.localhost"}
    # A cursor in the middle of the org's users (the list is by updated_at).
    found = client.get(user, headers=host).json()["user"]
    since = found["updated_at"]
    page = client.get("/api/users", params={"updated_since": since, "limit": 1}, headers=host)
    cursor = page.json()["next_cursor"]
    assert cursor, page.text
    return [
        ("GET /api/users/{id}", user),
        ("GET /api/users/{id}/progress", f"{user}/progress"),
        ("GET /api/users/{id}/interviews", f"{user}/interviews"),
        ("GET /api/users?limit=50&cursor= (middle)", f"/api/users?limit=50&cursor={cursor}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument(
        "--database-url",
        default="sqlite+aiosqlite:////tmp/greenroom-scale.db",
        help="kept between runs, so the seeding happens once",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    upgrade(args.database_url)
    keys = {
        "small": asyncio.run(seed(args.database_url, "small", args.small)),
        "large": asyncio.run(seed(args.database_url, "large", args.users)),
    }
    counts = {"small": args.small, "large": args.users}
    env = {
        **os.environ,
        "GREENROOM_DATABASE_URL": args.database_url,
        "GREENROOM_SECRETS": SECRETS,
        "GREENROOM_RUN_WORKER": "false",
        "PYTHONPATH": str(ROOT / "src"),
        "GREENROOM_LOG_LEVEL": "INFO",
    }
    server, port = start_server("greenroom.app:create_app", env, True)
    results: dict[tuple[str, str], list[Result]] = {}
    try:
        plans: dict[str, list[tuple[str, str]]] = {}
        for slug in ("small", "large"):
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers={"Authorization": keys[slug]}
            ) as client:
                plans[slug] = cases(client, slug, counts[slug])
        warm = argparse.Namespace(**{**vars(args), "duration": 1})
        for slug, plan in plans.items():
            headers = {"Host": f"{slug}.greenroom.localhost", "Authorization": keys[slug]}
            for _, path in plan:
                run_wrk(server, port, path, headers, warm)
        for _ in range(args.rounds):
            for slug, plan in plans.items():
                headers = {"Host": f"{slug}.greenroom.localhost", "Authorization": keys[slug]}
                for name, path in plan:
                    result = run_wrk(server, port, path, headers, args)
                    assert result.errors == 0, f"{name} on {slug}: {result.errors} non-2xx"
                    results.setdefault((name, slug), []).append(result)
    finally:
        server.terminate()
        server.wait(timeout=10)

    def med(name: str, slug: str, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in results[(name, slug)])

    print(
        f"\n== {datetime.now(UTC):%Y-%m-%d} {args.database_url.split(':')[0]}: "
        f"{args.small:,} vs {args.users:,} users in one org, {args.rounds} rounds x "
        f"{args.duration}s, {args.connections} connections, 1 worker, medians"
    )
    print(
        f"{'call':42} {'p50 small':>9} {'p50 large':>9} {'ratio':>6} {'p99 large':>9} "
        f"{'req/s small':>11} {'req/s large':>11}"
    )
    for name, _ in plans["small"]:
        small, large = med(name, "small", "p50_ms"), med(name, "large", "p50_ms")
        print(
            f"{name:42} {small:9.2f} {large:9.2f} {large / small:6.2f} "
            f"{med(name, 'large', 'p99_ms'):9.2f} {med(name, 'small', 'rps'):11.0f} "
            f"{med(name, 'large', 'rps'):11.0f}"
        )


if __name__ == "__main__":
    main()
