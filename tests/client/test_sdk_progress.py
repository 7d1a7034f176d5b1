"""The SDK reads progress, tracks and interviews as a partner would after real practice."""

from __future__ import annotations

import httpx

from greenroom_client import AsyncGreenroom
from tests.factories import make_key, make_org
from tests.practice.helpers import Member, make_user, signed_in


async def test_progress_tracks_and_interviews_through_the_sdk(app, client_for) -> None:
    org = await make_org(app)
    users = [await make_user(app, org, partner_id=f"learner-{i}") for i in range(3)]
    async with AsyncGreenroom(
        org=org.slug,
        api_key=await make_key(app, org),
        base_url="http://127.0.0.1",
        transport=httpx.ASGITransport(app=app),
    ) as gr:
        tracks = (await gr.progress.tracks("learner-0")).tracks
        lesson = tracks[0].tracks[0].link
        for user in users[:2]:  # two of the three practise
            browser = client_for(org.slug)
            await signed_in(app, browser, org, user)
            member = Member(browser)
            await member.complete_lesson(lesson)
            interview = await member.start("basics")
            await member.answer_text(interview, 1, "An answer.", rating=4)

        one = await gr.progress.get("learner-0")
        assert one.lessons.completed == 1 and one.practice_interviews.started == 1
        assert one.average_rating == 4 and one.request_id
        assert (await gr.progress.tracks("learner-0")).tracks[0].tracks[0].completed

        everyone = [p.partner_id async for p in gr.progress.list(page_size=1)]
        assert sorted(everyone) == ["learner-0", "learner-1"]  # only users with activity

        interviews = (await gr.progress.interviews("learner-1")).items
        assert len(interviews) == 1 and interviews[0].links.retake.endswith("/retake")
        assert isinstance(interviews[0].id, int)
