"""Plotly figure of a process map: boxes at dot's positions, edges along dot's routes, a statistic overlay.

The figure only draws what :func:`flowmine.discovery.process_map` computed (and the service times or
costs the caller passes); no metric is computed here. Every label that comes from the log (activity
names) is HTML-escaped, because Plotly renders a subset of HTML in text and hover labels and an
activity may be called ``<script>``.

Drawing order, so a click on a box's centre hits the step: edge lines (not hoverable, so they never
take a click), edge label points (a clickable marker at each edge's label spot), the boxes (filled,
not hoverable), invisible click points across each box, then one clickable point at every box's
centre with the step's label.
"""

from __future__ import annotations

import html
import math
from collections import deque
from collections.abc import Collection, Mapping
from typing import Any

import plotly.graph_objects as go

from flowmine.discovery._dot import BOX_H_PT, FALLBACK_STEP, MapGeometry, Point, Route, inside
from flowmine.discovery._map import ProcessMap
from flowmine.discovery._overlay import (
    BLUES,
    HEAT,
    OVERLAY_STATISTICS,
    OVERLAYS,
    RED,
    STATISTICS,
    WORDS,
    Overlay,
    finite_range,
    format_duration,
    scale_colour,
    stat_label,
    word,
)
from flowmine.errors import OptionError
from flowmine.models import curve
from flowmine.vocabulary import duration, label, money, number

__all__ = ["OVERLAYS", "OVERLAY_STATISTICS", "STATISTICS", "WORDS", "format_duration", "process_map_figure",
           "process_map_spec", "stat_label", "word"]

def process_map_figure(pmap: ProcessMap, overlay: str = "frequency", statistic: str | None = None,
                       title: str | None = None, node_cost: Mapping[str, float] | None = None,
                       currency: str | None = None, highlight: Collection[str] = (),
                       labels: Mapping[str, str] | None = None,
                       node_time: Mapping[str, Mapping[str, float]] | None = None,
                       time_basis: str | None = None, lang: str = "en") -> go.Figure:
    """Draw a process map with Plotly (:func:`process_map_spec` as a validated ``go.Figure``).

    Parameters
    ----------
    pmap : ProcessMap
    overlay : {"frequency", "performance", "cost"}
        What the boxes and lines show: how often (frequency), how long (performance: edges the time
        between the steps, boxes the service time from ``node_time``), or what the steps cost
        (``node_cost``; edges by frequency).
    statistic : str, optional
        Of the overlay (``OVERLAY_STATISTICS``): ``absolute`` (times) or ``cases`` for frequency and
        cost; ``mean``, ``median``, ``total`` or ``max`` for performance. Default: the overlay's first.
    title : str, optional
        Default: the map, the overlay's statistic and the slider shares.
    node_cost : mapping, optional
        Total cost per activity (``flowmine.analytics.profile``'s ``cost_total``); needed by ``cost``.
    currency : str, optional
        Shown with the costs.
    highlight : collection of str
        Bottlenecks to mark in red: activity names and edges as ``"A → B"``.
    labels : mapping, optional
        Display names of activities (for example Chinese labels); ``customdata`` keeps the names.
    node_time : mapping, optional
        Service time per activity and statistic (``{"Approve": {"median": 60.0, ...}}``, seconds; from
        ``flowmine.analytics.service_time(log, level="activity")``); without it the performance
        overlay's boxes show frequency.
    time_basis : {"waiting", "sojourn"}, optional
        The log's (``profile()["time_basis"]``): names the time between steps.
    lang : {"en", "zh"}

    Returns
    -------
    plotly.graph_objects.Figure
        Traces in this order: one line per edge (``name="edge"``, ``customdata`` [source, target,
        count, value]), the edge label points (``"edge labels"``, clickable, ``customdata`` [source,
        target, count, value]), one filled box per node (``"node box"``), invisible click points
        across the boxes (``"node area"``), the nodes' centre points (``"nodes"``, ``customdata``
        [name, count]) and two colour scales (``"scale"``).
    """
    return go.Figure(process_map_spec(pmap, overlay=overlay, statistic=statistic, title=title, node_cost=node_cost,
                                      currency=currency, highlight=highlight, labels=labels, node_time=node_time,
                                      time_basis=time_basis, lang=lang))


