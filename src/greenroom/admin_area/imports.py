"""CSV import of users: every row checked up front, then applied in the background in batches.

1. `parse` reads the whole file and checks every row (header, partner_id, email, lengths,
   duplicates). Any bad row stops the import before anything is written, and each is reported
   with its line number.
2. `start` stores the checked rows in an `ImportJob`; `run` applies them through the users
   service (create or update, exactly like `POST /api/users/{partner_id}`), a batch per
   transaction, updating `processed` so that the page can show progress. A row the service
   refuses (say, a new user without a name) is reported with its line number and skipped.
3. Running the same file twice is safe: rows update the users the first run created.
   A job is claimed atomically (`queued` -> `running`), so it is never applied twice at once.
4. A job outlives the process that runs it. The runner holds a lease (`run_token`) and renews
   `heartbeat_at` with every batch; a batch is applied only while the job is still leased to its
   runner and `processed` is where that runner expects it, in the same transaction that advances
   `processed`. So when a process dies mid-job, `resume_stale` (a loop next to the purge) takes the
   job over once its heartbeat is older than `LEASE` and goes on from `processed`: no row is
   applied twice, and a runner that was only slow stops at its next batch.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from greenroom.admin_area.models import ImportJob
from greenroom.core import clock, periodic
from greenroom.core.errors import AppError, NotFound
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization
from greenroom.users import service as users
from greenroom.users.schemas import UserWrite

log = logging.getLogger("greenroom.admin_area.imports")
PARTNER_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
COLUMNS = ("partner_id", "email", "first_name", "last_name")
MAX_ROWS = 100_000
BATCH = 200
MAX_REPORTED_ERRORS = 1000
# A runner renews its lease with every batch (a few seconds at most); a job whose heartbeat is
# older than this is taken to be abandoned and is resumed by another runner.
LEASE = timedelta(minutes=5)


@dataclass(slots=True)
class Parsed:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, line: int, message: str, partner_id: str = "") -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "partner_id": partner_id, "message": message})


def parse(data: bytes) -> Parsed:
    """Every row checked; `errors` names each bad one by its line in the file (header = 1)."""
    out = Parsed()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        out.error(1, "The file is not UTF-8 text.")
        return out
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "partner_id" not in header:
        out.error(1, "The first line must be a header with at least a partner_id column.")
        return out
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        out.error(1, f"Unknown columns: {', '.join(unknown)} (allowed: {', '.join(COLUMNS)}).")
        return out
    reader.fieldnames = header
    seen: dict[str, int] = {}
    line = 1
    for record in reader:
        line = reader.line_num
        if len(out.rows) >= MAX_ROWS:
            out.error(line, f"At most {MAX_ROWS} rows per file.")
            break
        if None in record:
            out.error(line, "This row has more cells than the header.")
            continue
        row = {k: (v or "").strip() for k, v in record.items() if k}
        _check_row(out, line, row, seen)
    if not out.rows and not out.errors:
        out.error(max(line, 1), "The file has no rows.")
    return out


def _check_row(out: Parsed, line: int, row: dict[str, str], seen: dict[str, int]) -> None:
    partner_id = row.get("partner_id", "")
    if not PARTNER_ID_RE.fullmatch(partner_id) or partner_id == "anonymous":
        out.error(line, "partner_id must be 1 to 64 of A-Z a-z 0-9 _ -.", partner_id)
        return
    if partner_id in seen:
        out.error(line, f"partner_id repeats line {seen[partner_id]}.", partner_id)
        return
    seen[partner_id] = line
    # Empty cells leave the field as it is; the rest is checked exactly as the API checks it.
    fields = {k: row[k] for k in ("email", "first_name", "last_name") if row.get(k)}
    try:
        checked = UserWrite.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        out.error(line, f"Invalid {problems}", partner_id)
        return
    fields = checked.model_dump(exclude_unset=True)
    out.rows.append({"line": line, "partner_id": partner_id, "fields": fields})


async def start(
    session: AsyncSession,
    tenant: Tenant,
    environment: str,
    *,
    rows: Sequence[dict[str, Any]],
    created_by: str,
    filename: str,
) -> ImportJob:
    job = ImportJob(
        org_id=tenant.org_id,
        environment=environment,
        created_by=created_by,
        filename=filename[:255],
        total=len(rows),
        rows="\n".join(json.dumps(r, separators=(",", ":")) for r in rows),
        errors=[],
    )
    session.add(job)
    await session.flush()
    return job


async def get_job(session: AsyncSession, tenant: Tenant, job_id: uuid.UUID) -> ImportJob:
    job = await session.get(ImportJob, job_id)
    if job is None or job.org_id != tenant.org_id:
        raise NotFound("No such import.", code="import_not_found")
    return job


async def recent_jobs(
    session: AsyncSession, tenant: Tenant, limit: int = 10
) -> Sequence[ImportJob]:
    result = await session.execute(
        select(ImportJob)
        .where(ImportJob.org_id == tenant.org_id)
        .order_by(ImportJob.created_at.desc())
        .limit(limit)
    )
    return result.scalars().all()


async def run(
    sessions: async_sessionmaker[AsyncSession], tenant: Tenant, job_id: uuid.UUID
) -> None:
    """Applies a queued job (claimed atomically: a second runner finds nothing to do)."""
    token = uuid.uuid4()
    async with sessions() as session, session.begin():
        claimed = await session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status == "queued")
            .values(status="running", run_token=token, heartbeat_at=clock.now())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return
    await _work(sessions, tenant, job_id, token)


async def resume_stale(
    sessions: async_sessionmaker[AsyncSession],
    *,
    lease: timedelta = LEASE,
    org_ids: Collection[uuid.UUID] | None = None,
) -> int:
    """Takes over and finishes every abandoned job, one at a time; how many were resumed.

    Abandoned: running with a heartbeat older than `lease` (its runner died), or still queued that
    long after the upload (the process died before starting it). `org_ids` restricts the sweep
    (tests use it to leave other tests' jobs alone).
    """
    resumed = 0
    while claimed := await _claim_stale(sessions, lease, org_ids):
        tenant, job_id, token = claimed
        log.warning("resuming abandoned import job", extra={"job_id": str(job_id)})
        await _work(sessions, tenant, job_id, token)
        resumed += 1
    return resumed


async def resume_forever(
    sessions: async_sessionmaker[AsyncSession], interval: float, *, rounds: int | None = None
) -> None:
    """Sweep for abandoned jobs every `interval` seconds (forever, or `rounds` times)."""

    async def sweep() -> None:
        await resume_stale(sessions)

    await periodic.every(interval, sweep, log=log, what="resuming import jobs", rounds=rounds)


async def _claim_stale(
    sessions: async_sessionmaker[AsyncSession],
    lease: timedelta,
    org_ids: Collection[uuid.UUID] | None,
) -> tuple[Tenant, uuid.UUID, uuid.UUID] | None:
    """Leases one abandoned job to the caller, like the webhook worker's claim: `FOR UPDATE SKIP
    LOCKED` on PostgreSQL, BEGIN IMMEDIATE on SQLite, and the stale condition checked again by the
    UPDATE itself, so that two sweeps never take over the same job."""
    now = clock.now()
    cutoff = now - lease
    stale = or_(
        and_(
            ImportJob.status == "running",
            or_(ImportJob.heartbeat_at.is_(None), ImportJob.heartbeat_at < cutoff),
        ),
        and_(ImportJob.status == "queued", ImportJob.created_at < cutoff),
    )
    token = uuid.uuid4()
    async with sessions() as session, session.begin():
        query = (
            select(ImportJob.id, ImportJob.org_id, ImportJob.environment)
            .where(stale)
            .order_by(ImportJob.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if org_ids is not None:
            query = query.where(ImportJob.org_id.in_(list(org_ids)))
        found = (await session.execute(query)).first()
        if found is None:
            return None
        job_id, org_id, environment = found
        claimed = await session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, stale)
            .values(status="running", run_token=token, heartbeat_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        org = await session.get(Organization, org_id)
        assert org is not None  # the job goes with its org (ON DELETE CASCADE)
        tenant = Tenant(OrgSnapshot.of(org), Environment(environment))
    return tenant, job_id, token


async def _work(
    sessions: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    job_id: uuid.UUID,
    token: uuid.UUID,
) -> None:
    """Applies a job leased to `token` from where it stands (`processed`) to the end."""
    async with sessions() as session, session.begin():
        job = await session.get(ImportJob, job_id)
        if job is None:
            return
        rows = [json.loads(line) for line in job.rows.splitlines() if line]
        environment = job.environment
        processed = job.processed
    mine = and_(ImportJob.id == job_id, ImportJob.run_token == token)
    try:
        for start_at in range(processed, len(rows), BATCH):
            applied = await _apply_batch(
                sessions,
                tenant,
                environment,
                job_id,
                token,
                start_at,
                rows[start_at : start_at + BATCH],
            )
            if not applied:
                log.warning(
                    "import job taken over by another runner", extra={"job_id": str(job_id)}
                )
                return
    except Exception:
        log.exception("import job failed", extra={"job_id": str(job_id)})
        async with sessions() as session, session.begin():
            await session.execute(
                update(ImportJob).where(mine).values(status="failed", finished_at=clock.now())
            )
        return
    async with sessions() as session, session.begin():
        await session.execute(
            update(ImportJob).where(mine).values(status="done", finished_at=clock.now(), rows="")
        )


async def _apply_batch(
    sessions: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    environment: str,
    job_id: uuid.UUID,
    token: uuid.UUID,
    start_at: int,
    rows: Sequence[dict[str, Any]],
) -> bool:
    """Applies the rows from `start_at` and advances `processed` in one transaction; False (and
    nothing applied) when the job is no longer leased to `token` or no longer at `start_at`."""
    target = Tenant(tenant.org, Environment(environment), tenant.host)
    created = updated = 0
    errors: list[dict[str, Any]] = []
    async with sessions() as session, session.begin():
        lease = (
            await session.execute(
                select(ImportJob.run_token, ImportJob.processed)
                .where(ImportJob.id == job_id)
                .with_for_update()
            )
        ).first()
        if lease is None or tuple(lease) != (token, start_at):
            return False
        for row in rows:
            try:
                async with session.begin_nested():
                    result = await users.create_or_update(
                        session,
                        target,
                        row["partner_id"],
                        UserWrite.model_validate(row["fields"]),
                        secret=None,
                    )
            except AppError as exc:
                errors.append(
                    {"line": row["line"], "partner_id": row["partner_id"], "message": exc.detail}
                )
                continue
            created += result.created
            updated += not result.created
        job = await session.get(ImportJob, job_id, with_for_update=True)
        assert job is not None
        job.processed += len(rows)
        job.created_count += created
        job.updated_count += updated
        job.heartbeat_at = clock.now()
        if errors:
            job.errors = [*job.errors, *errors][:MAX_REPORTED_ERRORS]
    return True
