"""Charts of the reports as SVG text, drawn on the server: no JavaScript, nothing from another origin.

Pure functions: figures in, one ``<svg>`` element out, to be placed inline in an HTML page. Three shapes:

* :func:`bar_chart`: one horizontal bar per key (orders by channel, hold reasons, on-time rate by route);
* :func:`grouped_bar_chart`: several series per key, side by side or ``stacked`` (duty, tax and fee per
  destination; applied, rejected, pending per change request kind);
* :func:`line_chart`: one line per series over the days or weeks of a period, a dot per bucket.

Every bar and dot carries ``data-key`` (the category or the bucket's ISO date), ``data-series`` and
``data-value``: the exact figure as the API writes it (``51.80``, ``0.9500``, ``3``), never the rounded
text on the axis, so a test can compare the picture with the JSON. All text (tenant data such as a
channel's name included) is XML-escaped, and characters XML cannot carry are dropped. Axis and value
labels are formatted with Babel for the locale (CLDR numbers, percentages, currencies and dates).
The caller gives the words (title, description, series names, "no data"), already translated.
A chart without a figure other than zero says so instead of drawing empty axes.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from babel.dates import format_skeleton
from babel.numbers import format_currency, format_decimal, format_percent

__all__ = [
    "Bar",
    "Series",
    "ValueFormat",
    "babel_locale",
    "bar_chart",
    "format_bucket",
    "format_value",
    "grouped_bar_chart",
    "line_chart",
]

WIDTH = 600
LABEL_WIDTH = 160
VALUE_WIDTH = 96
ROW_HEIGHT = 22
BAR_GAP = 6
TITLE_HEIGHT = 24
TOP = TITLE_HEIGHT + 8
LEGEND_HEIGHT = 22
LINE_HEIGHT = 240
MAX_LABEL = 26
"""Longer category labels are cut on the axis (the whole label stays in the bar's tooltip)."""
MAX_X_LABELS = 8
PALETTE = ("#1f5fbf", "#e07b00", "#1a7f37", "#b42318", "#6f42c1", "#0f7c8c", "#a15c07", "#5d6776")
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ID = re.compile(r"[^A-Za-z0-9_-]")

Number = Decimal | int


@dataclass(frozen=True)
class ValueFormat:
    """How a figure reads: a count, a plain decimal, a share (0.95 is 95 %) or money in ``currency``.

    ``suffix`` (already translated, e.g. " h") follows a count or decimal.
    """

    kind: Literal["count", "decimal", "percent", "currency"] = "count"
    currency: str | None = None
    suffix: str = ""


COUNT = ValueFormat()


@dataclass(frozen=True)
class Bar:
    key: str
    """Machine key (``data-key``): a status, a channel, a route."""
    label: str
    """What the reader sees (translated, or the tenant's own name)."""
    value: Number


@dataclass(frozen=True)
class Series:
    key: str
    """``data-series`` of its bars or dots."""
    label: str
    values: Mapping[str, Number] = field(default_factory=dict)
    """Category key (or bucket ISO date) -> figure; a key it lacks is not drawn for it."""


def babel_locale(locale: str) -> str:
    """The console's locale (``en``, ``zh_Hans``) as the CLDR locale whose formats it reads."""
    return "zh_Hans_CN" if locale == "zh_Hans" else ("en_US" if locale == "en" else locale)


def _text(value: object) -> str:
    """Text for an XML text node or attribute: escaped, and without characters XML 1.0 forbids."""
    return html.escape(_NOT_XML.sub("", str(value)), quote=True)


def _exact(value: Number) -> str:
    """The figure as the API writes it: Decimal("51.80") stays "51.80", never 51.8 or 5.18E+1."""
    return str(value) if isinstance(value, int) else format(value, "f")


def format_value(value: Number, fmt: ValueFormat, locale: str) -> str:
    """``value`` as the reader of ``locale`` writes it (CLDR)."""
    where = babel_locale(locale)
    amount = Decimal(value)
    if fmt.kind == "currency" and fmt.currency:
        return format_currency(amount, fmt.currency, locale=where)
    if fmt.kind == "percent":
        return format_percent(amount, format="#,##0.#%", locale=where)
    pattern = "#,##0" if fmt.kind == "count" else "#,##0.##"
    return format_decimal(amount, format=pattern, locale=where) + fmt.suffix


def format_bucket(day: dt.date, locale: str, *, with_year: bool = False) -> str:
    """A bucket's first day on an axis: "Dec 6" / "12月6日" (with the year: "Dec 6, 2026")."""
    return format_skeleton("yMMMd" if with_year else "MMMd", day, locale=babel_locale(locale))


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _cut(label: str) -> str:
    """``label`` cut to :data:`MAX_LABEL` columns (a Chinese character takes two)."""
    if sum(_width(c) for c in label) <= MAX_LABEL:
        return label
    kept, used = [], 0
    for char in label:
        used += _width(char)
        if used > MAX_LABEL - 1:
            break
        kept.append(char)
    return "".join(kept) + "…"


def _dom_id(chart_id: str) -> str:
    return "chart-" + _ID.sub("-", chart_id)


def _open(chart_id: str, title: str, desc: str, height: int, *, empty: bool) -> list[str]:
    dom = _dom_id(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{dom}" data-chart="{_text(chart_id)}" '
        f'data-empty="{"true" if empty else "false"}" role="img" aria-labelledby="{dom}-title {dom}-desc" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" style="max-width:{WIDTH}px" '
        'font-family="inherit" font-size="12">',
        f'<title id="{dom}-title">{_text(title)}</title>',
        f'<desc id="{dom}-desc">{_text(desc)}</desc>',
        f'<text class="chart-title" x="4" y="16" font-size="14" font-weight="600" fill="#1d2430" aria-hidden="true">'
        f"{_text(title)}</text>",
    ]


def _empty_chart(chart_id: str, title: str, desc: str, empty: str) -> str:
    parts = _open(chart_id, title, desc + " " + empty if desc else empty, TITLE_HEIGHT + 60, empty=True)
    parts.append(
        f'<rect x="0.5" y="{TITLE_HEIGHT + 0.5}" width="{WIDTH - 1}" height="59" '
        'fill="#f5f7fa" stroke="#d9dee6" rx="4"/>'
    )
    parts.append(
        f'<text class="no-data" x="{WIDTH / 2:.0f}" y="{TITLE_HEIGHT + 35}" text-anchor="middle" fill="#5d6776">'
        f"{_text(empty)}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _has_data(values: Sequence[Number]) -> bool:
    return any(Decimal(v) != 0 for v in values)


def _legend(series: Sequence[Series], y: int) -> list[str]:
    parts, x = [], LABEL_WIDTH
    for index, one in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y + 9}" fill="#1d2430">{_text(_cut(one.label))}</text>')
        x += 24 + 7 * sum(_width(c) for c in _cut(one.label))
    return parts


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    *,
    locale: str,
    fmt: ValueFormat = COUNT,
    series: str = "value",
    empty: str = "No data for this period",
) -> str:
    """One horizontal bar per item, in the given order, its formatted value at its end."""
    return grouped_bar_chart(
        chart_id,
        title,
        desc,
        [(bar.key, bar.label) for bar in bars],
        [Series(key=series, label=title, values={bar.key: bar.value for bar in bars})],
        locale=locale,
        fmt=fmt,
        empty=empty,
        legend=False,
    )


