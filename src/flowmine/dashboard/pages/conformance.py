"""Conformance: fitness and precision against the reference model, the model drawn from its own BPMN
diagram with tasks coloured by deviation rate, skipped/inserted steps per step, business rule violations
in business words, what deviations cost in time and money, and the cases behind each number one click
away (a task on the model or a table row lists them under the model)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from flowmine.dashboard._components import Column, card, plot_text, table
from flowmine.dashboard._conf_model import model_figure
from flowmine.dashboard._data import conformance, filters_of, labeller
from flowmine.dashboard._i18n import LABELS, plotly_config, t
from flowmine.dashboard._state import Filters
from flowmine.errors import InputError
from flowmine.processes import Diagram, read_diagram
from flowmine.store import Store
from flowmine.vocabulary import label, number, percent, ratio

PATH = "/conformance"
TITLE_KEY = "conformance"
KINDS = ("skipped", "inserted", "out_of_order")
STEPS_GRID = {"type": "grid", "grid": "conf-steps"}
RULES_GRID = {"type": "grid", "grid": "conf-rules"}


def deviation_figure(steps: list[dict[str, Any]], lang: str, name: Any = str) -> dict[str, Any]:
    """Skipped, inserted and out-of-order counts per deviating step, stacked (a plain figure dict)."""
    steps = [s for s in steps if s["cases_affected"]]
    names = [plot_text(name(s["activity"])) for s in steps]
    return {"data": [{"type": "bar", "name": t(k, lang), "x": names, "y": [s[k] for s in steps]}
                     for k in KINDS],
            "layout": {"barmode": "stack", "height": 360, "margin": {"l": 40, "r": 10, "t": 20, "b": 120}}}


@lru_cache(maxsize=32)
def _read(path: str, mtime: float) -> Diagram | str:
    try:
        return read_diagram(path)
    except InputError as exc:
        return str(exc)


def diagram_of(reference: str) -> Diagram | str:
    """The reference model's diagram, or the one-line reason it cannot be drawn (cached per file version)."""
    p = Path(reference)
    if p.suffix.lower() != ".bpmn":
        return Diagram(str(p), (), ())  # a PNML net has no BPMN diagram
    try:
        mtime = p.stat().st_mtime
    except OSError:
        mtime = -1.0
    return _read(str(p), mtime)


def rule_kind(kind: str, lang: str) -> str:
    """A rule kind in business words (the raw kind only for a kind the page does not know)."""
    return t(f"rule_kind_{kind}", lang) if f"rule_kind_{kind}" in LABELS else kind


def rule_name(rule: dict[str, Any], lang: str) -> str:
    """A rule's label in ``lang`` (English, then the id, where a label is missing)."""
    return str(rule.get(f"label_{lang}") or rule.get("label_en") or rule["rule"])


def deviation_name(dev: str, c: dict[str, Any], lang: str, name: Any) -> str:
    """A deviation of the impact table (``"kind: activity"`` or ``"rule: id"``) in business words."""
    if dev == "any deviation":  # the row of all deviating cases together
        return t("any_deviation", lang)
    kind, _, what = str(dev).partition(": ")
    if kind == "rule":
        rules = {r["rule"]: r for r in c["rules"]}
        return f"{t('rule', lang)}: {rule_name(rules[what], lang) if what in rules else what}"
    return f"{t(kind, lang)}: {name(what)}" if kind in KINDS else str(dev)


