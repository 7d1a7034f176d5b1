"""The whole flow in a real Chromium: sign in from the partner's link, learn, practise, and
the partner API reports exactly what happened."""

from __future__ import annotations

import re

import pytest

from tests.browser import screenshot_on_failure
from tests.factories import make_key, make_org
from tests.practice.helpers import make_token, make_user

pytestmark = pytest.mark.browser


async def test_sign_in_lesson_text_and_recorded_answers_show_in_the_api(
    app, live_server, chromium
) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    async with live_server.api(org.slug, key) as api:
        await _flow(api, live_server, chromium, org)


async def _flow(api, live_server, chromium, org) -> None:
    created = await api.post(
        "/api/users/abc123def",
        json={"first_name": "Jane", "last_name": "Doe", "email": "jane@xyz.example.com"},
    )
    assert created.status_code == 201, created.text
    token = created.json()["user"]["token"]["token"]
    tracks = (await api.get("/api/users/abc123def/tracks")).json()["tracks"]
    lesson_link = tracks[1]["tracks"][0]["link"]

    context = await chromium.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    async with screenshot_on_failure(page, "practice-flow"):
        origin = live_server.origin(org.slug)
        await page.goto(f"{origin}/sso/login?token={token}&redirect_to={lesson_link}")
        assert page.url == origin + lesson_link
        await page.get_by_role("button", name="Mark complete").click()
        await page.get_by_text("You completed this lesson").wait_for()

        await page.get_by_role("link", name="Dashboard").click()
        await page.get_by_role("link", name="Interview basics").click()
        await page.get_by_role("button", name="Start the interview").click()
        # The recorder script folds the other choices as it starts: open one after that.
        await page.locator("#recorder").wait_for(state="visible")
        await page.get_by_text("Type your answer").click()
        await page.get_by_role("textbox", name="Your answer").fill(
            "At my last job I led a project; as a result we saved a week."
        )
        await page.locator("#rating-text").select_option("4")
        await page.get_by_role("button", name="Submit answer").click()
        await page.get_by_role("heading", name="Feedback").wait_for()
        await page.get_by_role("link", name="Next question").click()

        await page.locator("#recorder").wait_for(state="visible")
        await page.get_by_label("Thinking time before you answer").select_option("0")
        await page.get_by_role("button", name="Turn on the microphone").click()
        await page.get_by_role("button", name="Start answering").click()
        await page.locator("#rec-elapsed", has_text="0:01").wait_for()  # some media
        await page.get_by_role("button", name="Stop recording").click()
        await page.select_option("#rating-rec", "2")
        await page.get_by_role("button", name="Submit this answer").click()
        await page.get_by_role("link", name="See your summary").wait_for()
        # Analysed in the server (a beep: no words); the page shows it when done.
        await page.locator("details.transcript").wait_for(timeout=180_000)
        audio = page.locator("audio")  # "Audio only" is the recorder's default
        assert await audio.count() == 1
        src = await audio.get_attribute("src")
        status, kind, size = await page.evaluate(
            "async (u) => { const r = await fetch(u); "
            "return [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength]; }",
            src,
        )
        assert (status, kind) == (200, "audio/webm") and size > 100
        await page.get_by_role("link", name="See your summary").click()
        await page.get_by_text(re.compile("Completed")).first.wait_for()
    await context.close()

    progress = (await api.get("/api/users/abc123def/progress")).json()["progress"]
    assert progress["lessons"]["completed"] == 1
    assert progress["practice_interviews"] == {"started": 1, "completed": 1}
    assert progress["answers_recorded"] == 2
    assert progress["average_rating"] == 3.0
    after = (await api.get("/api/users/abc123def/tracks")).json()["tracks"]
    assert [s["completed"] for t in after for s in t["tracks"]] == [
        s["link"] == lesson_link for t in tracks for s in t["tracks"]
    ]
    interviews = (await api.get("/api/users/abc123def/interviews")).json()["interviews"]
    assert [(i["title"], i["completed"]) for i in interviews] == [("Interview basics", True)]


async def test_keyboard_only_lesson_and_a_file_upload(app, live_server, chromium, tmp_path) -> None:
    from tests.practice.media import recording

    org = await make_org(app)
    user = await make_user(app, org)
    link = "/members/modules/stories/lessons/star"
    token = await make_token(app, org, user, redirect_to=link)
    context = await chromium.new_context()
    page = await context.new_page()
    async with screenshot_on_failure(page, "keyboard-and-upload"):
        origin = live_server.origin(org.slug)
        await page.goto(f"{origin}/sso/login?token={token}")
        assert page.url == origin + link
        for _ in range(15):  # Tab through the page until the button has focus
            await page.keyboard.press("Tab")
            if await page.evaluate("document.activeElement.textContent") == "Mark complete":
                break
        await page.keyboard.press("Enter")
        await page.get_by_text("You completed this lesson").wait_for()

        await page.goto(f"{origin}/members/practice/basics")
        await page.get_by_role("button", name="Start the interview").click()
        # The recorder script folds the other choices as it starts: open one after that.
        await page.locator("#recorder").wait_for(state="visible")
        await page.get_by_text("Upload a recording").click()
        picture = tmp_path / "photo.png"
        picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        await page.get_by_label("Audio or video file").set_input_files(str(picture))
        await page.get_by_role("button", name="Upload answer").click()
        alert = page.get_by_role("alert")
        await alert.get_by_text("This file is not an audio or video recording").wait_for()
        upload = tmp_path / "answer.webm"
        upload.write_bytes(recording(video=True))
        await page.get_by_label("Audio or video file").set_input_files(str(upload))
        await page.get_by_role("button", name="Upload answer").click()
        await page.get_by_role("heading", name="Your answer", exact=True).wait_for()
        assert await page.locator("video").count() == 1
    await context.close()