def grouped_bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[tuple[str, str]],
    series: Sequence[Series],
    *,
    locale: str,
    fmt: ValueFormat = COUNT,
    stacked: bool = False,
    empty: str = "No data for this period",
    legend: bool = True,
) -> str:
    """Per category (key, label), a bar per series: side by side, or end to end when ``stacked``."""
    figures = [v for one in series for v in one.values.values()]
    if not categories or not _has_data(figures):
        return _empty_chart(chart_id, title, desc, empty)
    lanes = 1 if stacked else len(series)
    band = lanes * ROW_HEIGHT + BAR_GAP * 2
    top = TOP + (LEGEND_HEIGHT if legend else 0)
    height = top + band * len(categories) + 8
    totals = [
        sum((Decimal(max(Decimal(one.values.get(key, 0)), Decimal(0))) for one in series), Decimal(0))
        if stacked
        else max((Decimal(one.values.get(key, 0)) for one in series), default=Decimal(0))
        for key, _ in categories
    ]
    largest = max(*totals, Decimal(0))
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH

    def length(value: Decimal) -> float:
        return 0.0 if largest <= 0 or value <= 0 else float(value / largest) * span

    parts = _open(chart_id, title, desc, height, empty=False)
    if legend:
        parts.extend(_legend(series, TOP))
    parts.append(f'<line x1="{LABEL_WIDTH}" y1="{top}" x2="{LABEL_WIDTH}" y2="{height - 8}" stroke="#b9c1cd"/>')
    for row, (key, label) in enumerate(categories):
        y0 = top + row * band + BAR_GAP
        middle = y0 + (lanes * ROW_HEIGHT) / 2 + 4
        parts.append(
            f'<text class="axis-label" x="{LABEL_WIDTH - 6}" y="{middle:.1f}" text-anchor="end" fill="#1d2430">'
            f"<title>{_text(label)}</title>{_text(_cut(label))}</text>"
        )
        x = float(LABEL_WIDTH)
        for lane, one in enumerate(series):
            if key not in one.values:
                continue
            value = one.values[key]
            width = length(Decimal(value))
            y = y0 + (0 if stacked else lane * ROW_HEIGHT)
            start = x if stacked else float(LABEL_WIDTH)
            shown = format_value(value, fmt, locale)
            parts.append(
                f'<rect class="bar" data-key="{_text(key)}" data-series="{_text(one.key)}" '
                f'data-value="{_exact(value)}" x="{start:.1f}" y="{y + 2}" width="{width:.1f}" '
                f'height="{ROW_HEIGHT - 4}" fill="{PALETTE[lane % len(PALETTE)]}">'
                f"<title>{_text(label)} · {_text(one.label)}: {_text(shown)}</title></rect>"
            )
            if stacked:
                x += width
            else:
                parts.append(
                    f'<text class="value" x="{start + width + 4:.1f}" y="{y + ROW_HEIGHT / 2 + 4:.1f}" '
                    f'fill="#1d2430">{_text(shown)}</text>'
                )
        if stacked:
            total = sum((Decimal(one.values.get(key, 0)) for one in series), Decimal(0))
            parts.append(
                f'<text class="value" x="{x + 4:.1f}" y="{middle:.1f}" fill="#1d2430">'
                f"{_text(format_value(total, fmt, locale))}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _nice_step(largest: Decimal, fmt: ValueFormat) -> Decimal:
    """A step of 1, 2 or 5 times a power of ten giving about four gridlines up to ``largest``."""
    raw = largest / 4
    if raw <= 0:
        return Decimal(1)
    power = Decimal(10) ** (raw.adjusted())
    for factor in (1, 2, 5, 10):
        step = power * factor
        if step >= raw:
            break
    if fmt.kind == "count":
        step = max(step, Decimal(1)).to_integral_value()
    return step


def line_chart(
    chart_id: str,
    title: str,
    desc: str,
    buckets: Sequence[dt.date],
    series: Sequence[Series],
    *,
    locale: str,
    fmt: ValueFormat = COUNT,
    empty: str = "No data for this period",
) -> str:
    """A line per series over ``buckets`` (days or weeks, in order); each series' ``values`` are keyed
    by the bucket's ISO date, and a bucket a series lacks breaks its line there."""
    figures = [v for one in series for v in one.values.values()]
    if not buckets or not _has_data(figures):
        return _empty_chart(chart_id, title, desc, empty)
    left, right, top, bottom = 80, 36, TOP + LEGEND_HEIGHT, 40
    height = LINE_HEIGHT + top + bottom
    largest = max(Decimal(max(Decimal(v) for v in figures)), Decimal(0))
    step = _nice_step(largest, fmt)
    ticks = int((largest / step).to_integral_value(rounding="ROUND_CEILING")) if largest > 0 else 1
    ceiling = step * max(ticks, 1)
    plot_width = WIDTH - left - right

    def x_of(index: int) -> float:
        return left + (plot_width / 2 if len(buckets) == 1 else index * plot_width / (len(buckets) - 1))

    def y_of(value: Number) -> float:
        share = float(Decimal(value) / ceiling) if ceiling > 0 else 0.0
        return top + LINE_HEIGHT - max(min(share, 1.0), 0.0) * LINE_HEIGHT

    parts = _open(chart_id, title, desc, height, empty=False)
    parts.extend(_legend(series, TOP))
    for tick in range(max(ticks, 1) + 1):
        value = step * tick
        y = y_of(value)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="#e4e8ee"/>')
        parts.append(
            f'<text class="axis-value" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5d6776">'
            f"{_text(format_value(value, fmt, locale))}</text>"
        )
    every = max(1, -(-len(buckets) // MAX_X_LABELS))
    with_year = buckets[0].year != buckets[-1].year
    for index, day in enumerate(buckets):
        if index % every == 0:
            parts.append(
                f'<text class="axis-label" x="{x_of(index):.1f}" y="{top + LINE_HEIGHT + 18}" text-anchor="middle" '
                f'fill="#5d6776">{_text(format_bucket(day, locale, with_year=with_year))}</text>'
            )
    for lane, one in enumerate(series):
        colour = PALETTE[lane % len(PALETTE)]
        runs: list[list[str]] = [[]]
        dots: list[str] = []
        for index, day in enumerate(buckets):
            key = day.isoformat()
            if key not in one.values:
                runs.append([])
                continue
            figure = one.values[key]
            x, y = x_of(index), y_of(figure)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            label = f"{format_bucket(day, locale, with_year=True)} · {one.label}: {format_value(figure, fmt, locale)}"
            dots.append(
                f'<circle class="point" data-key="{key}" data-series="{_text(one.key)}" data-value="{_exact(figure)}" '
                f'cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{_text(label)}</title></circle>'
            )
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>')
        parts.extend(dots)
    parts.append("</svg>")
    return "".join(parts)
