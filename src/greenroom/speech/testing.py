"""Helpers for the speech tests and `bench/speech.py`; the application does not use them.

- `synthesise`: a spoken answer from known text with Debian's festival (`text2wave`, voice
  kal_diphone from `festvox-kallpc16k`), in pieces joined by silences of known length, so
  the pace and the pauses are known.
- `word_error_rate`: the usual WER (substitutions + deletions + insertions over the
  reference's words), on words normalised the same way as the feedback counts them.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from greenroom.speech.media import SAMPLE_RATE

VOICE = "voice_kal_diphone"
# Samples under this amplitude at the ends of a synthesised piece are silence (festival
# pads each piece); trimming them makes the lead-in, pauses and tail exactly what we say.
_SILENT = 64


def text2wave() -> str | None:
    return shutil.which("text2wave")


@dataclass(frozen=True, slots=True)
class Spoken:
    path: Path  # 16 kHz mono s16le WAV
    text: str  # every piece's text, joined by spaces
    words: int  # words in `text`
    duration: float  # seconds of audio
    speech_start: float  # seconds: the first piece starts here (after the lead-in)
    speech_end: float  # the last piece ends here (the tail follows)
    pauses: tuple[tuple[float, float], ...]  # (start, end) of each silence put between pieces

    @property
    def words_per_minute(self) -> float:
        return self.words / ((self.speech_end - self.speech_start) / 60)


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _piece(text: str, cache: Path) -> bytes:
    """PCM of one piece of text, without the silence festival puts around it (cached)."""
    key = hashlib.sha256(f"{VOICE}\n{text}".encode()).hexdigest()[:32]
    path = cache / f"{key}.pcm"
    if path.exists():
        return path.read_bytes()
    program = text2wave()
    if program is None:
        raise RuntimeError("text2wave (Debian's festival) is not installed")
    with tempfile.TemporaryDirectory() as scratch:
        wav = Path(scratch) / "piece.wav"
        subprocess.run(  # noqa: S603 - the fixed program found on PATH, text on stdin
            [program, "-eval", f"({VOICE})", "-o", str(wav)],
            input=text.encode(),
            check=True,
            capture_output=True,
            timeout=120,
        )
        with wave.open(str(wav), "rb") as reader:
            if (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) != (
                SAMPLE_RATE,
                1,
                2,
            ):
                raise RuntimeError("text2wave did not write 16 kHz mono 16-bit audio")
            pcm = reader.readframes(reader.getnframes())
    samples = memoryview(pcm).cast("h")
    first = next(i for i, s in enumerate(samples) if abs(s) > _SILENT)
    last = next(i for i in range(len(samples) - 1, -1, -1) if abs(samples[i]) > _SILENT)
    trimmed = pcm[first * 2 : (last + 1) * 2]
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_bytes(trimmed)
    partial.replace(path)  # atomic: parallel test workers may make the same piece
    return trimmed


def synthesise(
    pieces: Sequence[str | float],
    path: Path,
    *,
    cache: Path,
    lead_in: float = 0.5,
    tail: float = 0.5,
    gap: float = 0.25,
) -> Spoken:
    """Speak `pieces` into a WAV at `path`: strings are spoken, numbers are silences (s).

    Two spoken pieces in a row are joined by `gap` seconds (a breath, under any pause
    threshold); a number puts that many seconds of silence instead. Pieces are cached in
    `cache` by their text.
    """
    cache.mkdir(parents=True, exist_ok=True)

    def silence(seconds: float) -> bytes:
        return b"\0\0" * round(seconds * SAMPLE_RATE)

    out = bytearray(silence(lead_in))
    pauses: list[tuple[float, float]] = []
    texts: list[str] = []
    pending: float | None = None
    for piece in pieces:
        if isinstance(piece, int | float):
            pending = float(piece)
            continue
        if texts:
            start = len(out) / 2 / SAMPLE_RATE
            out += silence(gap if pending is None else pending)
            if pending is not None:
                pauses.append((start, len(out) / 2 / SAMPLE_RATE))
        pending = None
        out += _piece(piece, cache)
        texts.append(piece)
    speech_end = len(out) / 2 / SAMPLE_RATE
    out += silence(tail)
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(bytes(out))
    text = " ".join(texts)
    return Spoken(
        path=path,
        text=text,
        words=len(words_of(text)),
        duration=len(out) / 2 / SAMPLE_RATE,
        speech_start=lead_in,
        speech_end=speech_end,
        pauses=tuple(pauses),
    )


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, by edit distance."""
    ref, hyp = words_of(reference), words_of(hypothesis)
    if not ref:
        return float(bool(hyp))
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / len(ref)
