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
* :func:`process_map` (``directly_follows(...)`` or a profile's ``edges``): the directly-follows graph
  with a frequency or performance overlay, laid out by :func:`map_layout` (deterministic layers; pass
  the positions of the unfiltered log so nodes stay put when a filter is applied).
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
    >>> cases = throughput_time(stored("/tmp/demo-store", "finance"), level="case")  # doctest: +SKIP
    >>> fig = throughput_histogram(cases, unit="d")  # doctest: +SKIP
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
    hover = [f"{n} ({label(k)})<br>{t:,.1f} {unit} total, {s:.1%} of all throughput time" if k else
             f"{n}<br>{t:,.1f} {unit} total, {s:.1%} of all throughput time"
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
        ``flow(log, by=...)`` or ``profile(log, by=...)["periods"]`` (period, arrivals, completions,
        wip, throughput_median_s).
    unit : {"s", "min", "h", "d"}
    """
    check_option("unit", unit, UNITS, "trend_chart")
    go = _go()
    frame = _frame(periods)
    x: Any = pd.to_datetime(frame["period"], utc=True) if len(frame) else []
    fig = go.Figure()
    for col, name in (("arrivals", "arrivals"), ("completions", "completions"), ("wip", "work in progress")):
        fig.add_trace(go.Scatter(x=x, y=frame[col] if len(frame) else [], mode="lines+markers", name=name))
    median: Any = (frame["throughput_median_s"].to_numpy(dtype=np.float64) / UNITS[unit]) if len(frame) else []
    fig.add_trace(go.Scatter(x=x, y=median, mode="lines+markers", name=f"median throughput time ({unit})",
                             yaxis="y2", line={"dash": "dot"}))
    fig.update_layout(title="Flow over time", yaxis_title="cases",
                      yaxis2={"title": f"median throughput time ({unit})", "overlaying": "y", "side": "right"},
                      legend={"orientation": "h"})
    return fig


# --- process map ---------------------------------------------------------------------------------
def map_layout(edges: pd.DataFrame | Sequence[Mapping[str, Any]], nodes: Sequence[str] | None = None) -> Positions:
    """Deterministic layered positions of a directly-follows graph: ``{activity: (x, y)}``.

    Back edges (found by a depth-first search from the nodes without predecessors, in name order) are
    set aside, each node goes one layer below its deepest predecessor (y = -layer), and nodes are
    ordered within a layer by the mean x of their predecessors, then name. The same edges always give
    the same positions; compute them once on the unfiltered log and pass them to :func:`process_map`
    to keep nodes in place when filtering.
    """
    frame = _frame(edges)
    pairs = [(str(s), str(t)) for s, t in zip(frame.get("source", []), frame.get("target", []), strict=True)]
    names = sorted({*(nodes or ()), *(p for pair in pairs for p in pair)})
    succ: dict[str, list[str]] = {n: [] for n in names}
    for s, t in sorted(set(pairs)):
        if s != t:
            succ[s].append(t)
    has_pred = {t for s, t in pairs if s != t}
    roots = [n for n in names if n not in has_pred] + [n for n in names if n in has_pred]
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    forward: list[tuple[str, str]] = []
    for root in roots:
        if root in state:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) != 1:  # not a back edge
                forward.append((node, nxt))
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(succ[nxt])))
    preds: dict[str, list[str]] = {n: [] for n in names}
    indeg = dict.fromkeys(names, 0)
    for s, t in forward:
        preds[t].append(s)
        indeg[t] += 1
    layer = dict.fromkeys(names, 0)
    ready = sorted(n for n in names if indeg[n] == 0)
    while ready:
        node = ready.pop(0)
        for t in succ[node]:
            if node in preds[t]:
                layer[t] = max(layer[t], layer[node] + 1)
                indeg[t] -= 1
                if indeg[t] == 0:
                    ready.append(t)
                    ready.sort()
    pos: Positions = {}
    for depth in range(max(layer.values(), default=-1) + 1):
        members = [n for n in names if layer[n] == depth]
        def bary(n: str) -> float:
            xs = [pos[p][0] for p in preds[n] if p in pos]
            return float(np.mean(xs)) if xs else 0.0
        members.sort(key=lambda n: (bary(n), n))
        for i, n in enumerate(members):
            pos[n] = (i - (len(members) - 1) / 2.0, -float(depth))
    return pos


def _duration_text(seconds: float, unit: str) -> str:
    return "n/a" if seconds is None or np.isnan(seconds) else f"{seconds / UNITS[unit]:,.1f} {unit}"


def process_map(edges: pd.DataFrame | Sequence[Mapping[str, Any]],
                activities: pd.DataFrame | Sequence[Mapping[str, Any]] | None = None,
                overlay: str = "frequency", unit: str = "h", positions: Positions | None = None) -> go.Figure:
    """The directly-follows graph as a Plotly figure (nodes = activities, arrows = edges).

    Parameters
    ----------
    edges : DataFrame or list of dicts
        ``directly_follows(log)`` or ``profile(log)["edges"]`` (source, target, count,
        duration_median_s).
    activities : DataFrame or list of dicts, optional
        ``profile(log)["activities"]`` (activity, count): node sizes and hover text.
    overlay : {"frequency", "performance"}
        Edge labels show the count, or the median edge duration (``unit``); arrow width follows the
        count either way, and with ``performance`` the colour follows the median duration.
    positions : dict, optional
        ``{activity: (x, y)}``, e.g. :func:`map_layout` of the unfiltered log: nodes keep their place.
        Activities it lacks are laid out below it.

    Examples
    --------
    >>> from flowmine.analytics import map_layout, process_map, profile, stored
    >>> p = profile(stored("/tmp/demo-store", "finance"))  # doctest: +SKIP
    >>> fig = process_map(p["edges"], p["activities"], overlay="performance")  # doctest: +SKIP
    """
    check_option("overlay", overlay, OVERLAYS, "process_map")
    check_option("unit", unit, UNITS, "process_map")
    go = _go()
    e = _frame(edges)
    acts = _frame(activities) if activities is not None else pd.DataFrame({"activity": [], "count": []})
    count_of = dict(zip(acts["activity"].astype(str), acts["count"], strict=True)) if len(acts) else {}
    names = sorted({*count_of, *e.get("source", pd.Series(dtype=str)).astype(str),
                    *e.get("target", pd.Series(dtype=str)).astype(str)})
    pos = dict(positions or {})
    missing = [n for n in names if n not in pos]
    if missing:
        bottom = min((y for _, y in pos.values()), default=1.0) - 1.0
        extra = map_layout(e[e["source"].astype(str).isin(missing) & e["target"].astype(str).isin(missing)]
                           if len(e) else e, nodes=missing)
        pos.update({n: (x, bottom + y) for n, (x, y) in extra.items()})
    fig = go.Figure()
    counts = e["count"].to_numpy(dtype=np.float64) if len(e) else np.zeros(0)
    top = counts.max() if len(counts) else 1.0
    med = (e["duration_median_s"].to_numpy(dtype=np.float64) if "duration_median_s" in e
           else np.full(len(e), np.nan))
    slow = np.nanmax(med) if len(med) and not np.isnan(med).all() else 0.0
    mid_x, mid_y, mid_text, mid_hover = [], [], [], []
    for i, (s, t) in enumerate(zip(e.get("source", []), e.get("target", []), strict=True)):
        (x0, y0), (x1, y1) = pos[str(s)], pos[str(t)]
        width = 1.0 + 7.0 * counts[i] / top
        heat = med[i] / slow if slow > 0 and not np.isnan(med[i]) else 0.0
        color = f"rgb({int(120 + 135 * heat)},{int(120 - 90 * heat)},{int(120 - 90 * heat)})" \
            if overlay == "performance" else "rgb(90,110,140)"
        text = f"{int(counts[i]):,}" if overlay == "frequency" else _duration_text(med[i], unit)
        if str(s) == str(t):  # self-loop: a small ring above the node
            ang = np.linspace(0, 2 * np.pi, 16)
            fig.add_trace(go.Scatter(x=x0 + 0.12 * np.sin(ang), y=y0 + 0.15 + 0.12 * (1 - np.cos(ang)),
                                     mode="lines", line={"width": width, "color": color}, hoverinfo="skip",
                                     showlegend=False))
            mx, my = x0, y0 + 0.42
        else:
            fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                               showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=width, arrowcolor=color,
                               standoff=14, startstandoff=14)
            mx, my = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        mid_x.append(mx)
        mid_y.append(my)
        mid_text.append(text)
        mid_hover.append(f"{label(s)} → {label(t)}<br>{int(counts[i]):,} times, median "
                         f"{_duration_text(med[i], unit)}")
    fig.add_trace(go.Scatter(x=mid_x, y=mid_y, mode="text", text=mid_text, hovertext=mid_hover, hoverinfo="text",
                             name="edges", showlegend=False, textfont={"size": 10}))
    node_counts = np.array([float(count_of.get(n, 0)) for n in names])
    size = 18 + 22 * node_counts / node_counts.max() if len(names) and node_counts.max() > 0 else np.full(len(names),
                                                                                                            18.0)
    fig.add_trace(go.Scatter(
        x=[pos[n][0] for n in names], y=[pos[n][1] for n in names], mode="markers+text",
        text=[label(n) for n in names], textposition="middle right", name="activities", showlegend=False,
        marker={"size": size, "color": "rgb(200,220,240)", "line": {"width": 1, "color": "rgb(60,80,110)"}},
        hovertext=[f"{label(n)}<br>{int(count_of[n]):,} instances" if n in count_of else label(n) for n in names],
        hoverinfo="text", customdata=names))
    fig.update_layout(title=f"Process map ({overlay})", xaxis={"visible": False}, yaxis={"visible": False},
                      plot_bgcolor="white", hovermode="closest")
    return fig
