"""Every kind of background work the service does, registered in one place.

`greenroom serve` (the app's lifespan) and `greenroom worker` both build their runner here, so
both run the same things: nothing is registered by importing a module. To add a kind of job,
give its feature a `register(registry, ...)` and call it below (CONTRIBUTING.md, Background
jobs).
"""

from __future__ import annotations

from greenroom.admin_area import imports
from greenroom.content.loader import get_pack
from greenroom.core.db import Database
from greenroom.core.settings import Settings
from greenroom.exports import tasks as exports
from greenroom.exports.archive import exports_storage
from greenroom.jobs import Registry, Runner, RunnerSettings, maintenance
from greenroom.ops.metrics import Metrics
from greenroom.practice import retention, transcription
from greenroom.practice.storage import recordings_storage
from greenroom.speech.pool import SpeechPool
from greenroom.users import tasks
from greenroom.webhooks import worker as webhooks


def speech_pool(settings: Settings) -> SpeechPool:
    """The process's speech workers (started on first use; `close()` them at the end)."""
    return SpeechPool(settings.speech_engine, settings.speech_workers)


def registry(
    settings: Settings,
    database: Database,
    *,
    metrics: Metrics | None = None,
    speech: SpeechPool | None = None,
) -> Registry:
    found = Registry()
    imports.register(found)
    tasks.register(found, settings)
    webhooks.register(found, webhooks.Worker(database.writer, settings, metrics=metrics), settings)
    maintenance.register(found, settings)
    storage = recordings_storage(settings)
    transcription.register(
        found,
        pool=speech or speech_pool(settings),
        storage=storage,
        pack=get_pack(settings.content_dir),
    )
    retention.register(found, settings, storage)
    exports.register(
        found,
        settings,
        recordings=storage,
        exports=exports_storage(settings.data_dir),
        pack=get_pack(settings.content_dir),
    )
    return found


def runner(
    settings: Settings,
    database: Database,
    *,
    metrics: Metrics | None = None,
    speech: SpeechPool | None = None,
) -> Runner:
    """The process's runner: background writes go through `database.writer`."""
    return Runner(
        database.writer,
        registry(settings, database, metrics=metrics, speech=speech),
        RunnerSettings.of(settings),
    )
