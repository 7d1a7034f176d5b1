from __future__ import annotations

from greenroom.practice.feedback import analyse


def test_filler_words_are_counted_as_whole_words() -> None:
    result = analyse("Um, I like, you know, likely liked it. Um. Basically, yes.")
    assert result["filler_words"] == {"um": 2, "like": 1, "you know": 1, "basically": 1}
    assert result["filler_total"] == 5


def test_star_parts_are_found_from_their_cues() -> None:
    full = analyse(
        "When I was at a shop, my task was to cut waste. I decided to weigh every delivery. "
        "As a result waste fell."
    )
    assert full["star"] == {"situation": True, "task": True, "action": True, "result": True}
    assert full["star_tip"] == "All four STAR parts are there."
    partial = analyse("I built a tool.")
    assert partial["star"] == {"situation": False, "task": False, "action": True, "result": False}
    assert partial["star_tip"] == "Consider adding: Situation, Task, Result."


def test_length_is_judged_in_words() -> None:
    assert analyse("word " * 59)["length"] == "short"
    assert analyse("word " * 60)["length"] == "good"
    assert analyse("word " * 351)["length"] == "long"
    assert analyse("word " * 351)["words"] == 351
