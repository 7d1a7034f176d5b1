"""The CSV export writes times in the API's one format (issue 16, item 8)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from tests.practice.helpers import make_user


async def test_export_times_have_milliseconds_and_z(app, area) -> None:
    made = datetime(2026, 11, 23, 12, 0, 0, 654_321, tzinfo=UTC)
    await make_user(app, area.org, partner_id="t1", created_at=made)
    response = await area.browser.get("/admin/users/export.csv")
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert row["created_at"] == "2026-11-23T12:00:00.654Z"
    assert re.fullmatch(r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row["last_activity_at"])
