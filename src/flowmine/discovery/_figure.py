"""Plotly figure of a process map: nodes at their fixed positions, edges with a frequency or performance overlay.

The figure only draws what :func:`flowmine.discovery.process_map` computed (no metric is computed
here). Every label that comes from the log (activity names) is HTML-escaped, because Plotly renders a
subset of HTML in text and hover labels and an activity may be called ``<script>``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from flowmine.discovery._map import ProcessMap
from flowmine.errors import OptionError
from flowmine.models import curve

OVERLAYS = ("frequency", "performance", "cost")
STATISTICS = ("mean", "median")


def format_duration(seconds: float) -> str:
    """A short human duration: ``45 s``, ``12 min``, ``3.4 h``, ``2.1 d`` (``–`` when unknown)."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def _colour(value: float, low: float, high: float, scale: Sequence[str]) -> str:
    if not math.isfinite(value) or high <= low:
        return scale[0]
    i = round((value - low) / (high - low) * (len(scale) - 1))
    return scale[max(0, min(len(scale) - 1, i))]


_BLUES = ("#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b")
_HEAT = ("#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#990000")


def process_map_figure(
    pmap: ProcessMap,
    overlay: str = "frequency",
    statistic: str = "mean",
    title: str | None = None,
    node_cost: Mapping[str, float] | None = None,
    currency: str | None = None,
    highlight: Collection[str] = (),
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Draw a process map with Plotly (:func:`process_map_spec` as a validated ``go.Figure``).

    Parameters
    ----------
    pmap : ProcessMap
    overlay : {"frequency", "performance", "cost"}
        Edge labels and colours: the number of times the path was taken, or its duration; ``cost``
        colours and labels the steps by their total cost (``node_cost``) and the edges by frequency.
    statistic : {"mean", "median"}
        Duration statistic of the performance overlay.
    title : str, optional
    node_cost : mapping, optional
        Total cost per activity (``flowmine.analytics.profile``'s ``cost_total``); needed by ``cost``.
    currency : str, optional
        Shown with the costs.
    highlight : collection of str
        Bottlenecks to mark in red: activity names and edges as ``"A → B"`` (the profile's bottleneck
        names).
    labels : mapping, optional
        Display names of activities (for example Chinese labels); ``customdata`` keeps the names.

    Returns
    -------
    plotly.graph_objects.Figure
        One line trace per edge (``customdata`` holds source, target, count, duration), one text trace
        of edge labels and one marker trace of nodes (``customdata``: node name, count), in that order.
    """
    return go.Figure(process_map_spec(pmap, overlay=overlay, statistic=statistic, title=title, node_cost=node_cost,
                                      currency=currency, highlight=highlight, labels=labels))


def process_map_spec(
    pmap: ProcessMap,
    overlay: str = "frequency",
    statistic: str = "mean",
    title: str | None = None,
    node_cost: Mapping[str, float] | None = None,
    currency: str | None = None,
    highlight: Collection[str] = (),
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The figure of :func:`process_map_figure` as a plain, JSON-ready dict (``{"data", "layout"}``).

    For web apps that hand figures straight to plotly.js (``dcc.Graph(figure=...)``): building and
    serialising a validated ``go.Figure`` of a large map costs tens of milliseconds per draw; the
    dict is the same figure without that. Same parameters as :func:`process_map_figure`.
    """
    if overlay not in OVERLAYS:
        raise OptionError(f"The 'overlay' parameter of process_map_figure must be one of {set(OVERLAYS)}. "
                          f"Got {overlay!r} instead.")
    if statistic not in STATISTICS:
        raise OptionError(f"The 'statistic' parameter of process_map_figure must be one of {set(STATISTICS)}. "
                          f"Got {statistic!r} instead.")
    if overlay == "cost" and node_cost is None:
        raise OptionError("process_map_figure: the cost overlay needs node_cost (cost total per activity)")
    marked = {str(h) for h in highlight}
    shown_as = {str(k): str(v) for k, v in (labels or {}).items()}
    costs = {str(k): float(v) for k, v in (node_cost or {}).items() if v is not None and math.isfinite(float(v))}
    pos = {str(n): (float(x), -float(y))
           for n, x, y in zip(pmap.nodes["node"], pmap.nodes["x"], pmap.nodes["y"], strict=True)}
    traces, arrows = _edge_traces(pmap, pos, overlay, statistic, marked, shown_as)
    traces.append(_node_trace(pmap, pos, overlay, marked, shown_as, costs, currency))
    return {"data": traces, "layout": _layout(pmap, overlay, statistic, title, arrows)}


Point = tuple[float, float]


def _edge_traces(pmap: ProcessMap, pos: Mapping[str, Point], overlay: str, statistic: str, marked: set[str],
                 shown_as: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One line trace per edge and the trace of their labels (frequency or duration), and the edges'
    arrowheads (layout annotations)."""
    traces: list[dict[str, Any]] = []  # plain dicts (add_trace would copy and validate every time)
    arrows: list[dict[str, Any]] = []
    edges = pmap.edges
    counts = edges["count"].astype(float).to_numpy() if len(edges) else np.array([1.0])
    cmax = float(counts.max()) if len(counts) else 1.0
    dur_col = f"duration_{statistic}_s"
    durations = edges[dur_col].astype(float).to_numpy() if len(edges) else np.array([])
    finite = durations[np.isfinite(durations)] if len(durations) else durations
    dlow, dhigh = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
    pairs = {(str(s), str(t)) for s, t in zip(edges["source"], edges["target"], strict=True)}
    label_x, label_y, label_text = [], [], []
    for e, dur in zip(edges.to_dict("records"), durations.tolist(), strict=True):
        s, t, count, cases = str(e["source"]), str(e["target"]), int(e["count"]), int(e["cases"])
        p, q = pos[s], pos[t]
        backwards = q[0] <= p[0]
        bend = 0.35 if backwards or (t, s) in pairs else 0.0
        xs, ys = curve(p, q, bend)
        if overlay == "performance":
            colour = _colour(dur, dlow, dhigh, _HEAT)
            text = format_duration(dur)
        else:
            colour = _colour(float(count), 0.0, cmax, _BLUES)
            text = f"{count:,}"
        width = 1.0 + 5.0 * count / cmax
        if f"{s} → {t}" in marked:
            colour, width = "#c00000", max(width, 4.0)
        hover = (f"{html.escape(shown_as.get(s, s))} → {html.escape(shown_as.get(t, t))}"
                 f"<br>{count:,} times, {cases:,} cases"
                 f"<br>{statistic} duration {format_duration(dur)}")
        traces.append(dict(type="scatter", x=xs, y=ys, mode="lines", line={"width": width, "color": colour},
                           hoverinfo="text", hovertext=hover, showlegend=False,
                           customdata=[[s, t, count, dur]] * len(xs), name="edge"))
        arrows.append(dict(x=xs[-1], y=ys[-1], ax=xs[-3], ay=ys[-3], xref="x", yref="y", axref="x", ayref="y",
                           showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=max(1.0, width / 2),
                           arrowcolor=colour, text=""))
        label_x.append(xs[len(xs) // 2])
        label_y.append(ys[len(ys) // 2])
        label_text.append(text)
    traces.append(dict(type="scatter", x=label_x, y=label_y, mode="text", text=label_text, textfont={"size": 10},
                       hoverinfo="skip", showlegend=False, name="edge labels"))
    return traces, arrows


def _node_trace(pmap: ProcessMap, pos: Mapping[str, Point], overlay: str, marked: set[str],
                shown_as: Mapping[str, str], costs: Mapping[str, float], currency: str | None) -> dict[str, Any]:
    """The marker trace of the nodes: steps coloured by frequency (or cost), start and end as circles."""
    nodes = pmap.nodes
    acts = nodes[nodes["kind"] == "activity"]
    nmax = float(acts["count"].max()) if len(acts) else 1.0
    cost_max = max(costs.values(), default=0.0)
    unit = f" {html.escape(currency)}" if currency else ""
    colours, symbols, texts, hovers, data, outlines = [], [], [], [], [], []
    for r in nodes.to_dict("records"):
        name, kind, count, cases = str(r["node"]), r["kind"], int(r["count"]), int(r["cases"])
        outlines.append(("#c00000", 4) if name in marked else ("#222", 1))
        if kind == "activity":
            symbols.append("square")
            if overlay == "cost":
                cost = costs.get(name, math.nan)
                colours.append(_colour(cost, 0.0, cost_max, _HEAT) if math.isfinite(cost) else "#dddddd")
                shown_cost = f"{cost:,.0f}{unit}" if math.isfinite(cost) else "–"
                texts.append(f"<b>{html.escape(shown_as.get(name, name))}</b><br>{shown_cost}")
            else:
                colours.append(_colour(float(count), 0.0, nmax, _BLUES))
                texts.append(f"<b>{html.escape(shown_as.get(name, name))}</b><br>{count:,}")
        else:
            colours.append("#2ca02c" if kind == "start" else "#d62728")
            symbols.append("circle")
            texts.append(html.escape(name))
        hovers.append(f"{html.escape(shown_as.get(name, name))}<br>{count:,} instances, {cases:,} cases")
        data.append([name, count])
    return dict(
        type="scatter", x=[pos[str(n)][0] for n in nodes["node"]], y=[pos[str(n)][1] for n in nodes["node"]],
        mode="markers+text", text=texts, textposition="bottom center", hoverinfo="text", hovertext=hovers,
        customdata=data,
        marker={"size": 22, "color": colours, "symbol": symbols,
                "line": {"width": [w for _, w in outlines], "color": [c for c, _ in outlines]}},
        showlegend=False, name="nodes")


def _layout(pmap: ProcessMap, overlay: str, statistic: str, title: str | None,
            arrows: list[dict[str, Any]]) -> dict[str, Any]:
    """Title, hidden axes fixed to the full map's bounds, and the edges' arrowheads."""
    x0, x1, y0, y1 = pmap.bounds  # of the full map: the axes do not move with the sliders
    shown = {"frequency": "frequency", "performance": f"{statistic} duration", "cost": "cost per step"}[overlay]
    heading = title if title is not None else (f"Process map ({shown}; {pmap.activities:.0%} activities, "
                                               f"{pmap.paths:.0%} paths)")
    return {
        "annotations": arrows, "title": {"text": html.escape(heading)}, "plot_bgcolor": "white",
        "hovermode": "closest", "xaxis": {"visible": False, "range": [x0 - 0.6, x1 + 0.6]},
        "yaxis": {"visible": False, "range": [-y1 - 0.6, -y0 + 0.6]}, "margin": {"l": 20, "r": 20, "t": 50, "b": 20}}
