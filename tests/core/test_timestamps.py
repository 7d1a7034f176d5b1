"""Every timestamp we hand out is ISO 8601 in UTC with exactly three fractional digits and `Z`,
as Big Interview writes them (issue 16, item 8): the API's answers and the webhooks' payloads."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from greenroom.core.responses import iso
from tests.practice.helpers import Member, make_user, signed_in
from tests.webhooks.conftest import make_worker
from tests.webhooks.conftest import receiver as receiver  # the fixture

STRICT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TIMESTAMP_KEY = re.compile(r"(_at|_since|^timestamp|^at)$")


def timestamps(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Every value under a key that names a time, anywhere in a JSON document."""
    if isinstance(node, dict):
        for k, v in node.items():
            if TIMESTAMP_KEY.search(k) and not isinstance(v, dict | list):
                yield k, v
            else:
                yield from timestamps(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from timestamps(v, key)


def test_the_one_format_cuts_to_the_millisecond_in_utc() -> None:
    moment = datetime(2015, 1, 1, 0, 0, 0, 999_999, tzinfo=UTC)
    assert iso(moment) == "2015-01-01T00:00:00.999Z"
    assert iso(moment.replace(microsecond=0)) == "2015-01-01T00:00:00.000Z"
    east = datetime(2015, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    assert iso(east) == "2015-01-01T00:00:00.000Z"
    assert iso(None) is None


async def test_every_api_answer_and_webhook_payload_uses_the_one_format(
    app, anonymous_partner, client_for, receiver
) -> None:
    org, api = anonymous_partner.org, anonymous_partner.api
    webhook = (
        await api.post("/api/webhooks", json={"url": receiver.url("/hook"), "events": ["*"]})
    ).json()["webhook"]
    documents: list[Any] = [webhook]
    jane = {"first_name": "Jane", "last_name": "Doe", "email": "jane@xyz.example.com"}
    documents.append((await api.post("/api/users/abc123def", json=jane)).json())
    documents.append((await api.post("/api/users/anonymous")).json())
    documents.append((await api.post("/api/users/abc123def/sso")).json())
    # Some practice, so that progress and interviews have times of their own.
    user = await make_user(app, org, partner_id="practising")
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    interview = await Member(browser).start("basics")
    await Member(browser).answer_text(interview, 1, "Situation, task, action, result.", rating=4)
    for path in (
        "/api/users/abc123def",
        "/api/users",
        "/api/users/practising/progress",
        "/api/progress",
        "/api/users/practising/interviews",
        "/api/webhooks",
        f"/api/webhooks/{webhook['id']}",
    ):
        response = await api.get(path)
        assert response.status_code == 200, (path, response.text)
        documents.append(response.json())
    await make_worker(app, org).run_until_idle()
    deliveries = (await api.get(f"/api/webhooks/{webhook['id']}/deliveries")).json()
    documents.append(deliveries)
    first = deliveries["deliveries"][-1]["id"]
    documents.append((await api.get(f"/api/webhooks/{webhook['id']}/deliveries/{first}")).json())
    payloads = [json.loads(r.body) for r in receiver.at("/hook")]
    assert {p["type"] for p in payloads} >= {"user.created", "interview.created"}
    documents += payloads

    found = [(k, v) for doc in documents for k, v in timestamps(doc)]
    keys = {k for k, v in found if v is not None}
    assert keys >= {
        "created_at", "updated_at", "expires_at", "last_activity_at", "timestamp",
        "last_attempt_at", "at",
    }  # fmt: skip
    bad = [(k, v) for k, v in found if v is not None and not STRICT.fullmatch(v)]
    assert not bad, bad


def test_sqlite_stores_times_as_sqlalchemy_writes_them() -> None:
    """`UTCDateTime` formats SQLite's text itself (a faster path): the text must be SQLAlchemy's
    own, character for character, since SQLite orders and compares these columns as text."""
    from sqlalchemy import DateTime
    from sqlalchemy.dialects import sqlite

    from greenroom.core.db import UTCDateTime

    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    theirs = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert ours is not None and theirs is not None
    plus_five = timezone(timedelta(hours=5, minutes=30))
    for value in [
        datetime(2026, 11, 30, 22, 14, 29, 942047, tzinfo=UTC),
        datetime(2026, 11, 30, 22, 14, 29, tzinfo=UTC),  # no microseconds: still six zeros
        datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 1, 2, 0, 0, 1, tzinfo=plus_five),  # another zone: in UTC, a day back
    ]:
        assert ours(value) == theirs(value.astimezone(UTC).replace(tzinfo=None)), value
    assert ours(None) is None
    try:
        ours(datetime(2026, 1, 1))
    except ValueError:
        pass
    else:
        raise AssertionError("a naive datetime was stored")
