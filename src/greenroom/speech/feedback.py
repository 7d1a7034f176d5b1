"""Feedback on an answer, spoken or typed, with one set of rules for both.

Deliberately simple and explainable: word lists and a few rules of context, not a model.
Each part of the result comes with a sentence for the student saying what we found and what
good looks like ("You spoke at 172 words a minute; 140-160 is easy to follow.").

Filler words are judged in context. "like" is a filler as a hedge ("it was, like, really
hard"; "like three weeks"), not as a verb ("I would like to help", "I like working in
teams") nor as "similar to" ("it looks like", "tools like Jira"). "so", "actually", "you
know", "I mean", "kind of" and "sort of" get the same treatment (see `_is_filler`). A typed
comma, and in speech a silence between two words, count as the word being set off.

`analyse_text(text)` keeps the keys typed answers always had (words, length, length_tip,
filler_words, filler_total, star, star_tip) and adds filler_tip; `analyse_spoken(...)` has
those (length judged in seconds) plus pace, pauses and the answer's timing. Both take the
question's tips and then say which ones the answer touches. Results are JSON-ready dicts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from greenroom.speech.engines import Transcript, Word
from greenroom.speech.vad import LONG_PAUSE, VoiceActivity

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
SHORT_WORDS, LONG_WORDS = 60, 350  # typed answers
SHORT_SECONDS, LONG_SECONDS = 45, 150  # spoken answers: 45 s to 2.5 minutes
PACE_LOW, PACE_HIGH = 140, 160  # words a minute that are easy to follow
SPOKEN_PAUSE = 0.3  # seconds between two recognised words that count like a comma

# ---------------------------------------------------------------------------------------
# Filler words in context

HESITATIONS = ("um", "uh", "er", "erm", "uhm", "hmm")
ALWAYS = (*HESITATIONS, "basically", "literally")
FILLERS = (*ALWAYS, "like", "you know", "i mean", "actually", "kind of", "sort of", "so yeah",
           "so")  # fmt: skip

COMMA, STOP, PAUSE = ",", ".", "~"  # marks between words: typed comma, sentence end, silence
_MARKS = (COMMA, STOP, PAUSE)
_NUMBERS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty "
    "forty fifty sixty seventy eighty ninety hundred thousand million half".split()
)
# Before "like", these make it a verb: "I like", "I would like", "to like", "really like".
_LIKE_VERB_BEFORE = frozenset(
    "i you we they i'd you'd we'd they'd he'd she'd would should could might will "
    "do does did don't doesn't didn't not to really also always genuinely particularly "
    "still especially truly definitely".split()
)
# Before "like", these make it "similar to / such as": "looks like", "something like this".
_LIKE_SIMILAR_BEFORE = frozenset(
    "look looks looked looking seem seems seemed sound sounds sounded feel feels felt "
    "feeling act acts acted something anything nothing everything things stuff just much "
    "more exactly lot tools people companies languages skills ones".split()
)
# After "like", these mark a hedge: "like really", "like so many", "like, um", "like three".
_HEDGE_AFTER = frozenset(
    "really so very totally super just literally kind sort um uh er erm uhm basically "
    "actually maybe probably".split()
)
_AMOUNTS = frozenset("couple few dozen hundred thousand million".split())  # "like a few"
_DETERMINERS = frozenset(
    "a an the this that these those what which some any every each one no other same my "
    "your our their his her its all many several different another whatever".split()
)
_KNOW_VERB_BEFORE = frozenset(
    "do did don't didn't does doesn't if as what how whether would let lets letting "
    "that'll you'll might may".split()
)
_KNOW_VERB_AFTER = frozenset(
    "how what who where when why whether that the a an about him her them it this these "
    "those me us your my their our his someone something everyone everybody each exactly "
    "more better enough".split()
)
_MEAN_VERB_BEFORE = frozenset("what do did don't didn't not".split())
_MEAN_VERB_AFTER = frozenset("it that to what".split())
_SO_NOT_FILLER_AFTER = frozenset("far much many long that".split())
_SO_END_BEFORE = frozenset("think hope guess believe suppose said say do did not more even".split())
_SO_FILLER_AFTER = frozenset("yeah um uh er erm like anyway basically yes right okay ok".split())


def _tokens_of_text(text: str) -> list[str]:
    """Lower-case words and marks: "," for , ; : and dashes, "." for . ! ?"""
    tokens: list[str] = []
    for match in re.finditer(r"[\w']+|[.!?]+|[,;:\u2013\u2014]|\s-+\s", text.lower()):
        token = match.group().strip()
        if token[0] in ".!?":
            tokens.append(STOP)
        elif not (token[0].isalnum() or token[0] in "'_"):
            tokens.append(COMMA)
        else:
            tokens.append(token.strip("'") or token)
    return tokens


def _tokens_of_words(words: Sequence[Word]) -> list[str]:
    tokens: list[str] = []
    for before, word in zip((None, *words), words, strict=False):
        if before is not None and word.start - before.end >= SPOKEN_PAUSE:
            tokens.append(PAUSE)
        tokens.append(word.text.lower())
    return tokens


@dataclass(frozen=True, slots=True)
class _Filler:
    phrase: str
    index: int  # first token of the phrase
    size: int  # tokens it spans


def _word_at(tokens: Sequence[str], index: int) -> str | None:
    return tokens[index] if 0 <= index < len(tokens) else None


def _is_filler(tokens: Sequence[str], i: int, phrase: str) -> bool:
    """Is `phrase`, starting at tokens[i], a filler here? The rules of context."""
    size = len(phrase.split())
    before = _word_at(tokens, i - 1)  # a word, a mark, or None at the very start
    after = _word_at(tokens, i + size)  # likewise, after the phrase
    after2 = _word_at(tokens, i + size + 1)
    sentence_start = before is None or before == STOP
    set_off_before = before in (COMMA, PAUSE)
    set_off_after = after in (COMMA, PAUSE, STOP, None)
    if phrase in ALWAYS:
        return True
    if phrase == "like":
        if after == COMMA:  # "it was, like, ..." / "I like, you know, ..." (typed)
            return True
        if before in _LIKE_VERB_BEFORE or before in _LIKE_SIMILAR_BEFORE:
            return False  # "I would like to", "looks like", "something like that"
        if after in _HEDGE_AFTER or after in _NUMBERS or (after or "").isdigit():
            return True  # "like really hard", "like three weeks", "like 20 people"
        if (after == "a" and after2 in _AMOUNTS) or (after, after2) == ("you", "know"):
            return True  # "like a couple of days", "like you know"
        if after == PAUSE or (set_off_before and set_off_after):
            return True
        return sentence_start and set_off_after  # "Like, ..." opening a sentence
    if phrase == "you know":
        if before in _KNOW_VERB_BEFORE:
            return False  # "do you know", "as you know", "let you know"
        return after not in _KNOW_VERB_AFTER  # "you know how to", "you know the answer"
    if phrase == "i mean":
        if before in _MEAN_VERB_BEFORE or after in _MEAN_VERB_AFTER:
            return False  # "what I mean is", "I mean it"
        return True
    if phrase in ("kind of", "sort of"):
        return before not in _DETERMINERS  # "what kind of role" is not a hedge
    if phrase == "actually":
        # Inside a clause it stresses a fact ("it actually worked"); opening a sentence or
        # set off by commas or silence it is padding.
        return sentence_start or set_off_before or set_off_after or after in _HEDGE_AFTER
    if phrase == "so yeah":
        return True
    if phrase == "so":
        if after in _SO_FILLER_AFTER:
            return True  # "so um", "so, like"
        if before is None:  # opening the answer: "So, I was working ..."
            return after not in _SO_NOT_FILLER_AFTER
        if after in (STOP, None) and before in _SO_END_BEFORE:
            return False  # "I think so."
        if after == COMMA or after in (STOP, None):
            return True  # "so, ..." / trailing "so."
        return set_off_before and after == PAUSE  # "... so ... " hanging in silence
    return False


def _find_fillers(tokens: Sequence[str]) -> list[_Filler]:
    found: list[_Filler] = []
    phrases = sorted(FILLERS, key=lambda p: -len(p.split()))  # longest first: "so yeah"
    i = 0
    while i < len(tokens):
        for phrase in phrases:
            parts = phrase.split()
            if list(tokens[i : i + len(parts)]) == parts and _is_filler(tokens, i, phrase):
                found.append(_Filler(phrase, i, len(parts)))
                i += len(parts)
                break
        else:
            i += 1
    return found


def _context(tokens: Sequence[str], filler: _Filler) -> str:
    """A few words around a filler, e.g. "it was, like, really hard"."""
    start, end = max(0, filler.index - 3), min(len(tokens), filler.index + filler.size + 3)
    text = ""
    for token in tokens[start:end]:
        if token in (COMMA, PAUSE):
            text += ","
        elif token == STOP:
            text += "."
        else:
            text += (" " if text else "") + token
    return text.strip(" ,.")


def _filler_result(tokens: Sequence[str]) -> dict[str, Any]:
    found = _find_fillers(tokens)
    counts: dict[str, int] = {}
    for filler in found:
        counts[filler.phrase] = counts.get(filler.phrase, 0) + 1
    total = sum(counts.values())
    if not total:
        tip = "No filler words: you sound sure of what you are saying."
    else:
        listed = ", ".join(
            f'"{phrase}" {n} time{"s" if n > 1 else ""}'
            for phrase, n in sorted(counts.items(), key=lambda item: -item[1])
        )
        tip = f"{total} filler word{'s' if total > 1 else ''}: {listed}."
        contextual = [f for f in found if f.phrase not in HESITATIONS]
        if contextual:
            tip += f' For example: "{_context(tokens, contextual[0])}".'
        tip += " A short silent pause sounds more confident than a filler."
    return {"filler_words": counts, "filler_total": total, "filler_tip": tip}


# ---------------------------------------------------------------------------------------
# STAR and the question's tips


def _has_cue(cue: str, lowered: str) -> bool:
    """The cue at the start of a word: "our team" is not in "your team"; "result" is in
    "results"."""
    return re.search(rf"(?<![a-z']){re.escape(cue)}", lowered) is not None


def _star(lowered: str) -> dict[str, Any]:
    star = {part: any(_has_cue(cue, lowered) for cue in cues) for part, cues in STAR_CUES.items()}
    missing = [part for part, present in star.items() if not present]
    return {
        "star": star,
        "star_tip": (
            "All four STAR parts are there."
            if not missing
            else "Consider adding: " + ", ".join(p.title() for p in missing) + "."
        ),
    }


_TIP_STOPWORDS = frozenset(
    """about above after again against also answer answers because been before being below
    between both could does doing down during each example first from further have having
    here into itself just mention more most much once only other ought over same says should
    show some such than that their them then there these they this those through under until
    very what when where whether which while will with without would your yours yourself
    make sure give include explain describe spend finish close choose pick name end keep
    tell talk sentence sentences interviewer really something someone thing things""".split()
)


def _stem(word: str) -> str:
    word = word.lower().removesuffix("'s").replace("iz", "is")
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _keywords(text: str) -> list[str]:
    seen: list[str] = []
    for word in re.findall(r"[a-z']+", text.lower()):
        if len(word) >= 4 and word not in _TIP_STOPWORDS and _stem(word) not in seen:
            seen.append(_stem(word))
    return seen


def _tips(answer: str, tips: Sequence[str]) -> dict[str, Any]:
    said = {_stem(word) for word in re.findall(r"[a-z']+", answer)}
    results = []
    for tip in tips:
        keys = _keywords(tip)
        matched = [key for key in keys if key in said]
        needed = max(1, math.ceil(len(keys) / 3))
        results.append(
            {"tip": tip, "covered": bool(keys) and len(matched) >= needed, "matched": matched}
        )
    covered = sum(1 for r in results if r["covered"])
    missing = [str(r["tip"]) for r in results if not r["covered"]]
    if not results:
        tip_text = ""
    elif not missing:
        tip_text = f"Your answer touches all {len(results)} tips for this question."
    else:
        tip_text = (
            f"Your answer touches {covered} of the {len(results)} tips for this question. "
            f'Not yet: "{missing[0].rstrip(".")}"'
            + (f" and {len(missing) - 1} more." if len(missing) > 1 else ".")
            + " We look for the tips' key words, so treat this as a hint."
        )
    return {"tips": results, "tips_covered": covered, "tips_tip": tip_text}


# ---------------------------------------------------------------------------------------
# Typed and spoken answers


def analyse_text(text: str, tips: Sequence[str] | None = None) -> dict[str, Any]:
    """Feedback on a typed answer (the keys typed answers have always had, plus filler_tip)."""
    lowered = " ".join(text.lower().split())
    words = len(re.findall(r"[\w']+", lowered))
    if words < SHORT_WORDS:
        length = "short"
        length_tip = f"{words} words: add detail; strong answers usually run 60 to 350 words."
    elif words > LONG_WORDS:
        length = "long"
        length_tip = f"{words} words: tighten it; aim for under {LONG_WORDS}."
    else:
        length = "good"
        length_tip = f"{words} words: a good length."
    result: dict[str, Any] = {"words": words, "length": length, "length_tip": length_tip}
    result |= _filler_result(_tokens_of_text(text))
    result |= _star(lowered)
    if tips is not None:
        result |= _tips(lowered, tips)
    return result


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _duration_words(seconds: float) -> str:
    seconds = round(seconds)
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} seconds"
    text = f"{minutes} minute{'s' if minutes > 1 else ''}"
    return text + (f" {rest} seconds" if rest else "")


def _pace(wpm: float | None) -> tuple[str, str]:
    easy = f"{PACE_LOW}-{PACE_HIGH} is easy to follow"
    if wpm is None:
        return "unknown", "We could not hear enough words to measure your pace."
    said = f"You spoke at {round(wpm)} words a minute; {easy}."
    if wpm < PACE_LOW - 20:
        return "slow", said + " Try to keep going between points; it helps you sound sure."
    if wpm < PACE_LOW:
        return "a little slow", said + " A touch faster would keep the energy up."
    if wpm <= PACE_HIGH:
        return "good", said + " That is a comfortable pace."
    if wpm <= PACE_HIGH + 20:
        return "a little fast", said + " Slow down a little and pause after each main point."
    return "fast", said + " Slow down and breathe between points: the interviewer is taking notes."


def analyse_spoken(
    transcript: Transcript,
    activity: VoiceActivity,
    tips: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Feedback on a spoken answer from its transcript and its voice activity."""
    words = transcript.words
    count = len(words)
    if words:
        start, end = words[0].start, words[-1].end
    else:
        start, end = activity.first_speech or 0.0, activity.last_speech or 0.0
    answer_seconds = max(0.0, end - start)
    wpm = count / (answer_seconds / 60) if count >= 5 and answer_seconds >= 5 else None
    pace, pace_tip = _pace(wpm)
    said = _duration_words(answer_seconds)
    if answer_seconds < SHORT_SECONDS:
        length, length_tip = "short", f"You spoke for {said}: add detail; aim for 1 to 2 minutes."
    elif answer_seconds > LONG_SECONDS:
        length, length_tip = "long", f"You spoke for {said}: tighten it; aim for under 2 minutes."
    else:
        length, length_tip = "good", f"You spoke for {said}: a good length."
    pauses = [{"start": round(p.start, 1), "seconds": round(p.seconds, 1)} for p in activity.pauses]
    if not pauses:
        pause_tip = f"No long pauses (over {LONG_PAUSE:g} seconds): you kept going."
    else:
        at = ", ".join(_clock(p.start) for p in activity.pauses)
        pause_tip = (
            f"{len(pauses)} long pause{'s' if len(pauses) > 1 else ''} (over {LONG_PAUSE:g} "
            f"seconds), at {at}. A moment to think is fine; if it happens often, practise the "
            "outline of your answer (situation, task, action, result) first."
        )
    lowered = transcript.text.lower()
    result: dict[str, Any] = {
        "kind": "spoken",
        "words": count,
        "length": length,
        "length_tip": length_tip,
        "duration_seconds": round(activity.duration, 1),
        "answer_seconds": round(answer_seconds, 1),
        "speaking_seconds": round(activity.speaking_seconds, 1),
        "lead_in_seconds": round(start, 1),
        "words_per_minute": None if wpm is None else round(wpm),
        "pace": pace,
        "pace_tip": pace_tip,
        "long_pauses": pauses,
        "pause_total": len(pauses),
        "pause_tip": pause_tip,
    }
    result |= _filler_result(_tokens_of_words(words))
    result |= _star(lowered)
    if tips is not None:
        result |= _tips(lowered, tips)
    return result