def _model(c: dict[str, Any], lang: str, name: Any) -> list[Any]:
    """The model drawn, or one line saying why not (the graph stays, hidden, so its click input exists)."""
    d = diagram_of(c["reference"])
    hidden = dcc.Graph(id="conf-model", figure=None, style={"display": "none"})
    if isinstance(d, str):
        return [html.P(f"{t('conf_bad_diagram', lang)}: {d}", id="conf-no-diagram"), hidden]
    if not d.drawn:
        return [html.P(t("conf_no_diagram", lang), id="conf-no-diagram"), hidden]
    outside = [f"{name(s['activity'])} ({t('inserted', lang)} {number(s['inserted'])})"
               for s in c["steps"] if not s["in_model"] and s["inserted"]]
    note = [html.P(t("conf_outside", lang).format(steps="; ".join(outside)), id="conf-outside")] if outside else []
    return [html.P(t("conf_model_hint", lang)),
            dcc.Graph(id="conf-model", figure=model_figure(d, c["steps"], lang, name),
                      config=plotly_config(lang, {"displaylogo": False, "scrollZoom": True})), *note]


def _tables(c: dict[str, Any], f: Filters, name: Any) -> list[Any]:
    """The steps, rules and impact tables: raw numbers (they sort and export as numbers)."""
    lang = f.lang
    step_rows = [{"activity": name(s["activity"]), "skipped": s["skipped"], "inserted": s["inserted"],
                  "out_of_order": s["out_of_order"], "cases": s["cases_affected"], "rate": s["rate"]}
                 for s in c["steps"]]
    step_cols = [Column("activity", t("activity", lang)), Column("skipped", t("skipped", lang), "number"),
                 Column("inserted", t("inserted", lang), "number"),
                 Column("out_of_order", t("out_of_order", lang), "number"),
                 Column("cases", label("cases", lang), "number"), Column("rate", t("rate", lang), "percent")]
    rule_rows = [{"rule": rule_name(r, lang), "kind": rule_kind(r["kind"], lang),
                  "violating": r["violating_cases"], "rate": r["rate"], "id": r["rule"]} for r in c["rules"]]
    rule_cols = [Column("rule", t("rule", lang)), Column("kind", t("kind", lang)),
                 Column("violating", t("violating", lang), "number"), Column("rate", t("rate", lang), "percent"),
                 Column("id", t("conf_rule_id", lang))]
    impact_rows = [{"deviation": deviation_name(i["deviation"], c, lang, name), "cases": i["cases"],
                    "dev": i["throughput_time_median_s"]["deviating"],
                    "conf": i["throughput_time_median_s"]["conforming"]} for i in c["impact"]]
    median = label("throughput_time", lang, stat="median")
    impact_cols = [Column("deviation", t("deviation", lang)), Column("cases", label("cases", lang), "number"),
                   Column("dev", t("of_deviating", lang).format(metric=median), "duration"),
                   Column("conf", t("of_conforming", lang).format(metric=median), "duration")]
    return [html.H3(t("steps_dev", lang)), table("conf-steps", step_cols, step_rows, f=f, page="conformance-steps"),
            html.H3(t("rules", lang)), table("conf-rules", rule_cols, rule_rows, f=f, page="conformance-rules"),
            html.H3(t("impact", lang)), table("conf-impact", impact_cols, impact_rows, f=f,
                                                 page="conformance-impact")]


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
    return html.Div([
        cards, html.P(t("conf_scope", lang)),
        html.H3(t("conf_model", lang)), *_model(c, lang, name), html.Div(id="conf-detail"),
        dcc.Graph(id="conf-deviations", figure=deviation_figure(c["steps"], lang, name), config=plotly_config(lang)),
        *_tables(c, f, name),
    ])


def _case_rows(entries: list[tuple[str, dict[str, Any]]], lang: str) -> tuple[list[Any], list[dict[str, Any]]]:
    """One line per list (its total and how many are shown) and the table rows (case id, kind)."""
    lines, rows = [], []
    for kind, ids in entries:
        key = "conf_detail_all" if len(ids["ids"]) == ids["total"] else "conf_detail_count"
        lines.append(html.P(t(key, lang).format(kind=kind, total=number(ids["total"]), shown=number(len(ids["ids"])))))
        rows += [{"case": case, "kind": kind} for case in ids["ids"]]
    return lines, rows


