"""Checks on free text that people will read: names and labels.

Bidirectional control characters (Unicode's Bidi_Control: U+061C, U+200E, U+200F, U+202A to
U+202E, U+2066 to U+2069) reorder what is displayed around them: "Jane\u202etxt.exe" shows as
"Janeexe.txt". None belongs in a name, so names and labels refuse them (422 naming the field).
"""

from __future__ import annotations

from greenroom.core.errors import ValidationFailed

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
BIDI_MESSAGE = "bidirectional control characters (such as U+202E) are not allowed"


def has_bidi_controls(value: str) -> bool:
    return not BIDI_CONTROLS.isdisjoint(value)


def refuse_bidi_controls(value: str) -> str:
    """For Pydantic (`AfterValidator`): the field's 422 names it."""
    if has_bidi_controls(value):
        raise ValueError(BIDI_MESSAGE)
    return value


def check_name(value: str, field: str, label: str | None = None) -> str:
    """`value` as it is, or a 422 naming `field` (for forms and services)."""
    if has_bidi_controls(value):
        raise ValidationFailed(
            f"The {label or field.replace('_', ' ')} may not contain bidirectional control "
            "characters (such as U+202E).",
            errors=[{"field": field, "message": BIDI_MESSAGE}],
        )
    return value
