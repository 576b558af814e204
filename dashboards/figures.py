"""Plotly figures of weekly metric series: one builder for every metric, so new metrics plug in.

Figures are plain dicts in plotly.js's JSON format (`{"data": [...], "layout": {...}}`), built without
plotly.py's figure classes: validating every property through them cost most of the time of writing a
large site, and plotly.js reads the same JSON.
Plotly renders titles as pseudo-HTML (it understands `<b>`, `<a href>` and entities), so any text
from the database is entity-escaped before it becomes a title; hover templates hold no such text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from devmetrics.dashboards.markup import Markup, script_json
from devmetrics.dashboards.queries import MetricDefinition, Series

BAR_ROLLUPS = frozenset({"sum", "count"})  # additive metrics read best as bars; the others as lines
COLOUR = "#2563eb"
GRID = "#e5e7eb"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
HOVER = "week of %{x|%Y-%m-%d}<br>%{y:,.4~g}<extra></extra>"
RANGE_BUTTONS = (
    {"count": 3, "label": "3m", "step": "month", "stepmode": "backward"},
    {"count": 6, "label": "6m", "step": "month", "stepmode": "backward"},
    {"count": 1, "label": "1y", "step": "year", "stepmode": "backward"},
    {"count": 1, "label": "YTD", "step": "year", "stepmode": "todate"},
    {"label": "all", "step": "all"},
)


def figure_json(metric: MetricDefinition, series: Series) -> Markup:
    """The figure of `series` as JSON that is safe to embed in the page."""
    return script_json(metric_figure(metric, series))


def metric_figure(metric: MetricDefinition, series: Series) -> dict[str, Any]:
    """A bar or line chart of the weekly values, with a range selector and slider on the time axis."""
    layout = dict(
        height=340,
        margin={"l": 56, "r": 16, "t": 56, "b": 8},
        font={"family": FONT, "size": 12, "color": "#1f2937"},
        title={"text": plotly_text(metric.label), "x": 0, "xanchor": "left", "y": 0.97, "font": {"size": 15}},
        showlegend=False,
        bargap=0.15,
        hovermode="closest",
        xaxis=_time_axis(series),
        yaxis={
            "title": {"text": plotly_text(metric.unit)},
            "rangemode": "tozero",
            "gridcolor": GRID,
            "fixedrange": True,
            "zeroline": False,
        },
    )
    return {"data": [_trace(metric, series)], "layout": layout}


def plotly_text(text: str) -> str:
    """Text Plotly shows literally: entity-escaped, so `<a href>` or `<b>` in it stay plain text."""
    return html.escape(text, quote=True)


def _trace(metric: MetricDefinition, series: Series) -> dict[str, Any]:
    x = [point.week.isoformat() for point in series.points]
    y = [_compact(point.value) for point in series.points]
    common: dict[str, Any] = {"x": x, "y": y, "name": plotly_text(metric.label), "hovertemplate": HOVER}
    error = _error_bars(series)
    if error is not None:
        common["error_y"] = error
    if metric.rollup in BAR_ROLLUPS:
        week_ms = 7 * 24 * 3600 * 1000
        # An explicit width: with a single week Plotly cannot infer one and draws a hairline.
        return {
            "type": "bar",
            "marker": {"color": COLOUR},
            "xperiod": week_ms,
            "xperiodalignment": "start",
            "width": week_ms * 6 / 7,
            **common,
        }
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "line": {"color": COLOUR, "width": 2},
        "marker": {"size": 5},
        **common,
    }


MIN_SHOWN_WEEKS = 8


def _visible_range(series: Series) -> list[str] | None:
    """At least MIN_SHOWN_WEEKS on the axis: with one or two weeks of data Plotly would otherwise zoom to
    sub-second ticks. Bars start on their week's Monday and are a week wide."""
    if not series.points:
        return None
    first, last = series.points[0].week, series.points[-1].week
    start = min(first, last - timedelta(weeks=MIN_SHOWN_WEEKS - 1)) - timedelta(days=4)
    return [start.isoformat(), (last + timedelta(days=11)).isoformat()]


def _time_axis(series: Series) -> dict[str, Any]:
    return {
        "type": "date",
        "range": _visible_range(series),
        "tickformat": "%Y-%m-%d",
        "gridcolor": GRID,
        "rangeselector": {
            "buttons": list(RANGE_BUTTONS),
            "x": 1,
            "xanchor": "right",
            "y": 1.02,
            "yanchor": "bottom",
            "bgcolor": "#f3f4f6",
            "activecolor": "#bfdbfe",
        },
        "rangeslider": {"visible": True, "thickness": 0.08, "bgcolor": "#f9fafb"},
    }


def _error_bars(series: Series) -> dict[str, Any] | None:
    """Error bars from the stored interval (low, high), for metrics that have one."""
    if all(point.low is None and point.high is None for point in series.points):
        return None
    above = [_compact(_gap(point.high, point.value)) for point in series.points]
    below = [_compact(_gap(point.value, point.low)) for point in series.points]
    return {"type": "data", "array": above, "arrayminus": below, "color": "#6b7280", "thickness": 1}


def _gap(upper: float | None, lower: float | None) -> float | None:
    return None if upper is None or lower is None else upper - lower


def _compact(value: float | None) -> float | int | None:
    """Integral values as ints and at most 6 significant digits: figures stay small."""
    if value is None or not math.isfinite(value):
        return None
    if value.is_integer():
        return int(value)
    return float(f"{value:.6g}")


# --- figures of several series: cohorts, bands, goals -----------------------------------------------------

PALETTE = ("#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2")
BAND_ALPHA = 0.2  # opacity of an interval band


