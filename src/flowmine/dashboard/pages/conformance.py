"""Conformance: fitness and precision against the reference model, skipped/inserted steps per step,
business rule violations, and what deviations cost in time and money."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from flowmine.dashboard._components import card, plot_text, table
from flowmine.dashboard._data import conformance, labeller
from flowmine.dashboard._i18n import t
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import duration, label, number, percent, ratio

PATH = "/conformance"
TITLE_KEY = "conformance"


def deviation_figure(steps: list[dict[str, Any]], lang: str, name: Any = str) -> dict[str, Any]:
    """Skipped, inserted and out-of-order counts per deviating step, stacked (a plain figure dict)."""
    steps = [s for s in steps if s["cases_affected"]]
    names = [plot_text(name(s["activity"])) for s in steps]
    return {"data": [{"type": "bar", "name": t(k, lang), "x": names, "y": [s[k] for s in steps]}
                     for k in ("skipped", "inserted", "out_of_order")],
            "layout": {"barmode": "stack", "height": 360, "margin": {"l": 40, "r": 10, "t": 20, "b": 120}}}


def layout(store: Store, f: Filters) -> Any:
    lang = f.lang
    assert f.process is not None
    c = conformance(store, f.process, f)
    if c is None:
        return html.P(t("no_reference", lang), id="conf-none")
    if not c["cases"]:
        return html.P(t("no_data", lang), id="conf-empty")
    cards = html.Div([
        card(label("fitness", lang), ratio(c["fitness"]), "conf-fitness",
             t("exact" if c["exact"] else "inexact", lang)),
        card(label("fitting_cases_share", lang), percent(c["fitting_cases_share"]), "conf-fitting"),
        card(label("precision", lang), ratio(c.get("precision")),
             "conf-precision"),
    ], className="fm-cards")
    name = labeller(f.process, lang)
    step_rows = [{"activity": name(s["activity"]), "skipped": number(s["skipped"]), "inserted": number(s["inserted"]),
                  "out_of_order": number(s["out_of_order"]), "cases": number(s["cases_affected"]),
                  "rate": percent(s["rate"])} for s in c["steps"]]
    step_cols = [("activity", t("activity", lang)), ("skipped", t("skipped", lang)),
                 ("inserted", t("inserted", lang)), ("out_of_order", t("out_of_order", lang)),
                 ("cases", label("cases", lang)), ("rate", t("rate", lang))]
    rule_rows = [{"rule": r.get(f"label_{lang}") or r["rule"], "kind": r["kind"],
                  "violating": number(r["violating_cases"]), "rate": percent(r["rate"]),
                  "examples": ", ".join(map(str, r.get("examples", [])))} for r in c["rules"]]
    rule_cols = [("rule", t("rule", lang)), ("kind", t("kind", lang)), ("violating", t("violating", lang)),
                 ("rate", t("rate", lang)), ("examples", t("examples", lang))]
    impact_rows = [{"deviation": i["deviation"], "cases": number(i["cases"]),
                    "dev": duration(i["throughput_time_median_s"]["deviating"], lang),
                    "conf": duration(i["throughput_time_median_s"]["conforming"], lang)} for i in c["impact"]]
    median = label("throughput_time", lang, stat="median")
    impact_cols = [("deviation", t("deviation", lang)), ("cases", label("cases", lang)),
                   ("dev", t("of_deviating", lang).format(metric=median)),
                   ("conf", t("of_conforming", lang).format(metric=median))]
    return html.Div([
        cards, html.P(t("conf_scope", lang)),
        dcc.Graph(id="conf-deviations", figure=deviation_figure(c["steps"], lang, name)),
        html.H3(t("steps_dev", lang)), table("conf-steps", step_cols, step_rows),
        html.H3(t("rules", lang)), table("conf-rules", rule_cols, rule_rows),
        html.H3(t("impact", lang)), table("conf-impact", impact_cols, impact_rows),
    ])
