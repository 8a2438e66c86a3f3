"""Plotly figures of a conformance check: the reference model coloured by deviations, and deviations per step.

The model is drawn as its activities (the visible transitions) joined by "can directly follow"
edges (through silent transitions and gateways). Activities sit where the BPMN diagram draws them
when the reference is a ``.bpmn`` file with diagram interchange, otherwise on a layered layout of
the same graph. Colours and bars only show the columns of :func:`deviations_per_step`; nothing is
computed here. Labels are HTML-escaped (an activity may be called ``<script>``).
"""

from __future__ import annotations

import html
from collections import deque
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from lxml import etree

from flowmine._params import Options, validate_params
from flowmine.conformance._check import ConformanceReport
from flowmine.errors import OptionError
from flowmine.models import ReferenceModel, curve, layered_layout

MEASURES = ("rate", "skipped", "inserted", "out_of_order")
_KIND_LABELS = {"skipped": "skipped (model move)", "inserted": "inserted (log move)", "out_of_order": "out of order"}
_KIND_COLOURS = {"skipped": "#d62728", "inserted": "#ff7f0e", "out_of_order": "#9467bd"}


def model_graph(model: ReferenceModel) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """Activities of the model, the pairs (a, b) where b can directly follow a, and the possible first activities.

    b directly follows a when a token produced by a can reach b's input through places and silent
    transitions only (a structural over-approximation, which is what a picture needs).
    """
    net = model.net
    labels = sorted({t.label for t in net.transitions if t.label is not None})

    def visible_after(places: list[Any]) -> set[str]:
        seen_p, seen_t, found = set(), set(), set()
        queue = deque(places)
        while queue:
            p = queue.popleft()
            if p in seen_p:
                continue
            seen_p.add(p)
            for arc in p.out_arcs:
                t = arc.target
                if t.label is not None:
                    found.add(t.label)
                elif t not in seen_t:
                    seen_t.add(t)
                    queue.extend(a.target for a in t.out_arcs)
        return found

    edges: set[tuple[str, str]] = set()
    for t in net.transitions:
        if t.label is not None:
            for b in visible_after([a.target for a in t.out_arcs]):
                edges.add((t.label, b))
    first = sorted(visible_after(list(model.im)))
    return labels, sorted(edges), first


def diagram_positions(path: str | Path) -> dict[str, tuple[float, float]]:
    """Centres of the tasks of a BPMN file's diagram, by task name (empty when it has no diagram)."""
    p = Path(path)
    if p.suffix.lower() != ".bpmn" or not p.is_file():
        return {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(p), parser).getroot()
    names: dict[str, str] = {}
    centres: dict[str, tuple[float, float]] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local.endswith("Task") or local == "task":
            if el.get("id") and el.get("name"):
                names[el.get("id", "")] = " ".join(el.get("name", "").split())
        elif local == "BPMNShape":
            bounds = next((c for c in el if isinstance(c.tag, str) and etree.QName(c).localname == "Bounds"), None)
            if bounds is not None:
                x, y = float(bounds.get("x", 0)), float(bounds.get("y", 0))
                w, h = float(bounds.get("width", 0)), float(bounds.get("height", 0))
                centres[el.get("bpmnElement", "")] = (x + w / 2, y + h / 2)
    return {name: centres[i] for i, name in names.items() if i in centres}


def model_positions(model: ReferenceModel) -> dict[str, tuple[float, float]]:
    """Position of every model activity, in a frame where x grows right and y grows down.

    The BPMN diagram's task centres (scaled to a 150-unit column) when every activity has one,
    else a layered layout of :func:`model_graph`.
    """
    labels, edges, first = model_graph(model)
    drawn = diagram_positions(model.source)
    if labels and all(lab in drawn for lab in labels):
        return {lab: (drawn[lab][0] / 150.0, drawn[lab][1] / 130.0) for lab in labels}
    return layered_layout(labels, edges, sources=first)


def _rates(steps: pd.DataFrame, cases: int) -> pd.DataFrame:
    out = steps.set_index("activity")
    for kind in ("skipped", "inserted", "out_of_order"):
        out[f"rate_{kind}"] = out[f"cases_{kind}"] / cases if cases else 0.0
    return out