def _check(overlay: str, statistic: str | None, node_cost: Mapping[str, float] | None) -> str:
    if overlay not in OVERLAYS:
        raise OptionError(f"The 'overlay' parameter of process_map_figure must be one of {set(OVERLAYS)}. "
                          f"Got {overlay!r} instead.")
    offered = OVERLAY_STATISTICS[overlay]
    stat = offered[0] if statistic is None else statistic
    if stat not in offered:
        raise OptionError(f"The 'statistic' parameter of process_map_figure must be one of {set(offered)} with "
                          f"overlay={overlay!r}. Got {statistic!r} instead.")
    if overlay == "cost" and node_cost is None:
        raise OptionError("process_map_figure: the cost overlay needs node_cost (cost total per activity)")
    return stat


def process_map_spec(pmap: ProcessMap, overlay: str = "frequency", statistic: str | None = None,
                     title: str | None = None, node_cost: Mapping[str, float] | None = None,
                     currency: str | None = None, highlight: Collection[str] = (),
                     labels: Mapping[str, str] | None = None,
                     node_time: Mapping[str, Mapping[str, float]] | None = None,
                     time_basis: str | None = None, lang: str = "en") -> dict[str, Any]:
    """The figure of :func:`process_map_figure` as a plain, JSON-ready dict (``{"data", "layout"}``).

    For web apps that hand figures straight to plotly.js (``dcc.Graph(figure=...)``): building and
    serialising a validated ``go.Figure`` of a large map costs tens of milliseconds per draw; the
    dict is the same figure without that. Same parameters as :func:`process_map_figure`.
    """
    stat = _check(overlay, statistic, node_cost)
    ctx = Overlay(pmap, overlay, stat, highlight, labels, node_cost, currency, node_time, time_basis, lang)
    edges, labels_trace, arrows, edge_range = _edge_traces(ctx)
    boxes, nodes, node_range = _node_traces(ctx)
    scales = [_scale(ctx, "node", *node_range), _scale(ctx, "edge", *edge_range)]
    area = _node_area(ctx, nodes)
    return {"data": [*edges, labels_trace, *boxes, area, nodes, *scales], "layout": _layout(ctx, title, arrows)}


