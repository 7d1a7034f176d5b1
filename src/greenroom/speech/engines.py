"""Transcription engines: one small interface, a registry by name, and PocketSphinx 5.

An engine turns 16 kHz mono s16le PCM (`media.decode_pcm`) into timed words. The engine in
use is chosen by name (a setting will name it); `get_engine(name)` builds it once per process
and hands back the same instance after that, so a model is loaded once per worker.

Plugging in another engine (an operator's choice, e.g. a larger offline model installed on
their server): write a class with `name` and `transcribe()` as in `Engine`, then either
`register_engine("mine", MyEngine)` at import time of their own package, or set the engine
name to "package.module:MyEngine" and `get_engine` imports it. Nothing here downloads
anything: an engine must load its model from files installed with it.
"""

from __future__ import annotations

import importlib
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from greenroom.speech import vad
from greenroom.speech.media import BYTES_PER_SECOND, SAMPLE_RATE

DEFAULT_ENGINE = "pocketsphinx"


@dataclass(frozen=True, slots=True)
class Word:
    text: str  # lower case, as the engine's dictionary spells it
    start: float  # seconds from the start of the recording
    end: float


@dataclass(frozen=True, slots=True)
class Transcript:
    engine: str
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: {"engine", "text", "words": [{"text", "start", "end"}, ...]}."""
        return {
            "engine": self.engine,
            "text": self.text,
            "words": [
                {"text": w.text, "start": round(w.start, 2), "end": round(w.end, 2)}
                for w in self.words
            ],
        }


@runtime_checkable
class Engine(Protocol):
    """What a transcription engine offers. `transcribe` is blocking CPU work."""

    name: str

    def transcribe(self, pcm: bytes) -> Transcript:
        """Words spoken in 16 kHz mono s16le `pcm`, with their times in seconds."""
        ...


class UnknownEngine(LookupError):
    pass


_factories: dict[str, Callable[[], Engine]] = {}
_instances: dict[str, Engine] = {}
_lock = threading.Lock()


def register_engine(name: str, factory: Callable[[], Engine]) -> None:
    """Make `factory` (called once, on first use) the engine named `name`."""
    with _lock:
        _factories[name] = factory
        _instances.pop(name, None)


def engine_names() -> list[str]:
    return sorted(_factories)


def get_engine(name: str = DEFAULT_ENGINE) -> Engine:
    """The engine named `name` ("pocketsphinx", a registered name, or "module:attribute"),
    built on first use and shared by the whole process after that."""
    with _lock:
        engine = _instances.get(name)
        if engine is None:
            engine = _instances[name] = _build(name)
        return engine


def _build(name: str) -> Engine:
    factory = _factories.get(name)
    if factory is None and ":" in name:
        # An operator's own engine: "package.module:ClassOrFactory" (trusted configuration).
        module_name, _, attribute = name.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as exc:
            raise UnknownEngine(f"speech engine {name!r} cannot be imported: {exc}") from exc
    if factory is None:
        known = ", ".join(engine_names())
        raise UnknownEngine(f"no speech engine named {name!r} (known: {known})")
    engine = factory()
    if not isinstance(engine, Engine):
        raise UnknownEngine(f"speech engine {name!r} does not have name and transcribe()")
    return engine


class PocketSphinxEngine:
    """CMU PocketSphinx 5 with the US English model that ships inside its wheel.

    The model (37 MB: acoustic model, language model, dictionary) is loaded on the first
    `transcribe`, not at import, and kept for the life of the process. One decoder is not
    thread-safe, so calls are serialised on it; run more worker processes for more throughput.

    Long recordings are cut in pauses (voice activity) into utterances of at most
    `max_utterance` seconds where the speech allows, each decoded on its own: the search
    stays small, and a word's time is its utterance's start plus its frame offset.
    """

    name = "pocketsphinx"

    def __init__(self, *, max_utterance: float = 20.0) -> None:
        self.max_utterance = max_utterance
        self._decoder: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the model now rather than on the first `transcribe` (a worker's start-up)."""
        with self._lock:
            self._load()

    def _load(self) -> Any:
        if self._decoder is None:
            from pocketsphinx import Decoder, get_model_path

            self._decoder = Decoder(
                hmm=get_model_path("en-us/en-us"),
                lm=get_model_path("en-us/en-us.lm.bin"),
                dict=get_model_path("en-us/cmudict-en-us.dict"),
                loglevel="FATAL",
            )
        return self._decoder

    def transcribe(self, pcm: bytes) -> Transcript:
        words: list[Word] = []
        with self._lock:
            decoder = self._load()
            frame_rate = int(decoder.config["frate"])
            for start, end in self._utterances(pcm):
                decoder.start_utt()
                decoder.process_raw(pcm[start:end], False, True)
                decoder.end_utt()
                offset = start / BYTES_PER_SECOND
                for segment in decoder.seg():
                    text = _clean(segment.word)
                    if text:
                        words.append(
                            Word(
                                text,
                                offset + segment.start_frame / frame_rate,
                                offset + (segment.end_frame + 1) / frame_rate,
                            )
                        )
        return Transcript(engine=self.name, words=tuple(words))

    def _utterances(self, pcm: bytes) -> list[tuple[int, int]]:
        """Byte ranges to decode, covering all of `pcm`: cut in the middle of silences of
        half a second or more (voice activity), joined up to `max_utterance` seconds. Only
        what has no voice at all is left out, so the quiet edges of speech are decoded too."""
        activity = vad.detect(pcm, join_gap=0.5)
        total = len(pcm) // 2
        cuts = [
            int((before.end + after.start) / 2 * SAMPLE_RATE)
            for before, after in itertools.pairwise(activity.speech)
        ]
        ranges: list[tuple[int, int]] = []
        for start, end in itertools.pairwise([0, *cuts, total]):
            if ranges and (end - ranges[-1][0]) / SAMPLE_RATE <= self.max_utterance:
                ranges[-1] = (ranges[-1][0], end)
            else:
                ranges.append((start, end))
        # A stretch with no voice at all is skipped: decoding pure silence can make up words.
        spans = [(int(s.start * SAMPLE_RATE), int(s.end * SAMPLE_RATE)) for s in activity.speech]
        return [
            (start * 2, end * 2)
            for start, end in ranges
            if any(a < end and b > start for a, b in spans)
        ]


def _clean(word: str) -> str:
    """A dictionary word without PocketSphinx's markers; "" for silence and noise."""
    if word.startswith(("<", "[", "+")):
        return ""
    return word.split("(", 1)[0]


register_engine(PocketSphinxEngine.name, PocketSphinxEngine)