@dataclass(frozen=True)
class Line:
    """One series of a time chart: (day, value, low, high) points; a band is drawn where low/high exist."""

    name: str
    points: Sequence[tuple[date, float | None, float | None, float | None]]
    colour: str = COLOUR
    dash: str = "solid"
    markers: bool = True


@dataclass(frozen=True)
class Level:
    """A horizontal reference: a goal, the baseline's 1.0, or a window figure with its interval."""

    name: str
    value: float
    start: date
    end: date
    colour: str = "#6b7280"
    low: float | None = None
    high: float | None = None


def time_figure_json(
    title: str, unit: str, lines: Sequence[Line], *, levels: Sequence[Level] = (), percent: bool = False
) -> Markup:
    """Lines over time with their 95% bands, optional reference levels, a range selector and slider."""
    traces: list[dict[str, Any]] = []
    for line in lines:
        traces += [*_band(line), _line(line, percent)]
    for level in levels:
        traces += _level(level, percent)
    days = [point[0] for line in lines for point in line.points] + [d for lv in levels for d in (lv.start, lv.end)]
    layout = _layout(title, unit, percent) | {"xaxis": _date_axis(days), "showlegend": len(traces) > 1}
    return script_json({"data": traces, "layout": layout})


def scatter_figure_json(title: str, x_title: str, y_title: str, points: Sequence[tuple[float, float, str]]) -> Markup:
    """A scatter of labelled points (hotspots: commits × complexity); labels are shown on hover, as text."""
    trace = {
        "type": "scatter",
        "x": [_compact(x) for x, _, _ in points],
        "y": [_compact(y) for _, y, _ in points],
        "text": [plotly_text(label) for _, _, label in points],
        "mode": "markers",
        "marker": {"color": COLOUR, "size": 9, "opacity": 0.75},
        "hovertemplate": f"%{{text}}<br>{plotly_text(x_title)}: %{{x}}<br>{plotly_text(y_title)}: %{{y}}"
        "<extra></extra>",
    }
    layout = _layout(title, y_title, False)
    layout["xaxis"] = {"title": {"text": plotly_text(x_title)}, "gridcolor": GRID, "rangemode": "tozero"}
    layout["showlegend"] = False
    return script_json({"data": [trace], "layout": layout})


def _layout(title: str, unit: str, percent: bool) -> dict[str, Any]:
    return {
        "template": "none",
        "height": 360,
        "margin": {"l": 56, "r": 16, "t": 56, "b": 8},
        "font": {"family": FONT, "size": 12, "color": "#1f2937"},
        "title": {"text": plotly_text(title), "x": 0, "xanchor": "left", "y": 0.97, "font": {"size": 15}},
        "hovermode": "closest",
        "legend": {"orientation": "h", "y": -0.35},
        "yaxis": {
            "title": {"text": plotly_text(unit)},
            "gridcolor": GRID,
            "fixedrange": True,
            "zeroline": False,
            **({"tickformat": ".0%"} if percent else {}),
        },
    }


def _date_axis(days: Sequence[date]) -> dict[str, Any]:
    axis = _time_axis(Series("", ("", ""), ()))
    if days:
        first, last = min(days), max(days)
        start = min(first, last - timedelta(weeks=MIN_SHOWN_WEEKS - 1)) - timedelta(days=4)
        axis["range"] = [start.isoformat(), (last + timedelta(days=11)).isoformat()]
    return axis


def _hover(name: str, percent: bool) -> str:
    value = "%{y:.1%}" if percent else "%{y:,.4~g}"
    return f"{plotly_text(name)}<br>%{{x|%Y-%m-%d}}: {value}<extra></extra>"


def _line(line: Line, percent: bool) -> dict[str, Any]:
    return {
        "type": "scatter",
        "x": [point[0].isoformat() for point in line.points],
        "y": [_compact(point[1]) for point in line.points],
        "name": plotly_text(line.name),
        "mode": "lines+markers" if line.markers else "lines",
        "line": {"color": line.colour, "width": 2, "dash": line.dash},
        "marker": {"size": 5},
        "hovertemplate": _hover(line.name, percent),
        "connectgaps": False,
    }


def _band(line: Line) -> list[dict[str, Any]]:
    """The interval as a filled area between an invisible upper line and the lower one."""
    banded = [point for point in line.points if point[2] is not None and point[3] is not None]
    if not banded:
        return []
    x = [point[0].isoformat() for point in banded]
    common: dict[str, Any] = {
        "type": "scatter",
        "x": x,
        "mode": "lines",
        "line": {"width": 0},
        "hoverinfo": "skip",
        "showlegend": False,
    }
    upper = {"y": [_compact(point[3]) for point in banded], **common}
    lower = {
        "y": [_compact(point[2]) for point in banded],
        "fill": "tonexty",
        "fillcolor": _rgba(line.colour, BAND_ALPHA),
        "name": plotly_text(f"{line.name}: 95% interval"),
        **common,
    }
    return [upper, lower]


def _level(level: Level, percent: bool) -> list[dict[str, Any]]:
    x = [level.start.isoformat(), level.end.isoformat()]
    traces: list[dict[str, Any]] = []
    if level.low is not None and level.high is not None:
        traces += _band(
            Line(level.name, [(level.start, level.value, level.low, level.high), (level.end, level.value, level.low,
                                                                                   level.high)], level.colour)
        )  # fmt: skip
    traces.append(
        {
            "type": "scatter",
            "x": x,
            "y": [_compact(level.value)] * 2,
            "name": plotly_text(level.name),
            "mode": "lines",
            "line": {"color": level.colour, "width": 2, "dash": "dash"},
            "hovertemplate": _hover(level.name, percent),
        }
    )
    return traces


def _rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"
