"""`greenroom org set --recording-retention-days` (issue 20, item 1): set, shown, turned off,
audited as done by the CLI; bad values refused with a clear message and nothing changed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from greenroom.audit.models import AuditEvent
from greenroom.tenancy import repository as orgs_repo
from tests.factories import unique_slug


async def shown(cli, slug: str) -> dict[str, str]:
    result = await cli("org", "show", slug)
    assert result.exit_code == 0, result.output
    return dict(line.split("\t", 1) for line in result.output.strip().splitlines())


async def test_retention_is_set_shown_and_turned_off(cli, db) -> None:
    slug = unique_slug()
    await cli("org", "create", slug, "--name", "XYZ Corporation")
    before = await shown(cli, slug)
    assert before["recording_retention_days"] == "off"
    assert before["retention_includes_transcripts"] == "off"

    result = await cli("org", "set", slug, "--recording-retention-days", "30")
    assert result.exit_code == 0, result.output
    assert (await shown(cli, slug))["recording_retention_days"] == "30"
    result = await cli("org", "set", slug, "--retention-includes-transcripts")
    assert result.exit_code == 0, result.output
    after = await shown(cli, slug)
    assert (after["recording_retention_days"], after["retention_includes_transcripts"]) == (
        "30", "on",
    )  # fmt: skip
    listing = await cli("org", "list")
    assert f"{slug}\tXYZ Corporation\tanonymous_users=off\t" in listing.output
    assert "recording_retention=30_days_with_transcripts" in listing.output

    result = await cli(
        "org", "set", slug, "--recording-retention-days", "OFF",
        "--no-retention-includes-transcripts",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    org = await orgs_repo.get_by_slug(db, slug)
    assert org is not None
    await db.refresh(org)
    assert (org.recording_retention_days, org.retention_includes_transcripts) == (None, False)
    entries = (
        await db.scalars(
            select(AuditEvent)
            .where(AuditEvent.org_id == org.id, AuditEvent.event == "org.retention_changed")
            .order_by(AuditEvent.created_at)
        )
    ).all()
    assert [(e.actor, e.details["recording_retention_days"]) for e in entries] == [
        ("cli", 30), ("cli", 30), ("cli", None),
    ]  # fmt: skip
    assert entries[1].details["retention_includes_transcripts"] is True


@pytest.mark.parametrize("value", ["0", "3651", "-1", "forever", "2.5"])
async def test_a_bad_number_of_days_is_refused(cli, db, value: str) -> None:
    slug = unique_slug()
    await cli("org", "create", slug, "--name", "X")
    await cli("org", "set", slug, "--recording-retention-days", "7")
    args = ["org", "set", slug, "--recording-retention-days", value]
    result = await cli(*args, "--retention-includes-transcripts")
    assert result.exit_code != 0
    assert "--recording-retention-days takes a whole number of days from 1 to 3650, or off" in (
        result.output
    )
    assert (await shown(cli, slug))["recording_retention_days"] == "7"
    assert (await shown(cli, slug))["retention_includes_transcripts"] == "off"
