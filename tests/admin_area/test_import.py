"""CSV import over HTTP: checked rows, a job with progress, bad rows by line, safe to repeat."""

from __future__ import annotations

import re

import httpx

from greenroom.admins.models import AdminRole
from tests.admin_area.conftest import Browser, assert_error_page, csrf_of, logged_in

PAGE = "/admin/imports"
GOOD = (
    b"partner_id,email,first_name,last_name\n"
    b"abc123def,jane.doe@xyz.example.com,Jane,Doe\n"
    b"xyz789,sam@xyz.example.com,Sam,Smith\n"
)


async def upload(browser, content: bytes, name: str = "users.csv"):
    token = csrf_of((await browser.get(PAGE)).text)
    return await browser.client.post(
        PAGE, data={"csrftoken": token}, files={"file": (name, content, "text/csv")}
    )


async def job_result(browser: Browser, response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    job = await browser.get(response.headers["location"])
    assert job.status_code == 200
    text: str = job.text
    return text


async def test_import_creates_then_updates_and_is_safe_to_repeat(area, client_for, app) -> None:
    first = await job_result(area.browser, await upload(area.browser, GOOD))
    assert re.search(r"<strong>2</strong> created, <strong>0</strong> updated", first)
    again = await job_result(area.browser, await upload(area.browser, GOOD))
    # The same values again change nothing: unchanged, not updated.
    assert re.search(
        r"<strong>0</strong> created, <strong>0</strong> updated,\s*<strong>2</strong> unchanged",
        again,
    )
    changed = GOOD.replace(b"jane.doe@", b"jane.d@")
    third = await job_result(area.browser, await upload(area.browser, changed))
    assert re.search(
        r"<strong>0</strong> created, <strong>1</strong> updated,\s*<strong>1</strong> unchanged",
        third,
    )
    users = (await area.browser.get("/admin/users")).text
    assert ">2 users<" in users and "jane.d@xyz.example.com" in users
    # The users exist for the API as well.
    from tests.factories import make_key

    key = await make_key(app, area.org)
    api = client_for(area.org.slug)
    got = await api.get("/api/users/abc123def", headers={"Authorization": key})
    assert got.status_code == 200 and got.json()["user"]["email"] == "jane.d@xyz.example.com"


async def test_bad_rows_are_listed_by_line_and_nothing_is_imported(area) -> None:
    content = GOOD + b"bad id!,x@xyz.example.com,X,Y\nok2,not-an-email,A,B\n"
    response = await upload(area.browser, content)
    assert response.status_code == 422
    assert "2 bad rows" in response.text
    assert "<td>4</td>" in response.text and "<td>5</td>" in response.text
    assert ">0 users<" in (await area.browser.get("/admin/users")).text


async def test_a_cell_too_long_for_csv_is_a_bad_line_not_an_error(area) -> None:
    # Python's csv module stops at 128 KB a cell (the upload may be 50 MB): it was a 500.
    huge = b"A" * 131_073
    for content, line in (
        (GOOD + b"big," + huge + b",X,Y\n", "4"),
        (GOOD + b'quoted,"' + huge + b'",X,Y\n', "4"),
        (b"partner_id," + huge + b"\nabc,x\n", "1"),
    ):
        response = await upload(area.browser, content)
        assert response.status_code == 422, response.text[:300]
        assert f"<td>{line}</td>" in response.text and "cannot be read as CSV" in response.text
    assert ">0 users<" in (await area.browser.get("/admin/users")).text


async def test_rows_the_service_refuses_are_reported_and_the_rest_applied(area) -> None:
    content = GOOD + b"new1,n@xyz.example.com,Nina,\n"  # a new user without a last name
    result = await job_result(area.browser, await upload(area.browser, content))
    assert "<strong>2</strong> created" in result and "<strong>1</strong> failed" in result
    assert "<td>4</td>" in result and "last_name" in result


async def test_import_status_is_json_for_the_progress_bar(area) -> None:
    response = await upload(area.browser, GOOD)
    status = await area.browser.get(response.headers["location"] + "/status")
    assert status.json() == {
        "status": "done", "total": 2, "processed": 2, "created": 2, "updated": 0, "unchanged": 0,
        "errors": 0,
    }  # fmt: skip


async def test_the_sample_file_imports_as_it_is(area) -> None:
    sample = await area.browser.get(PAGE + "/sample.csv")
    assert sample.status_code == 200 and sample.headers["content-type"].startswith("text/csv")
    assert "attachment" in sample.headers["content-disposition"]
    assert sample.text.splitlines()[0] == "partner_id,email,first_name,last_name"
    assert 'href="/admin/imports/sample.csv"' in (await area.browser.get(PAGE)).text
    # The sample's second row only changes an email: it needs the first row's user to exist.
    first_row = "\r\n".join(sample.text.splitlines()[:2]).encode()
    await job_result(area.browser, await upload(area.browser, first_row))
    result = await job_result(area.browser, await upload(area.browser, sample.content))
    assert re.search(r"<strong>0</strong> created, <strong>0</strong> updated", result)
    assert "<strong>1</strong> unchanged" in result and "<strong>1</strong> failed" in result


async def test_sandbox_view_imports_into_the_sandbox(area) -> None:
    await area.browser.submit("/admin/users", "/admin/view", {"view": "sandbox", "next": PAGE})
    await job_result(area.browser, await upload(area.browser, GOOD))
    assert ">2 users<" in (await area.browser.get("/admin/users")).text
    await area.browser.submit("/admin/users", "/admin/view", {"view": "production"})
    assert ">0 users<" in (await area.browser.get("/admin/users")).text


async def test_viewer_cannot_import(app, browser_for, area) -> None:
    _viewer, browser = await logged_in(app, browser_for, area.org, AdminRole.VIEWER)
    assert_error_page(await browser.get(PAGE), 403, "read_only")
    token = csrf_of((await browser.get("/admin/users")).text)
    response = await browser.client.post(
        PAGE, data={"csrftoken": token}, files={"file": ("u.csv", GOOD, "text/csv")}
    )
    assert response.status_code == 403
