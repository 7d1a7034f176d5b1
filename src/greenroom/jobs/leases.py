"""Leases and backoff: the one way background work is claimed and retried.

The `jobs` table and the webhook outbox (`webhook_deliveries`) both hand rows to workers with a
lease: an UPDATE that stamps the claimer and an expiry on rows picked by a sub-select, in one
statement. On PostgreSQL the sub-select takes the rows `FOR UPDATE SKIP LOCKED`, so concurrent
claimers pass over each other's rows instead of waiting; SQLite has no row locks (the clause is
left out) and needs none, since its write transactions run one at a time. A claimer that dies
leaves a lease that expires, and the row is claimable again: work is done at least once, and the
claimer checks that it still holds the lease in the transaction that records its work.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, Update, update
from sqlalchemy.orm import InstrumentedAttribute

_jitter = random.SystemRandom()


def backoff(attempts: int, *, base: float, cap: float) -> timedelta:
    """The wait after the n-th failed attempt: base * 2^(n-1), capped, with +-25 % jitter (so
    that work that failed together does not come back together)."""
    delay = min(cap, base * 2 ** min(max(attempts, 1) - 1, 40))
    return timedelta(seconds=delay * _jitter.uniform(0.75, 1.25))


def lease(
    model: type[Any],
    id_column: InstrumentedAttribute[Any],
    candidates: Select[Any],
    values: Mapping[str, Any],
) -> Update:
    """`UPDATE model SET values WHERE id IN (candidates FOR UPDATE SKIP LOCKED)`: add
    `.returning(...)` for what the claimer needs. `candidates` selects the ids, with its own
    WHERE (what is claimable), ORDER BY and LIMIT."""
    picked = candidates.with_for_update(skip_locked=True)
    return (
        update(model)
        .where(id_column.in_(picked))
        .values(dict(values))
        .execution_options(synchronize_session=False)
    )
