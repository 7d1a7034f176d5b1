"""Background jobs: one table, one runner, for everything that runs outside a request.

- `enqueue(session, kind, payload, ...)` queues a job in the caller's transaction.
- A `Registry` says which kinds a process runs (handlers, periodic kinds, loops); it is filled
  explicitly at start-up by `greenroom.background`.
- A `Runner` claims due jobs (leases: `jobs.leases`), runs them, retries failures with backoff,
  and resumes jobs whose process died once their lease expires.

How to add a kind: CONTRIBUTING.md (Background jobs). How it works: docs/architecture.md.
"""

from greenroom.jobs.leases import backoff, lease
from greenroom.jobs.models import Job
from greenroom.jobs.queue import Claimed, enqueue
from greenroom.jobs.runner import (
    JobContext,
    LeaseLost,
    Registry,
    Runner,
    RunnerSettings,
    Stopping,
)

__all__ = [
    "Claimed",
    "Job",
    "JobContext",
    "LeaseLost",
    "Registry",
    "Runner",
    "RunnerSettings",
    "Stopping",
    "backoff",
    "enqueue",
    "lease",
]
