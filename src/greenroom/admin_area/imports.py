"""CSV import of users: every row checked up front, then applied in the background in batches.

1. `parse` reads the whole file and checks every row (header, partner_id, email, lengths,
   duplicates). Any bad row stops the import before anything is written, and each is reported
   with its line number.
2. `start` stores the checked rows in an `ImportJob` and queues a background job (`KIND`, in
   `greenroom.jobs`) in the same transaction. `run` (its handler) applies the rows through the
   users service (create or update, exactly like `POST /api/users/{partner_id}`), `BATCH` rows
   per transaction, updating `processed` so that the page can show progress, and pauses between
   batches so that the API's writes get the database in between (on SQLite there is one writer
   at a time). A row the service refuses (say, a new user without a name) is reported with its
   line number and skipped.
3. Running the same file twice is safe: rows update the users the first run created.
4. A job outlives the process that runs it. The jobs runner leases it to one claim; a batch is
   applied only while the job is still leased to that claim (`JobContext.hold`) and `processed`
   is where the claim expects it, in the transaction that advances `processed`. So when a process
   dies mid-job, another runner claims it once the lease expires and goes on from `processed`: no
   row is applied twice, and a runner that was only slow stops at its next batch. A batch that
   fails is retried with backoff (the jobs module's), and the import is marked failed when the
   job gives up.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom import jobs
from greenroom.admin_area import repository
from greenroom.admin_area.models import ImportJob
from greenroom.core import clock
from greenroom.core.errors import AppError, NotFound
from greenroom.jobs import JobContext, Registry
from greenroom.jobs.models import Job
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization
from greenroom.users import service as users
from greenroom.users.schemas import UserWrite

log = logging.getLogger("greenroom.admin_area.imports")
COLUMNS = ("partner_id", "email", "first_name", "last_name")
MAX_ROWS = 100_000
# What the import page offers to download: every column, a new user and an email change.
SAMPLE_CSV = (
    "partner_id,email,first_name,last_name\r\n"
    "abc123def,maria.garcia@xyz.example.com,María,García\r\n"
    "def456ghi,priya.shah@xyz.example.com,,\r\n"
)
# Rows per transaction: small enough that an API write waits for at most one batch (on SQLite,
# where writers take turns and statements run on the event loop, 20 rows take about 25 ms on
# the 2-core machine; docs/decisions.md, Background jobs).
BATCH = 20
MAX_REPORTED_ERRORS = 1000
KIND = "users.import"
MAX_ATTEMPTS = 5


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
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:  # a cell over the csv module's limit (128 KB)
        out.error(1, f"The header cannot be read as CSV ({exc}).")
        return out
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
    for record in _records(reader, out):
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


def _records(reader: csv.DictReader[str], out: Parsed) -> Iterator[dict[str | Any, Any]]:
    """The reader's rows, until one cannot be read as CSV (a cell over the csv module's limit,
    128 KB): that is an error on its line, and the rows after it are not read."""
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # (raised before the reader counts the line it was reading)
            out.error(reader.line_num + 1, f"This line cannot be read as CSV ({exc}).")
            return
        yield record


def _check_row(out: Parsed, line: int, row: dict[str, str], seen: dict[str, int]) -> None:
    partner_id = row.get("partner_id", "")
    if not users.PARTNER_ID_RE.fullmatch(partner_id) or partner_id in users.RESERVED_PARTNER_IDS:
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
    """Stores the checked rows and queues the job that applies them (in the caller's
    transaction: the job exists exactly when the import does). `job.job_id` is the job to run."""
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
    job.job_id = await jobs.enqueue(
        session,
        KIND,
        {"import_id": str(job.id)},
        org_id=tenant.org_id,
        environment=environment,
        max_attempts=MAX_ATTEMPTS,
    )
    await session.flush()
    return job


async def get_job(session: AsyncSession, tenant: Tenant, job_id: uuid.UUID) -> ImportJob:
    job = await session.get(ImportJob, job_id)
    if job is None or job.org_id != tenant.org_id:
        raise NotFound("No such import.", code="import_not_found")
    return job


async def job_problem(session: AsyncSession, job: ImportJob) -> str | None:
    """What the admin should know when the import's background job ran into errors (the error
    itself is in the logs and the jobs table, not shown: it may hold SQL)."""
    if job.status == "failed":
        return (
            "The import stopped after repeated errors; the rows counted above were applied. "
            "Upload the file again to finish it: rows already imported are updated, not doubled."
        )
    if job.job_id is None or job.status == "done":
        return None
    found = await session.get(Job, job.job_id)
    if found is None or found.last_error is None or found.state != "queued":
        return None
    return (
        f"A batch failed (attempt {found.attempts} of {found.max_attempts}); "
        "it is retried automatically."
    )


async def recent_jobs(
    session: AsyncSession, tenant: Tenant, limit: int = 10
) -> Sequence[ImportJob]:
    return await repository.recent_imports(session, tenant.org_id, limit)


def register(registry: Registry) -> None:
    """The import's job kind (called where the app and the CLI start)."""
    registry.job(KIND, run, max_attempts=MAX_ATTEMPTS, on_give_up=_failed)


