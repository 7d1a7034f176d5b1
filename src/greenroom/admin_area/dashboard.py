"""The dashboard's figures: aggregate SQL over one org and environment, for a period.

Every figure is a few grouped queries, never a loop over users, run on a `database.offload`
session (threads on SQLite), so a dashboard over 100,000 students never holds up the API:

- **the cohort** (students added in the period; all of them for "all time"): how far they got
  (signed in -> completed a lesson -> started an interview -> completed one) and how their
  progress is spread, from one scan of the users with their progress rows, grouped by the number
  of lessons completed;
- **attention**: students who never signed in, and those whose last activity is 14 days old or
  more (of all the students, not only the cohort), from the same scan;
- **activity in the period**: students active per week (`admin_activity_weeks`, one row per
  student and week, counted over its index) and the most used question sets (interviews started
  in the period, over `ix_practice_interviews_org_env_created`).

Students are the users who exist for the API (`users.repository.active`): an anonymous user past
their 24 hours no longer counts.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.admin_area import repository
from greenroom.admin_area.students import week_of
from greenroom.admin_area.users_view import BOM, percent_of
from greenroom.content.loader import Pack
from greenroom.core import clock
from greenroom.tenancy.hosts import Environment

# period -> (days, label); "all" has no start.
PERIODS: dict[str, tuple[int | None, str]] = {
    "7": (7, "Last 7 days"),
    "30": (30, "Last 30 days"),
    "90": (90, "Last 90 days"),
    "all": (None, "All time"),
}
DEFAULT_PERIOD = "30"
INACTIVE_DAYS = 14
# "All time" draws at most this many weeks (the most recent ones).
MAX_WEEKS = 52
TOP_SETS = 10
# (label, lowest percent, highest percent) of the progress distribution.
BUCKETS = (
    ("0%", 0, 0),
    ("1-24%", 1, 24),
    ("25-49%", 25, 49),
    ("50-74%", 50, 74),
    ("75-99%", 75, 99),
    ("100%", 100, 100),
)
FUNNEL = (
    ("students", "Added"),
    ("signed_in", "Signed in"),
    ("lesson", "Completed a lesson"),
    ("started", "Started an interview"),
    ("completed", "Completed an interview"),
)


@dataclass(frozen=True, slots=True)
class SetUse:
    slug: str
    title: str
    interviews: int
    students: int


@dataclass(slots=True)
class Dashboard:
    period: str
    label: str
    since: datetime | None
    now: datetime
    funnel: dict[str, int] = field(default_factory=dict)
    distribution: list[tuple[str, int]] = field(default_factory=list)
    weekly: list[tuple[date, int]] = field(default_factory=list)
    question_sets: list[SetUse] = field(default_factory=list)
    all_students: int = 0
    never_signed_in: int = 0
    inactive: int = 0

    @property
    def cohort(self) -> int:
        return self.funnel.get("students", 0)

    def funnel_steps(self) -> list[tuple[str, str, int]]:
        """(key, label, count) for each step, in order."""
        return [(key, label, self.funnel.get(key, 0)) for key, label in FUNNEL]


def period_start(period: str, now: datetime) -> datetime | None:
    days = PERIODS[period][0]
    return None if days is None else now - timedelta(days=days)


async def build(
    session: AsyncSession,
    org_id: uuid.UUID,
    environment: Environment,
    pack: Pack,
    period: str,
    *,
    titles: Mapping[str, str] | None = None,
) -> Dashboard:
    """The dashboard of one org and environment over `period` (a key of PERIODS); `titles`
    names the question sets by slug (the org's and the pack's; others show their slug)."""
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    now = clock.now()
    since = period_start(period, now)
    board = Dashboard(period=period, label=PERIODS[period][1], since=since, now=now)
    await _students(session, board, org_id, environment, pack)
    await _weekly(session, board, org_id, environment)
    await _question_sets(session, board, org_id, environment, titles or {})
    return board


async def _students(
    session: AsyncSession, board: Dashboard, org_id: uuid.UUID, environment: Environment, pack: Pack
) -> None:
    """One scan of the org's students (over the covering `ix_admin_students_cohort`), grouped
    by lessons completed."""
    rows = await repository.students_by_lessons(
        session,
        org_id,
        environment,
        now=board.now,
        cohort_since=board.since,
        inactive_since=board.now - timedelta(days=INACTIVE_DAYS),
    )
    funnel = dict.fromkeys(("students", "signed_in", "lesson", "started", "completed"), 0)
    by_percent: dict[int, int] = {}
    for row in rows:
        done, cohort = int(row["lessons"]), int(row["cohort"] or 0)
        board.all_students += int(row["students"])
        board.never_signed_in += int(row["never"] or 0)
        board.inactive += int(row["inactive"] or 0)
        funnel["students"] += cohort
        funnel["signed_in"] += int(row["signed_in"] or 0)
        funnel["lesson"] += cohort if done > 0 else 0
        funnel["started"] += int(row["started"] or 0)
        funnel["completed"] += int(row["completed"] or 0)
        percent = percent_of(min(done, pack.lessons_total), pack.lessons_total)
        by_percent[percent] = by_percent.get(percent, 0) + cohort
    board.funnel = funnel
    board.distribution = [
        (label, sum(n for percent, n in by_percent.items() if low <= percent <= high))
        for label, low, high in BUCKETS
    ]


async def _weekly(
    session: AsyncSession, board: Dashboard, org_id: uuid.UUID, environment: Environment
) -> None:
    """Students active per week, every week of the period (weeks without activity as 0)."""
    last = week_of(board.now)
    if board.since is not None:
        first = week_of(board.since)
    else:
        earliest = await repository.first_active_week(session, org_id, environment)
        first = earliest if earliest is not None else last
    first = max(first, last - timedelta(weeks=MAX_WEEKS - 1))
    counts = await repository.active_students_per_week(session, org_id, environment, since=first)
    weeks = (last - first).days // 7 + 1
    board.weekly = [
        (first + timedelta(weeks=i), counts.get(first + timedelta(weeks=i), 0))
        for i in range(weeks)
    ]


async def _question_sets(
    session: AsyncSession,
    board: Dashboard,
    org_id: uuid.UUID,
    environment: Environment,
    titles: Mapping[str, str],
) -> None:
    """The most used question sets: interviews started in the period, by set (over the covering
    `ix_practice_interviews_org_env_created`)."""
    used = await repository.question_set_use(
        session, org_id, environment, since=board.since, limit=TOP_SETS
    )
    board.question_sets = [
        SetUse(slug, titles.get(slug, slug), n, students) for slug, n, students in used
    ]


# --- the numbers as tables (the page's and the CSV downloads') ----------------------------------

CHARTS = ("weekly", "funnel", "progress", "question-sets", "attention")


def table(board: Dashboard, chart: str) -> tuple[Sequence[str], list[Sequence[object]]]:
    """A chart's numbers: its header and rows."""
    if chart == "weekly":
        return ("week_starting", "students_active"), [(w.isoformat(), n) for w, n in board.weekly]
    if chart == "funnel":
        return ("step", "students"), [(label, n) for _key, label, n in board.funnel_steps()]
    if chart == "progress":
        return ("progress", "students"), list(board.distribution)
    if chart == "question-sets":
        return ("question_set", "interviews_started", "students"), [
            (s.title, s.interviews, s.students) for s in board.question_sets
        ]
    if chart == "attention":
        return ("group", "students"), [
            ("never signed in", board.never_signed_in),
            (f"inactive for {INACTIVE_DAYS} days or more", board.inactive),
        ]
    raise KeyError(chart)


def csv_text(board: Dashboard, chart: str, *, bom: bool = False) -> str:
    """A chart's numbers as CSV (`bom`: with a UTF-8 byte order mark, for Excel)."""
    header, rows = table(board, chart)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return (BOM if bom else "") + out.getvalue()
