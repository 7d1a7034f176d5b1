"""Speech benchmark: transcription accuracy, pace, pauses and speed on known spoken answers.

    PYTHONPATH=src python bench/speech.py [--core 0] [--engine pocketsphinx] [--cache DIR]

Makes 23 spoken answers from the known texts below with festival's `text2wave` (voice
kal_diphone, Debian's `festvox-kallpc16k`), with fillers and with silences put between
pieces, caches them (by text) under the temp dir, and takes each through the path a browser
recording takes: encoded to Opus in a live WebM (as MediaRecorder writes it: no duration),
remuxed, decoded to 16 kHz mono PCM, transcribed, voice activity, feedback. Transcription runs
pinned to one core. Prints per answer and overall: word error rate, words a minute measured
against the known figure, long pauses detected against those put in, and the real-time
factor (transcription seconds / audio seconds), wall clock and CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from greenroom.speech import engines, feedback, media, testing, vad

PAUSE_TOLERANCE = 0.4  # seconds: a detected pause matches an inserted one within this

# Strings are spoken; a number is that many seconds of silence between two pieces.
# Each answer: festival's Duration_Stretch (1.3 speaks 30% slower, 0.9 faster: paces from
# about 115 to 235 words a minute), then its pieces. US spellings: the model's dictionary is
# American ("apologized"), and a British spelling would count as a recognition error.
ANSWERS: dict[str, tuple[float, list[str | float]]] = {
    "deadline": (
        1.0,
        [
            "When I was working at a small bakery, our team had to deliver two hundred boxes by Friday.",
            "I made a list of every order and started with the biggest ones.",
            "As a result, we finished a day early.",
        ],
    ),
    "mistake": (
        1.15,
        [
            "In my first job I sent an email to the wrong customer.",
            2.5,
            "I called them straight away, apologized, and asked them to delete it.",
            "Since then I check the address twice before I press send.",
        ],
    ),
    "teamwork": (
        0.9,
        [
            "So, I was part of a group project at university with four other students.",
            "One person stopped answering messages, and we were worried about the deadline.",
            "I talked to him after class and found out he was ill.",
            "We shared his part between us and still handed it in on time.",
        ],
    ),
    "like_verb": (
        1.0,
        [
            "I would like to help your team build better tools for customers.",
            "I like working with people, and I enjoy solving problems together.",
        ],
    ),
    "like_hedge": (
        1.15,
        [
            "It was, like, really hard to finish the report on time.",
            "We had, like, three days, and the data was a mess.",
            2.5,
            "In the end we asked our manager for one more day.",
        ],
    ),
    "you_know": (
        1.3,
        [
            "I was, you know, quite nervous before my first presentation.",
            "So I practiced it three times with a friend.",
            3.0,
            "On the day it went well, and people asked good questions.",
        ],
    ),
    "learning": (
        1.15,
        [
            "Last year I had to learn a new accounting program in two weeks.",
            "I watched the training videos every evening and practiced on old invoices.",
            "After that I could process the monthly invoices on my own.",
        ],
    ),
    "customer": (
        1.0,
        [
            "A customer called because her order had not arrived.",
            "I checked the tracking number and saw it was lost.",
            2.5,
            "I sent a new parcel the same day and added a small gift.",
            "She wrote to thank us and ordered again the next month.",
        ],
    ),
    "priorities": (
        1.3,
        [
            "My task was to answer support emails and also prepare a weekly report.",
            "I decided to answer the urgent emails first, in the morning.",
            "Then I worked on the report in the afternoon, when it was quieter.",
        ],
    ),
    "strength": (
        1.0,
        [
            "I think my main strength is that I stay calm under pressure.",
            "Actually, my friends often ask me for help when they have a problem.",
            "I listen first, and then we make a plan together.",
        ],
    ),
    "weakness": (
        1.15,
        [
            "Um, I sometimes spend too long on small details.",
            2.5,
            "Now I set a time limit for each task, and I ask for feedback earlier.",
        ],
    ),
    "conflict": (
        1.3,
        [
            "Two colleagues disagreed about how to plan the summer schedule.",
            "I asked each of them to explain what mattered most to them.",
            "We found a plan that gave both of them two free weeks.",
        ],
    ),
    "initiative": (
        1.0,
        [
            "At my last job I noticed that we printed a lot of paper.",
            "I suggested that we share documents online instead.",
            3.0,
            "After three months we used half as much paper as before.",
        ],
    ),
    "leadership": (
        0.9,
        [
            "I led a team of five volunteers at a local food bank.",
            "Every Saturday I gave each person a clear job and checked in with them.",
            "As a result, we served more families than the year before.",
        ],
    ),
    "motivation": (
        1.15,
        [
            "I want this job because I enjoy working with numbers and with people.",
            "Your company helps small businesses, and I would like to be part of that.",
        ],
    ),
    "failure": (
        1.0,
        [
            "Our team once missed an important deadline for a client.",
            "We had not asked enough questions at the start.",
            2.5,
            "Now I always write down what the client expects before we begin.",
        ],
    ),
    "pressure": (
        1.3,
        [
            "During exams I also worked twenty hours a week in a shop.",
            "I planned my study time every Sunday and kept to it.",
            "I passed every exam and never missed a shift.",
        ],
    ),
    "change": (
        1.15,
        [
            "When our office moved to a new system, many people found it difficult.",
            "So I wrote a short guide with pictures and shared it with everyone.",
            "Most questions stopped within a week.",
        ],
    ),
    "feedback": (
        1.0,
        [
            "My manager told me that my reports were too long.",
            "I started to put a short summary at the top of each one.",
            3.5,
            "She said the new reports were much easier to read.",
        ],
    ),
    "goal": (
        1.3,
        [
            "In five years I hope to lead a small team.",
            "First I want to learn the job well and take on more responsibility step by step.",
        ],
    ),
    "creative": (
        1.15,
        [
            "Our club had very little money for a summer event.",
            "I asked local shops to give prizes, and in return we put their names on our posters.",
            "The event was full, and we even raised money for the next year.",
        ],
    ),
    "sort_of": (
        1.0,
        [
            "I kind of led the project, although I was not the official leader.",
            "I organized the meetings and sort of kept everyone on track.",
            2.5,
            "The project finished on time, and I learned a lot about planning.",
        ],
    ),
    "two_minutes": (
        1.2,
        [
            "When I was working at a small bakery last year, our team had a problem with waste.",
            "Every evening we threw away about a third of the bread, and the owner was worried about costs.",
            "My task was to find out why this happened and to reduce it without running out of bread for customers.",
            "I started by writing down, every day for four weeks, how many loaves we baked, how many we sold, and at what time each type sold out.",
            3.0,
            "I talked to the other staff and asked what they noticed, and I also looked at the weather, because I had a feeling that rainy days were quieter.",
            "After a month I had a simple table.",
            "It showed that we baked the same amount every day, even though Mondays and rainy days were much slower.",
            "So I decided to suggest a new plan to the owner.",
            "We would bake less on Mondays, check the weather forecast the evening before, and bake a second small batch at lunch time if we were selling quickly.",
            "I also set up a shelf near the door for bread from the morning at a lower price in the late afternoon.",
            3.0,
            "The owner agreed to try it for six weeks.",
            "As a result, waste fell by around forty percent, and we did not run out of bread more often than before.",
            "The owner kept the plan, and I learned that collecting simple numbers first makes it much easier to convince people to change what they do.",
            "If I did it again, I would ask the customers as well, because they could tell us which bread they wanted and when.",
            "I think that is the main thing this taught me about working in a team.",
            "Next time I would also share the table with the whole team every week, so that everyone could see the results and suggest their own ideas.",
        ],
    ),
}


def match_pauses(
    known: tuple[tuple[float, float], ...], found: tuple[vad.Span, ...]
) -> tuple[int, list[float]]:
    """How many inserted pauses were detected (start and end within the tolerance), and the
    length error of each matched one."""
    matched, errors = 0, []
    for start, end in known:
        for span in found:
            if (
                abs(span.start - start) <= PAUSE_TOLERANCE
                and abs(span.end - end) <= PAUSE_TOLERANCE
            ):
                matched += 1
                errors.append(span.seconds - (end - start))
                break
    return matched, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--core", type=int, default=0, help="CPU to pin transcription to")
    parser.add_argument("--engine", default=engines.DEFAULT_ENGINE)
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "greenroom-speech-bench",
        help="where synthesised pieces are kept between runs",
    )
    parser.add_argument("--only", nargs="*", help="names of answers to run (default: all)")
    args = parser.parse_args()
    if testing.text2wave() is None:
        print("text2wave not found: apt-get install -y festival festvox-kallpc16k")
        return 2
    os.sched_setaffinity(0, {args.core})
    names = args.only or list(ANSWERS)
    engine = engines.get_engine(args.engine)
    loaded = time.perf_counter()
    engine.transcribe(b"\0\0" * media.SAMPLE_RATE)  # load the model outside the timings
    load_seconds = time.perf_counter() - loaded

    print(f"engine {args.engine}, pinned to core {args.core}, model load {load_seconds:.2f} s")
    header = (
        f"{'answer':<12} {'audio s':>7} {'words':>5} {'WER':>6} {'wpm known':>9} "
        f"{'wpm found':>9} {'diff':>6} {'pauses':>7} {'fillers':>7} {'RTF wall':>8} {'RTF cpu':>7}"
    )
    print(header)
    print("-" * len(header))
    total_errors = total_words = 0
    audio_total = wall_total = cpu_total = 0.0
    wpm_diffs: list[float] = []
    pause_errors: list[float] = []
    inserted = detected = extra = 0
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for name in names:
            stretch, pieces = ANSWERS[name]
            known = testing.synthesise(
                pieces, work / f"{name}.wav", cache=args.cache, stretch=stretch
            )
            live = testing.to_live_webm(known.path, work / f"{name}.live.webm")
            remuxed = media.remux(live, work / f"{name}.remuxed")
            pcm = media.decode_pcm(remuxed.path)
            wall, cpu = time.perf_counter(), time.process_time()
            transcript = engine.transcribe(pcm)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            activity = vad.detect(pcm)
            result = feedback.analyse_spoken(transcript, activity)
            expected = feedback.analyse_text(known.text)

            wer = testing.word_error_rate(known.text, transcript.text)
            total_errors += round(wer * known.words)
            total_words += known.words
            seconds = len(pcm) / media.BYTES_PER_SECOND
            audio_total += seconds
            wall_total += wall
            cpu_total += cpu
            found_wpm = result["words_per_minute"]
            diff = (found_wpm - known.words_per_minute) / known.words_per_minute
            wpm_diffs.append(diff)
            matched, errors = match_pauses(known.pauses, activity.pauses)
            pause_errors += errors
            inserted += len(known.pauses)
            detected += matched
            extra += len(activity.pauses) - matched
            print(
                f"{name:<12} {seconds:7.1f} {known.words:5d} {wer:6.1%} "
                f"{known.words_per_minute:9.0f} {found_wpm:9.0f} {diff:+6.1%} "
                f"{matched:>3}/{len(known.pauses):<3} {result['filler_total']:>3}/"
                f"{expected['filler_total']:<3} {wall / seconds:8.3f} {cpu / seconds:7.3f}",
                flush=True,
            )
            if name == "two_minutes":
                long_line = (
                    f"two-minute answer: {seconds:.1f} s of audio transcribed in {wall:.1f} s "
                    f"wall ({wall / seconds:.3f}x real time), {cpu:.1f} s CPU "
                    f"({cpu / seconds:.3f}x) on one core"
                )
    print("-" * len(header))
    print(
        f"overall: WER {total_errors / total_words:.1%} ({total_errors} errors in "
        f"{total_words} words, {len(names)} answers, {audio_total:.0f} s of audio)"
    )
    print(
        f"pace: words a minute off the known figure by {statistics.mean(map(abs, wpm_diffs)):.1%} "
        f"on average, {max(map(abs, wpm_diffs)):.1%} at most"
    )
    worst = max(map(abs, pause_errors), default=0.0)
    print(
        f"long pauses: {detected} of {inserted} inserted detected (within {PAUSE_TOLERANCE} s), "
        f"{extra} detected that were not inserted; length off by {worst:.2f} s at most"
    )
    print(
        f"speed: real-time factor {wall_total / audio_total:.3f} wall, "
        f"{cpu_total / audio_total:.3f} CPU, over all answers"
    )
    if "two_minutes" in names:
        print(long_line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
