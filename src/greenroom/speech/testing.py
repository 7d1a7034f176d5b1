"""Helpers for the speech tests and `bench/speech.py`; the application does not use them.

- `synthesise`: a spoken answer from known text with Debian's festival (`text2wave`, voice
  kal_diphone from `festvox-kallpc16k`), in pieces joined by silences of known length, so
  the pace and the pauses are known.
- `word_error_rate`: the usual WER (substitutions + deletions + insertions over the
  reference's words), on words normalised the same way as the feedback counts them.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from greenroom.speech.media import SAMPLE_RATE

VOICE = "voice_kal_diphone"
# Festival pads each piece with near-silence (a low hum, a DC offset). Trimming the 10 ms
# frames at either end whose level (RMS less the mean) is under -40 dBFS leaves the audible
# speech, so the lead-in, the pauses and the tail are exactly what we put there.
_FRAME = SAMPLE_RATE // 100
_AUDIBLE = 330


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


def _level(frame: Sequence[int]) -> float:
    mean = sum(frame) / len(frame)
    return math.sqrt(sum((x - mean) ** 2 for x in frame) / len(frame))


def _piece(text: str, cache: Path, stretch: float) -> bytes:
    """PCM of one piece of text, without the silence festival puts around it (cached)."""
    key = hashlib.sha256(f"{VOICE}\n{stretch:g}\n{_AUDIBLE}\n{text}".encode()).hexdigest()[:32]
    path = cache / f"{key}.pcm"
    if path.exists():
        return path.read_bytes()
    program = text2wave()
    if program is None:
        raise RuntimeError("text2wave (Debian's festival) is not installed")
    with tempfile.TemporaryDirectory() as scratch:
        wav = Path(scratch) / "piece.wav"
        subprocess.run(  # noqa: S603 - the fixed program found on PATH, text on stdin
            [program, "-eval", f"(begin ({VOICE}) {_stretch(stretch)})", "-o", str(wav)],
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
    audible = [
        index
        for index in range(len(samples) // _FRAME)
        if _level(samples[index * _FRAME : (index + 1) * _FRAME]) >= _AUDIBLE
    ]
    trimmed = pcm[audible[0] * _FRAME * 2 : (audible[-1] + 1) * _FRAME * 2]
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_bytes(trimmed)
    partial.replace(path)  # atomic: parallel test workers may make the same piece
    return trimmed


def _stretch(stretch: float) -> str:
    return f"(Parameter.set 'Duration_Stretch {stretch:g})"


def synthesise(
    pieces: Sequence[str | float],
    path: Path,
    *,
    cache: Path,
    lead_in: float = 0.5,
    tail: float = 0.5,
    gap: float = 0.25,
    stretch: float = 1.0,
) -> Spoken:
    """Speak `pieces` into a WAV at `path`: strings are spoken, numbers are silences (s).

    Two spoken pieces in a row are joined by `gap` seconds (a breath, under any pause
    threshold); a number puts that many seconds of silence instead. `stretch` slows the
    voice down (1.3: 30% longer) or speeds it up (0.9). Pieces are cached in `cache`.
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
        out += _piece(piece, cache, stretch)
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


def to_live_webm(wav: Path, dst: Path, *, video: bool = False) -> Path:
    """`wav` as browsers' MediaRecorder writes it: Opus (and VP8 with `video`) in a WebM
    written as a live stream, so the file has no duration and no cues."""
    with wave.open(str(wav), "rb") as reader:
        rate, channels = reader.getframerate(), reader.getnchannels()
        pcm = reader.readframes(reader.getnframes())
    layout = "mono" if channels == 1 else "stereo"
    with av.open(str(dst), "w", format="webm", options={"live": "1"}) as out:
        audio = out.add_stream("libopus", rate=48_000)
        audio.layout = layout
        picture = out.add_stream("libvpx", rate=15) if video else None
        if picture is not None:
            picture.width, picture.height, picture.pix_fmt = 64, 48, "yuv420p"
        resampler = av.AudioResampler(format="s16", layout=layout, rate=48_000)
        step = rate // 50  # 20 ms
        samples = 0

        def encode(frames: list[av.AudioFrame]) -> None:
            nonlocal samples
            for frame in frames:
                frame.pts = samples
                frame.time_base = Fraction(1, 48_000)
                samples += frame.samples
                out.mux(audio.encode(frame))

        for start in range(0, len(pcm) // (2 * channels), step):
            chunk = pcm[start * 2 * channels : (start + step) * 2 * channels]
            frame = av.AudioFrame(format="s16", layout=layout, samples=len(chunk) // 2 // channels)
            frame.planes[0].update(chunk)
            frame.sample_rate = rate
            frame.pts = start
            encode(resampler.resample(frame))
        encode(resampler.resample(None))
        out.mux(audio.encode(None))
        if picture is not None:
            for index in range(int(len(pcm) / 2 / channels / rate * 15)):
                image = av.VideoFrame(64, 48, "yuv420p")
                image.pts = index
                image.time_base = Fraction(1, 15)
                out.mux(picture.encode(image))
            out.mux(picture.encode(None))
    return dst


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