def _route(ctx: Overlay, s: str, t: str, present: set[str]) -> tuple[list[Point], Point, Point]:
    """An edge's points, arrow tip and label spot in figure coordinates (y up): dot's route; for an
    edge of a projected map, the full map's routes through the hidden steps it stands for; else a
    curve between the boxes."""
    geo = ctx.geometry
    if geo is not None:
        chain = _chain(geo, s, t, present)
        if chain:
            pts = [p for r in chain for p in r.points]
            spot = chain[len(chain) // 2].label
            return [(x, -y) for x, y in pts], (chain[-1].tip[0], -chain[-1].tip[1]), (spot[0], -spot[1])
    return _curve_route(ctx, s, t)


def _chain(geo: MapGeometry, s: str, t: str, present: set[str]) -> list[Route]:
    """The routes from ``s`` to ``t`` in the full layout, directly or through steps not on this map."""
    if (s, t) in geo.routes:
        return [geo.routes[(s, t)]]
    seen, queue = {s}, deque([(s, [])])  # type: ignore[var-annotated]
    while queue:
        node, path = queue.popleft()
        if len(path) >= 4:
            continue
        for (a, b), r in geo.routes.items():
            if a != node:
                continue
            if b == t:
                return [*path, r]
            if b not in present and b not in seen:
                seen.add(b)
                queue.append((b, [*path, r]))
    return []


def _curve_route(ctx: Overlay, s: str, t: str) -> tuple[list[Point], Point, Point]:
    p, q = ctx.pos[s], ctx.pos[t]
    if s == t:  # a loop on the box's right side
        w, h = ctx.sizes[s]
        x0, y0 = p[0] + w / 2, p[1]
        pts = [(x0 + 14 * math.sin(a / 10 * math.pi), y0 + h / 3 * math.cos(a / 10 * math.pi)) for a in range(11)]
        return pts, pts[-1], (x0 + 18, y0)
    dist = math.dist(p, q) or 1.0
    xs, ys = curve(p, q, 0.25 * dist, n=40)
    pts = [(x, y) for x, y in zip(xs, ys, strict=True)
           if not inside((x, y), p, ctx.sizes[s], 2) and not inside((x, y), q, ctx.sizes[t], 2)]
    if len(pts) < 2:
        pts = [p, q]
    mid = pts[len(pts) // 2]
    return pts, pts[-1], mid


def _edge_traces(ctx: Overlay) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]], Point]:
    """One line per edge (not hoverable), the clickable label points, the arrowheads, the value range."""
    records: list[dict[str, Any]] = ctx.pmap.edges.to_dict("records")  # type: ignore[assignment]
    values = [ctx.edge_value(e) for e in records]
    low, high = finite_range(values)
    scale = HEAT if ctx.overlay == "performance" else BLUES
    present = set(ctx.pos)
    lines: list[dict[str, Any]] = []
    arrows: list[dict[str, Any]] = []
    lx, ly, ltext, lhover, ldata, lcolour = [], [], [], [], [], []
    for e, v in zip(records, values, strict=True):
        s, t, count = str(e["source"]), str(e["target"]), int(e["count"])
        pts, tip, spot = _route(ctx, s, t, present)
        colour = scale_colour(v, low, high, scale)
        width = 1.0 + 5.0 * (v - min(low, 0.0)) / (high - min(low, 0.0)) if math.isfinite(v) and high > 0 else 1.0
        if f"{s} → {t}" in ctx.marked:
            colour, width = RED, max(width, 4.0)
        lines.append(dict(type="scatter", x=[p[0] for p in pts], y=[p[1] for p in pts], mode="lines",
                          line={"width": width, "color": colour, "shape": "spline", "smoothing": 0.6},
                          hoverinfo="skip", showlegend=False, customdata=[[s, t, count, v]] * len(pts), name="edge"))
        arrows.append(dict(x=tip[0], y=tip[1], ax=pts[-1][0], ay=pts[-1][1], xref="x", yref="y", axref="x",
                           ayref="y", showarrow=True, arrowhead=2, arrowsize=1.0, arrowwidth=max(1.0, width * 0.8),
                           arrowcolor=colour, standoff=0, text=""))
        text = ctx.edge_text(v)
        lx.append(spot[0] - 3.0 * len(text))  # the text starts right of the point: centred on dot's spot
        ly.append(spot[1])
        ltext.append(text)
        lcolour.append(colour)
        lhover.append(_edge_hover(ctx, s, t, e))
        ldata.append([s, t, count, v])
    label_trace = dict(type="scatter", x=lx, y=ly, mode="markers+text", text=ltext, textposition="middle right",
                       textfont={"size": 10, "color": "#333"}, hoverinfo="text", hovertext=lhover, customdata=ldata,
                       marker={"size": 7, "color": lcolour, "line": {"width": 1, "color": "white"}},
                       showlegend=False, name="edge labels")
    return lines, label_trace, arrows, (low, high)


def _edge_hover(ctx: Overlay, s: str, t: str, e: Mapping[str, Any]) -> str:
    lang = ctx.lang
    rows = [f"<b>{html.escape(ctx.name(s))} → {html.escape(ctx.name(t))}</b>",
            f"{word('times', lang)}: {number(e['count'])}", f"{label('cases', lang)}: {number(e['cases'])}"]
    for stat in ("median", "mean", "max"):
        v = e.get(f"duration_{stat}_s")
        if v is not None and math.isfinite(float(v)):
            rows.append(f"{stat_label(ctx.between, lang, stat)}: {duration(float(v), lang)}")
    return "<br>".join(rows)


def _box(centre: Point, size: Point, kind: str) -> tuple[list[float], list[float]]:
    x, y = centre
    w, h = size
    if kind != "activity":  # a circle
        a = [i / 16 * 2 * math.pi for i in range(17)]
        return [x + w / 2 * math.cos(t) for t in a], [y + h / 2 * math.sin(t) for t in a]
    left, right, low, high = x - w / 2, x + w / 2, y - h / 2, y + h / 2
    return [left, right, right, left, left], [low, low, high, high, low]


def _wrap(text: str, width: int = 26) -> str:
    """An escaped label, broken once near its middle when it is longer than ``width`` characters."""
    if len(text) <= width or " " not in text:
        return html.escape(text)
    mid = len(text) // 2
    cut = min((i for i, c in enumerate(text) if c == " "), key=lambda i: abs(i - mid))
    return f"{html.escape(text[:cut])}<br>{html.escape(text[cut + 1:])}"


