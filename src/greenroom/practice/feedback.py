"""Automatic feedback on a text answer: length, filler words, and which STAR parts show up.

Deliberately simple and explainable: keyword cues, not a model. Each part of the result says
what we looked for, so a user can see why.
"""

from __future__ import annotations

import re
from typing import Any

FILLERS = ("um", "uh", "er", "like", "you know", "basically", "actually", "literally",
           "sort of", "kind of", "i mean", "so yeah")  # fmt: skip
STAR_CUES: dict[str, tuple[str, ...]] = {
    "situation": ("when i", "at my", "situation", "while i was", "last year", "in my role",
                  "we were", "our team", "context"),
    "task": ("my task", "i needed to", "i had to", "goal", "responsible for", "challenge",
             "my job was", "objective"),
    "action": ("i decided", "i built", "i led", "i organised", "i organized", "i created",
               "i talked", "i wrote", "i set up", "i started", "i took", "so i", "i worked"),
    "result": ("as a result", "result", "outcome", "increased", "reduced", "improved",
               "saved", "learned", "percent", "%", "in the end"),
}  # fmt: skip
SHORT_WORDS, LONG_WORDS = 60, 350


def _count(phrase: str, text: str) -> int:
    return len(re.findall(rf"(?<![\w']){re.escape(phrase)}(?![\w'])", text))


def analyse(text: str) -> dict[str, Any]:
    lowered = " ".join(text.lower().split())
    words = len(re.findall(r"[\w']+", lowered))
    fillers = {f: n for f in FILLERS if (n := _count(f, lowered))}
    star = {part: any(cue in lowered for cue in cues) for part, cues in STAR_CUES.items()}
    if words < SHORT_WORDS:
        length = "short"
        length_tip = f"{words} words: add detail; strong answers usually run 60 to 350 words."
    elif words > LONG_WORDS:
        length = "long"
        length_tip = f"{words} words: tighten it; aim for under {LONG_WORDS}."
    else:
        length = "good"
        length_tip = f"{words} words: a good length."
    missing = [part for part, present in star.items() if not present]
    return {
        "words": words,
        "length": length,
        "length_tip": length_tip,
        "filler_words": fillers,
        "filler_total": sum(fillers.values()),
        "star": star,
        "star_tip": (
            "All four STAR parts are there."
            if not missing
            else "Consider adding: " + ", ".join(p.title() for p in missing) + "."
        ),
    }
