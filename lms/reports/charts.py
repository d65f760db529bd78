"""Charts drawn on the server as inline SVG: no JavaScript, no inline styles (the CSP forbids them).

Each chart is an `<svg role="img">` named by its `<title>` and `<desc>`; the page puts the
same numbers in a table beside it, which is what screen readers and keyboard users read.
Colours are SVG presentation attributes, so the charts look right without any stylesheet.
Every piece is built with `Markup(...).format(...)`, which escapes labels.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
FONT_SIZE = 14
TEXT = "#212b32"
GRID = "#d8dde0"
#: NHS blue, NHS dark green, NHS purple: each has at least 3:1 contrast against white.
COLOURS = ("#005eb8", "#007f3b", "#330072")

_TEXT = Markup('<text x="{}" y="{}" text-anchor="{}">{}</text>')


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def _rect(x: float, y: float, width: float, height: float, fill: str) -> Markup:
    # Numbers and an escaped colour: `Markup.format` costs several times as much, and a chart has hundreds.
    return Markup(f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(width)}" height="{_fmt(height)}" '  # noqa: S704
                  f'fill="{escape(fill)}"/>')


def _text(x: float, y: float, text: str, anchor: str = "start") -> Markup:
    return _TEXT.format(_fmt(x), _fmt(y), anchor, text)


_TSPAN = Markup('<tspan x="{}" dy="{}">{}</tspan>')
LINE_HEIGHT = 17


def _wrap(text: str, width: int) -> list[str]:
    """A label in lines of at most `width` characters, broken between words (never cut)."""
    return textwrap.wrap(text, width, break_long_words=False) or [""]


def _lines(x: float, y: float, lines: Sequence[str], anchor: str = "start") -> Markup:
    """Text on several lines, the first at y, as one <text> so screen readers read it as one label."""
    spans = Markup("").join(_TSPAN.format(_fmt(x), 0 if n == 0 else LINE_HEIGHT, line)
                            for n, line in enumerate(lines))
    return _TEXT.format(_fmt(x), _fmt(y), anchor, spans)


def _line(x1: float, x2: float, y1: float, y2: float, stroke: str) -> Markup:
    return Markup(f'<line x1="{_fmt(x1)}" x2="{_fmt(x2)}" y1="{_fmt(y1)}" y2="{_fmt(y2)}" '  # noqa: S704 - as _rect
                  f'stroke="{escape(stroke)}"/>')


def _svg(chart_id: str, title: str, description: str, height: float, body: list[Markup]) -> Markup:
    opening = Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" id="{id}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {width} {height}" width="100%" '
        'focusable="false" font-size="{size}" fill="{text}">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{description}</desc>'
    ).format(id=chart_id, width=WIDTH, height=_fmt(height), size=FONT_SIZE, text=TEXT, title=title,
             description=description)
    return opening + Markup("").join(body) + Markup("</svg>")


def _nice_max(value: float) -> float:
    """A round number at or above `value`, for the top of an axis."""
    if value <= 0:
        return 1
    step = 10 ** (len(str(int(value))) - 1)
    for multiple in (1, 2, 2.5, 5, 10):
        if value <= multiple * step:
            return multiple * step
    return 10 * step


def _legend(series: Sequence[Series], y: float) -> list[Markup]:
    parts, x = [], 0.0
    for index, one in enumerate(series):
        parts += [_rect(x, y - 11, 14, 14, COLOURS[index % len(COLOURS)]), _text(x + 20, y, one.name)]
        x += 40 + 8 * len(one.name)
    return parts


def column_chart(chart_id: str, title: str, description: str, categories: Sequence[str],
                 series: Sequence[Series]) -> Markup:
    """Vertical bars, one group per category (for example a week), one bar per series."""
    left, top, bottom, plot_height = 44, 30, 40, 220
    plot_width = WIDTH - left - 10
    base = top + plot_height
    top_value = _nice_max(max((v for s in series for v in s.values), default=0))
    if top_value < 40 and top_value % 4:
        top_value = math.ceil(top_value / 4) * 4  # counts: the four grid lines fall on whole numbers
    body = _legend(series, 16)
    for tick in range(5):
        y = base - plot_height * tick / 4
        body += [_line(left, WIDTH - 10, y, y, GRID), _text(left - 6, y + 5, _fmt(top_value * tick / 4), "end")]
    count = max(len(categories), 1)
    group_width = plot_width / count
    bar_width = max(group_width * 0.8 / max(len(series), 1), 1)
    # Roughly eight labels along the axis, however many weeks there are.
    label_every = max(1, round(count / 8))
    for i, category in enumerate(categories):
        x0 = left + i * group_width + group_width * 0.1
        for j, one in enumerate(series):
            bar = plot_height * one.values[i] / top_value
            body.append(_rect(x0 + j * bar_width, base - bar, bar_width, bar, COLOURS[j % len(COLOURS)]))
        if i % label_every == 0:
            wrapped = _wrap(category, max(6, int(group_width * label_every / 8)))
            body.append(_lines(left + (i + 0.5) * group_width, base + 20, wrapped, "middle"))
            bottom = max(bottom, 28 + LINE_HEIGHT * len(wrapped))
    body.append(_line(left, WIDTH - 10, base, base, TEXT))
    return _svg(chart_id, title, description, top + plot_height + bottom, body)


def bar_chart(chart_id: str, title: str, description: str, labels: Sequence[str], values: Sequence[float],
              *, maximum: float | None = None, unit: str = "") -> Markup:
    """Horizontal bars, one per label, each with its value written at its end."""
    label_width, row, gap = 220, 26, 8
    plot_width = WIDTH - label_width - 70
    top_value = maximum or _nice_max(max(values, default=0))
    body = []
    y = gap
    for label, value in zip(labels, values, strict=True):
        wrapped = _wrap(label, 26)  # labels wrap onto more lines rather than being cut
        height = max(row, LINE_HEIGHT * len(wrapped) + 8)
        first_line = y + (height - LINE_HEIGHT * (len(wrapped) - 1)) / 2 + 5
        body += [
            _lines(label_width - 8, first_line, wrapped, "end"),
            _rect(label_width, y + (height - row) / 2, plot_width, row, GRID),
            _rect(label_width, y + (height - row) / 2, plot_width * min(value, top_value) / top_value, row,
                  COLOURS[0]),
            _text(label_width + plot_width + 6, y + height / 2 + 5, f"{_fmt(value)}{unit}"),
        ]
        y += height + gap
    return _svg(chart_id, title, description, max(y, row + 2 * gap), body)
