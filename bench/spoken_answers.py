"""Spoken answers through the running service: accuracy, speed, and the event loop meanwhile.

    PYTHONPATH=src python bench/spoken_answers.py [--only two_minutes ...] [--core 1]

Makes the known spoken answers of `bench/speech.py` (23 of them, 405 s; festival's
`text2wave`, cached between runs), starts one `greenroom serve` process (SQLite, a fresh file,
127.0.0.1 only) and, as a signed-in student, uploads each answer as a browser records it (Opus
in a live WebM) to a new practice interview. The server remuxes it in the request, then its
`transcription` job analyses it in the speech worker process; the bench reads the result back
through `GET /api/users/{id}/interviews/{id}`, as a partner would. Meanwhile a client pings
`GET /healthz` every 10 ms. Prints:

- per answer and overall: word error rate against the known text, words a minute against the
  known pace, long pauses found against those put in (bench/speech.py's matching);
- speed: the time from the upload's response to the analysis read back (wall), and the speech
  worker's CPU time, each over the audio's length (real-time factor); the worker is pinned to
  one core (`--core`), so the CPU figure is one core's;
- the upload's response time (the remux runs in the request);
- the event loop: /healthz latency with nothing running, and while answers are analysed (p50,
  p99, max). Then, in this process, the loop's worst stall while the 2-minute answer is analysed
  in a thread of the process (`asyncio.to_thread`) and in a `SpeechPool` worker: why the
  analysis is in another process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import long_work  # noqa: E402  (bench/: a real server process, stats)

import speech as speech_bench  # noqa: E402  (bench/speech.py: the known answers)
from greenroom.speech import testing, vad  # noqa: E402

SECRETS = "s1:bench-secret-0123456789abcdef0123456789abcdef"
SLUG = "spoken"
HOST = f"{SLUG}.greenroom.localhost"
_CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')
PING_EVERY = 0.01


async def seed(database_url: str) -> str:
    """The org and a key (rate limits out of the way)."""
    from greenroom.core.db import Database
    from greenroom.core.migrate import upgrade
    from greenroom.core.settings import Settings
    from greenroom.keys import service as keys
    from greenroom.tenancy import service as orgs
    from greenroom.tenancy.hosts import Environment

    await asyncio.to_thread(upgrade, database_url)
    settings = Settings(secrets=SECRETS, database_url=database_url)  # type: ignore[arg-type]
    database = Database(database_url)
    async with database.writer() as session, session.begin():
        org = await orgs.create_org(session, slug=SLUG, name="Spoken Answers Ltd")
        org.rate_limit_per_minute = 2_000_000_000
        org.key_rate_limit_per_minute = 1_000_000_000
        created = await keys.create_key(
            session,
            org_id=org.id,
            environment=Environment.PRODUCTION,
            name="bench",
            created_by="cli",
            server_secret=settings.server_secrets[0],
        )
    await database.dispose()
    return created.secret


class Student:
    """A student's browser: cookies kept by hand (the host is in a header, not the URL)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return response

    def _headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    async def get(self, path: str) -> httpx.Response:
        return self._keep(await self.client.get(path, headers=self._headers()))

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        return self._keep(await self.client.post(path, headers=headers, **kwargs))

    async def csrf(self, path: str) -> str:
        page = await self.get(path)
        found = _CSRF.search(page.text)
        assert found, page.text[:500]
        return found.group(1)

    async def start(self, set_slug: str) -> str:
        path = f"/members/practice/{set_slug}"
        done = await self.post(path, data={"csrftoken": await self.csrf(path)})
        assert done.status_code == 303, done.text[:500]
        return done.headers["location"].split("/")[3]

    async def upload(self, interview: str, webm: bytes) -> float:
        page = f"/members/interviews/{interview}/questions/1"
        token = await self.csrf(page)
        began = time.perf_counter()
        done = await self.post(
            f"{page}/media",
            data={"csrftoken": token, "rating": "3"},
            files={"media": ("answer.webm", webm, "audio/webm")},
        )
        assert done.status_code == 303, done.text[:500]
        return time.perf_counter() - began


async def pinger(
    client: httpx.AsyncClient, phase: dict[str, str], latencies: dict[str, list[float]]
) -> None:
    while phase["now"] != "stop":
        began = time.perf_counter()
        response = await client.get("/healthz")
        assert response.status_code == 200
        latencies.setdefault(phase["now"], []).append(time.perf_counter() - began)
        await asyncio.sleep(PING_EVERY)


