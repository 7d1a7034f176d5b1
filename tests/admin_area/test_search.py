"""Finding students (issue 18, item 3): case- and accent-insensitive substring search on name,
email and partner_id, kept up to date with every change, sorting, filters and page jumps."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import httpx
from sqlalchemy import select

from greenroom.admin_area.models import Student
from greenroom.admin_area.students import fold
from greenroom.core import clock
from tests.admin_area.conftest import Area
from tests.admin_area.test_users import add_users
from tests.factories import make_key, make_org

PEOPLE = {
    "mgarcia": ("María", "García", "maria.garcia@uni.example.edu"),
    "pshah": ("Priya", "Shah", "p.shah@uni.example.edu"),
    "jmuller": ("Jürgen", "Müller", "jm@uni.example.edu"),
    "sost": ("Søren", "Østergaard", "soren@uni.example.edu"),
    "lnowak": ("Łucja", "Nowak", "lucja.n@uni.example.edu"),
}


async def api_client(app, client_for, org, environment: str = "production") -> httpx.AsyncClient:
    key = await make_key(app, org, environment=environment)
    client: httpx.AsyncClient = client_for(org.slug, environment, headers={"Authorization": key})
    return client


async def create_people(api: httpx.AsyncClient) -> None:
    for partner_id, (first, last, email) in PEOPLE.items():
        made = await api.post(
            f"/api/users/{partner_id}",
            json={"first_name": first, "last_name": last, "email": email},
        )
        assert made.status_code == 201, made.text


def found(page: httpx.Response) -> list[str]:
    """The partner_ids in the users table, in order."""
    table = page.text.split('data-testid="users"', 1)[1]
    return re.findall(r'<a href="/admin/users/([^"]+)">', table)


async def search(area: Area, **params: str) -> list[str]:
    page = await area.browser.get("/admin/users", params=params)
    assert page.status_code == 200, page.text
    return found(page)


def test_fold_is_lower_case_without_accents() -> None:
    assert fold("María GARCÍA") == "maria garcia"
    assert fold("Søren Østergaard") == "soren ostergaard"
    assert fold("Łucja  Straße") == "lucja strasse"
    assert fold("Ægir Œuvre") == "aegir oeuvre"
    assert fold(None) == ""
    assert fold("Zoë \u0000 \ud800Lee") == "zoe lee"  # no NUL, no lone surrogate


async def test_search_ignores_case_and_accents_and_finds_substrings(app, area, client_for) -> None:
    await create_people(await api_client(app, client_for, area.org))
    assert await search(area, q="garcia") == ["mgarcia"]
    assert await search(area, q="GARCÍA") == ["mgarcia"]
    assert await search(area, q="arcí") == ["mgarcia"]  # inside a word
    assert await search(area, q="Shah") == ["pshah"]
    assert await search(area, q="muller") == ["jmuller"]
    assert await search(area, q="ostergaard") == ["sost"]
    assert await search(area, q="lucja") == ["lnowak"]
    assert await search(area, q="priya shah") == ["pshah"]  # first and last name together
    assert await search(area, q="p.shah@uni") == ["pshah"]  # an email's part
    assert await search(area, q="GARCI") == ["mgarcia"]
    assert await search(area, q="jmull") == ["jmuller"]  # a partner_id's part
    assert sorted(await search(area, q="uni.example")) == sorted(PEOPLE)
    # Shorter than a trigram: still a substring match (a scan of the org's rows).
    assert await search(area, q="Łu") == ["lnowak"]
    assert sorted(await search(area, q="ø")) == ["lnowak", "sost"]  # "o", as folded
    assert sorted(await search(area, q="sh")) == ["pshah"]
    # LIKE's wildcards are plain characters to the search.
    assert await search(area, q="%") == [] and await search(area, q="_") == []
    assert await search(area, q="nobody like this") == []


async def test_search_keeps_to_the_org_and_the_environment(app, area, client_for) -> None:
    await create_people(await api_client(app, client_for, area.org, "sandbox"))
    other = await make_org(app)
    await create_people(await api_client(app, client_for, other))
    assert await search(area, q="garcia") == []
    await area.browser.submit("/admin/users", "/admin/view", {"view": "sandbox"})
    assert await search(area, q="garcia") == ["mgarcia"]


async def test_the_index_follows_every_change_of_the_user(app, area, client_for, db) -> None:
    api = await api_client(app, client_for, area.org)
    await create_people(api)
    renamed = await api.post("/api/users/mgarcia", json={"last_name": "Pérez"})
    assert renamed.status_code == 200
    assert await search(area, q="maría garcía") == []
    assert await search(area, q="maria perez") == ["mgarcia"]
    assert (await api.delete("/api/users/pshah")).status_code == 204
    assert await search(area, q="shah") == []
    rows = (await db.execute(select(Student.text).where(Student.org_id == area.org.id))).scalars()
    assert not any("shah" in text for text in rows)


async def test_sort_by_name_progress_and_activity(app, area, client_for) -> None:
    from tests.admin_area.test_user_progress import complete_lessons
    from tests.practice.helpers import make_user, signed_in

    await create_people(await api_client(app, client_for, area.org))
    by_name = await search(area, sort="name")
    # Last names folded: Garcia, Muller, Nowak, Ostergaard, Shah.
    assert by_name == ["mgarcia", "jmuller", "lnowak", "sost", "pshah"]
    busy = await make_user(app, area.org, partner_id="busy", first_name="Zed", last_name="Young")
    some = await make_user(app, area.org, partner_id="some", first_name="Ann", last_name="Able")
    await complete_lessons(app, area.org, busy, 3)
    await complete_lessons(app, area.org, some, 1)
    assert (await search(area, sort="progress"))[:2] == ["busy", "some"]
    clock.advance(timedelta(minutes=5))
    await signed_in(app, client_for(area.org.slug), area.org, some)
    assert (await search(area, sort="activity"))[:2] == ["some", "busy"]


async def complete_every_lesson(app, org, user) -> None:
    from greenroom.content.loader import get_pack
    from greenroom.progress import service as progress
    from greenroom.tenancy.context import OrgSnapshot, Tenant
    from greenroom.tenancy.hosts import Environment

    pack = get_pack(app.state.settings.content_dir)
    tenant = Tenant(OrgSnapshot.of(org), Environment(user.environment))
    async with app.state.sessionmaker() as session, session.begin():
        merged = await session.merge(user)
        for key in pack.lessons_by_key:
            await progress.lesson_completed(session, tenant, merged, pack, key)


async def test_filters_on_activity_and_progress(app, area, client_for) -> None:
    from tests.admin_area.test_user_progress import complete_lessons
    from tests.practice.helpers import make_user

    await create_people(await api_client(app, client_for, area.org))
    early = await make_user(app, area.org, partner_id="early")
    await complete_every_lesson(app, area.org, early)  # 100%
    clock.advance(timedelta(days=15))
    late = await make_user(app, area.org, partner_id="late")
    await complete_lessons(app, area.org, late, 2)  # 40%
    await area.browser.log_in(area.admin.email)  # the session went idle meanwhile
    assert sorted(await search(area, activity="never")) == sorted(PEOPLE)
    assert await search(area, activity="inactive14") == ["early"]
    assert await search(area, activity="7d") == ["late"]
    assert await search(area, progress_min="90") == ["early"]
    assert await search(area, progress_min="30", progress_max="50") == ["late"]
    assert sorted(await search(area, progress_max="0")) == sorted(PEOPLE)
    # The filters combine with the search, and the page's links keep them.
    page = await area.browser.get("/admin/users", params={"q": "garcia", "activity": "never"})
    assert found(page) == ["mgarcia"]
    assert "export.csv?q=garcia&amp;activity=never" in page.text


async def test_page_jumps(app, area) -> None:
    await add_users(app, area.org, 260, prefix="j")
    first = await area.browser.get("/admin/users", params={"sort": "name"})
    assert "Page 1 of 6" in first.text
    links = re.findall(r'href="/admin/users\?sort=name&amp;page=(\d+)"', first.text)
    assert set(links) == {"2", "3", "6"}  # next, the neighbours and the last
    jumped = await area.browser.get("/admin/users", params={"sort": "name", "page": "5"})
    assert "Page 5 of 6" in jumped.text
    # Names sort as folded text, "last first": "number0 ada", "number1 ada", "number10 ada", ...
    expected = sorted((f"j{i:05d}" for i in range(260)), key=lambda p: f"number{int(p[1:])} ada")
    assert found(jumped) == expected[200:250]
    assert 'aria-current="page" href="/admin/users?sort=name&amp;page=5">5<' in jumped.text
    # A page past the end shows the last one.
    beyond = await area.browser.get("/admin/users", params={"sort": "name", "page": "99"})
    assert "Page 6 of 6" in beyond.text and len(found(beyond)) == 10


async def test_export_with_a_byte_order_mark_and_timestamps_in_one_format(
    app, area, client_for
) -> None:
    from tests.practice.helpers import make_user, signed_in

    await create_people(await api_client(app, client_for, area.org))
    active = await make_user(app, area.org, partner_id="active")
    await signed_in(app, client_for(area.org.slug), area.org, active)
    plain = await area.browser.get("/admin/users/export.csv", params={"q": "garcia"})
    assert not plain.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(plain.text)))
    assert [r["partner_id"] for r in rows] == ["mgarcia"] and rows[0]["last_name"] == "García"
    excel = await area.browser.get("/admin/users/export.csv", params={"bom": "true"})
    assert excel.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(excel.content.decode("utf-8-sig"))))
    assert len(rows) == len(PEOPLE) + 1
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")  # the API's one format
    for row in rows:
        assert stamp.match(row["created_at"]), row["created_at"]
    (signed,) = [r for r in rows if r["partner_id"] == "active"]
    assert stamp.match(signed["last_activity_at"])