@validate_params({"measure": [Options(MEASURES)]})
def deviation_model_figure(report: ConformanceReport, measure: str = "rate", title: str | None = None) -> go.Figure:
    """The reference model with every activity coloured by how often cases deviate there.

    Parameters
    ----------
    report : ConformanceReport
        From :func:`flowmine.conformance.check` (it carries the model and the steps).
    measure : {"rate", "skipped", "inserted", "out_of_order"}
        Colour: share of cases with any deviation at the activity, or with one kind.

    Returns
    -------
    plotly.graph_objects.Figure
        Edge line traces (``name="flow"``), then one marker trace ``name="activities"`` whose
        ``customdata`` rows are ``[activity, rate, skipped, inserted, out_of_order]`` (case shares)
        and whose ``marker.color`` is the chosen measure.

    Examples
    --------
    >>> from flowmine.conformance import check, deviation_model_figure
    >>> fig = deviation_model_figure(check(STORE, "finance"))  # STORE: a store's path
    >>> fig.show()  # opens a browser  # doctest: +SKIP
    """
    if report.model is None:
        raise OptionError("the report carries no reference model (build it with flowmine.conformance.check)",
                          parameter="report", function="deviation_model_figure")
    labels, edges, _ = model_graph(report.model)
    pos = model_positions(report.model)
    rates = _rates(report.steps, report.cases)
    fig = go.Figure()
    for a, b in edges:
        p, q = (pos[a][0], -pos[a][1]), (pos[b][0], -pos[b][1])
        xs, ys = curve(p, q, 0.3 if q[0] <= p[0] else 0.0)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"width": 1, "color": "#999"}, hoverinfo="skip",
                                 showlegend=False, name="flow"))
        fig.add_annotation(x=xs[-1], y=ys[-1], ax=xs[-3], ay=ys[-3], xref="x", yref="y", axref="x", ayref="y",
                           showarrow=True, arrowhead=2, arrowcolor="#999", text="")
    col = "rate" if measure == "rate" else f"rate_{measure}"
    values, data, texts, hovers = [], [], [], []
    for lab in labels:
        row = rates.loc[lab] if lab in rates.index else None

        def get(name: str, row: Any = row) -> float:
            return float(row[name]) if row is not None else 0.0

        values.append(get(col))
        data.append([lab, get("rate"), get("rate_skipped"), get("rate_inserted"), get("rate_out_of_order")])
        texts.append(html.escape(lab))
        hovers.append(f"<b>{html.escape(lab)}</b><br>any deviation {get('rate'):.1%} of cases"
                      f"<br>skipped {get('rate_skipped'):.1%}, inserted {get('rate_inserted'):.1%}, "
                      f"out of order {get('rate_out_of_order'):.1%}")
    fig.add_trace(go.Scatter(
        x=[pos[lab][0] for lab in labels], y=[-pos[lab][1] for lab in labels], mode="markers+text", text=texts,
        textposition="bottom center", hoverinfo="text", hovertext=hovers, customdata=data, name="activities",
        marker={"size": 26, "symbol": "square", "color": values, "colorscale": "Reds", "cmin": 0.0,
                "cmax": max(0.05, max(values, default=0.0)), "line": {"width": 1, "color": "#222"},
                "colorbar": {"title": {"text": "share of cases"}, "tickformat": ".0%"}},
        showlegend=False))
    what = "any deviation" if measure == "rate" else _KIND_LABELS[measure]
    heading = title if title is not None else f"{report.process}: reference model, {what} per activity"
    fig.update_layout(title={"text": html.escape(heading)}, plot_bgcolor="white", xaxis={"visible": False},
                      yaxis={"visible": False}, margin={"l": 20, "r": 20, "t": 50, "b": 20})
    return fig


def deviation_bar_figure(steps: pd.DataFrame, title: str = "Deviations per step") -> go.Figure:
    """Horizontal stacked bars: per activity, the cases where it was skipped, inserted or out of order.

    Parameters
    ----------
    steps : DataFrame
        :func:`deviations_per_step` (or ``report.steps``). Activities without deviations are left out;
        the most affected activity is on top.

    Returns
    -------
    plotly.graph_objects.Figure
        One bar trace per kind (``name`` = "skipped (model move)", "inserted (log move)",
        "out of order"), ``x`` = cases, ``y`` = escaped activity names.
    """
    hit = steps[steps["cases_affected"] > 0].sort_values(["cases_affected", "activity"], ascending=[True, False])
    names = [html.escape(str(a)) for a in hit["activity"]]
    fig = go.Figure()
    for kind in ("skipped", "inserted", "out_of_order"):
        fig.add_trace(go.Bar(
            x=hit[f"cases_{kind}"].astype(int).tolist(), y=names, orientation="h", name=_KIND_LABELS[kind],
            marker={"color": _KIND_COLOURS[kind]}, customdata=hit[kind].astype(int).tolist(),
            hovertemplate="%{y}<br>%{x:,} cases, %{customdata:,} times<extra>" + _KIND_LABELS[kind] + "</extra>"))
    fig.update_layout(barmode="stack", title={"text": html.escape(title)}, xaxis={"title": {"text": "cases"}},
                      legend={"orientation": "h", "y": -0.15}, margin={"l": 20, "r": 20, "t": 50, "b": 40},
                      plot_bgcolor="white")
    return fig
