"""Server-rendered SVG charts of the reports: the geometry here, the drawing in templates/supervisor/_chart.html,
the colours in static/supervisor/supervisor.css (no inline style: the pages run under a strict CSP).

One shape for every report: stacked bars of the chats started, split into answered, missed, abandoned and
"not answered yet" (still open), so that a bar's length is the chats started. Columns for a time axis (hours,
days), horizontal bars for categories (queues, agents …).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

WIDTH = 960
COLUMN_HEIGHT = 270
BAR_HEIGHT = 22
BAR_GAP = 8
LEFT_CATEGORIES = 200  # room for the names of horizontal bars
LEFT_NUMBERS = 56
TOP = 24
BOTTOM = 36
RIGHT = 16


def series() -> list[tuple[str, str]]:
    """(code, translated name) of the stacked parts, bottom (or left) first."""
    return [
        ("answered", pgettext("report column", "Answered")),
        ("missed", pgettext("report column", "Missed")),
        ("abandoned", pgettext("report column", "Abandoned")),
        ("open", _("Not answered yet")),
    ]


def parts(row: dict) -> dict[str, int]:
    answered, missed, abandoned = row["answered"], row["missed"], row["abandoned"]
    return {
        "answered": answered,
        "missed": missed,
        "abandoned": abandoned,
        "open": max(row["started"] - answered - missed - abandoned, 0),
    }


def nice_max(value: int) -> tuple[int, int]:
    """(axis maximum, tick step): 1, 2 or 5 times a power of ten, about five ticks."""
    if value <= 0:
        return 5, 1
    raw = value / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(int(step), 1)
    return int(math.ceil(value / step) * step), step


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Chart:
    title: str
    desc: str
    width: int
    height: int
    horizontal: bool
    rects: list[Rect] = field(default_factory=list)
    category_labels: list[Label] = field(default_factory=list)
    value_labels: list[Label] = field(default_factory=list)
    grid: list[tuple[float, float, float, float]] = field(default_factory=list)
    axis: tuple[float, float, float, float] = (0, 0, 0, 0)
    axis_title: str = ""
    axis_title_at: Label | None = None
    legend: list[tuple[str, str]] = field(default_factory=list)


def build(*, title: str, dimension: str, rows: list[dict], horizontal: bool, every: int = 1) -> Chart:
    """The chart of ``rows`` (each with ``label`` and the counts); ``every``: label every n-th column only."""
    legend = series()
    names = dict(legend)
    top = max((r["started"] for r in rows), default=0)
    axis_max, step = nice_max(top)
    desc = _(
        "%(title)s: stacked bars of the chats started, split into answered, missed, abandoned and not answered "
        "yet. The table below gives the numbers."
    ) % {"title": title}
    if horizontal:
        height = TOP + len(rows) * (BAR_HEIGHT + BAR_GAP) + BOTTOM
        chart = Chart(title, desc, WIDTH, max(height, 80), True, legend=legend)
        left, right = LEFT_CATEGORIES, WIDTH - RIGHT
        span = right - left
        plot_bottom = chart.height - BOTTOM
        for tick in range(0, axis_max + 1, step):
            x = left + span * tick / axis_max
            chart.grid.append((x, TOP, x, plot_bottom))
            chart.value_labels.append(Label(x, plot_bottom + 16, number_format(tick)))
        chart.axis = (left, plot_bottom, right, plot_bottom)
        chart.axis_title = _("Chats")
        chart.axis_title_at = Label(right, chart.height - 4, _("Chats"), "end")
        for i, row in enumerate(rows):
            y = TOP + i * (BAR_HEIGHT + BAR_GAP) + BAR_GAP / 2
            label = row["label"] if len(row["label"]) <= 28 else row["label"][:27] + "…"
            chart.category_labels.append(Label(left - 8, y + BAR_HEIGHT * 0.72, label, "end"))
            x = left
            for code, value in parts(row).items():
                if not value:
                    continue
                w = span * value / axis_max
                chart.rects.append(Rect(x, y, w, BAR_HEIGHT, f"s-{code}",
                                        f"{row['label']}: {names[code]} {number_format(value)}"))
                x += w
        return chart

    chart = Chart(title, desc, WIDTH, COLUMN_HEIGHT, False, legend=legend)
    left, right, plot_bottom = LEFT_NUMBERS, WIDTH - RIGHT, COLUMN_HEIGHT - BOTTOM
    plot_height = plot_bottom - TOP
    for tick in range(0, axis_max + 1, step):
        y = plot_bottom - plot_height * tick / axis_max
        chart.grid.append((left, y, right, y))
        chart.value_labels.append(Label(left - 6, y + 4, number_format(tick), "end"))
    chart.axis = (left, plot_bottom, right, plot_bottom)
    chart.axis_title_at = Label(4, 12, _("Chats"), "start")
    slot = (right - left) / max(len(rows), 1)
    width = max(slot * 0.72, 1)
    for i, row in enumerate(rows):
        x = left + i * slot + (slot - width) / 2
        if i % every == 0:
            chart.category_labels.append(Label(x + width / 2, plot_bottom + 16, row.get("short") or row["label"]))
        y = plot_bottom
        for code, value in parts(row).items():
            if not value:
                continue
            h = plot_height * value / axis_max
            y -= h
            tip = f"{row['label']}: {names[code]} {number_format(value)}"
            chart.rects.append(Rect(x, y, width, h, f"s-{code}", tip))
    return chart
