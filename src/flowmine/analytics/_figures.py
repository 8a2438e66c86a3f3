"""Plotly figure builders shared by notebooks and the dashboard: pure functions from metric frames.

Each builder takes the tidy frame a metric returns (never a log: plotting lives apart from the metric)
and returns a ``plotly.graph_objects.Figure``; nothing is read or written. Durations arrive in seconds
(``_s`` columns) and are shown in ``unit`` (``s``, ``min``, ``h`` or ``d``). Every label that comes from
the data (activity, resource, variant names) is HTML-escaped, because Plotly renders a subset of HTML
in text: an activity named ``<b>x</b>`` or ``<script>`` is shown as typed, never interpreted.

Plotly is imported when a figure is built, not with the package, so a profile never pays for it.

* :func:`throughput_histogram` (``throughput_time(level="case")``),
* :func:`bottleneck_chart` (``bottlenecks(...)`` or a profile's ``bottlenecks``), with the bootstrap
  interval as error bars,
* :func:`trend_chart` (``flow(...)`` or a profile's ``periods``): arrivals, completions, WIP and the
  median throughput time per period,

The process map (with Disco-like activity/path abstraction on a fixed layout) is
:func:`flowmine.discovery.process_map` with :func:`flowmine.discovery.process_map_figure`: one implementation.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flowmine.analytics._log import check_option

if TYPE_CHECKING:
    import plotly.graph_objects as go

UNITS: dict[str, float] = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
OVERLAYS = ("frequency", "performance")
Positions = dict[str, tuple[float, float]]


def label(value: Any) -> str:
    """Text safe to hand Plotly as a label: HTML-escaped (``<script>`` shows as typed)."""
    return html.escape(str(value), quote=True)


def _frame(data: pd.DataFrame | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    return data if isinstance(data, pd.DataFrame) else pd.DataFrame(list(data))


def _go() -> Any:
    import plotly.graph_objects as go

    return go


def throughput_histogram(cases: pd.DataFrame, unit: str = "d", bins: int = 40) -> go.Figure:
    """Histogram of case throughput times.

    Parameters
    ----------
    cases : DataFrame
        ``throughput_time(log, level="case")`` (column ``throughput_s``).
    unit : {"s", "min", "h", "d"}
    bins : int
        Number of bins (equal width from the shortest to the longest case).

    Examples
    --------
    >>> from flowmine.analytics import stored, throughput_histogram, throughput_time
    >>> cases = throughput_time(stored(STORE, "finance"), level="case")  # STORE: a store's path
    >>> fig = throughput_histogram(cases, unit="d")
    """
    check_option("unit", unit, UNITS, "throughput_histogram")
    go = _go()
    x = np.asarray(cases["throughput_s"], dtype=np.float64) / UNITS[unit]
    x = x[~np.isnan(x)]
    fig = go.Figure(go.Histogram(x=x, nbinsx=bins, name="cases", hovertemplate=f"%{{x}} {unit}: %{{y}} cases"
                                 "<extra></extra>"))
    fig.update_layout(title="Throughput time", xaxis_title=f"throughput time ({unit})", yaxis_title="cases",
                      bargap=0.02, showlegend=False)
    return fig


def bottleneck_chart(rows: pd.DataFrame | Sequence[Mapping[str, Any]], top: int = 10, unit: str = "h"
                     ) -> go.Figure:
    """Horizontal bars of the total waiting each step/edge adds, largest on top, with the bootstrap
    confidence interval (``ci_low_s``..``ci_high_s``) as error bars.

    Parameters
    ----------
    rows : DataFrame or list of dicts
        ``bottlenecks(log)`` or ``profile(log)["bottlenecks"]`` (name, waiting_total_s, share,
        ci_low_s, ci_high_s; ``kind`` optional).
    top : int
    unit : {"s", "min", "h", "d"}
    """
    check_option("unit", unit, UNITS, "bottleneck_chart")
    go = _go()
    frame = _frame(rows)
    if len(frame):
        frame = frame.sort_values("waiting_total_s", ascending=False, kind="stable").head(top).iloc[::-1]
    u = UNITS[unit]
    total = frame.get("waiting_total_s", pd.Series(dtype=float)).to_numpy(dtype=np.float64) / u
    low = frame.get("ci_low_s", pd.Series(np.nan, index=frame.index)).to_numpy(dtype=np.float64) / u
    high = frame.get("ci_high_s", pd.Series(np.nan, index=frame.index)).to_numpy(dtype=np.float64) / u
    kinds = frame["kind"].tolist() if "kind" in frame else [""] * len(frame)
    names = [label(n) for n in frame.get("name", pd.Series(dtype=str))]
    share = frame.get("share", pd.Series(np.nan, index=frame.index)).to_numpy(dtype=np.float64)
    of_list = "of its list's total (steps and transitions ranked apart)"
    hover = [f"{n} ({label(k)})<br>{t:,.1f} {unit} total, {s:.1%} {of_list}" if k else
             f"{n}<br>{t:,.1f} {unit} total, {s:.1%} of its list's total"
             for n, k, t, s in zip(names, kinds, total, share, strict=True)]
    fig = go.Figure(go.Bar(
        x=total, y=names, orientation="h", hovertext=hover, hoverinfo="text",
        error_x={"type": "data", "symmetric": False, "array": np.maximum(high - total, 0.0),
                 "arrayminus": np.maximum(total - low, 0.0)}))
    fig.update_layout(title="Bottlenecks: waiting added", xaxis_title=f"total waiting ({unit})",
                      yaxis={"type": "category"}, showlegend=False)
    return fig


def trend_chart(periods: pd.DataFrame | Sequence[Mapping[str, Any]], unit: str = "d") -> go.Figure:
    """Arrivals, completions and work in progress per period (left axis) and the median throughput time
    of the cases completed in each period (right axis, ``unit``).

    Parameters
    ----------
    periods : DataFrame or list of dicts
        ``flow(log, by=...)`` (period, arrivals, completions, wip, throughput_median_s) or
        ``profile(log, by=...)["periods"]`` (the same, the median named ``throughput_time_median_s``).
    unit : {"s", "min", "h", "d"}
    """
    check_option("unit", unit, UNITS, "trend_chart")
    go = _go()
    frame = _frame(periods)
    x: Any = pd.to_datetime(frame["period"], utc=True) if len(frame) else []
    fig = go.Figure()
    for col, name in (("arrivals", "arrivals"), ("completions", "completions"), ("wip", "work in progress")):
        fig.add_trace(go.Scatter(x=x, y=frame[col] if len(frame) else [], mode="lines+markers", name=name))
    col = "throughput_median_s" if "throughput_median_s" in frame else "throughput_time_median_s"
    median: Any = (frame[col].to_numpy(dtype=np.float64) / UNITS[unit]) if len(frame) else []
    fig.add_trace(go.Scatter(x=x, y=median, mode="lines+markers", name=f"median throughput time ({unit})",
                             yaxis="y2", line={"dash": "dot"}))
    fig.update_layout(title="Flow over time", yaxis_title="cases",
                      yaxis2={"title": f"median throughput time ({unit})", "overlaying": "y", "side": "right"},
                      legend={"orientation": "h"})
    return fig
