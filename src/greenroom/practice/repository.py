"""The practice feature's reads for the Partner API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from greenroom.core.direct import Direct, Row, Statement
from greenroom.core.pagination import after_position
from greenroom.practice.models import Interview
from greenroom.tenancy.context import Tenant
from greenroom.users import repository as users
from greenroom.users.models import User

# The columns of the public interview object (`service.interview_payload`).
INTERVIEW_COLUMNS = (
    Interview.id,
    Interview.title,
    Interview.interviewer_name,
    Interview.category,
    Interview.completed_at,
    Interview.created_at,
    Interview.updated_at,
)
# The user's interviews, found by their partner_id in the same statement (the user is
# active: `users.repository.active_by_partner_id`).
_FIRST_PAGE = (
    select(*INTERVIEW_COLUMNS)
    .select_from(Interview)
    .join(User, User.id == Interview.user_id)
    .where(users.active_by_partner_id())
    .order_by(Interview.updated_at.desc(), Interview.id.desc())
    .limit(bindparam("limit"))
)
_PAGES = {
    False: Statement(_FIRST_PAGE),
    True: Statement(
        _FIRST_PAGE.where(
            after_position(
                Interview.updated_at,
                Interview.id,
                (
                    bindparam("after_at", type_=Interview.updated_at.type),
                    bindparam("after_id", type_=Interview.id.type),
                ),
                descending=True,
            )
        )
    ),
}


async def read_page(
    direct: Direct,
    tenant: Tenant,
    partner_id: str,
    now: datetime,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Row]:
    """Up to `limit` interviews of the active user `partner_id`, most recently updated first,
    after `after`: one statement (an unknown user and a user without interviews both read as
    no rows)."""
    values: dict[str, Any] = {**users.partner_id_params(tenant, partner_id, now), "limit": limit}
    if after is not None:
        values["after_at"], values["after_id"] = after
    return await direct.all(_PAGES[after is not None], **values)
