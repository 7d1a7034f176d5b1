from __future__ import annotations

from typing import Any

JANE: dict[str, Any] = {
    "first_name": "Jane",
    "last_name": "Doe",
    "email": "jane.doe@xyz.example.com",
}
