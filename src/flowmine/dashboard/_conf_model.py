"""The reference model drawn from its own BPMN diagram, its tasks coloured by the conformance report.

Shapes and routes come from :func:`flowmine.processes.read_diagram` (the file's BPMN DI), drawn with
Plotly (not bpmn-js, whose licence needs its watermark and which would be a vendored JS bundle): tasks as
rounded rectangles, events as circles, gateways as diamonds with their marker, sequence flows as
polylines with arrowheads. A task is matched to a step of the report by its name (the activity name,
as :func:`flowmine.processes.reference_net` labels its transition); its fill is the step's deviation
rate on a colour scale with a legend, its skipped/inserted counts are written on it. Unnamed or
unmatched tasks are grey. Nothing is computed here: every number is a column of the report's steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plotly.colors import sample_colorscale

from flowmine.dashboard._components import plot_text
from flowmine.dashboard._i18n import t
from flowmine.processes import Diagram, Shape
from flowmine.vocabulary import number, percent

#: Deviation rate 0 → pale green, the highest rate drawn → red.
SCALE = [[0.0, "#e3f2e1"], [0.5, "#fdae61"], [1.0, "#d7301f"]]
GREY = "#e4e7eb"
_LINE = "#52606d"
_MARKERS = {"exclusive": "×", "parallel": "+", "inclusive": "○", "event": "⬠", "complex": "✳"}


def _wrap(text: str, width: int) -> str:
    """Plotly text in lines of about ``width`` characters (words kept whole; a longer word, or text
    without spaces such as Chinese, cut every ``width`` characters), each line escaped."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(plot_text(x) for x in lines if x)


def _path(*points: tuple[float, float] | str) -> str:
    """An SVG path from points and commands (numbers written short: ``110``, ``12.5``)."""
    return " ".join(p if isinstance(p, str) else f"{p[0]:g},{p[1]:g}" for p in points)


def _outline(s: Shape) -> dict[str, Any]:
    x, y, w, h = s.bounds
    line = {"color": _LINE, "width": 3 if s.kind == "end" else 1.5}
    base = {"xref": "x", "yref": "y", "layer": "below", "line": line}
    if s.kind == "task":  # a rectangle with rounded corners (quadratic curves at the corners)
        r = min(10.0, w / 4, h / 4)
        path = _path("M", (x + r, y), "L", (x + w - r, y), "Q", (x + w, y), (x + w, y + r), "L", (x + w, y + h - r),
                     "Q", (x + w, y + h), (x + w - r, y + h), "L", (x + r, y + h), "Q", (x, y + h), (x, y + h - r),
                     "L", (x, y + r), "Q", (x, y), (x + r, y), "Z")
        return {**base, "type": "path", "path": path}
    if s.kind == "gateway":
        cx, cy = s.center
        path = _path("M", (cx, y), "L", (x + w, cy), "L", (cx, y + h), "L", (x, cy), "Z")
        return {**base, "type": "path", "path": path, "fillcolor": "white"}
    return {**base, "type": "circle", "x0": x, "y0": y, "x1": x + w, "y1": y + h, "fillcolor": "white"}


def _arrows(diagram: Diagram) -> tuple[list[float | None], list[float | None], list[dict[str, Any]]]:
    """Polyline coordinates of every flow (None between flows) and an arrowhead at each flow's end."""
    centre = {s.id: s.center for s in diagram.shapes}
    xs: list[float | None] = []
    ys: list[float | None] = []
    heads = []
    for f in diagram.flows:
        pts = list(f.waypoints) or [centre[f.source], centre[f.target]]
        xs += [p[0] for p in pts] + [None]
        ys += [p[1] for p in pts] + [None]
        (ax, ay), (hx, hy) = pts[-2], pts[-1]
        heads.append({"x": hx, "y": hy, "ax": ax, "ay": ay, "xref": "x", "yref": "y", "axref": "x", "ayref": "y",
                      "showarrow": True, "arrowhead": 2, "arrowsize": 1.2, "arrowwidth": 1.5,
                      "arrowcolor": _LINE, "text": ""})
    return xs, ys, heads


def _task_text(step: dict[str, Any] | None, lang: str) -> str:
    """The deviation counts written on a task (the kinds that occur), one line each."""
    if not step:
        return ""
    return "<br>".join(f"{t(k, lang)} {number(step[k])}" for k in ("skipped", "inserted", "out_of_order") if step[k])


