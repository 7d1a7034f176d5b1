"""Charts drawn on the server as SVG (no script, no CDN), embedded in the page.

A chart is a picture of numbers the page also gives as a table (and the dashboard as CSV), so
the SVG is hidden from screen readers (`aria-hidden`), which read the table instead. Jinja
autoescapes; the SVG is built here with every text escaped, and marked safe once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from markupsafe import Markup

ROW = 28
LABEL_WIDTH = 260
BAR_WIDTH = 300


def _svg(width: int, height: int, body: str, css_class: str = "chart") -> Markup:
    return Markup(  # noqa: S704 - every interpolated text is escaped by the callers
        f'<svg class="{css_class}" aria-hidden="true" focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet">{body}</svg>'
    )


def progress_bars(modules: Sequence[Mapping[str, Any]]) -> Markup:
    """One horizontal bar per module: `title` and `percent_complete` (0 to 100)."""
    height = max(1, len(modules)) * ROW + 8
    width = LABEL_WIDTH + BAR_WIDTH + 60
    parts = []
    for i, module in enumerate(modules):
        percent = max(0, min(100, int(module.get("percent_complete", 0) or 0)))
        y = i * ROW + 4
        title = escape(str(module.get("title", "")))
        parts.append(
            f'<g data-module="{escape(str(module.get("slug", "")))}">'
            f'<text x="0" y="{y + 16}">{title}</text>'
            f'<rect class="track" x="{LABEL_WIDTH}" y="{y + 4}" width="{BAR_WIDTH}" height="16" rx="3"/>'
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 4}" width="{BAR_WIDTH * percent // 100}" '
            f'height="16" rx="3"/>'
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{y + 16}">{percent}%</text>'
            f"<title>{title}: {percent}%</title></g>"
        )
    return _svg(width, height, "".join(parts))


def bars(items: Sequence[tuple[str, int]], *, label_width: int = 200) -> Markup:
    """Horizontal bars, one per (label, count), scaled to the largest count."""
    top = max((n for _, n in items), default=0) or 1
    height = max(1, len(items)) * ROW + 8
    width = label_width + BAR_WIDTH + 70
    parts = []
    for i, (label, count) in enumerate(items):
        y = i * ROW + 4
        text = escape(label)
        length = round(BAR_WIDTH * count / top)
        parts.append(
            f'<g><text x="0" y="{y + 16}">{text}</text>'
            f'<rect class="track" x="{label_width}" y="{y + 4}" width="{BAR_WIDTH}" height="16" rx="3"/>'
            f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{length}" height="16" rx="3"/>'
            f'<text x="{label_width + BAR_WIDTH + 8}" y="{y + 16}">{count}</text></g>'
        )
    return _svg(width, height, "".join(parts))


def columns(items: Sequence[tuple[str, int]], *, height: int = 160) -> Markup:
    """Vertical columns, one per (label, count), left to right (weeks); every fourth label
    is written under its column so that they never overlap."""
    top = max((n for _, n in items), default=0) or 1
    step = 22
    plot = height - 34
    width = max(1, len(items)) * step + 40
    parts = []
    for i, (label, count) in enumerate(items):
        x = 30 + i * step
        bar = round(plot * count / top)
        parts.append(
            f'<rect class="bar" x="{x}" y="{plot - bar + 10}" width="{step - 6}" height="{bar}"/>'
        )
        if i % 4 == 0 or i == len(items) - 1:
            parts.append(f'<text x="{x}" y="{height - 8}">{escape(label)}</text>')
    parts.append(f'<text x="0" y="18">{top}</text><text x="0" y="{plot + 10}">0</text>')
    parts.append(f'<line class="axis" x1="28" y1="{plot + 10}" x2="{width}" y2="{plot + 10}"/>')
    return _svg(width, height, "".join(parts), "chart columns")