def _node_traces(ctx: Overlay) -> tuple[list[dict[str, Any]], dict[str, Any], Point]:
    """A filled box per node (width and colour by its value) and the nodes' clickable centre points."""
    records = ctx.pmap.nodes.to_dict("records")
    acts = [r for r in records if r["kind"] == "activity"]
    values = {str(r["node"]): ctx.node_value(str(r["node"]), int(r["count"]), int(r["cases"])) for r in acts}
    low, high = finite_range(list(values.values()))
    scale = HEAT if ctx.overlay in ("performance", "cost") and (ctx.overlay == "cost" or ctx.node_time) else BLUES
    boxes: list[dict[str, Any]] = []
    texts, hovers, data, positions, fonts = [], [], [], [], []
    for r in records:
        name, kind, count, cases = str(r["node"]), str(r["kind"]), int(r["count"]), int(r["cases"])
        w, h = ctx.sizes[name]
        if kind == "activity":
            v = values[name]
            share = (v - min(low, 0.0)) / (high - min(low, 0.0)) if math.isfinite(v) and high > 0 else 0.0
            fill = scale_colour(v, low, high, scale)
            size = (w * (0.78 + 0.22 * share), h)
            texts.append(f"<b>{_wrap(ctx.name(name))}</b><br>{html.escape(ctx.node_text(v))}")
            positions.append("middle center")
            fonts.append("white" if fill in scale[3:] else "#111")
        else:
            fill, size = ("#2ca02c" if kind == "start" else "#d62728"), (w, h)
            texts.append(html.escape(ctx.name(name)))
            positions.append("middle right")  # the word beside its circle
            fonts.append("#111")
        outline = (RED, 3.0) if name in ctx.marked else ("#444", 1.0)
        xs, ys = _box(ctx.pos[name], size, kind)
        boxes.append(dict(type="scatter", x=xs, y=ys, mode="lines", fill="toself", fillcolor=fill,
                          line={"color": outline[0], "width": outline[1]}, hoverinfo="skip", showlegend=False,
                          name="node box", customdata=[[name]] * len(xs)))
        hovers.append(_node_hover(ctx, name, kind, count, cases))
        data.append([name, count])
    names = [str(r["node"]) for r in records]
    nodes = dict(type="scatter", x=[ctx.pos[n][0] for n in names], y=[ctx.pos[n][1] for n in names],
                 mode="markers+text", text=texts, textposition=positions, textfont={"size": 11, "color": fonts},
                 hoverinfo="text", hovertext=hovers, customdata=data,
                 marker={"size": 26, "color": "rgba(0,0,0,0)", "symbol": "square"}, showlegend=False, name="nodes")
    return boxes, nodes, (low, high)


def _node_area(ctx: Overlay, nodes: dict[str, Any]) -> dict[str, Any]:
    """Invisible clickable points across each step's box (at ±18 % and ±36 % of its width), so a click
    anywhere on a wide box reaches the step; the centre point (``nodes``, drawn after) wins at the centre."""
    xs, ys, hovers, data = [], [], [], []
    for i, (name, _count) in enumerate(nodes["customdata"]):
        if ctx.kinds[name] != "activity":
            continue
        w = ctx.sizes[name][0]
        for k in (-0.36, -0.18, 0.18, 0.36):
            xs.append(ctx.pos[name][0] + k * w)
            ys.append(ctx.pos[name][1])
            hovers.append(nodes["hovertext"][i])
            data.append(nodes["customdata"][i])
    return dict(type="scatter", x=xs, y=ys, mode="markers", hoverinfo="text", hovertext=hovers, customdata=data,
                marker={"size": 20, "color": "rgba(0,0,0,0)"}, showlegend=False, name="node area")


def _node_hover(ctx: Overlay, name: str, kind: str, count: int, cases: int) -> str:
    lang = ctx.lang
    if kind != "activity":
        return f"<b>{html.escape(ctx.name(name))}</b><br>{label('cases', lang)}: {number(cases)}"
    rows = [f"<b>{html.escape(ctx.name(name))}</b>", f"{label('activity_instances', lang)}: {number(count)}",
            f"{label('cases', lang)}: {number(cases)}"]
    for stat in ("median", "mean", "max"):
        v = ctx.node_time.get(name, {}).get(stat)
        if v is not None and math.isfinite(float(v)):
            rows.append(f"{stat_label('service_time', lang, stat)}: {duration(float(v), lang)}")
    if name in ctx.costs:
        rows.append(f"{label('cost', lang)}: {html.escape(money(ctx.costs[name], ctx.currency, digits=0))}")
    return "<br>".join(rows)