def summary(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{len(ordered)} pings, p50 {statistics.median(ordered) * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms, max {ordered[-1] * 1000:.0f} ms"
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def speech_worker(server_pid: int) -> int | None:
    """The server's speech worker: its child process running the pool's worker."""
    for pid in long_work._children(server_pid):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline:
            return pid
    return None


async def through_the_service(args: argparse.Namespace, answers: dict[str, Any]) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="greenroom-spoken-"))
    url = f"sqlite+aiosqlite:///{scratch / 'bench.db'}"
    key = await seed(url)
    env = {
        **os.environ,
        "GREENROOM_DATABASE_URL": url,
        "GREENROOM_SECRETS": SECRETS,
        "GREENROOM_DATA_DIR": str(scratch / "data"),
        "GREENROOM_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
    }
    server = long_work.Server(env, 1, scratch)
    base = f"http://127.0.0.1:{server.port}"
    try:
        async with (
            httpx.AsyncClient(base_url=base, headers={"Host": HOST}, timeout=60) as browser,
            httpx.AsyncClient(
                base_url=base, headers={"Host": HOST, "Authorization": key}, timeout=60
            ) as api,
            httpx.AsyncClient(base_url=base, headers={"Host": HOST}, timeout=60) as pings,
        ):
            made = await api.post(
                "/api/users/bench1",
                json={"first_name": "Sam", "last_name": "Doe", "email": "sam@xyz.example.com"},
            )
            assert made.status_code == 201, made.text
            student = Student(browser)
            token = made.json()["user"]["token"]["token"]
            assert (await student.get(f"/sso/login?token={token}")).status_code == 303

            phase = {"now": "idle"}
            latencies: dict[str, list[float]] = {}
            ping_task = asyncio.create_task(pinger(pings, phase, latencies))
            await asyncio.sleep(3)  # the baseline: nothing running
            phase["now"] = "analysing"
            await report(args, answers, student, api, server, latencies)
            phase["now"] = "stop"
            await ping_task
            print(f"/healthz, nothing running:       {summary(latencies.get('idle', []))}")
            print(f"/healthz, while answers analysed: {summary(latencies.get('analysing', []))}")
    finally:
        server.stop()


async def report(
    args: argparse.Namespace,
    answers: dict[str, Any],
    student: Student,
    api: httpx.AsyncClient,
    server: long_work.Server,
    latencies: dict[str, list[float]],
) -> None:
    header = (
        f"{'answer':<12} {'audio s':>7} {'words':>5} {'WER':>6} {'wpm known':>9} "
        f"{'wpm found':>9} {'pauses':>7} {'upload s':>8} {'RTF wall':>8} {'RTF cpu':>7}"
    )
    print(header)
    print("-" * len(header))
    errors = words = inserted = detected = 0
    audio = wall = cpu = 0.0
    pace: list[float] = []
    uploads: list[float] = []
    # A first answer, not counted: the server starts its speech worker (model loaded) on it.
    _, webm = next(iter(answers.values()))
    await analysed(student, api, await student.start("behavioural-basics"), webm)
    worker = speech_worker(server.proc.pid)
    assert worker is not None, "no speech worker process found"
    os.sched_setaffinity(worker, {args.core})
    for name, (known, webm) in answers.items():
        interview = await student.start("behavioural-basics")
        cpu_before = cpu_seconds(worker)
        upload, seconds, answer = await analysed(student, api, interview, webm)
        used = cpu_seconds(worker) - cpu_before
        assert answer["analysis_status"] == "done", answer
        feedback = answer["feedback"]
        wer = testing.word_error_rate(known.text, answer["transcript"]["text"])
        errors += round(wer * known.words)
        words += known.words
        length = known.duration
        audio += length
        wall += seconds
        cpu += used
        uploads.append(upload)
        found_pace = feedback["words_per_minute"]
        pace.append(abs(found_pace - known.words_per_minute) / known.words_per_minute)
        found_pauses = tuple(
            vad.Span(p["start"], p["start"] + p["seconds"]) for p in feedback["long_pauses"]
        )
        matched, _ = speech_bench.match_pauses(known.pauses, found_pauses)
        inserted += len(known.pauses)
        detected += matched
        print(
            f"{name:<12} {length:7.1f} {known.words:5d} {wer:6.1%} {known.words_per_minute:9.0f} "
            f"{found_pace:9.0f} {matched:>3}/{len(known.pauses):<3} {upload:8.2f} "
            f"{seconds / length:8.3f} {used / length:7.3f}",
            flush=True,
        )
    print("-" * len(header))
    print(f"overall: WER {errors / words:.1%} ({errors} errors in {words} words, "
          f"{len(answers)} answers, {audio:.0f} s of audio)")  # fmt: skip
    print(f"pace: off the known figure by {statistics.mean(pace):.1%} on average, "
          f"{max(pace):.1%} at most")  # fmt: skip
    print(f"long pauses: {detected} of {inserted} found")
    print(f"analysis: real-time factor {wall / audio:.3f} wall (upload answered to result "
          f"read back), {cpu / audio:.3f} CPU of the speech worker on core {args.core}")  # fmt: skip
    print(f"upload (remux in the request): median {statistics.median(uploads) * 1000:.0f} ms, "
          f"max {max(uploads) * 1000:.0f} ms")  # fmt: skip


