"""Overview: KPI cards of the selected process and its throughput time trend."""

from __future__ import annotations

import math
from typing import Any

from dash import dcc, html

from flowmine.dashboard._components import card
from flowmine.dashboard._data import conformance, kpis, labeller, metric, process_profile, targets
from flowmine.dashboard._i18n import t
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import duration, label, money, number, percent, ratio

PATH = "/"
TITLE_KEY = "overview"


#: A month's median throughput time is drawn only when at least this many cases completed in it, and at
#: least this share of a typical month's completions: the first and last months of a log hold a few
#: stragglers (the log starts or ends mid-process), whose median says nothing about the trend.
MIN_COMPLETIONS, MIN_SHARE = 5, 0.1


def thin_months(periods: list[dict[str, Any]]) -> tuple[int, list[bool]]:
    """The completions a month needs for its median to be drawn, and which months fall short."""
    done = sorted(int(row.get("completions") or 0) for row in periods if row.get("completions"))
    typical = done[len(done) // 2] if done else 0
    need = max(MIN_COMPLETIONS, math.ceil(MIN_SHARE * typical))
    return need, [int(row.get("completions") or 0) < need for row in periods]


def trend_figure(p: dict[str, Any], lang: str) -> dict[str, Any]:
    """Cases started per month (bars) and the median throughput time of the cases completed in each month
    (line; months with too few completions are left out and say so), for the filters. The values are the
    profile's ``periods`` as they are. A plain figure dict: pages send figures as they are, without
    building a validated ``go.Figure``."""
    periods = p.get("periods") or []
    median = label("throughput_time", lang, stat="median")
    x = [row.get("period") for row in periods]
    need, thin = thin_months(periods)
    med = [row.get("throughput_time_median_s") for row in periods]
    days = [None if is_thin or m is None else m / 86400 for m, is_thin in zip(med, thin, strict=True)]
    hover = [f"{duration(row.get('throughput_time_median_s'), lang)} · {number(row.get('completions') or 0)} "
             f"{t('completed_cases', lang)}" for row in periods]
    layout: dict[str, Any] = {
        "title": {"text": t("trend", lang).format(metric=median.lower() if lang == "en" else median)},
        "height": 340, "margin": {"l": 60, "r": 40, "t": 40, "b": 60},
        # the line's axis overlays the bars' axis, so the line is drawn on top of the bars
        "yaxis": {"side": "right", "showgrid": False, "title": {"text": label("cases", lang)}, "rangemode": "tozero"},
        "yaxis2": {"overlaying": "y", "side": "left", "title": {"text": "d" if lang == "en" else "天"},
                   "rangemode": "tozero", "tickformat": ".1f", "automargin": True},
        "legend": {"orientation": "h", "y": -0.2}}
    if any(thin):
        layout["annotations"] = [{"text": t("trend_thin", lang).format(n=need), "showarrow": False,
                                  "xref": "paper", "yref": "paper", "x": 0, "y": 1.0, "xanchor": "left",
                                  "yanchor": "bottom", "font": {"size": 11, "color": "#666"}}]
    return {"data": [
        {"type": "bar", "x": x, "y": [row.get("arrivals") or 0 for row in periods], "name": label("arrivals", lang),
         "marker": {"color": "#c9d6e3"}},
        {"type": "scatter", "x": x, "y": days, "mode": "lines+markers",
         "name": t("tt_median_done", lang).format(metric=median),
         "yaxis": "y2", "marker": {"color": "#0b3954"}, "connectgaps": False, "text": hover, "hoverinfo": "x+text"},
    ], "layout": layout}


def _target(kpi: Any, lang: str, fmt: Any) -> str | None:
    if kpi is None:
        return None
    sign = "≤" if kpi.direction == "lower" else "≥"
    return f"{t('target', lang)} {sign} {fmt(kpi.target)}"


def _seconds(value: Any) -> float | None:
    """A KPI target duration such as "1d", "36h" or "90m" in seconds."""
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    try:
        return float(text[:-1]) * units[text[-1]]
    except (KeyError, ValueError):
        return None


def layout(store: Store, f: Filters) -> Any:
    p = process_profile(store, f)
    k = kpis(p)
    lang = f.lang
    tg = targets(f.process) if f.process else {}
    if not k["cases"]:
        return html.P(t("no_data", lang), id="ov-empty")
    quality = metric(store, f, "quality", "log")
    fpy = float(quality["first_pass_yield"].iloc[0]) if len(quality) else None
    cost = money(k["cost_case"], k["currency"])
    cards = html.Div([
        card(label("cases", lang), number(k["cases"]), "ov-cases"),
        card(label("events", lang), number(k["events"]), "ov-events"),
        card(label("variants", lang), number(k["variants"]), "ov-variants"),
        card(label("throughput_time", lang, stat="median"), duration(k["tt_median"], lang), "ov-tt-median",
             _target(tg.get("throughput_time"), lang, lambda v: duration(_seconds(v), lang))),
        card(label("throughput_time", lang, stat="p90"), duration(k["tt_p90"], lang), "ov-tt-p90"),
        card(label("cost_per_case", lang), cost, "ov-cost",
             _target(tg.get("cost_per_case"), lang, lambda v: number(v, 2))),
        card(label("first_pass_yield", lang), percent(fpy), "ov-fpy"),
        card(t("rework_share", lang), f"{k['rework_steps']} / {k['steps']}", "ov-rework"),
        card(t("top_bottleneck", lang), labeller(f.process, lang)(k["top_bottleneck"] or "–"), "ov-bottleneck"),
    ], className="fm-cards")
    c = conformance(store, f.process, f) if f.process else None
    if c is not None and c["cases"]:
        broken = sum(1 for r in c["rules"] if r["violating_cases"])
        cards.children += [
            card(label("fitness", lang), ratio(c["fitness"]), "ov-fitness",
                 _target(tg.get("fitness"), lang, lambda v: f"{v:.2f}")),
            card(label("rule_violation_rate", lang), percent(c.get("rule_violation_rate")), "ov-violations",
                 _target(tg.get("rule_violation_rate"), lang, percent)),
            card(t("rules_broken", lang), f"{broken} / {len(c['rules'])}", "ov-rules"),
        ]
    return html.Div([cards, dcc.Graph(id="ov-trend", figure=trend_figure(p, lang))])
