"""The interview moment in a real Chromium, on a phone-sized screen, driven mostly by keyboard.

Chromium's fake microphone plays a file here: a festival-made answer from known text, so the
recording has words in it, and the transcript and feedback that the app's job writes (in the
live server's process) can be checked on the page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from greenroom.content import service as content
from greenroom.content.loader import Question
from greenroom.tenancy.context import OrgSnapshot
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot_on_failure
from tests.factories import make_key, make_org
from tests.practice.helpers import make_token, make_user
from tests.practice.media import SHORT_PIECES, spoken_answer

pytestmark = pytest.mark.browser
ANALYSED = 180_000  # ms: the page is waited on until the analysis shows (bounds a broken test)


@pytest.fixture
async def speaking_chromium() -> AsyncIterator[Any]:
    """A Chromium whose fake microphone says a known sentence, again and again."""
    require_chromium()
    spoken = spoken_answer(SHORT_PIECES, stretch=1.0)
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={spoken.known.path}"],
        )
        yield browser
        await browser.close()


async def _focused(page: Any) -> str:
    focused: str = await page.evaluate("document.activeElement.id")
    return focused


async def test_record_record_again_submit_then_transcript_and_feedback_appear(
    app, live_server, speaking_chromium
) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    token = await make_token(app, org, user, redirect_to="/members/practice/basics")
    context = await speaking_chromium.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    origin = live_server.origin(org.slug)
    async with screenshot_on_failure(page, "interview-moment"):
        await page.goto(f"{origin}/sso/login?token={token}")
        await page.get_by_role("button", name="Start the interview").click()
        await page.get_by_role("heading", name="Tell me about yourself.").wait_for()
        # The page's scripts start after the heading shows: wait for the recorder they reveal.
        await page.locator("#recorder").wait_for(state="visible")
        # The interviewer asks the question aloud; it can be asked again.
        assert await page.get_by_role("button", name="Hear the question again").is_visible()
        # Typing and uploading are there, folded (by the recorder script, as it starts), as
        # second choices.
        assert await page.locator("#by-text-details").evaluate("d => !d.open")
        assert await page.locator("#by-upload-details").evaluate("d => !d.open")
        assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")

        await page.get_by_label("Thinking time before you answer").select_option("15")
        await page.get_by_role("button", name="Turn on the microphone").click()
        await page.get_by_text("Microphone on.").wait_for()
        assert await page.get_by_label("Microphone level").is_visible()
        assert await _focused(page) == "rec-start"
        await page.keyboard.press("Enter")  # Start answering: thinking time first
        await page.get_by_text("Time to think:").wait_for()
        assert await page.get_by_role("timer").first.inner_text() in {"0:15", "0:14", "0:13"}
        assert await _focused(page) == "think-skip"
        await page.keyboard.press("Enter")  # Start recording now
        await page.get_by_role("button", name="Stop recording").wait_for()
        assert await _focused(page) == "rec-stop"
        await page.locator("#rec-elapsed", has_text="0:01").wait_for()
        await page.keyboard.press("Enter")  # Stop recording

        await page.get_by_role("heading", name="Listen to your answer").wait_for()
        assert await _focused(page) == "rec-review-heading"
        playback = page.locator("#rec-playback-audio")
        assert (await playback.get_attribute("src") or "").startswith("blob:")
        await page.get_by_role("button", name="Record again").click()
        await page.get_by_role("button", name="Start answering").click()
        await page.get_by_role("button", name="Start recording now").click()
        # Long enough for the whole sentence at least once (the fake microphone loops it).
        await page.locator("#rec-elapsed", has_text="0:12").wait_for()
        await page.get_by_role("button", name="Stop recording").click()
        await page.get_by_label("Rate yourself (1 to 5)").first.select_option("4")
        await page.get_by_role("button", name="Submit this answer").click()

        await page.get_by_role("heading", name="Your answer", exact=True).wait_for()
        assert page.url.endswith("/questions/1")
        # Analysed in the server's job; the page asks until it is ready, then shows it.
        transcript = page.locator("details.transcript p").first
        await transcript.wait_for(timeout=ANALYSED)
        heard = await transcript.inner_text()
        assert "team" in heard and "customers" in heard, heard
        feedback = await page.locator(".feedback").inner_text()
        assert "Pace: You spoke at" in feedback and "140-160 is easy to follow" in feedback
        assert "Pauses:" in feedback and "Length: You spoke for" in feedback

        await page.get_by_role("link", name="Interview basics").click()
        await page.get_by_role("heading", name="Interview basics").wait_for()
        assert "customers" in await page.locator("details.transcript").first.inner_text()
        assert await page.locator("audio[src^='/members/recordings/']").count() == 1
    await context.close()

    key = await make_key(app, org)
    async with live_server.api(org.slug, key) as api:
        listed = (await api.get(f"/api/users/{user.partner_id}/interviews")).json()
        interview = listed["interviews"][0]["id"]
        body = (await api.get(f"/api/users/{user.partner_id}/interviews/{interview}")).json()
        [answer] = body["interview"]["answers"]
        assert answer["rating"] == 4 and answer["analysis_status"] == "done"
        assert answer["recording"]["duration_seconds"] >= 12  # the second take, not the first
        progress = (await api.get(f"/api/users/{user.partner_id}/progress")).json()["progress"]
        assert progress["answers_recorded"] == 1
        # One answer: its pace (progress keeps its time to the tenth of a second: within 1).
        pace = answer["feedback"]["words_per_minute"]
        assert abs(progress["average_words_per_minute"] - pace) <= 1


async def test_the_answer_stops_at_the_sets_time_limit(app, live_server, chromium) -> None:
    org = await make_org(app)
    async with app.state.sessionmaker() as session, session.begin():
        await content.create_org_set(
            session,
            OrgSnapshot.of(org),
            slug="quick-fire",
            title="Quick fire",
            category="general",
            interviewer_name="Robin Lee",
            questions=[Question("In one sentence: why this job?")],
            answer_seconds=15,
        )
    user = await make_user(app, org)
    token = await make_token(app, org, user, redirect_to="/members/practice/quick-fire")
    context = await chromium.new_context()
    page = await context.new_page()
    async with screenshot_on_failure(page, "time-limit"):
        await page.goto(f"{live_server.origin(org.slug)}/sso/login?token={token}")
        await page.get_by_role("button", name="Start the interview").click()
        assert await page.locator(".avatar").inner_text() == "RL"
        await page.get_by_text("you have up to 15 seconds").wait_for()
        await page.get_by_label("Thinking time before you answer").select_option("0")
        await page.get_by_label("Record", exact=True).select_option("video")
        await page.get_by_role("button", name="Turn on the camera and microphone").click()
        await page.get_by_text("Camera and microphone on.").wait_for()
        assert await page.locator("#rec-preview").is_visible()  # the camera's preview
        await page.get_by_role("button", name="Start answering").click()
        await page.get_by_text("of 0:15").wait_for()
        # Nobody stops it: the time limit does.
        await page.get_by_text("Time is up.").wait_for(timeout=60_000)
        await page.get_by_role("heading", name="Watch your answer back").wait_for()
        assert "(the time limit)" in await page.locator("#rec-length").inner_text()
        await page.get_by_role("button", name="Submit this answer").click()
        await page.get_by_role("heading", name="Your answer", exact=True).wait_for()
        assert await page.locator("video[src^='/members/recordings/']").count() == 1
        # Analysed (the fake camera's sound is a beep); waiting for it also keeps the
        # server's job from running on into the next test.
        await page.locator("details.transcript").wait_for(timeout=ANALYSED)
    await context.close()
