"""Plotly figures of the monitor: a KPI's control chart and an initiative's before/after distributions.

Pure functions from results (:class:`KpiStatus`, :class:`Evaluation`) to figures; labels from the
data are HTML-escaped (Plotly renders a subset of HTML). Durations are shown in hours or days.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from flowmine.monitor._evaluate import Evaluation
    from flowmine.monitor._monitor import KpiStatus


#: the control chart's lines: upper and lower control limit, centre line
LINE_NAMES = {"en": ("UCL", "LCL", "CL"), "zh": ("控制上限", "控制下限", "中心线")}


def _scale(unit: str, lang: str = "en") -> tuple[float, str]:
    return {"s": (86400.0, "d" if lang != "zh" else "天"), "share": (0.01, "%")}.get(unit, (1.0, unit))


def control_chart_figure(status: KpiStatus, lang: str = "en") -> go.Figure:
    """The KPI's values per complete period with centre line, control limits, target and rule hits."""
    import plotly.graph_objects as go

    fig = go.Figure()
    p, chart = status.periods, status.chart
    title = status.kpi.label_zh if lang == "zh" else status.kpi.label_en
    if chart is None or not len(p):
        return fig.update_layout(title=html.escape(title))
    div, unit = _scale(str(p["unit"].iloc[0]), lang)
    x = [t.strftime("%Y-%m-%d") for t in p["period"]]
    y = np.asarray(chart.values, dtype=float) / div
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name=html.escape(title), line={"color": "#1f77b4"}))
    names = LINE_NAMES["zh" if lang == "zh" else "en"]
    for values, name, dash in ((chart.ucl, names[0], "dash"), (chart.lcl, names[1], "dash"),
                               ([chart.center] * len(x), names[2], "solid")):
        fig.add_trace(go.Scatter(x=x, y=np.asarray(values, dtype=float) / div, mode="lines", name=name,
                                 line={"color": "#7f7f7f", "dash": dash, "shape": "hvh"}))
    fig.add_trace(go.Scatter(x=x, y=[status.target / div] * len(x), mode="lines",
                             name="目标" if lang == "zh" else "target", line={"color": "#2ca02c", "dash": "dot"}))
    hit_idx = sorted({h.index for h in chart.hits})
    if hit_idx:
        text = [", ".join(sorted({h.rule for h in chart.hits if h.index == i})) for i in hit_idx]
        fig.add_trace(go.Scatter(x=[x[i] for i in hit_idx], y=[y[i] for i in hit_idx], mode="markers",
                                 name="信号" if lang == "zh" else "signal", text=text,
                                 marker={"color": "#d62728", "size": 11, "symbol": "circle-open"}))
    if 0 < chart.baseline < len(x):
        fig.add_vline(x=chart.baseline - 0.5, line={"color": "#bbbbbb", "width": 1})
    return fig.update_layout(title=html.escape(title), yaxis_title=unit, height=320, margin={"t": 40, "b": 30},
                             legend={"orientation": "h"}, xaxis={"type": "category"})


def before_after_figure(ev: Evaluation, lang: str = "en") -> go.Figure:
    """Box plots of the goal metric before and after the change, with the two statistics marked."""
    import plotly.graph_objects as go

    div, unit = {"s": (3600.0, "h"), "share": (0.01, "%")}.get(ev.unit, (1.0, ev.unit))
    names = {"before": "改进前" if lang == "zh" else "before", "after": "改进后" if lang == "zh" else "after"}
    fig = go.Figure()
    for side, stat in (("before", ev.before), ("after", ev.after)):
        v = ev.units.loc[ev.units["side"] == side, "value"].to_numpy(dtype=float) / div
        if len(v) > 3000:  # a fixed, seeded sample keeps the page light; statistics come from all units
            v = np.random.default_rng(0).choice(v, 3000, replace=False)
        fig.add_trace(go.Box(y=v, name=f"{names[side]} (n={int((ev.units['side'] == side).sum()):,})",
                             boxpoints=False, boxmean=True))
        fig.add_trace(go.Scatter(x=[f"{names[side]} (n={int((ev.units['side'] == side).sum()):,})"],
                                 y=[stat / div], mode="markers", showlegend=False,
                                 marker={"symbol": "diamond", "size": 12, "color": "#d62728"}))
    title = ev.initiative.name_zh if lang == "zh" else ev.initiative.name_en
    return fig.update_layout(title=html.escape(title), yaxis_title=unit, height=340, showlegend=False,
                             margin={"t": 40, "b": 30})


def figure_html(fig: Any, div_id: str) -> str:
    """A figure as an HTML fragment without plotly.js (the page inlines it once) and without links."""
    return str(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                           config={"displaylogo": False, "showSendToCloud": False, "responsive": True}))
