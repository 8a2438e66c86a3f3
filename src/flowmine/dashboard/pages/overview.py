"""Overview: KPI cards of the selected process and its throughput time trend."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from flowmine.analytics import thin_periods
from flowmine.dashboard._components import card
from flowmine.dashboard._data import case_cost, conformance, kpis, labeller, metric, process_profile, targets
from flowmine.dashboard._i18n import t
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import duration, label, money, number, percent, ratio

PATH = "/"
TITLE_KEY = "overview"


def trend_figure(p: dict[str, Any], lang: str) -> dict[str, Any]:
    """Cases started per month (bars) and the median throughput time of the cases completed in each month
    (line; months with too few completions, ``flowmine.analytics.thin_periods``, are left out and say so),
    for the filters. The values are the profile's ``periods`` as they are. A plain figure dict: pages send
    figures as they are, without building a validated ``go.Figure``."""
    periods = p.get("periods") or []
    median = label("throughput_time", lang, stat="median")
    x = [row.get("period") for row in periods]
    need, thin = thin_periods(periods)
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


def _target(target: tuple[str, float] | None, lang: str, fmt: Any) -> str | None:
    """A card's target line, from ``targets``: (direction, value in the KPI's unit)."""
    if target is None:
        return None
    direction, value = target
    return f"{t('target', lang)} {'≤' if direction == 'lower' else '≥'} {fmt(value)}"


def layout(store: Store, f: Filters) -> Any:
    p = process_profile(store, f)
    k = kpis(p, case_cost(store, f))
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
             _target(tg.get("throughput_time"), lang, lambda v: duration(v, lang))),
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
