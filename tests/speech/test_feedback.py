"""The feedback rules, typed and spoken: fillers in context, pace, pauses, length, tips."""

from __future__ import annotations

import json

import pytest

from greenroom.practice import feedback as practice_feedback
from greenroom.speech.engines import Transcript, Word
from greenroom.speech.feedback import analyse_spoken, analyse_text
from greenroom.speech.vad import Span, VoiceActivity


def fillers(text: str) -> dict[str, int]:
    result: dict[str, int] = analyse_text(text)["filler_words"]
    return result


@pytest.mark.parametrize(
    "text",
    [
        "I would like to help.",
        "I'd like to help your team.",
        "I like working in teams.",
        "We really like clear goals.",
        "I didn't like the old process.",
        "It looks like a bug.",
        "It sounds like a good plan.",
        "I used tools like Jira and Slack.",
        "Something like that happens every week.",
        "Like my manager, I prefer written plans.",
        "I learned what it is like to lead a team.",
        "It was like a family.",
    ],
)
def test_like_with_a_meaning_is_not_a_filler(text: str) -> None:
    assert "like" not in fillers(text)


@pytest.mark.parametrize(
    "text",
    [
        "It was, like, really hard.",
        "it was like really hard",
        "We had like three days.",
        "There were like 20 people.",
        "It took like a couple of weeks.",
        "Like, I don't know.",
        "I was like, no way.",
        "and then like you know we left",
    ],
)
def test_like_as_a_hedge_is_a_filler(text: str) -> None:
    assert fillers(text).get("like") == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("So I was working at a bakery.", {"so": 1}),  # opening the answer
        ("So far, I have led two teams.", {}),
        ("I was tired, so I left early.", {}),
        ("I think so.", {}),
        ("It was so much work.", {}),
        ("So yeah, that is it.", {"so yeah": 1}),
        ("We finished, so, um, yes.", {"so": 1, "um": 1}),
        ("It actually worked.", {}),
        ("Actually, it worked.", {"actually": 1}),
        ("I was, you know, nervous.", {"you know": 1}),
        ("Do you know how to code?", {}),
        ("As you know, we sell bread.", {}),
        ("You know the answer.", {}),
        ("I mean, it was fine.", {"i mean": 1}),
        ("What I mean is this.", {}),
        ("I kind of led the project.", {"kind of": 1}),
        ("What kind of role is it?", {}),
        ("It was a sort of test.", {}),
        ("Um, uh, basically, I literally ran.", {"um": 1, "uh": 1, "basically": 1, "literally": 1}),
    ],
)
def test_other_fillers_are_judged_in_context(text: str, expected: dict[str, int]) -> None:
    assert fillers(text) == expected


def test_typed_answers_keep_their_keys_and_get_the_fixed_rule() -> None:
    result = practice_feedback.analyse("I would like to help. Um, it was, like, really hard.")
    assert {
        "words",
        "length",
        "length_tip",
        "filler_words",
        "filler_total",
        "star",
        "star_tip",
    } <= set(result)
    assert result["filler_words"] == {"um": 1, "like": 1}
    assert result["filler_total"] == 2
    assert result == analyse_text("I would like to help. Um, it was, like, really hard.")
    assert result["filler_tip"] == (
        '2 filler words: "um" 1 time, "like" 1 time. For example: "it was, like, really hard". '
        "A short silent pause sounds more confident than a filler."
    )
    json.dumps(result)


def test_star_cues_start_a_word() -> None:
    assert analyse_text("I would like to help your team.")["star"]["situation"] is False
    assert analyse_text("Our team grew.")["star"]["situation"] is True
    assert analyse_text("The results were good; sales rose 20%.")["star"]["result"] is True


def test_no_fillers_is_said_plainly() -> None:
    assert analyse_text("I would like to help.")["filler_tip"] == (
        "No filler words: you sound sure of what you are saying."
    )


def test_tips_are_covered_by_their_key_words() -> None:
    tips = [
        "Say what the deadline was and why it was tight in one or two sentences.",
        "Mention who you brought on board; acting alone can sound risky.",
        "Finish with whether you met the deadline and what you would plan differently.",
    ]
    answer = (
        "The deadline was Friday and it was tight because two people were ill. "
        "We met the deadline, and next time I would plan the work differently."
    )
    result = analyse_text(answer, tips)
    assert [t["covered"] for t in result["tips"]] == [True, False, True]
    assert result["tips_covered"] == 2
    assert result["tips_tip"] == (
        "Your answer touches 2 of the 3 tips for this question. "
        'Not yet: "Mention who you brought on board; acting alone can sound risky". '
        "We look for the tips' key words, so treat this as a hint."
    )
    assert "tips" not in analyse_text(answer)  # no tips given, no tips keys
    assert analyse_text("We planned it.", [])["tips_tip"] == ""


