"""Every reaction to domain events (`core.events`), subscribed in one place.

The app (`create_app`) and every CLI command that can change users call `subscribe_all` before
anything publishes: nothing is subscribed as a side effect of importing a module, so what reacts
to a change does not depend on which modules some other code happened to import.
"""

from __future__ import annotations

from greenroom.admin_area import students
from greenroom.core import events
from greenroom.practice.cleanup import subscribe_recordings_cleanup
from greenroom.practice.storage import Storage
from greenroom.webhooks.service import record_event


def subscribe_all(storage: Storage, *, exports: Storage | None = None) -> None:
    """The webhook outbox (every event, for the endpoints that want it), the admin area's read
    model of students (in the change's transaction), and the deletion of a deleted user's
    recordings and export files (their folders, after the deleting transaction commits).
    Idempotent."""
    events.subscribe(record_event)
    events.subscribe(students.record)
    subscribe_recordings_cleanup(storage)
    if exports is not None:
        # The same clean-up: the user's folder of the exports storage (`exports.archive`).
        subscribe_recordings_cleanup(exports)
