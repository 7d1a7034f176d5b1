"""Voice activity from the audio: when the speaker talks, for how long, and the long pauses.

WebRTC's voice activity detector (PyPI `webrtcvad-wheels`, a compiled wheel, no model to
fetch) classifies each 30 ms frame of 16 kHz mono PCM as speech or not. Frames are then
smoothed into speech spans: gaps shorter than `join_gap` (the stops inside and between words)
are joined, blips shorter than `min_speech` (a click, a breath) are dropped. A pause is a gap
between two spans; a long pause is one of at least `long_pause` seconds inside the answer
(silence before the first word or after the last is not a pause in the answer).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import webrtcvad

from greenroom.speech.media import SAMPLE_RATE

FRAME_SECONDS = 0.03
_FRAME_BYTES = int(SAMPLE_RATE * FRAME_SECONDS) * 2
LONG_PAUSE = 2.0  # seconds of silence inside an answer that a listener notices as a long pause


@dataclass(frozen=True, slots=True)
class Span:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class VoiceActivity:
    duration: float  # seconds of audio analysed
    speech: tuple[Span, ...]  # when the speaker is talking
    pauses: tuple[Span, ...]  # silences of at least `long_pause` between two speech spans

    @property
    def speaking_seconds(self) -> float:
        """Time spent talking (the short stops between words count as talking)."""
        return sum(span.seconds for span in self.speech)

    @property
    def first_speech(self) -> float | None:
        return self.speech[0].start if self.speech else None

    @property
    def last_speech(self) -> float | None:
        return self.speech[-1].end if self.speech else None

    @property
    def answer_seconds(self) -> float:
        """From the first word to the last: the answer's length without lead-in or tail."""
        if not self.speech:
            return 0.0
        return self.speech[-1].end - self.speech[0].start


def detect(
    pcm: bytes,
    *,
    aggressiveness: int = 2,
    join_gap: float = 0.3,
    min_speech: float = 0.2,
    long_pause: float = LONG_PAUSE,
) -> VoiceActivity:
    """Speech spans and long pauses in 16 kHz mono s16le `pcm`.

    `aggressiveness` is WebRTC's mode, 0 (keeps most as speech) to 3 (drops most noise); 2
    holds up for laptop microphones in a quiet room.
    """
    vad = webrtcvad.Vad(aggressiveness)
    frames = len(pcm) // _FRAME_BYTES
    runs: list[list[int]] = []  # [first frame, end frame) of each run of speech frames
    for index in range(frames):
        chunk = pcm[index * _FRAME_BYTES : (index + 1) * _FRAME_BYTES]
        if vad.is_speech(chunk, SAMPLE_RATE):
            if runs and runs[-1][1] == index:
                runs[-1][1] = index + 1
            else:
                runs.append([index, index + 1])
    join = round(join_gap / FRAME_SECONDS)
    joined: list[list[int]] = []
    for run in runs:
        if joined and run[0] - joined[-1][1] < join:
            joined[-1][1] = run[1]
        else:
            joined.append(run)
    shortest = round(min_speech / FRAME_SECONDS)
    speech = tuple(
        Span(start * FRAME_SECONDS, end * FRAME_SECONDS)
        for start, end in joined
        if end - start >= shortest
    )
    pauses = tuple(
        Span(before.end, after.start)
        for before, after in itertools.pairwise(speech)
        if after.start - before.end >= long_pause
    )
    return VoiceActivity(duration=len(pcm) / 2 / SAMPLE_RATE, speech=speech, pauses=pauses)