def timed(
    text: str, *, start: float = 1.0, rate: float = 2.5, pauses: dict[int, float]
) -> Transcript:
    """Words spoken at `rate` a second, with silences after the word indexes in `pauses`."""
    words, t = [], start
    for index, word in enumerate(text.split()):
        words.append(Word(word, t, t + 0.8 / rate))
        t += 1 / rate + pauses.get(index, 0.0)
    return Transcript(engine="test", words=tuple(words))


def activity_for(transcript: Transcript, long: list[tuple[float, float]]) -> VoiceActivity:
    first, last = transcript.words[0].start, transcript.words[-1].end
    return VoiceActivity(
        duration=last + 1.5,
        speech=(Span(first, last),),
        pauses=tuple(Span(a, b) for a, b in long),
    )


def test_spoken_pace_pauses_and_length_are_explained() -> None:
    # 150 words at 2.5 words a second with one 3 s pause: 60 s of talking + 3 s.
    text = " ".join(["we planned the week together"] * 30)
    transcript = timed(text, pauses={74: 3.0})
    result = analyse_spoken(transcript, activity_for(transcript, [(30.9, 33.9)]))
    assert result["words"] == 150
    assert result["answer_seconds"] == 62.9  # first word's start to last word's end
    assert result["words_per_minute"] == 143
    assert result["pace"] == "good"
    assert result["pace_tip"] == (
        "You spoke at 143 words a minute; 140-160 is easy to follow. That is a comfortable pace."
    )
    assert result["length"] == "good"
    assert result["length_tip"] == "You spoke for 1 minute 3 seconds: a good length."
    assert result["long_pauses"] == [{"start": 30.9, "seconds": 3.0}]
    assert result["pause_tip"].startswith("1 long pause (over 2 seconds), at 0:31.")
    assert result["lead_in_seconds"] == 1.0
    json.dumps(result)


@pytest.mark.parametrize(
    ("rate", "pace", "advice"),
    [
        (1.8, "slow", "keep going between points"),  # 108 words a minute
        (2.2, "a little slow", "A touch faster"),  # 132
        (2.8, "a little fast", "Slow down a little"),  # 168
        (3.2, "fast", "Slow down and breathe"),  # 192
    ],
)
def test_pace_advice_follows_the_rate(rate: float, pace: str, advice: str) -> None:
    transcript = timed(" ".join(["we planned it"] * 40), rate=rate, pauses={})
    result = analyse_spoken(transcript, activity_for(transcript, []))
    assert result["pace"] == pace, result["words_per_minute"]
    assert advice in result["pace_tip"]


def test_a_silence_in_speech_counts_like_a_comma_for_fillers() -> None:
    hedge = timed("it was like really hard", pauses={1: 0.5, 2: 0.5})
    assert analyse_spoken(hedge, activity_for(hedge, []))["filler_words"] == {"like": 1}
    # A pause before the verb does not make it a hedge: "I would ... like to help".
    verb = timed("i would like to help your team", pauses={1: 0.8})
    assert analyse_spoken(verb, activity_for(verb, []))["filler_words"] == {}
    opening = timed("so i started with a list", pauses={0: 0.6})
    assert analyse_spoken(opening, activity_for(opening, []))["filler_words"] == {"so": 1}


def test_a_short_spoken_answer_and_an_empty_one() -> None:
    short = timed("i built a tool and as a result we saved time", pauses={})
    result = analyse_spoken(short, activity_for(short, []))
    assert result["length"] == "short"
    assert result["words_per_minute"] is None  # under 5 seconds: too little to judge a pace
    assert result["star"] == {"situation": False, "task": False, "action": True, "result": True}
    empty = analyse_spoken(
        Transcript(engine="test", words=()), VoiceActivity(duration=4.0, speech=(), pauses=())
    )
    assert empty["words"] == 0 and empty["pace"] == "unknown"
    assert empty["pace_tip"] == "We could not hear enough words to measure your pace."
