"""Every kind of background work the service does, registered in one place.

`greenroom serve` (the app's lifespan) and `greenroom worker` both build their runner here, so
both run the same things: nothing is registered by importing a module. To add a kind of job,
give its feature a `register(registry, ...)` and call it below (CONTRIBUTING.md, Background
jobs).
"""

from __future__ import annotations

from greenroom.admin_area import imports
from greenroom.core.db import Database
from greenroom.core.settings import Settings
from greenroom.jobs import Registry, Runner, RunnerSettings, maintenance
from greenroom.ops.metrics import Metrics
from greenroom.users import tasks
from greenroom.webhooks import worker as webhooks


def registry(settings: Settings, database: Database, *, metrics: Metrics | None = None) -> Registry:
    found = Registry()
    imports.register(found)
    tasks.register(found, settings)
    webhooks.register(found, webhooks.Worker(database.writer, settings, metrics=metrics), settings)
    maintenance.register(found, settings)
    return found


def runner(settings: Settings, database: Database, *, metrics: Metrics | None = None) -> Runner:
    """The process's runner: background writes go through `database.writer`."""
    return Runner(
        database.writer,
        registry(settings, database, metrics=metrics),
        RunnerSettings.of(settings),
    )
