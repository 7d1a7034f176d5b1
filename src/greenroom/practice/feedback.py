"""Automatic feedback on a typed answer: length, filler words, and which STAR parts show up.

The rules live in `greenroom.speech.feedback`, shared with spoken answers (one filler rule for
both: "like" as a verb, as in "I would like to help", is not a filler). This module keeps the
name its callers use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from greenroom.speech.feedback import FILLERS, LONG_WORDS, SHORT_WORDS, STAR_CUES, analyse_text

__all__ = ["FILLERS", "LONG_WORDS", "SHORT_WORDS", "STAR_CUES", "analyse"]


def analyse(text: str, tips: Sequence[str] | None = None) -> dict[str, Any]:
    """Feedback on a typed answer; with the question's `tips`, which of them it touches."""
    return analyse_text(text, tips)
