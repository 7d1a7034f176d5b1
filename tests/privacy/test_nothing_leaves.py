"""Nothing leaves (issue 20, item 5): a spoken answer is transcribed and given feedback by the
real speech pipeline (PocketSphinx in a speech worker process, run by the transcription job)
with every socket to anything but loopback refused, in the worker process and in this one (the
database and the test server are on loopback), and the analysis still succeeds.

The guard is an audit hook (`tests/privacy/offline.py`) installed in the worker before its
model loads; each guarded process proves its guard works by having a probe to a non-routed
address refused. A download of a model at run time would be a refused attempt in the log.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from greenroom.practice.models import Answer
from greenroom.speech.pool import SpeechPool
from tests.factories import make_org
from tests.practice.helpers import Member, make_user, signed_in
from tests.practice.media import STAR_PIECES, spoken_answer
from tests.practice.test_transcription import _pending_answer, _runner
from tests.privacy import offline

ENGINE = "tests.privacy.offline:OfflinePocketSphinx"


async def test_an_answer_is_transcribed_and_given_feedback_with_the_network_refused(
    app, client_for, settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = make_url(settings.database_url).host
    assert host is None or offline._is_local(host), "the guard allows loopback only"
    log = tmp_path / "network.log"
    monkeypatch.setenv(offline.LOG_ENV, str(log))
    spoken = spoken_answer(STAR_PIECES)  # festival runs before the guard: it is not under test
    org = await make_org(app)
    user = await make_user(app, org)
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    interview = await Member(browser).start("basics")
    answer_id, _job = await _pending_answer(app, settings, org, user, interview, spoken.webm)

    pool = SpeechPool(ENGINE, 1)
    try:
        with offline.guarding(log):
            done = await _runner(app, settings, org, pool).run_until_idle()
        worker_pid = (await pool.analyse(spoken.known.path))["pid"]
    finally:
        pool.close()
    assert done["jobs"] == 1

    async with app.state.sessionmaker() as session:
        answer = await session.get(Answer, answer_id)
        assert answer is not None
        assert answer.analysis_status == "done", answer.analysis_error
        assert answer.transcript and answer.feedback
        heard = set(answer.transcript["text"].split())
        assert {"bakery", "boxes", "result"} <= heard, answer.transcript["text"]
        assert answer.feedback.get("kind") == "spoken"
    # Both guards held (the worker's and this process's refused their probes) and refused
    # nothing else: no socket left the machine, no name was looked up.
    assert offline.attempts(log) == []
    assert worker_pid in offline.probes(log) and len(offline.probes(log)) == 2


def test_the_speech_model_is_installed_files_not_a_download() -> None:
    """The model PocketSphinx loads is files inside its installed package (read from disk by
    the worker; the guard above would have refused a download)."""
    import pocketsphinx

    package = Path(pocketsphinx.__file__).resolve().parent
    model = Path(pocketsphinx.get_model_path("en-us")).resolve()
    assert model.is_relative_to(package)
    for name in ("en-us", "en-us.lm.bin", "cmudict-en-us.dict"):
        assert (model / name).exists(), name
    assert sum(f.stat().st_size for f in model.rglob("*") if f.is_file()) > 10_000_000


def test_the_guard_refuses_and_records_an_outbound_socket(tmp_path: Path) -> None:
    """The guard itself: a connection and a name lookup off the machine are refused and
    recorded; loopback is not."""
    import socket

    log = tmp_path / "network.log"
    name = f"{uuid.uuid4().hex}.example.com"
    with offline.guarding(log):
        with pytest.raises(PermissionError):
            socket.getaddrinfo(name, 443)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            with pytest.raises(PermissionError):
                sock.connect(("198.51.100.7", 443))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as local:
            local.bind(("127.0.0.1", 0))
            local.listen()
            with socket.create_connection(local.getsockname(), timeout=5):
                pass
    assert [line.split(" ", 1)[1] for line in offline.attempts(log)] == [
        f"getaddrinfo {name!r}:443",
        "socket.connect 198.51.100.7:443",
    ]
