"""The engine registry and the PocketSphinx engine's life cycle (no festival needed)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pocketsphinx
import pytest

from greenroom.speech import engines
from greenroom.speech.media import BYTES_PER_SECOND


class EchoEngine:
    """An operator's engine, found by "module:attribute"."""

    name = "echo"

    def transcribe(self, pcm: bytes) -> engines.Transcript:
        seconds = len(pcm) / BYTES_PER_SECOND
        return engines.Transcript(self.name, (engines.Word("hello", 0.0, seconds),))


class NotAnEngine:
    pass


def test_pocketsphinx_is_the_default_and_is_built_once_per_process() -> None:
    engine = engines.get_engine()
    assert engines.DEFAULT_ENGINE == "pocketsphinx" == engine.name
    assert isinstance(engine, engines.PocketSphinxEngine)
    assert engines.get_engine("pocketsphinx") is engine
    assert "pocketsphinx" in engines.engine_names()


def test_the_model_is_loaded_on_first_use_and_kept() -> None:
    engine = engines.PocketSphinxEngine()
    assert engine._decoder is None  # nothing loaded at construction (or at import)
    silence = engine.transcribe(bytes(BYTES_PER_SECOND))
    assert silence.words == () and silence.text == ""
    decoder = engine._decoder
    assert decoder is not None
    engine.transcribe(bytes(BYTES_PER_SECOND // 2))
    assert engine._decoder is decoder
    # The model it loads is the one inside the installed wheel, not a download.
    package = Path(pocketsphinx.__file__).parent
    assert Path(decoder.config["hmm"]).is_relative_to(package)
    assert Path(decoder.config["lm"]).is_relative_to(package)


def test_an_operator_engine_is_found_by_module_and_attribute() -> None:
    name = f"{__name__}:EchoEngine"
    engine = engines.get_engine(name)
    assert engines.get_engine(name) is engine
    transcript = engine.transcribe(bytes(BYTES_PER_SECOND * 2))
    assert transcript.to_dict() == {
        "engine": "echo",
        "text": "hello",
        "words": [{"text": "hello", "start": 0.0, "end": 2.0}],
    }


def test_a_registered_engine_is_found_by_its_name() -> None:
    engines.register_engine("test-echo", EchoEngine)
    assert engines.get_engine("test-echo").name == "echo"
    assert "test-echo" in engines.engine_names()


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("whisper", "no speech engine named 'whisper'"),
        ("no.such.module:Engine", "cannot be imported"),
        (f"{__name__}:Missing", "cannot be imported"),
        (f"{__name__}:NotAnEngine", "does not have name and transcribe()"),
    ],
)
def test_an_unknown_engine_is_refused_by_name(name: str, says: str) -> None:
    with pytest.raises(engines.UnknownEngine, match=says.replace("(", r"\(").replace(")", r"\)")):
        engines.get_engine(name)


def test_long_audio_is_cut_in_its_pauses_and_nothing_is_left_out() -> None:
    from tests.speech.test_vad import pcm, silence, voice

    # 3 x (8 s of voice, 1 s pause): cut in the pauses, joined up to 10 s an utterance.
    audio = pcm(*[part for _ in range(3) for part in (voice(8.0), silence(1.0))])
    ranges = engines.PocketSphinxEngine(max_utterance=10.0)._utterances(audio)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(audio)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert len(ranges) == 3
    for (start, _), pause_middle in zip(ranges[1:], (8.5, 17.5), strict=True):
        assert abs(start / BYTES_PER_SECOND - pause_middle) <= 0.2
