"""Practice activity for the demo organization's users, through the same services as the app,
so their progress, tracks and interviews read exactly as a real user's would."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.content.loader import Pack
from greenroom.practice import service
from greenroom.progress import service as progress
from greenroom.tenancy.context import Tenant
from greenroom.users.models import User

GOOD_ANSWER = (
    "When I was a shift lead at a busy cafe, our team kept running out of stock on weekends. "
    "My task was to fix ordering before the summer rush. I decided to track sales for four "
    "weeks, I built a simple order sheet and I talked to our supplier about a second weekly "
    "delivery. As a result we reduced stock-outs to almost none and saved about 10 percent on "
    "waste, and I learned to check numbers before guessing."
)
SHORT_ANSWER = "Um, I basically work hard and, like, I get along with people."


@dataclass(frozen=True, slots=True)
class Activity:
    lessons: int  # the first N lessons of the pack, in order
    interviews: tuple[tuple[int, int], ...] = ()  # (questions to answer, rating) per interview


# From a newcomer to someone nearly done: what the demo's users have done.
LEVELS: dict[str, Activity] = {
    "new": Activity(lessons=0),
    "started": Activity(lessons=2, interviews=((2, 2),)),
    "busy": Activity(lessons=7, interviews=((99, 3), (3, 4))),
    "nearly-done": Activity(lessons=14, interviews=((99, 4), (99, 5), (99, 4))),
}


async def seed_activity(
    session: AsyncSession, tenant: Tenant, user: User, pack: Pack, activity: Activity
) -> None:
    """Give `user` this activity unless they already have some (safe to run again)."""
    if await progress.row_for(session, user) is not None:
        return
    lessons = [lesson for module in pack.modules for lesson in module.lessons]
    for lesson in lessons[: activity.lessons]:
        await progress.lesson_completed(session, tenant, user, pack, lesson.key)
    sets = list(pack.question_sets)
    for number, (answers, rating) in enumerate(activity.interviews):
        if not sets:
            break
        interview = await service.start(session, tenant, user, pack, sets[number % len(sets)])
        for index in range(min(answers, len(interview.questions))):
            text = GOOD_ANSWER if rating >= 4 else SHORT_ANSWER
            await service.answer_text(
                session, tenant, user, pack, interview, index, text=text, rating=rating
            )
