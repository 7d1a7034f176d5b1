"""Spoken answers made on the machine with festival, analysed once per test run.

The clips need Debian's `text2wave` (festival, voice festvox-kallpc16k). Without it the
tests that use them skip, unless GREENROOM_REQUIRE_SPEECH=1 (CI), where they fail instead.
Festival's pieces are cached across runs (by text) in the temp dir; the transcription and
analysis are redone every run, once, and shared by the pytest-xdist workers through a file.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from greenroom.speech import media, pipeline, testing

PIECE_CACHE = Path(tempfile.gettempdir()) / "greenroom-speech-cache"

# Known answers: strings are spoken, numbers are seconds of silence put between pieces.
# (stretch, pieces): festival's Duration_Stretch sets the pace (1.3 is 30% slower).
CLIPS: dict[str, tuple[float, list[str | float]]] = {
    "hedge": (
        1.15,
        [
            "It was, like, really hard to finish the report on time.",
            "We had three days, and the data was a mess.",
            2.5,
            "In the end we asked our manager for one more day.",
        ],
    ),
    "verb": (
        1.0,
        [
            "I would like to help your team build better tools for customers.",
            "I like working with people, and I enjoy solving problems together.",
        ],
    ),
    "star": (
        1.3,
        [
            "When I was working at a small bakery, my task was to deliver two hundred boxes.",
            "I decided to make a list of every order, and to start with the biggest ones.",
            3.0,
            "As a result, we finished a day early.",
        ],
    ),
}


def require_festival() -> None:
    if testing.text2wave() is not None:
        return
    if os.environ.get("GREENROOM_REQUIRE_SPEECH") == "1":
        pytest.fail("text2wave (festival) is missing and GREENROOM_REQUIRE_SPEECH=1")
    pytest.skip(
        "text2wave is not installed (apt-get install -y festival festvox-kallpc16k); "
        "the spoken-answer tests need it to make their audio"
    )


@dataclass(frozen=True)
class Clip:
    known: testing.Spoken
    transcript: dict[str, Any]  # Transcript.to_dict()
    feedback: dict[str, Any]
    remuxed_duration: float


def _analyse(name: str, work: Path) -> dict[str, Any]:
    stretch, pieces = CLIPS[name]
    known = testing.synthesise(pieces, work / f"{name}.wav", cache=PIECE_CACHE, stretch=stretch)
    # The way a browser recording goes: live WebM (no duration), remuxed, then analysed.
    live = testing.to_live_webm(known.path, work / f"{name}.live.webm")
    remuxed = media.remux(live, work / f"{name}.remuxed")
    analysis = pipeline.analyse_recording(remuxed.path)
    return {
        "known": {
            "path": str(known.path),
            "text": known.text,
            "words": known.words,
            "duration": known.duration,
            "speech_start": known.speech_start,
            "speech_end": known.speech_end,
            "pauses": known.pauses,
        },
        "transcript": analysis.transcript.to_dict(),
        "feedback": analysis.feedback,
        "remuxed_duration": remuxed.duration,
    }


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[dict[str, Clip]]:
    """Every clip of CLIPS, made, transcribed and analysed once for the whole run."""
    require_festival()
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent  # one folder for all workers
    work = shared / "speech-clips"
    work.mkdir(exist_ok=True)
    results = work / "results.json"
    with (work / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker does the work, the others wait
        if not results.exists():
            data = {name: _analyse(name, work) for name in CLIPS}
            results.write_text(json.dumps(data))  # also proves the results are JSON-ready
        data = json.loads(results.read_text())
    out = {}
    for name, item in data.items():
        known = item["known"]
        out[name] = Clip(
            known=testing.Spoken(
                path=Path(known["path"]),
                text=known["text"],
                words=known["words"],
                duration=known["duration"],
                speech_start=known["speech_start"],
                speech_end=known["speech_end"],
                pauses=tuple((start, end) for start, end in known["pauses"]),
            ),
            transcript=item["transcript"],
            feedback=item["feedback"],
            remuxed_duration=item["remuxed_duration"],
        )
    yield out
