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
_FIRST_PAGE = (
    select(*INTERVIEW_COLUMNS)
    .where(
        Interview.user_id == bindparam("user_id"),
        Interview.org_id == bindparam("org_id"),
        Interview.environment == bindparam("environment"),
    )
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
    user_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Row]:
    """Up to `limit` of the user's interviews, most recently updated first, after `after`."""
    values: dict[str, Any] = {
        "user_id": user_id,
        "org_id": tenant.org_id,
        "environment": tenant.environment.value,
        "limit": limit,
    }
    if after is not None:
        values["after_at"], values["after_id"] = after
    return await direct.all(_PAGES[after is not None], **values)
