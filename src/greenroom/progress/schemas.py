"""Response shapes of the progress API, for the OpenAPI document (examples use the seeds')."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from greenroom.core.responses import Timestamp

EXAMPLE_PROGRESS: dict[str, Any] = {
    "partner_id": "abc123def",
    "percent_complete": 38,
    "lessons": {"completed": 6, "total": 16},
    "practice_interviews": {"started": 3, "completed": 2},
    "answers_recorded": 11,
    "average_rating": 3.64,
    "minutes_practised": 14.5,
    "average_words_per_minute": 148,
    "last_activity_at": "2026-11-20T15:04:05.000Z",
    "modules": [
        {
            "slug": "first-impressions",
            "title": "First impressions",
            "lessons_completed": 3,
            "lessons_total": 3,
            "percent_complete": 100,
            "link": "/members/modules/first-impressions",
        }
    ],
    "updated_at": "2026-11-20T15:04:05.000Z",
}


EXAMPLE_TRACK: dict[str, Any] = {
    "title": "First impressions",
    "progress": 0.67,
    "tracks": [
        {
            "step": 1,
            "title": "Research the role",
            "link": "/members/modules/first-impressions/lessons/research-the-role",
            "completed": True,
        }
    ],
}
EXAMPLE_INTERVIEW: dict[str, Any] = {
    "id": 95607,
    "title": "Behavioural basics",
    "interviewer_name": "Maya Chen",
    "category": "behavioural",
    "completed": True,
    "created_at": "2026-11-20T15:02:11.000Z",
    "updated_at": "2026-11-20T15:24:40.000Z",
    "links": {
        "review": "/members/interviews/95607",
        "retake": "/members/interviews/95607/retake",
    },
}
NEXT_CURSOR = "Pass as `cursor` for the next page; null on the last page."


class Counts(BaseModel):
    """Lessons completed, of all lessons."""

    completed: int = Field(description="Lessons the user completed.", examples=[6])
    total: int = Field(description="Lessons there are.", examples=[16])


class InterviewCounts(BaseModel):
    """Practice interviews started and completed."""

    started: int = Field(description="Practice interviews started (retakes count).", examples=[3])
    completed: int = Field(description="Of those, the ones fully answered.", examples=[2])


class ModuleProgress(BaseModel):
    """Progress through one module of lessons."""

    slug: str = Field(description="The module's stable name.", examples=["first-impressions"])
    title: str = Field(description="The module's title.", examples=["First impressions"])
    lessons_completed: int = Field(description="Lessons of the module the user completed.")
    lessons_total: int = Field(description="Lessons in the module.")
    percent_complete: int = Field(ge=0, le=100, description="Lessons completed, in percent.")
    link: str = Field(description="Path of the module in the practice app; usable as redirect_to.")


class Progress(BaseModel):
    """A user's progress: lessons, practice interviews and answers."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_PROGRESS]})

    partner_id: str = Field(description="The user's `partner_id`.")
    percent_complete: int = Field(ge=0, le=100, description="Lessons completed of all lessons.")
    lessons: Counts = Field(description="Lessons completed and in all.")
    practice_interviews: InterviewCounts = Field(description="Interviews started and completed.")
    answers_recorded: int = Field(description="Answers given, by text, recording or upload.")
    average_rating: float | None = Field(description="Mean self-rating, 1 to 5; null if none.")
    minutes_practised: float = Field(
        description="Total length of the user's recorded answers (recordings and uploads), in "
        "minutes to one decimal; replaced and deleted answers no longer count."
    )
    average_words_per_minute: int | None = Field(
        description="Pace over the user's analysed spoken answers: words said over the time "
        "from first word to last, in words a minute; null until one is analysed."
    )
    last_activity_at: Timestamp | None = Field(
        description="When the user last did something; null before the first time."
    )
    modules: list[ModuleProgress] = Field(description="Progress per module, in course order.")
    updated_at: Timestamp = Field(description="When this progress last changed.")


class ProgressEnvelope(BaseModel):
    """One user's progress."""

    progress: Progress = Field(description="The progress object.")


class ProgressList(BaseModel):
    """A page of users' progress, least recently changed first."""

    progress: list[Progress] = Field(description="The progress of each user of this page.")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class Step(BaseModel):
    """A step of a track: one lesson."""

    step: int = Field(description="The step's number in its track, from 1.", examples=[1])
    title: str = Field(description="The lesson's title.", examples=["Research the role"])
    link: str = Field(description="The lesson's path in the practice app; usable as redirect_to.")
    completed: bool = Field(description="Whether the user completed the lesson.")


class Track(BaseModel):
    """Big Interview's track: here, a module of lessons."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_TRACK]})

    title: str = Field(description="The module's title.")
    progress: float = Field(ge=0, le=1, examples=[0.67], description="Completion, 0.00 to 1.00.")
    tracks: list[Step] = Field(description="The steps (lessons), in order.")


class Tracks(BaseModel):
    """A user's tracks, in Big Interview's shape."""

    tracks: list[Track] = Field(description="One track per module, in course order.")


class InterviewLinks(BaseModel):
    """Paths in the practice app, usable as `redirect_to` at sign-in."""

    review: str = Field(
        description="The interview's summary.", examples=["/members/interviews/95607"]
    )
    retake: str = Field(
        description="Start a new interview with the same questions.",
        examples=["/members/interviews/95607/retake"],
    )


class InterviewItem(BaseModel):
    """A practice interview."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_INTERVIEW]})

    id: int = Field(
        description="The interview's id: an integer, unique in your organization (as Big "
        "Interview's)."
    )
    title: str = Field(description="The question set's title.")
    interviewer_name: str = Field(description="The interviewer persona's name.")
    category: str = Field(description="The question set's category; for display.")
    completed: bool = Field(description="Whether every question was answered.")
    created_at: Timestamp = Field(description="When the interview started.")
    updated_at: Timestamp = Field(description="When the interview last changed (last activity).")
    links: InterviewLinks = Field(description="Where to review or retake it.")


class InterviewList(BaseModel):
    """A user's interviews, most recently updated first."""

    interviews: list[InterviewItem] = Field(
        description="Every interview, or a page of them when `limit` or `cursor` was sent."
    )
    next_cursor: str | None = Field(description=NEXT_CURSOR + " Always null without a page.")
