"""A receiver down for a day (docs/operations.md, When a webhook receiver is down): every attempt
fails to connect, deliveries are retried for 24 hours, the endpoint is disabled, the API and the
admin area say so, nothing answers a 5xx; then the partner fixes the URL, enables the endpoint,
what waited is sent and the failed deliveries are resent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from greenroom.core import clock
from tests.admin_area.conftest import Area
from tests.admin_area.conftest import area as area  # the fixtures
from tests.admin_area.conftest import browser_for as browser_for
from tests.processes import free_port
from tests.webhooks.conftest import Receiver, make_worker
from tests.webhooks.test_delivery import MILLISECOND, deliveries, when


def person(name: str) -> dict[str, Any]:
    return {"first_name": name, "last_name": "Doe", "email": f"{name.lower()}@xyz.example.com"}


async def test_a_day_of_connection_failures_then_recovery(
    app, area: Area, api_for, receiver: Receiver
) -> None:
    org = area.org
    api = await api_for(org)
    nobody_listens = f"http://127.0.0.1:{free_port()}/hook"
    created = await api.post("/api/webhooks", json={"url": nobody_listens})
    webhook_id = created.json()["webhook"]["id"]
    path = f"/api/webhooks/{webhook_id}"
    start = clock.now()
    assert (await api.post("/api/users/alice", json=person("Alice"))).status_code == 201
    assert (await api.post("/api/users/alice", json={"first_name": "Alicia"})).status_code == 200
    assert (await api.post("/api/users/bob", json=person("Bob"))).status_code == 201

    worker = make_worker(app, org)
    for _ in range(200):
        await worker.run_until_idle()
        webhook = (await api.get(path)).json()["webhook"]
        if not webhook["enabled"]:
            break
        # On to the next retry (the update waits behind Alice's first event, due or not).
        retries = [
            when(d["next_attempt_at"])
            for d in await deliveries(api, webhook_id)
            if d["status"] == "pending" and d["attempts"]
        ]
        clock.advance(min(retries) - clock.now() + MILLISECOND)

    # The API's view: disabled for failing, since when, why.
    assert webhook["disabled_reason"] == "failing"
    # ... after a day of failures from the first failing delivery's event on.
    assert start <= when(webhook["failing_since"]) + MILLISECOND
    failing_for = when(webhook["disabled_at"]) - when(webhook["failing_since"])
    assert failing_for + MILLISECOND >= timedelta(hours=24)  # (both cut to the millisecond)
    assert webhook["last_error"].startswith("Connection failed")
    log = await deliveries(api, webhook_id)
    assert len(log) == 3
    # The first events of each user were retried for 24 hours: the one whose last try came
    # first failed for good and disabled the endpoint (the other may still be pending). Alice's
    # update waited behind her first event (in order per user), and waits on, never tried.
    failed = (await api.get(f"{path}/deliveries", params={"status": "failed"})).json()
    assert failed["deliveries"]
    for delivery in failed["deliveries"]:
        assert delivery["event_type"] == "user.created" and delivery["attempts"] >= 10
        assert delivery["error"].startswith("Connection failed")
    [update] = [d for d in log if d["event_type"] == "user.updated"]
    assert update["status"] == "pending" and update["attempts"] == 0
    # While disabled: no new event is queued for it, and resend says why not.
    assert (await api.post("/api/users/bob", json={"first_name": "Robert"})).status_code == 200
    assert len(await deliveries(api, webhook_id)) == 3
    one = failed["deliveries"][0]["id"]
    refused = await api.post(f"{path}/deliveries/{one}/resend")
    assert refused.status_code == 409 and refused.json()["code"] == "webhook_disabled"

    # The admin area's view (a day later: the admin signs in again).
    assert (await area.browser.log_in(area.admin.email)).status_code == 303
    listing = (await area.browser.get("/admin/webhooks")).text
    assert "disabled (failing)" in listing
    page = (await area.browser.get(f"/admin/webhooks/{webhook_id}")).text
    assert "Disabled (failing): Connection failed" in page

    # Fixed: a new URL and enabled, in one update. What waited goes out.
    fixed = await api.post(path, json={"url": receiver.url("/back"), "enabled": True})
    assert fixed.status_code == 200 and fixed.json()["webhook"]["failing_since"] is None
    await worker.run_until_idle()
    sent = [r.body_json["data"]["user"]["first_name"] for r in receiver.at("/back")]
    assert "Alicia" in sent and len(sent) == 3 - len(failed["deliveries"])
    if "Alice" in sent:  # her first event had not failed for good: it went first
        assert sent.index("Alice") < sent.index("Alicia")
    # Then the failed ones, resent (each arrives after what was sent since: use `updated_at`).
    for delivery in failed["deliveries"]:
        resent = await api.post(f"{path}/deliveries/{delivery['id']}/resend")
        assert resent.status_code == 202, resent.text
    await worker.run_until_idle()
    names = sorted(r.body_json["data"]["user"]["first_name"] for r in receiver.at("/back"))
    assert names == ["Alice", "Alicia", "Bob"]
    assert all(r.status == 200 for r in receiver.at("/back"))
    statuses = [d["status"] for d in await deliveries(api, webhook_id)]
    assert statuses.count("succeeded") == 3
    assert statuses.count("failed") == len(failed["deliveries"])
