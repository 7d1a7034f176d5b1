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
    "last_activity_at": "2026-11-20T15:04:05Z",
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
    "updated_at": "2026-11-20T15:04:05Z",
}


class Counts(BaseModel):
    completed: int
    total: int


class InterviewCounts(BaseModel):
    started: int
    completed: int


class ModuleProgress(BaseModel):
    slug: str
    title: str
    lessons_completed: int
    lessons_total: int
    percent_complete: int = Field(ge=0, le=100)
    link: str = Field(description="Path of the module in the practice app; usable as redirect_to.")


class Progress(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_PROGRESS]})

    partner_id: str
    percent_complete: int = Field(ge=0, le=100, description="Lessons completed of all lessons.")
    lessons: Counts
    practice_interviews: InterviewCounts
    answers_recorded: int = Field(description="Answers given, by text, recording or upload.")
    average_rating: float | None = Field(description="Mean self-rating, 1 to 5; null if none.")
    last_activity_at: Timestamp | None
    modules: list[ModuleProgress]
    updated_at: Timestamp


class ProgressEnvelope(BaseModel):
    progress: Progress


class ProgressList(BaseModel):
    progress: list[Progress]
    next_cursor: str | None


class Step(BaseModel):
    step: int
    title: str
    link: str = Field(description="The lesson's path in the practice app; usable as redirect_to.")
    completed: bool


class Track(BaseModel):
    title: str
    progress: float = Field(ge=0, le=1, examples=[0.67])
    tracks: list[Step]


class Tracks(BaseModel):
    tracks: list[Track]


class InterviewLinks(BaseModel):
    review: str
    retake: str


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


class InterviewItem(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_INTERVIEW]})

    id: int = Field(
        description="The interview's id: an integer, unique in your organization (as Big "
        "Interview's)."
    )
    title: str
    interviewer_name: str
    category: str
    completed: bool
    created_at: Timestamp
    updated_at: Timestamp
    links: InterviewLinks


class InterviewList(BaseModel):
    interviews: list[InterviewItem]
    next_cursor: str | None