def _event_name(s: Shape, lang: str, name: Callable[[str], str]) -> str:
    """An event's label: its BPMN name, which in Chinese is the configured label or else start/end
    (BPMN event names carry no translation)."""
    if lang == "en" or (s.name and name(s.name) != s.name):
        return name(s.name)
    return t("start", lang) if s.kind == "start" else t("end", lang) if s.kind == "end" else ""


def _hover(name: str, step: dict[str, Any] | None, lang: str) -> str:
    if step is None:
        return f"{plot_text(name)}<br>{t('conf_unmatched', lang)}"
    rows = [plot_text(name), f"{t('rate', lang)}: {percent(step['rate'])}",
            f"{t('conf_cases_affected', lang)}: {number(step['cases_affected'])}"]
    rows += [f"{t(k, lang)}: {number(step[k])} ({t('conf_in_cases', lang).format(n=number(step[f'cases_{k}']))})"
             for k in ("skipped", "inserted", "out_of_order")]
    return "<br>".join(rows)


def model_figure(diagram: Diagram, steps: list[dict[str, Any]], lang: str,
                 name: Callable[[str], str] = str) -> dict[str, Any]:
    """The diagram as a Plotly figure dict; each task's point carries its shape id as ``customdata``."""
    by_activity = {s["activity"]: s for s in steps if s.get("in_model", True)}
    tasks = [s for s in diagram.shapes if s.kind == "task"]
    matched = [by_activity.get(s.name) if s.name else None for s in tasks]
    top = max([m["rate"] or 0.0 for m in matched if m] + [0.0])
    cmax = top if top > 0 else 1.0
    outlines = []
    for s in diagram.shapes:
        o = _outline(s)
        if s.kind == "task":
            m = matched[tasks.index(s)]
            o["fillcolor"] = GREY if m is None else sample_colorscale(SCALE, [min((m["rate"] or 0.0) / cmax, 1.0)])[0]
        outlines.append(o)
    xs, ys, heads = _arrows(diagram)
    labels = [{"x": s.center[0], "y": s.center[1] if s.kind == "gateway" else s.bounds[1] + s.bounds[3] + 12,
               "xref": "x", "yref": "y", "showarrow": False,
               "text": _MARKERS.get(s.gateway, "") if s.kind == "gateway" else _wrap(_event_name(s, lang, name), 16),
               "font": {"size": 20 if s.kind == "gateway" else 10}} for s in diagram.shapes if s.kind != "task"]
    wide = 7 if lang == "zh" else 14
    text = [_wrap(name(s.name), wide) + (f"<br><b>{_task_text(m, lang)}</b>" if _task_text(m, lang) else "")
            for s, m in zip(tasks, matched, strict=True)]
    ink = ["white" if m and (m["rate"] or 0.0) / cmax > 0.6 else "#1f2933" for m in matched]
    x0 = min(s.bounds[0] for s in diagram.shapes) - 40
    x1 = max(s.bounds[0] + s.bounds[2] for s in diagram.shapes) + 40
    y0 = min(s.bounds[1] for s in diagram.shapes) - 40
    y1 = max(s.bounds[1] + s.bounds[3] for s in diagram.shapes) + 50
    data = [
        {"type": "scatter", "mode": "lines", "x": xs, "y": ys, "hoverinfo": "skip", "showlegend": False,
         "line": {"color": _LINE, "width": 1.5}},
        {"type": "scatter", "mode": "markers+text", "x": [s.center[0] for s in tasks],
         "y": [s.center[1] for s in tasks], "text": text, "textfont": {"size": 10, "color": ink},
         "customdata": [s.id for s in tasks], "hovertext": [_hover(name(s.name), m, lang)
                                                          for s, m in zip(tasks, matched, strict=True)],
         "hoverinfo": "text", "showlegend": False, "name": "",
         "marker": {"size": 44, "symbol": "square", "opacity": 0.01, "cmin": 0.0, "cmax": cmax,
                    "color": [(m["rate"] or 0.0) if m else 0.0 for m in matched], "colorscale": SCALE,
                    "showscale": True, "colorbar": {"title": {"text": t("conf_rate_scale", lang)},
                                                    "tickformat": ".1%", "thickness": 12}}},
    ]
    return {"data": data, "layout": {
        "shapes": outlines, "annotations": heads + labels,
        "height": max(240, min(720, int((y1 - y0) / (x1 - x0) * 1200) + 20)),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10}, "plot_bgcolor": "white", "hovermode": "closest",
        "xaxis": {"visible": False, "range": [x0, x1]},
        "yaxis": {"visible": False, "range": [y1, y0], "scaleanchor": "x"}, "dragmode": "pan"}}