def detail(c: dict[str, Any], lang: str, name: Any, step: str | None = None, rule: str | None = None) -> Any:
    """The panel under the model: the cases behind one step's deviations or one rule's violations."""
    behind = c.get("case_ids", {"steps": {}, "rules": {}})
    if step is not None:
        title, sub = name(step), t("conf_detail_step", lang)
        per_kind = behind["steps"].get(step, {})
        entries = [(t(k, lang), per_kind[k]) for k in KINDS if k in per_kind]
    else:
        found = {r["rule"]: r for r in c["rules"]}[str(rule)]
        title, sub = rule_name(found, lang), t("conf_detail_rule", lang)
        entries = [(rule_kind(found["kind"], lang), behind["rules"][rule])] if rule in behind["rules"] else []
    head = [html.H4(title, id="conf-detail-title"), html.P(sub)]
    if not entries:
        none = "conf_detail_none" if step is not None else "conf_detail_no_rule"
        return [*head, html.P(t(none, lang), id="conf-detail-none")]
    lines, rows = _case_rows(entries, lang)
    cols = [("case", t("case", lang)), ("kind", t("deviation", lang))]
    return [*head, *lines, table("conf-detail-cases", cols, rows, page_size=10)]


def clicked_task(click: Any) -> str | None:
    """The shape id of a click on a task of the model (its ``customdata``), else None."""
    try:
        data = click["points"][0]["customdata"]
    except (KeyError, IndexError, TypeError):
        return None
    return data if isinstance(data, str) else None


def clicked_row(cell: Any, n_rows: int) -> int | None:
    """The row (index into the grid's rowData, whatever the sort) of a grid cell click, else None."""
    row = cell.get("rowId") if isinstance(cell, dict) else None
    if not isinstance(row, str) or not row.isdigit() or int(row) >= n_rows:
        return None
    return int(row)


def chosen(c: dict[str, Any], trigger: Any, click: Any, step_cell: Any, rule_cell: Any
           ) -> tuple[str | None, str | None] | None:
    """(step, rule) the user asked for, checked against what the page drew; None for a forged value."""
    if trigger == "conf-model":
        d = diagram_of(c["reference"])
        task = clicked_task(click)
        tasks = d.tasks() if isinstance(d, Diagram) else {}
        steps = {s["activity"] for s in c["steps"] if s["in_model"]}
        ok = task in tasks and tasks[str(task)].name in steps
        return (tasks[str(task)].name, None) if ok else None
    if trigger == STEPS_GRID:
        i = clicked_row(step_cell, len(c["steps"]))
        return None if i is None else (c["steps"][i]["activity"], None)
    if trigger == RULES_GRID:
        i = clicked_row(rule_cell, len(c["rules"]))
        return None if i is None else (None, c["rules"][i]["rule"])
    return None


#: Brings the detail panel into view when it fills (a click on a table row far below the model).
SCROLL_JS = ("function(children) { const el = document.getElementById('conf-detail');"
             " if (el && children) { el.scrollIntoView({block: 'start'}); }"
             " return window.dash_clientside.no_update; }")


def register(app: Dash, store: Store) -> None:
    app.clientside_callback(SCROLL_JS, Output("conf-detail", "title"), Input("conf-detail", "children"),
                            prevent_initial_call=True)

    @app.callback(Output("conf-detail", "children"), Input("conf-model", "clickData"),
                  Input(STEPS_GRID, "cellClicked"), Input(RULES_GRID, "cellClicked"), State("url", "search"),
                  prevent_initial_call=True)
    def on_click(click: Any, step_cell: Any, rule_cell: Any, search: str | None) -> Any:
        f = filters_of(store, search)
        c = conformance(store, f.process, f) if f.process else None
        if c is None:
            return no_update
        picked = chosen(c, ctx.triggered_id, click, step_cell, rule_cell)
        if picked is None:
            return no_update  # not something this page drew (a forged click)
        return detail(c, f.lang, labeller(f.process, f.lang), step=picked[0], rule=picked[1])
