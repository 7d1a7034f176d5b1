from __future__ import annotations

from typing import TypedDict

import pytest

from greenroom.content import service
from greenroom.content.loader import Question, get_pack
from greenroom.core.errors import Conflict, ValidationFailed
from greenroom.tenancy.context import OrgSnapshot
from tests.factories import make_org
from tests.practice.helpers import Member, make_user, signed_in


class SetFields(TypedDict):
    title: str
    category: str
    interviewer_name: str
    questions: list[Question]


async def test_org_sets_are_listed_after_the_pack_and_can_be_practised(
    app, settings, client_for
) -> None:
    org, other = await make_org(app), await make_org(app)
    snapshot = OrgSnapshot.of(org)
    async with app.state.sessionmaker() as session, session.begin():
        await service.create_org_set(
            session,
            snapshot,
            slug="xyz-onboarding",
            title="XYZ onboarding",
            category="situational",
            interviewer_name="Robin",
            questions=[Question("Why XYZ Corporation?", ("Know the mission.",))],
        )
    async with app.state.sessionmaker() as session:
        sets = await service.sets_for(session, snapshot, get_pack(settings.content_dir))
        assert [s.slug for s in sets] == ["basics", "teamwork", "xyz-onboarding"]
        foreign = await service.sets_for(
            session, OrgSnapshot.of(other), get_pack(settings.content_dir)
        )
        assert "xyz-onboarding" not in [s.slug for s in foreign]

    user = await make_user(app, org)
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    assert "XYZ onboarding" in (await browser.get("/members/dashboard")).text
    interview = await Member(browser).start("xyz-onboarding")
    page = await browser.get(f"/members/interviews/{interview}/questions/1")
    assert "Why XYZ Corporation?" in page.text and "Know the mission." in page.text

    other_user = await make_user(app, other)
    other_browser = client_for(other.slug)
    await signed_in(app, other_browser, other, other_user)
    assert (await other_browser.get("/members/practice/xyz-onboarding")).status_code == 404


async def test_org_sets_are_validated_and_updated(app) -> None:
    org = await make_org(app)
    snapshot = OrgSnapshot.of(org)
    fields = SetFields(
        title="Sales",
        category="general",
        interviewer_name="Kim",
        questions=[Question("Sell me this pen.")],
    )
    async with app.state.sessionmaker() as session, session.begin():
        with pytest.raises(ValidationFailed):
            await service.create_org_set(
                session, snapshot, slug="x", **(fields | {"category": "odd"})
            )
        await service.create_org_set(session, snapshot, slug="sales", **fields)
        with pytest.raises(Conflict):
            await service.create_org_set(session, snapshot, slug="sales", **fields)
        row = await service.update_org_set(
            session, snapshot, "sales", **(fields | {"title": "Sales, round two"})
        )
        assert row.title == "Sales, round two"


async def test_an_org_set_has_an_answer_time_limit_that_updates_keep(app) -> None:
    org = await make_org(app)
    snapshot = OrgSnapshot.of(org)
    fields = SetFields(
        title="Quick fire",
        category="general",
        interviewer_name="Kim",
        questions=[Question("Why this job?")],
    )
    async with app.state.sessionmaker() as session, session.begin():
        with pytest.raises(ValidationFailed) as refused:
            await service.create_org_set(
                session, snapshot, slug="quick", answer_seconds=3600, **fields
            )
        assert refused.value.errors == [{"field": "answer_seconds", "message": "15 to 900 seconds"}]
        row = await service.create_org_set(
            session, snapshot, slug="quick", answer_seconds=60, **fields
        )
        assert row.answer_seconds == 60
        row = await service.update_org_set(
            session, snapshot, "quick", **(fields | {"title": "Quick fire, again"})
        )
        assert row.answer_seconds == 60  # not given: kept
        row = await service.update_org_set(session, snapshot, "quick", answer_seconds=45, **fields)
    async with app.state.sessionmaker() as session:
        [quick] = [
            s
            for s in await service.sets_for(session, snapshot, get_pack(None))
            if s.slug == "quick"
        ]
    assert quick.answer_seconds == 45
