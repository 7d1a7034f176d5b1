"""The user object a create returns on the direct path is filled without the ORM's constructor
(`users.service._detached_user`): it must read like a loaded one, also as the first thing a fresh
process does (before anything has configured SQLAlchemy's mappers)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import uuid
from greenroom import models  # noqa: F401  (all tables, as the app has them)
from greenroom.core import clock
from greenroom.users.service import _detached_user, public_user
now = clock.now()
row = {"id": uuid.uuid4(), "org_id": uuid.uuid4(), "environment": "production",
       "partner_id": "abc", "email": "a@example.com", "first_name": "A", "last_name": "B",
       "metadata": {"k": 1}, "anonymous": False, "expires_at": None, "created_at": now,
       "updated_at": now}
user = _detached_user(row)
out = public_user(user)
assert out["partner_id"] == "abc" and out["metadata"] == {"k": 1}, out
assert user.id == row["id"] and user.metadata_ == {"k": 1}
print("ok")
"""


def test_a_detached_user_reads_like_a_loaded_one_in_a_fresh_process() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
