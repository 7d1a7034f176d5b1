"""Arranging practice tests: users as rows (any state, e.g. already expired), sign-in tokens
from the issuing service, and a `Member` that drives the app's forms."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from greenroom.core import events
from greenroom.core.direct import Executor
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization
from greenroom.users import signin as sso
from greenroom.users.models import User
from greenroom.users.service import public_user
from tests.practice.media import recording


async def make_user(
    app: FastAPI,
    org: Organization,
    *,
    partner_id: str | None = None,
    environment: str = "production",
    anonymous: bool = False,
    expires_at: datetime | None = None,
    first_name: str = "Jamie",
    last_name: str = "Doe",
    created_at: datetime | None = None,
) -> User:
    """A user as a row, with the `user.created` event the users service would publish (so that
    what follows events, like the admin area's read model, knows them)."""
    tenant = Tenant(OrgSnapshot.of(org), Environment(environment))
    async with app.state.sessionmaker() as session, session.begin():
        user = User(
            org_id=org.id,
            environment=environment,
            partner_id=partner_id or f"p-{uuid.uuid4().hex[:12]}",
            email=f"{uuid.uuid4().hex[:8]}@xyz.example.com",
            first_name=first_name,
            last_name=last_name,
            anonymous=anonymous,
            expires_at=expires_at,
            **({"created_at": created_at, "updated_at": created_at} if created_at else {}),
        )
        session.add(user)
        await session.flush()
        await events.publish(
            session, tenant, "user.created", {"user": public_user(user)}, user_id=user.id
        )
    return user


async def make_token(
    app: FastAPI,
    org: Organization,
    user: User,
    *,
    ttl: timedelta | None = None,
    redirect_to: str | None = None,
) -> str:
    """A sign-in token made by the issuing service, as the partner API would."""
    tenant = Tenant(OrgSnapshot.of(org), Environment(user.environment))
    async with app.state.sessionmaker() as session, session.begin():
        issued = await sso.issue_token(
            session,
            tenant,
            user.id,
            secret=app.state.settings.server_secrets[0],
            expires_in=int(ttl.total_seconds()) if ttl else None,
            redirect_to=redirect_to,
        )
    return issued.token


async def signed_in(
    app: FastAPI, client: httpx.AsyncClient, org: Organization, user: User, **params: str
) -> httpx.Response:
    """Redeem a fresh token in `client` (which keeps the session cookie)."""
    token = await make_token(app, org, user)
    response = await client.get("/sso/login", params={"token": token, **params})
    assert response.status_code == 303, response.text
    return response


_CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')


async def number_of(app: FastAPI, interview: str) -> int:
    """The interview's `id` in the Partner API (its number in the org), from the practice app's
    id (the UUID in its addresses)."""
    from greenroom.practice.models import Interview

    async with app.state.sessionmaker() as session:
        found = await session.get(Interview, uuid.UUID(interview))
        assert found is not None
        return int(found.number)


def page_error_code(response: httpx.Response) -> str:
    """The `code` of an HTML error page (the practice app answers errors as pages)."""
    found = re.search(r'data-code="([a-z_]+)"', response.text)
    assert found, response.text
    return found.group(1)


async def csrf_from(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    match = _CSRF.search(page.text)
    assert match, "no csrftoken input on the page"
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, data: Mapping[str, Any] | None = None
) -> httpx.Response:
    token = await csrf_from(client, page)
    return await client.post(action, data={"csrftoken": token, **(data or {})})


@contextmanager
def recorded_events(partner_id: str | None = None) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The events published meanwhile, in this process (all of it: a live server's thread
    too); with `partner_id`, only those about that user (`{"interview": {..., "partner_id"}}`,
    `{"progress": {"partner_id", ...}}`, ...)."""
    seen: list[tuple[str, dict[str, Any]]] = []

    async def record(
        _s: Executor, _t: Tenant, event_type: str, data: Mapping[str, Any], *, user_id: Any
    ) -> None:
        about = next(iter(data.values()), None)
        if partner_id is None or (
            isinstance(about, Mapping) and about.get("partner_id") == partner_id
        ):
            seen.append((event_type, dict(data)))

    events.subscribe(record)
    try:
        yield seen
    finally:
        events._subscribers.remove(record)


# The smallest WebM header `filetype` recognises (EBML magic + "webm" doctype): it looks like
# a WebM, and is not a recording (nothing decodes). For storage tests; uploads use `recording()`.
WEBM = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02" + b"\x00" * 64
)


class Member:
    """Drives the practice app's forms as a signed-in browser would."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def complete_lesson(self, link: str) -> httpx.Response:
        response = await post_form(self.client, link, f"{link}/complete")
        assert response.status_code == 303, response.text
        return response

    async def start(self, set_slug: str) -> str:
        page = f"/members/practice/{set_slug}"
        response = await post_form(self.client, page, page)
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        return location.split("/")[3]  # /members/interviews/{id}/questions/1

    async def answer_text(
        self, interview_id: str, number: int, text: str, rating: int | None = None
    ) -> httpx.Response:
        page = f"/members/interviews/{interview_id}/questions/{number}"
        data = {"text": text} | ({"rating": str(rating)} if rating else {})
        return await post_form(self.client, page, f"{page}/text", data)

    async def upload(
        self,
        interview_id: str,
        number: int,
        content: bytes | None = None,
        rating: int | None = None,
        *,
        replace: bool = False,
        html: bool = False,
    ) -> httpx.Response:
        """Upload a recording (a tone by default: `media.recording()`); `html` sends the
        Accept header of a browser's form."""
        page = f"/members/interviews/{interview_id}/questions/{number}"
        token = await csrf_from(self.client, page)
        data = {"csrftoken": token} | ({"rating": str(rating)} if rating else {})
        if replace:
            data["replace"] = "1"
        headers = {"accept": "text/html,application/xhtml+xml"} if html else {}
        return await self.client.post(
            f"{page}/media",
            data=data,
            files={"media": ("answer.webm", content or recording(), "video/webm")},
            headers=headers,
        )

    async def answer_again(
        self, interview_id: str, number: int, text: str, rating: int | None = None
    ) -> httpx.Response:
        page = f"/members/interviews/{interview_id}/questions/{number}"
        data = {"text": text, "replace": "1"} | ({"rating": str(rating)} if rating else {})
        return await post_form(self.client, f"{page}?again=1", f"{page}/text", data)

    async def delete_answer(self, interview_id: str, number: int) -> httpx.Response:
        page = f"/members/interviews/{interview_id}/questions/{number}/delete"
        return await post_form(self.client, page, page)

    async def delete_interview(self, interview_id: str) -> httpx.Response:
        page = f"/members/interviews/{interview_id}/delete"
        return await post_form(self.client, page, page)
