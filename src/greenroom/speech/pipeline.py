"""One recording in, its transcript and feedback out: what a background job calls.

Blocking CPU work (seconds per minute of audio): run it in a worker process or a thread off
the event loop, never on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from greenroom.speech import engines, feedback, media, vad

MAX_SECONDS = 15 * 60  # longer recordings are analysed up to here


@dataclass(frozen=True, slots=True)
class SpokenAnalysis:
    transcript: engines.Transcript
    activity: vad.VoiceActivity
    feedback: dict[str, Any]


def analyse_recording(
    path: Path,
    *,
    engine: str = engines.DEFAULT_ENGINE,
    tips: Sequence[str] | None = None,
    max_seconds: float = MAX_SECONDS,
) -> SpokenAnalysis:
    """Decode `path`'s sound, transcribe it, find the pauses and build the feedback.

    Raises `media.MediaRefused` when the file has no decodable sound, and
    `engines.UnknownEngine` for an engine name that is not installed.
    """
    pcm = media.decode_pcm(path, max_seconds=max_seconds)
    transcript = engines.get_engine(engine).transcribe(pcm)
    activity = vad.detect(pcm)
    return SpokenAnalysis(
        transcript=transcript,
        activity=activity,
        feedback=feedback.analyse_spoken(transcript, activity, tips),
    )