async def run(ctx: JobContext) -> None:
    """The job's handler: applies the import's rows from where it stands (`processed`)."""
    import_id = uuid.UUID(str(ctx.payload["import_id"]))
    async with ctx.sessions() as session, session.begin():
        if not await ctx.hold(session):
            return
        job = await session.get(ImportJob, import_id)
        if job is None or job.status in ("done", "failed"):
            return  # gone with its org, or finished by a claim whose outcome was not recorded
        org = await session.get(Organization, job.org_id)
        if org is None:
            return
        tenant = Tenant(OrgSnapshot.of(org), Environment(job.environment))
        lines = [line for line in job.rows.splitlines() if line]
        processed = job.processed
        job.status = "running"
    for start_at in range(processed, len(lines), BATCH):
        await ctx.pause()
        batch = [json.loads(line) for line in lines[start_at : start_at + BATCH]]
        if not await _apply_batch(ctx, tenant, import_id, start_at, batch):
            log.warning("import job taken over by another runner", extra={"job_id": str(import_id)})
            return
    async with ctx.sessions() as session, session.begin():
        if await ctx.hold(session):
            await repository.finish_import(session, import_id, "done", clock.now(), drop_rows=True)


async def _failed(session: AsyncSession, claimed: jobs.Claimed, error: str) -> None:
    """The job gave up (retries exhausted): the import is failed, with what it got done."""
    log.error("import job failed", extra={"job_id": str(claimed.payload.get("import_id"))})
    import_id = uuid.UUID(str(claimed.payload["import_id"]))
    await repository.finish_import(session, import_id, "failed", clock.now(), drop_rows=False)


async def _apply_batch(
    ctx: JobContext,
    tenant: Tenant,
    import_id: uuid.UUID,
    start_at: int,
    rows: Sequence[dict[str, Any]],
) -> bool:
    """Applies the rows from `start_at` and advances `processed` in one transaction; False (and
    nothing applied) when the job is no longer this claim's or no longer at `start_at`."""
    created = updated = unchanged = 0
    errors: list[dict[str, Any]] = []
    async with ctx.sessions() as session, session.begin():
        if not await ctx.hold(session):
            return False
        processed = await repository.processed_locked(session, import_id)
        if processed != start_at:
            return False
        for row in rows:
            try:
                async with session.begin_nested():
                    result = await users.create_or_update(
                        session,
                        tenant,
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
            updated += not result.created and result.changed
            unchanged += not result.changed
        job = await session.get(ImportJob, import_id, with_for_update=True)
        assert job is not None
        job.processed += len(rows)
        job.created_count += created
        job.updated_count += updated
        job.unchanged_count += unchanged
        if errors:
            job.errors = [*job.errors, *errors][:MAX_REPORTED_ERRORS]
    return True
