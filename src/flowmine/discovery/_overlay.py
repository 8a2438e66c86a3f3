"""What a process map shows and how it says it: overlays, their statistics, colours and the words (EN/ZH).

:class:`Overlay` resolves one drawing's inputs once (positions in points, box sizes, the value and the
text of every node and edge for the chosen statistic, the names of start and end in the language);
:mod:`flowmine.discovery._figure` draws with it. Metric names come from :mod:`flowmine.vocabulary`;
only the words the vocabulary lacks (``maximum``, case frequency, start/end) are here.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from flowmine.discovery._dot import FALLBACK_STEP, Point, box_size
from flowmine.discovery._map import ProcessMap
from flowmine.vocabulary import between_steps, duration, label, money, number

OVERLAYS = ("frequency", "performance", "cost")
#: The statistics each overlay offers (its first is the default).
OVERLAY_STATISTICS = {"frequency": ("absolute", "cases"), "performance": ("mean", "median", "total", "max"),
                      "cost": ("absolute", "cases")}
STATISTICS = ("absolute", "cases", "mean", "median", "total", "max")

#: The figure's own words (EN, ZH); metric names come from flowmine.vocabulary.
WORDS = {
    "absolute": ("Absolute frequency", "绝对频次"), "cases": ("Case frequency", "案例频次"),
    "start": ("Start", "开始"), "end": ("End", "结束"), "steps": ("Steps", "步骤"), "paths": ("Paths", "路径"),
    "times": ("Times", "次数"), "map": ("Process map", "流程图"),
    "width": ("Width and colour", "宽度与颜色"), "max": ("Maximum {x}", "最大{x}"),
    "activities": ("activities", "活动"), "paths_share": ("paths", "路径"),
    "cost_on_steps": ("cost is recorded per step, not per path", "成本按步骤记录，路径无成本"),
}


def word(key: str, lang: str) -> str:
    en, zh = WORDS[key]
    return zh if lang == "zh" else en


def format_duration(seconds: float) -> str:
    """A short human duration: ``45 s``, ``12 min``, ``3.4 h``, ``2.1 d`` (``–`` when unknown)."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def stat_label(key: str, lang: str, stat: str) -> str:
    """A metric's label with its statistic: ``Median waiting time``, ``最大作业时间``..."""
    if stat == "max":
        return word("max", lang).format(x=label(key, lang) if lang == "zh" else label(key, lang).lower())
    return label(key, lang, stat=stat)


def scale_colour(value: float, low: float, high: float, scale: Sequence[str]) -> str:
    if not math.isfinite(value):
        return "#dddddd"
    if high <= low:
        return scale[len(scale) // 2]
    i = round((value - low) / (high - low) * (len(scale) - 1))
    return scale[max(0, min(len(scale) - 1, i))]


BLUES = ("#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c")
HEAT = ("#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#990000")
RED = "#c00000"


class Overlay:
    """The inputs of one drawing, resolved once: positions, sizes, routes and how values are shown."""

    def __init__(self, pmap: ProcessMap, overlay: str, stat: str, highlight: Collection[str],
                 labels: Mapping[str, str] | None, node_cost: Mapping[str, float] | None, currency: str | None,
                 node_time: Mapping[str, Mapping[str, float]] | None, time_basis: str | None, lang: str) -> None:
        self.pmap, self.overlay, self.stat, self.lang = pmap, overlay, stat, lang
        self.marked = {str(h) for h in highlight}
        self.shown_as = {str(k): str(v) for k, v in (labels or {}).items()}
        self.costs = {str(k): float(v) for k, v in (node_cost or {}).items()
                      if v is not None and math.isfinite(float(v))}
        self.currency = currency
        times = {str(k): dict(v) for k, v in (node_time or {}).items()}
        known = any(v is not None and math.isfinite(float(v)) for t in times.values() for k, v in t.items()
                    if k == stat)
        self.node_time = times if known else {}  # no service time known (no start timestamps): boxes by frequency
        self.between = between_steps(time_basis)
        kinds = dict(zip(pmap.nodes["node"].astype(str), pmap.nodes["kind"], strict=True))
        self.kinds = kinds
        geo = pmap.geometry
        scale = (1.0, 1.0) if geo is not None else FALLBACK_STEP  # a plain dict layout is in grid units
        self.pos: dict[str, Point] = {str(n): (float(x) * scale[0], -float(y) * scale[1])
                                      for n, x, y in zip(pmap.nodes["node"], pmap.nodes["x"], pmap.nodes["y"],
                                                         strict=True)}
        self.sizes = {n: (geo.sizes[n] if geo is not None and n in geo.sizes else box_size(n, kinds[n]))
                      for n in self.pos}
        self.geometry = geo

    def name(self, node: str) -> str:
        if self.kinds.get(node) == "start":
            return word("start", self.lang)
        if self.kinds.get(node) == "end":
            return word("end", self.lang)
        return self.shown_as.get(node, node)

    def edge_value(self, e: Mapping[str, Any]) -> float:
        if self.overlay == "performance":
            v = e.get(f"duration_{self.stat}_s")
            return float(v) if v is not None and math.isfinite(float(v)) else math.nan
        return float(e["cases"] if self.stat == "cases" else e["count"])

    def edge_text(self, value: float) -> str:
        return duration(value, self.lang) if self.overlay == "performance" else number(value)

    def edge_stat_name(self) -> str:
        if self.overlay == "performance":
            return stat_label(self.between, self.lang, self.stat)
        return word(self.stat, self.lang)

    def node_value(self, node: str, count: int, cases: int) -> float:
        if self.overlay == "cost":
            return self.costs.get(node, math.nan)
        if self.overlay == "performance" and self.node_time:
            v = self.node_time.get(node, {}).get(self.stat)
            return float(v) if v is not None and math.isfinite(float(v)) else math.nan
        return float(cases if self.stat == "cases" else count)

    def node_text(self, value: float) -> str:
        if self.overlay == "cost":
            return money(value, self.currency, digits=0) if math.isfinite(value) else "–"
        if self.overlay == "performance" and self.node_time:
            return duration(value, self.lang)
        return number(value)

    def node_stat_name(self) -> str:
        if self.overlay == "cost":
            return label("cost", self.lang) + (f" ({self.currency})" if self.currency else "")
        if self.overlay == "performance" and self.node_time:
            return stat_label("service_time", self.lang, self.stat)
        return word("cases" if self.stat == "cases" else "absolute", self.lang)


def finite_range(values: Sequence[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    return (min(finite), max(finite)) if finite else (0.0, 0.0)
