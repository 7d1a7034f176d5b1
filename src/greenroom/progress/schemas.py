"""Response shapes of the progress API, for the OpenAPI document (examples use the seeds')."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

EXAMPLE_PROGRESS: dict[str, Any] = {
    "partner_id": "abc123def",
    "percent_complete": 38,
    "lessons": {"completed": 6, "total": 16},
    "practice_interviews": {"started": 3, "completed": 2},
    "answers_recorded": 11,
    "average_rating": 3.64,
    "minutes_practised": 14.5,
    "average_words_per_minute": 148,
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
    minutes_practised: float = Field(
        description="Total length of the user's recorded answers (recordings and uploads), in "
        "minutes to one decimal; replaced and deleted answers no longer count."
    )
    average_words_per_minute: int | None = Field(
        description="Pace over the user's analysed spoken answers: words said over the time "
        "from first word to last, in words a minute; null until one is analysed."
    )
    last_activity_at: datetime | None
    modules: list[ModuleProgress]
    updated_at: datetime


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


class InterviewItem(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "7c1e4b8a-3f2d-4e6a-9b0c-5d4e3f2a1b0c",
                    "title": "Behavioural basics",
                    "interviewer_name": "Maya Chen",
                    "category": "behavioural",
                    "completed": True,
                    "created_at": "2026-11-20T15:02:11Z",
                    "updated_at": "2026-11-20T15:24:40Z",
                    "links": {
                        "review": "/members/interviews/7c1e4b8a-3f2d-4e6a-9b0c-5d4e3f2a1b0c",
                        "retake": "/members/interviews/7c1e4b8a-3f2d-4e6a-9b0c-5d4e3f2a1b0c/retake",
                    },
                }
            ]
        }
    )

    id: str
    title: str
    interviewer_name: str
    category: str
    completed: bool
    created_at: datetime
    updated_at: datetime
    links: InterviewLinks


class InterviewList(BaseModel):
    interviews: list[InterviewItem]
    next_cursor: str | None