async def analysed(
    student: Student, api: httpx.AsyncClient, interview: str, webm: bytes
) -> tuple[float, float, dict[str, Any]]:
    """Upload an answer and read it back once analysed: (upload seconds, seconds from the
    upload's response to the analysis read back, the answer)."""
    upload = await student.upload(interview, webm)
    began = time.perf_counter()
    while True:
        body = (await api.get(f"/api/users/bench1/interviews/{interview}")).json()
        answer: dict[str, Any] = body["interview"]["answers"][0]
        if answer["analysis_status"] != "pending":
            return upload, time.perf_counter() - began, answer
        await asyncio.sleep(0.05)


async def loop_stall(path: Path) -> None:
    """The event loop's worst stall while one analysis runs (a) in a thread, (b) in the pool."""
    from greenroom.speech import pipeline
    from greenroom.speech.pool import SpeechPool

    async def stalls(work: Any) -> tuple[float, float]:
        worst, done = 0.0, asyncio.Event()

        async def probe() -> None:
            nonlocal worst
            while not done.is_set():
                began = time.perf_counter()
                await asyncio.sleep(0.005)
                worst = max(worst, time.perf_counter() - began - 0.005)

        task = asyncio.create_task(probe())
        began = time.perf_counter()
        await work()
        took = time.perf_counter() - began
        done.set()
        await task
        return worst, took

    pool = SpeechPool()
    await pool.analyse(path)  # start the worker and load its model outside the figures
    try:
        in_pool = await stalls(lambda: pool.analyse(path))
    finally:
        pool.close()
    in_thread = await stalls(lambda: asyncio.to_thread(pipeline.analyse_recording, path))
    print(f"event loop, in this process, one analysis of {path.name}:")
    print(f"  in a thread (asyncio.to_thread): worst stall {in_thread[0] * 1000:.0f} ms "
          f"over {in_thread[1]:.1f} s")  # fmt: skip
    print(f"  in a SpeechPool worker process:  worst stall {in_pool[0] * 1000:.1f} ms "
          f"over {in_pool[1]:.1f} s")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names of answers (default: all 23)")
    parser.add_argument("--core", type=int, default=1, help="CPU to pin the speech worker to")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "greenroom-speech-bench",
        help="where synthesised pieces are kept between runs",
    )
    args = parser.parse_args()
    if testing.text2wave() is None:
        print("text2wave not found: apt-get install -y festival festvox-kallpc16k")
        return 2
    work = Path(tempfile.mkdtemp(prefix="greenroom-spoken-answers-"))
    answers: dict[str, Any] = {}
    for name in args.only or list(speech_bench.ANSWERS):
        stretch, pieces = speech_bench.ANSWERS[name]
        known = testing.synthesise(pieces, work / f"{name}.wav", cache=args.cache, stretch=stretch)
        live = testing.to_live_webm(known.path, work / f"{name}.webm")
        answers[name] = (known, live.read_bytes())
    print(f"{len(answers)} answers made; one `greenroom serve` process, SQLite")
    asyncio.run(through_the_service(args, answers))
    longest = max(answers, key=lambda n: answers[n][0].duration)
    asyncio.run(loop_stall(work / f"{longest}.webm"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
