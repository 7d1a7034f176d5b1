"""The webhooks page's format field and the verification key (Big Interview format): made with
the environment's first such endpoint and shown once, rotated from the page, and the key the
deliveries then carry (checked by a receiver)."""

from __future__ import annotations

import re

from greenroom.admins.models import AdminRole
from tests.admin_area.conftest import logged_in
from tests.factories import make_key
from tests.helpers import group_of
from tests.webhooks.conftest import make_worker
from tests.webhooks.conftest import receiver as receiver  # the fixture

PAGE = "/admin/webhooks"
KEY = re.compile(r'data-testid="new-verification-key-value">([0-9a-f]{32})<')


async def test_a_big_interview_endpoint_shows_the_key_once(app, area, client_for, receiver) -> None:
    added = await area.browser.submit(
        PAGE, PAGE, {"url": receiver.url("/bi"), "format": "biginterview"}
    )
    assert added.status_code == 303, added.text
    shown = (await area.browser.follow(added)).text
    key = KEY.search(shown)
    assert key
    listing = (await area.browser.get(PAGE)).text  # shown once: not after a reload
    assert "Big Interview format" in listing and key.group(1) not in listing
    assert f"<code>{key.group(1)[-4:]}</code>" in listing  # which key is in force
    # A second one in that format makes no new key; a standard one neither.
    again = await area.browser.submit(
        PAGE, PAGE, {"url": receiver.url("/bi2"), "format": "biginterview"}
    )
    plain = await area.browser.submit(PAGE, PAGE, {"url": receiver.url("/std")})
    for response in (again, plain):
        assert not KEY.search((await area.browser.follow(response)).text)

    # The deliveries carry it: the receiver refuses any other.
    receiver.keys["/bi"] = key.group(1)
    api_key = await make_key(app, area.org)
    created = await client_for(area.org.slug).post(
        "/api/users/abc123def",
        headers={"Authorization": api_key},
        json={"first_name": "Jane", "last_name": "Doe", "email": "jane@xyz.example.com"},
    )
    assert created.status_code == 201
    await make_worker(app, area.org).run_until_idle()
    [got] = receiver.at("/bi")
    assert got.status == 200 and got.body_json["webhook"]["event_name"] == "user.created"


async def test_rotating_from_the_page_shows_the_new_key_once(app, area, receiver) -> None:
    empty = (await area.browser.get(PAGE)).text
    assert "None yet" in empty
    made = await area.browser.submit(PAGE, f"{PAGE}/verification-key/rotate")
    first = KEY.search((await area.browser.follow(made)).text)
    assert first
    rotated = await area.browser.submit(PAGE, f"{PAGE}/verification-key/rotate")
    second = KEY.search((await area.browser.follow(rotated)).text)
    assert second and second.group(1) != first.group(1)
    listing = (await area.browser.get(PAGE)).text
    assert f"<code>{second.group(1)[-4:]}</code>" in listing and second.group(1) not in listing
    audit = (await area.browser.get("/admin/audit?event=webhook.verification_key_rotated")).text
    assert audit.count("<td>webhook.verification_key_rotated</td>") == 2
    assert f"last4={second.group(1)[-4:]}" in audit and second.group(1) not in audit
    # The sandbox has a key of its own (none yet).
    await area.browser.submit(PAGE, "/admin/view", {"view": "sandbox", "next": PAGE})
    assert "None yet" in (await area.browser.get(PAGE)).text


async def test_an_unknown_format_is_explained(area) -> None:
    response = await area.browser.submit(
        PAGE, PAGE, {"url": "http://127.0.0.1:9999/hook", "format": "xml"}
    )
    assert response.status_code == 422 and 'data-testid="form-error"' in response.text
    assert "No endpoints." in response.text
    assert 'value="http://127.0.0.1:9999/hook"' in response.text  # what was typed is kept


async def test_a_viewer_cannot_rotate(app, browser_for, area) -> None:
    _viewer, browser = await logged_in(app, browser_for, area.org, AdminRole.VIEWER)
    page = (await browser.get(PAGE)).text
    assert "Rotate" not in page and "Make the key" not in page
    refused = await browser.submit(PAGE, f"{PAGE}/verification-key/rotate")
    assert refused.status_code == 403
    assert group_of(r"(None yet)", (await browser.get(PAGE)).text)
