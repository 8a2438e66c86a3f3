"""A process map written to a file: SVG, PNG or PDF drawn by Graphviz ``dot``, the ``dot`` source, or the
dashboard's interactive Plotly figure as a self-contained HTML page.

The drawn formats give dot the graph with the settings the dashboard's layout comes from (``_dot``: the
same nodes and edges, edge order and weights, back edges left out of the ranking, top to bottom; the
boxes sized to their labels here) with what the overlay says on it: each box
its name and value, filled on the overlay's colour scale; each edge its value, its width by how often
it is taken; the bottlenecks in red; a legend line with the statistic and its range. Numbers and words
come from :class:`flowmine.discovery._overlay.Overlay`, as on the dashboard's figure. Activity names
reach dot only inside quoted, escaped strings, and dot escapes them again in SVG (an activity may be
called ``<script>``). The HTML page embeds plotly.js: it opens without a network.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from flowmine._atomic import atomic_file
from flowmine.discovery._dot import back_edges
from flowmine.discovery._figure import _check, process_map_figure
from flowmine.discovery._map import ProcessMap
from flowmine.discovery._overlay import BLUES, HEAT, RED, Overlay, finite_range, scale_colour
from flowmine.errors import FlowmineError

#: The fonts, first found first: Latin ones, then Chinese ones (a PNG or PDF in Chinese needs one of them on
#: the machine, e.g. Debian's fonts-noto-cjk; an SVG takes the viewer's).
FONT = "Helvetica,Arial,Noto Sans CJK SC,Microsoft YaHei,PingFang SC,WenQuanYi Zen Hei,sans-serif"
#: The files :func:`write_process_map` writes, by extension.
MAP_FORMATS = (".svg", ".png", ".pdf", ".dot", ".html")


def _q(text: str) -> str:
    """A dot string literal: quotes and backslashes escaped, line breaks as dot's ``\\n``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def process_map_dot(pmap: ProcessMap, overlay: str = "frequency", statistic: str | None = None, *,
                    title: str | None = None, node_cost: Mapping[str, float] | None = None,
                    currency: str | None = None, highlight: Collection[str] = (),
                    labels: Mapping[str, str] | None = None,
                    node_time: Mapping[str, Mapping[str, float]] | None = None,
                    time_basis: str | None = None, lang: str = "en") -> str:
    """The map in dot's language, styled by the overlay (parameters as :func:`process_map_figure`)."""
    stat = _check(overlay, statistic, node_cost)
    ctx = Overlay(pmap, overlay, stat, highlight, labels, node_cost, currency, node_time, time_basis, lang)
    nodes = pmap.nodes.to_dict("records")
    order = [str(n["node"]) for n in nodes]
    kinds = {str(n["node"]): str(n["kind"]) for n in nodes}
    edges: list[dict[str, Any]] = [{str(k): v for k, v in e.items()} for e in pmap.edges.to_dict("records")]
    pairs = [(str(e["source"]), str(e["target"])) for e in edges]
    back = back_edges(order, pairs, [n for n in order if kinds[n] == "start"])
    ids = {n: f"n{i}" for i, n in enumerate(order)}  # no activity name reaches dot's parser unquoted
    values = {str(n["node"]): ctx.node_value(str(n["node"]), int(n["count"]), int(n["cases"])) for n in nodes
              if n["kind"] == "activity"}
    lo, hi = finite_range(list(values.values()))
    scale = HEAT if overlay == "performance" else BLUES
    f_lo, f_hi = finite_range([float(e["count"]) for e in edges])
    out = ["digraph map {",  # the layout settings of the dashboard's map (``_dot._dot_source``)
           "rankdir=TB; nodesep=0.35; ranksep=0.45; splines=spline; outputorder=edgesfirst;",
           f'graph [fontname="{FONT}" fontsize=11 labelloc=t];',
           f'node [shape=box style="rounded,filled" fontname="{FONT}" fontsize=10 margin="0.15,0.06"];',
           f'edge [fontname="{FONT}" fontsize=9 arrowsize=0.7];']
    for n in nodes:
        name = str(n["node"])
        if n["kind"] != "activity":
            out.append(f'{ids[name]} [label={_q(ctx.name(name))} shape=circle fillcolor="#eeeeee"];')
            continue
        v = values[name]
        fill = scale_colour(v, lo, hi, scale) if math.isfinite(v) else "#dddddd"
        dark = fill in scale[-2:]
        pen = f' color="{RED}" penwidth=2.5' if name in ctx.marked else ""
        out.append(f'{ids[name]} [label={_q(ctx.name(name) + chr(10) + ctx.node_text(v))} fillcolor="{fill}"'
                   f'{" fontcolor=white" if dark else ""}{pen}];')
    for i, e in enumerate(edges):  # most frequent first: dot keeps the earlier ones straighter
        s, t = str(e["source"]), str(e["target"])
        v = ctx.edge_value(e)
        width = 1.0 + 5.0 * ((float(e["count"]) - f_lo) / (f_hi - f_lo) if f_hi > f_lo else 0.5)
        colour = RED if f"{s} → {t}" in ctx.marked else "#555555"
        text = ctx.edge_text(v) if math.isfinite(v) else ""
        rank = " constraint=false" if (s, t) in back else ""
        out.append(f'{ids[s]} -> {ids[t]} [label={_q(text)} penwidth={width:.2f} color="{colour}" '
                   f'weight={max(1, 10 - i // 3)}{rank}];')
    legend = (f"{ctx.node_stat_name()}: {ctx.node_text(lo)} – {ctx.node_text(hi)}; "
              f"{ctx.edge_stat_name()} ({'edge width: how often' if lang == 'en' else '线宽：频次'})")
    heading = f"{title}\n{legend}" if title else legend
    out.append(f"label={_q(heading)};")
    out.append("}")
    return "\n".join(out)


def write_process_map(pmap: ProcessMap, path: str | Path, **options: Any) -> Path:
    """Write the map to ``path`` by its extension (:data:`MAP_FORMATS`): ``.svg``, ``.png`` and ``.pdf``
    drawn by dot, ``.dot`` its source, ``.html`` the interactive figure. ``options`` are
    :func:`process_map_dot`'s. Written atomically: a failure leaves no file."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in MAP_FORMATS:
        raise FlowmineError(f"{p}: unknown map format {suffix or '(none)'!r}; use one of {', '.join(MAP_FORMATS)}")
    if suffix == ".html":
        html = process_map_figure(pmap, **options).to_html(include_plotlyjs=True, full_html=True)
        with atomic_file(p) as fh:
            fh.write(html.encode("utf-8"))
        return p
    source = process_map_dot(pmap, **options)
    if suffix == ".dot":
        data = source.encode("utf-8")
    else:
        binary = shutil.which("dot")
        if binary is None:
            raise FlowmineError(f"{p}: {suffix[1:].upper()} is drawn by graphviz's 'dot' program, which is not "
                                "installed (Debian/Ubuntu: apt-get install graphviz); write .html or .dot instead")
        try:
            data = subprocess.run([binary, f"-T{suffix[1:]}"], input=source.encode("utf-8"), capture_output=True,
                                  timeout=120, check=True).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            raise FlowmineError(f"{p}: graphviz's dot could not draw the map ({type(exc).__name__})") from None
    with atomic_file(p) as fh:
        fh.write(data)
    return p
