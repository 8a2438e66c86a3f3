"""The step card laid out: six boxes (input, processing, output, control, participants, environment) and
the annotations, from :func:`flowmine.explain.step_card`'s dict. Every label is text; numbers come as
the card computed them and are only formatted here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from flowmine.dashboard._components import Column, card, table
from flowmine.dashboard._i18n import plotly_config, t
from flowmine.dashboard._state import Filters
from flowmine.explain import factor_label, value_label
from flowmine.vocabulary import between_steps, duration, label, money, number, percent, ratio

_PARTS = ("off_calendar", "batching", "resource_busy", "other")
_DAY_NAMES = {"en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
              "zh": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]}


def _shares(tid: str, items: list[dict[str, Any]], head: str, lang: str, f: Filters,
            name: Callable[[str], str]) -> Any:
    rows = [{"value": value_label("", i["value"], lang) if i["value"][:1] == "(" else name(i["value"]),
             "count": i["count"], "share": i["share"]} for i in items]
    cols = [Column("value", head), Column("count", label("activity_instances", lang), "number"),
            Column("share", t("card_share", lang), "percent")]
    return table(tid, cols, rows, page_size=8, f=f, page="card")


def factor_table(tid: str, factors: list[dict[str, Any]], statistic: str, lang: str, f: Filters,
                 name: Callable[[str], str]) -> Any:
    """The findings as a grid: factor, value, cases, with / without, effect with its interval, q, excess."""
    if not factors:
        return html.P(t("card_no_factors", lang), className="fm-card-hint")
    unit = factors[0]["unit"]
    centre = "percent" if statistic == "rate" else ("duration" if unit == "s" else "number")
    excess_kind = "duration" if unit == "s" else "number"
    rows = [{"factor": factor_label(x["attribute"], lang),
             "value": value_label(x["attribute"], str(x["value"]), lang, name),
             "cases": x["cases"], "with": x["median_with"], "without": x["median_without"],
             "effect": (f"{ratio(x['effect_ratio'], 2)} [{ratio(x['ci'][0], 2)}–{ratio(x['ci'][1], 2)}]"
                        if x["ci"][0] is not None else ratio(x["effect_ratio"], 2)),
             "q": f"{x['q_value']:.1e}", "excess": x["excess"]} for x in factors]
    rate = statistic == "rate"
    cols = [Column("factor", t("card_factor", lang)), Column("value", t("card_value", lang)),
            Column("cases", label("cases", lang), "number"),
            Column("with", t("card_rate_with" if rate else "card_with", lang), centre),
            Column("without", t("card_rate_without" if rate else "card_without", lang), centre),
            Column("effect", t("card_effect", lang)), Column("q", t("card_q", lang)),
            Column("excess", t("card_excess", lang), excess_kind, digits=1)]
    return table(tid, cols, rows, page_size=8, f=f, page="card")


def arrivals_figure(arrivals: dict[str, Any], lang: str) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=arrivals["counts"], x=[f"{h:02d}" for h in arrivals["hours"]],
                               y=_DAY_NAMES[lang], colorscale="Blues", hovertemplate="%{y} %{x}:00 · %{z}"
                               "<extra></extra>"))
    fig.update_layout(title=t("card_arrivals", lang), height=260, margin={"l": 40, "r": 10, "t": 40, "b": 30},
                      yaxis={"autorange": "reversed"})
    return fig


def parts_figure(parts: dict[str, Any], lang: str) -> go.Figure:
    fig = go.Figure()
    for part in _PARTS:
        share = parts.get(f"{part}_share")
        if share is None:
            continue
        fig.add_bar(y=[""], x=[share * 100], orientation="h", name=t(f"part_{part}", lang),
                    hovertemplate=f"{t(f'part_{part}', lang)}: %{{x:.1f}}%<extra></extra>")
    fig.update_layout(barmode="stack", title=t("card_waiting_parts", lang), height=170,
                      xaxis={"range": [0, 100], "ticksuffix": "%"}, margin={"l": 10, "r": 10, "t": 40, "b": 30},
                      legend={"orientation": "h", "y": -0.4})
    return fig


def trend_figure(trend: list[dict[str, Any]], measure_label: str, lang: str) -> go.Figure:
    fig = go.Figure(go.Scatter(x=[r["month"] for r in trend], y=[r["median_s"] / 3600 for r in trend],
                               mode="lines+markers", customdata=[r["instances"] for r in trend],
                               hovertemplate="%{x}: %{y:.1f} h · n=%{customdata}<extra></extra>"))
    fig.update_layout(title=t("card_trend", lang).format(measure=measure_label), height=260,
                      yaxis={"title": "h", "rangemode": "tozero"}, margin={"l": 40, "r": 10, "t": 40, "b": 30})
    return fig


def _box(key: str, lang: str, *children: Any) -> html.Section:
    return html.Section([html.H4(t(key, lang)), *children], className="fm-card-element", id=f"card-{key}")


def layout(d: dict[str, Any], f: Filters, name: Callable[[str], str]) -> Any:
    """The card of one step, every element in its own box."""
    lang = f.lang
    p, c, e = d["processing"], d["controls"], d["environment"]
    between = between_steps(p["time_basis"])
    cfg = {"config": plotly_config(lang)}
    elapsed = [html.P(t("card_elapsed", lang), id="card-elapsed", className="fm-card-hint")] if f.time else []
    stats = [card(label(between, lang, stat="median"), duration(p[p["time_basis"]]["median"], lang), "card-wait"),
             card(label(between, lang, stat="p90"), duration(p[p["time_basis"]]["p90"], lang), "card-wait-p90")]
    if p["service"] is not None and p["service"]["count"]:
        stats.append(card(label("service_time", lang, stat="median"), duration(p["service"]["median"], lang),
                          "card-service"))
    if p["cost"]["instances_with_cost"]:
        stats.append(card(label("cost", lang, stat="mean"), money(p["cost"]["mean"], p["cost"]["currency"]),
                          "card-cost"))
    stats += [card(label("rework_rate", lang), percent(p["rework_rate"]), "card-rework"),
              card(label("first_pass_yield", lang), percent(p["first_pass_yield"]), "card-fpy"),
              card(t("card_in_batches", lang), percent(p["batching"]["share_in_batches"]), "card-batches")]
    processing: list[Any] = [html.Div(stats, className="fm-cards")]
    if p["waiting_parts"]:
        w = p["waiting_parts"]
        processing.append(dcc.Graph(id="card-parts", figure=parts_figure(w, lang), **cfg))
        for part, why in w["unknown"].items():
            why = value_label("", why, lang)
            processing.append(html.P(f"{t(f'part_{part}', lang)}: {t('part_unknown', lang).format(why=why)}",
                                     className="fm-card-hint"))
    outputs: list[Any] = [_shares("card-succ", d["outputs"]["successors"], t("card_to", lang), lang, f, name)]
    if d["outputs"]["quality"]:
        outputs.append(_shares("card-quality", d["outputs"]["quality"], t("card_outcome", lang), lang, f, str))
    controls: list[Any] = []
    if c.get("note"):
        controls.append(html.P(t("card_no_config", lang), className="fm-card-hint"))
    if c["rules"]:
        controls.append(html.H5(t("card_rules", lang)))
        controls.append(html.Ul([html.Li(f"{r['label']} — {percent(r['violation_rate'])}", id=f"card-rule-{r['id']}")
                                 for r in c["rules"]]))
    if c["kpis"]:
        controls.append(html.H5(t("card_kpis", lang)))
        state = {True: t("card_met", lang), False: t("card_missed", lang), None: t("card_no_target", lang)}
        css = {True: "met", False: "missed", None: "none"}
        items = []
        for k in c["kpis"]:
            value = percent(k["value"]) if k["value"] is not None else "–"
            items.append(html.Li(f"{k['label']}: {t('card_target', lang)} {k['target']} — {value} "
                                 f"({state[k['met']]})", className="fm-status-" + css[k["met"]]))
        controls.append(html.Ul(items))
    if c.get("conformance"):
        cf = c["conformance"]
        controls.append(html.Div([card(t("skipped", lang), number(cf["skipped"]), "card-skipped"),
                                  card(t("inserted", lang), number(cf["inserted"]), "card-inserted"),
                                  card(label("deviation_rate", lang), percent(cf["rate"]), "card-dev-rate")],
                                 className="fm-cards"))
    people = d["participants"]
    res_rows = [{"resource": r["resource"], "instances": r["instances"], "share": r["share"],
                 "per_day": r["per_active_day"], "service": r["service_median_s"]} for r in people["resources"]]
    res_cols = [Column("resource", t("resource", lang)),
                Column("instances", label("activity_instances", lang), "number"),
                Column("share", t("card_share", lang), "percent"),
                Column("per_day", t("card_per_day", lang), "number", digits=1),
                Column("service", label("service_time", lang, stat="median"), "duration")]
    participants = [table("card-resources", res_cols, res_rows, page_size=8, f=f, page="card"),
                    _shares("card-hand-in", people["handovers_in"], t("card_handovers_in", lang), lang, f, str),
                    _shares("card-hand-out", people["handovers_out"], t("card_handovers_out", lang), lang, f, str)]
    measure_label = label({"waiting": "waiting_time", "sojourn": "sojourn_time", "service": "service_time"}.get(
        e["measure"] or "", between), lang)
    environment: list[Any] = [html.H5(t("card_factors", lang).format(measure=measure_label)),
                              factor_table("card-factors", e["factors"], "median", lang, f, name)]
    if e.get("deviation_factors") is not None:
        environment += [html.H5(t("card_dev_factors", lang)),
                        factor_table("card-dev-factors", e["deviation_factors"], "rate", lang, f, name)]
    if e["trend"]:
        environment.append(dcc.Graph(id="card-trend", figure=trend_figure(e["trend"], measure_label, lang), **cfg))
    cp = e["change_point"]
    environment.append(html.P(t("card_change", lang).format(date=cp["at"][:10], before=duration(cp["median_before_s"],
                                                                                                  lang),
                                                             after=duration(cp["median_after_s"], lang),
                                                             p=f"{cp['p_value']:.1e}")
                              if cp else t("card_no_change", lang), id="card-change"))
    notes = d["annotations"]
    annotations = (html.Ul([html.Li(f"{n['date']} · {n['author']} · {t('card_kind_' + n['kind'], lang)}: {n['text']}")
                            for n in notes], id="card-notes")
                   if notes else html.P(t("card_no_annotations", lang), id="card-notes"))
    return html.Div([
        html.P(t("card_intro", lang), className="fm-card-hint"), *elapsed,
        html.Div([
            _box("el_inputs", lang, _shares("card-pred", d["inputs"]["predecessors"], t("card_from", lang), lang, f,
                                            name),
                 dcc.Graph(id="card-arrivals", figure=arrivals_figure(d["inputs"]["arrivals"], lang), **cfg)),
            _box("el_processing", lang, *processing),
            _box("el_outputs", lang, *outputs),
            _box("el_controls", lang, *controls),
            _box("el_participants", lang, *participants),
            _box("el_environment", lang, *environment),
            _box("el_annotations", lang, annotations),
        ], className="fm-card-grid"),
    ], id="step-card")

