"""Real recordings for the practice tests, made here with PyAV (and festival for speech).

- `recording()`: a short live WebM as browsers' MediaRecorder writes it (Opus, and VP8 with
  `video=True`; no duration, no cues), of a tone: decodable, with no words in it.
- `video_without_sound()`: a WebM with a picture and no sound track.
- `spoken_answer(...)`: a festival-made answer from known text as a live WebM (needs
  `text2wave`; the tests that use it skip without it, unless GREENROOM_REQUIRE_SPEECH=1).
"""

from __future__ import annotations

import array
import functools
import math
import tempfile
import wave
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from greenroom.speech import testing
from tests.speech.conftest import PIECE_CACHE, require_festival


def _tone_wav(path: Path, seconds: float, rate: int = 48_000) -> Path:
    samples = array.array("h")
    for i in range(int(seconds * rate)):
        samples.append(int(6000 * math.sin(2 * math.pi * 440 * i / rate)))
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(samples.tobytes())
    return path


@functools.cache
def recording(*, video: bool = False, seconds: float = 1.5) -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        wav = _tone_wav(Path(scratch) / "tone.wav", seconds)
        return testing.to_live_webm(wav, Path(scratch) / "tone.webm", video=video).read_bytes()


@functools.cache
def tone_wav(seconds: float = 1.5) -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        return _tone_wav(Path(scratch) / "tone.wav", seconds).read_bytes()


@functools.cache
def video_without_sound(seconds: float = 1.0) -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "silent.webm"
        with av.open(str(path), "w", format="webm") as out:
            stream = out.add_stream("libvpx", rate=15)
            stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
            for index in range(int(seconds * 15)):
                image = av.VideoFrame(64, 48, "yuv420p")
                image.pts = index
                image.time_base = Fraction(1, 15)
                out.mux(stream.encode(image))
            out.mux(stream.encode(None))
        return path.read_bytes()


@dataclass(frozen=True)
class SpokenAnswer:
    known: testing.Spoken  # the text, pace and pauses that were put in
    webm: bytes  # as a browser records it


# Answers spoken by festival (strings spoken, numbers seconds of silence between them).
STAR_PIECES: list[str | float] = [
    "When I was working at a small bakery, my task was to deliver two hundred boxes.",
    "I decided to make a list of every order, and to start with the biggest ones.",
    2.5,
    "As a result, we finished a day early.",
]
SHORT_PIECES: list[str | float] = [
    "I would like to help your team build better tools for customers.",
]


@functools.cache
def _spoken(pieces: tuple[str | float, ...], stretch: float) -> SpokenAnswer:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        known = testing.synthesise(
            list(pieces), work / "answer.wav", cache=PIECE_CACHE, stretch=stretch
        )
        webm = testing.to_live_webm(known.path, work / "answer.webm").read_bytes()
        kept = Path(tempfile.mkdtemp(prefix="greenroom-answer-")) / "answer.wav"
        kept.write_bytes(known.path.read_bytes())
    return SpokenAnswer(
        known=testing.Spoken(
            path=kept,
            text=known.text,
            words=known.words,
            duration=known.duration,
            speech_start=known.speech_start,
            speech_end=known.speech_end,
            pauses=known.pauses,
        ),
        webm=webm,
    )


def spoken_answer(pieces: list[str | float] = STAR_PIECES, stretch: float = 1.2) -> SpokenAnswer:
    """A festival-made answer (made once per process); skips without festival."""
    require_festival()
    return _spoken(tuple(pieces), stretch)
