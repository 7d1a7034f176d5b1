"""Response shapes of `GET /api/users/{partner_id}/interviews/{id}`, for the OpenAPI document.

The interview's own fields are those of a list item (`progress.schemas.InterviewItem`); the
answers carry each one's feedback and transcript, never the recording's bytes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from greenroom.core.responses import Timestamp
from greenroom.progress.schemas import EXAMPLE_INTERVIEW, InterviewItem

EXAMPLE_ANSWER: dict[str, Any] = {
    "question_number": 1,
    "question": "Tell me about a time you had to meet a tight deadline.",
    "type": "recording",
    "text": None,
    "rating": 4,
    "created_at": "2026-11-20T15:04:05.000Z",
    "recording": {
        "media": "video",
        "duration_seconds": 71.4,
        "removed_at": None,
        "removed_after_days": None,
    },
    "analysis_status": "done",
    "analysis_error": None,
    "transcript": {
        "engine": "pocketsphinx",
        "text": "when i was working at a small bakery our team had to deliver two hundred boxes",
        "words": [{"text": "when", "start": 0.62, "end": 0.81}],
    },
    "transcript_removed_at": None,
    "feedback": {
        "kind": "spoken",
        "words": 168,
        "answer_seconds": 68.2,
        "length": "good",
        "length_tip": "You spoke for 1 minute 8 seconds: a good length.",
        "words_per_minute": 148,
        "pace": "good",
        "pace_tip": "You spoke at 148 words a minute; 140-160 is easy to follow. "
        "That is a comfortable pace.",
        "long_pauses": [{"start": 31.2, "seconds": 2.6}],
        "pause_total": 1,
        "pause_tip": "1 long pause (over 2 seconds), at 0:31. ...",
        "filler_words": {"um": 1},
        "filler_total": 1,
        "filler_tip": '1 filler word: "um" 1 time. ...',
        "star": {"situation": True, "task": True, "action": True, "result": True},
        "star_tip": "All four STAR parts are there.",
        "tips_covered": 2,
        "tips_tip": "Your answer touches 2 of the 3 tips for this question. ...",
    },
}


class Recording(BaseModel):
    """What is said of a recorded answer's file (never the file itself)."""

    media: Literal["audio", "video"] = Field(description="What the recording holds.")
    duration_seconds: float | None = Field(description="Its length in seconds.")
    removed_at: Timestamp | None = Field(
        description="When the org's retention removed the file (the answer, its length and "
        "its feedback stay); null while it is kept."
    )
    removed_after_days: int | None = Field(
        description='The org\'s retention then, in days ("Recording removed after N days"); '
        "null while the recording is kept."
    )


class Word(BaseModel):
    """One word heard, with when it was said."""

    text: str = Field(description="The word, lower case.")
    start: float = Field(description="Seconds from the start of the recording.")
    end: float = Field(description="Seconds from the start of the recording to its end.")


class Transcript(BaseModel):
    """What the speech recogniser heard in a recorded answer."""

    engine: str = Field(description="The speech recogniser that wrote it, e.g. pocketsphinx.")
    text: str = Field(description="The words heard, lower case, without punctuation.")
    words: list[Word] = Field(description="Each word with its times.")


class AnswerItem(BaseModel):
    """An answer to one question of the interview, with its analysis and feedback."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ANSWER]})

    question_number: int = Field(ge=1, description="The question it answers, from 1.")
    question: str | None = Field(description="The question's text.")
    type: Literal["text", "recording"] = Field(
        description="Typed, or recorded (in the browser or uploaded)."
    )
    text: str | None = Field(description="A typed answer's text.")
    rating: int | None = Field(ge=1, le=5, description="The student's self-rating.")
    created_at: Timestamp = Field(description="When it was answered.")
    recording: Recording | None = Field(
        description="A recorded answer's media and length (the file itself stays private)."
    )
    analysis_status: Literal["pending", "done", "failed"] | None = Field(
        description="A recorded answer's analysis: pending until its transcript and feedback "
        "are ready (then `interview.updated` is sent), or failed; null for typed answers."
    )
    analysis_error: str | None = Field(description="Why the analysis failed, for the student.")
    transcript: Transcript | None = Field(
        description="What was heard, once analysed; null again once the org's retention "
        "removed it (`transcript_removed_at`)."
    )
    transcript_removed_at: Timestamp | None = Field(
        description="When the org's retention removed the transcript (only orgs that chose "
        "to remove transcripts with recordings); null while it is kept."
    )
    feedback: dict[str, Any] | None = Field(
        description="Automatic feedback: for typed answers `words`, `length`, fillers, STAR and "
        "the question's tips; for spoken ones also `words_per_minute`, `pace`, "
        "`long_pauses`, `answer_seconds`, each part with a sentence for the student (`*_tip`)."
    )


class Question(BaseModel):
    """A question of the interview."""

    number: int = Field(ge=1, description="Its place in the interview, from 1.")
    prompt: str = Field(description="The question as the interviewer asks it.")
    tips: list[str] = Field(description="What a good answer covers.")


class InterviewDetail(InterviewItem):
    """A practice interview with its questions and answers."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **EXAMPLE_INTERVIEW,
                    "answer_time_limit_seconds": 120,
                    "questions": [
                        {
                            "number": 1,
                            "prompt": EXAMPLE_ANSWER["question"],
                            "tips": ["Say what the deadline was and why it mattered."],
                        }
                    ],
                    "answers": [EXAMPLE_ANSWER],
                }
            ]
        }
    )

    answer_time_limit_seconds: int = Field(description="Time limit of each spoken answer.")
    questions: list[Question] = Field(description="The interview's questions, in order.")
    answers: list[AnswerItem] = Field(description="The answers given, by question number.")


class InterviewEnvelope(BaseModel):
    """One practice interview."""

    interview: InterviewDetail = Field(description="The interview object.")