def _scale(ctx: Overlay, side: str, low: float, high: float) -> dict[str, Any]:
    """A colour bar (an invisible one-point trace) that explains the width and colour of boxes or lines."""
    heat = (ctx.overlay == "performance" and (side == "edge" or bool(ctx.node_time))) or (
        ctx.overlay == "cost" and side == "node")
    colours = HEAT if heat else BLUES
    what = word("steps" if side == "node" else "paths", ctx.lang)
    stat = ctx.node_stat_name() if side == "node" else ctx.edge_stat_name()
    durations = ctx.overlay == "performance" and (side == "edge" or bool(ctx.node_time))
    ticks = [low, (low + high) / 2, high] if high > low else [low]
    text = [duration(v, ctx.lang) if durations else number(v) for v in ticks]
    anchor = next(iter(ctx.pos.values()), (0.0, 0.0))
    return dict(type="scatter", x=[anchor[0]], y=[anchor[1]], mode="markers", hoverinfo="skip", showlegend=False,
                name="scale", marker={
                    "size": 0.1, "opacity": 0, "color": [low], "cmin": low, "cmax": high if high > low else low + 1,
                    "colorscale": [[i / (len(colours) - 1), c] for i, c in enumerate(colours)], "showscale": True,
                    "colorbar": {"title": {"text": f"{html.escape(what)}:<br>{html.escape(stat)}", "side": "top",
                                           "font": {"size": 11}},
                                 "len": 0.42, "y": 0.98 if side == "node" else 0.5, "yanchor": "top",
                                 "thickness": 12, "x": 1.0, "xpad": 6, "tickvals": ticks, "ticktext": text,
                                 "tickfont": {"size": 10}}})


def _layout(ctx: Overlay, title: str | None, arrows: list[dict[str, Any]]) -> dict[str, Any]:
    """Title naming the statistic, a line explaining width and colour, equal-aspect hidden axes fixed
    to the full map's extent (the axes do not move with the sliders), and the arrowheads."""
    x0, x1, y0, y1 = _extent(ctx)
    lang = ctx.lang
    shown = f"{word('steps', lang)}: {ctx.node_stat_name()} · {word('paths', lang)}: {ctx.edge_stat_name()}"
    if ctx.overlay == "cost":  # the paths keep their frequency: say why they carry no cost
        shown += f" ({word('cost_on_steps', lang)})"
    heading = title if title is not None else (
        f"{word('map', lang)} ({ctx.pmap.activities:.0%} {word('activities', lang)}, "
        f"{ctx.pmap.paths:.0%} {word('paths_share', lang)})")
    legend = {"text": html.escape(f"{word('width', lang)} — {shown}"), "xref": "paper", "yref": "paper", "x": 0,
              "y": 1.0, "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 11}}
    pad = 12.0
    return {
        "annotations": [*arrows, legend], "title": {"text": html.escape(heading), "font": {"size": 14},
                                                    "x": 0, "xanchor": "left"},
        "plot_bgcolor": "white", "hovermode": "closest", "hoverdistance": 30, "dragmode": "pan",
        "xaxis": {"visible": False, "range": [x0 - pad, x1 + pad]},
        "yaxis": {"visible": False, "range": [-y1 - pad, -y0 + pad], "scaleanchor": "x", "scaleratio": 1},
        "margin": {"l": 8, "r": 8, "t": 56, "b": 8}}


def _extent(ctx: Overlay) -> tuple[float, float, float, float]:
    """x0, x1, y0, y1 (y down) of the full layout with its boxes and routes."""
    geo = ctx.geometry
    if geo is not None:
        return geo.extent
    bx0, bx1, by0, by1 = ctx.pmap.bounds
    sx, sy = FALLBACK_STEP
    half = max((s[0] for s in ctx.sizes.values()), default=0.0) / 2
    return bx0 * sx - half, bx1 * sx + half, by0 * sy - BOX_H_PT, by1 * sy + BOX_H_PT
