"""Voice activity on a made-up voice: a buzz with the harmonics of a speaking voice."""

from __future__ import annotations

import array
import math

import pytest

from greenroom.speech import vad
from greenroom.speech.media import SAMPLE_RATE

EDGE = 0.15  # seconds: how far a span's ends may be from where the voice starts and stops


def voice(seconds: float, pitch: float = 140.0) -> list[int]:
    out = []
    for i in range(int(seconds * SAMPLE_RATE)):
        t = i / SAMPLE_RATE
        buzz = sum(math.sin(2 * math.pi * pitch * h * t) / h for h in range(1, 16))
        out.append(int(3000 * buzz * (0.6 + 0.4 * math.sin(2 * math.pi * 4 * t))))
    return out


def silence(seconds: float) -> list[int]:
    return [0] * int(seconds * SAMPLE_RATE)


def pcm(*parts: list[int]) -> bytes:
    samples = [max(-32768, min(32767, s)) for part in parts for s in part]
    return array.array("h", samples).tobytes()


@pytest.fixture(scope="module")
def answer() -> vad.VoiceActivity:
    # 0.5 s lead-in | 2 s voice | 0.2 s breath | 1.5 s voice | 2.5 s pause | 2 s voice |
    # 1 s pause | 1 s voice | 0.5 s tail
    return vad.detect(
        pcm(
            silence(0.5),
            voice(2.0),
            silence(0.2),
            voice(1.5),
            silence(2.5),
            voice(2.0),
            silence(1.0),
            voice(1.0),
            silence(0.5),
        )
    )


def test_speech_spans_join_short_gaps_and_follow_the_voice(answer: vad.VoiceActivity) -> None:
    expected = [(0.5, 4.2), (6.7, 8.7), (9.7, 10.7)]
    assert len(answer.speech) == len(expected)
    for span, (start, end) in zip(answer.speech, expected, strict=True):
        assert span.start == pytest.approx(start, abs=EDGE)
        assert span.end == pytest.approx(end, abs=EDGE)
    assert answer.duration == pytest.approx(11.2, abs=0.01)
    assert answer.speaking_seconds == pytest.approx(6.7, abs=3 * EDGE)
    assert answer.answer_seconds == pytest.approx(10.2, abs=2 * EDGE)


def test_only_silences_over_two_seconds_inside_the_answer_are_long_pauses(
    answer: vad.VoiceActivity,
) -> None:
    assert len(answer.pauses) == 1  # not the 1 s pause, the lead-in or the tail
    (pause,) = answer.pauses
    assert pause.start == pytest.approx(4.2, abs=EDGE)
    assert pause.end == pytest.approx(6.7, abs=EDGE)


def test_a_click_in_a_pause_does_not_split_it() -> None:
    click = voice(0.03)
    activity = vad.detect(pcm(voice(1.0), silence(1.5), click, silence(1.5), voice(1.0)))
    assert len(activity.speech) == 2
    assert len(activity.pauses) == 1
    assert activity.pauses[0].seconds == pytest.approx(3.0, abs=2 * EDGE)


def test_silence_has_no_speech() -> None:
    activity = vad.detect(pcm(silence(3.0)))
    assert activity.speech == () and activity.pauses == ()
    assert activity.first_speech is None and activity.answer_seconds == 0.0
