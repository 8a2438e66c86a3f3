"""Cost and quality per step: counts, service and waiting time, cost and rework side by side; below, the
step card of one step (its six elements and influencing factors, ``flowmine.explain.step_card``), chosen
in a list or by the address's ``card=<step>`` (the map's step detail links there). The card loads in its
own callback, so the table is never held up by it."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, dcc, html, no_update

from flowmine.dashboard import _card_view
from flowmine.dashboard._components import Column, excel_button, register_excel, table
from flowmine.dashboard._data import filters_of, labeller, process_profile, step_card_of
from flowmine.dashboard._i18n import t, timed
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import label

PATH = "/steps"
TITLE_KEY = "steps"


def currency_of(p: dict[str, Any]) -> str | None:
    """The one currency of the steps' costs (None when none is known or they differ)."""
    found = {a.get("cost_currency") for a in p.get("activities", []) if a.get("cost_currency")}
    return found.pop() if len(found) == 1 else None


def rows(p: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """One row per step, raw values (seconds, amounts, shares)."""
    name = labeller(p.get("process"), lang)
    return [{
        "activity": name(a["activity"]), "count": a["count"], "cases": a["cases"],
        "service": a.get("service_time_median_s"), "waiting": a.get("waiting_time_median_s"),
        "sojourn": a.get("sojourn_time_median_s"), "cost": a.get("cost_total"), "rework": a.get("rework_rate"),
    } for a in p.get("activities", [])]


def columns(p: dict[str, Any], lang: str) -> list[Column]:
    """The table's columns: the waiting time only on a log with start timestamps (without them it is
    unknown and only the sojourn time is shown). Every duration says its statistic (median) and, in a
    profile in business time, that it is business hours."""
    time = p.get("time")
    waiting = ([Column("waiting", timed(label("waiting_time", lang, stat="median"), time, lang), "duration")]
               if p.get("time_basis") == "waiting" else [])
    return [Column("activity", t("activity", lang)), Column("count", label("activity_instances", lang), "number"),
            Column("cases", label("cases", lang), "number"),
            Column("service", timed(label("service_time", lang, stat="median"), time, lang), "duration"), *waiting,
            Column("sojourn", timed(label("sojourn_time", lang, stat="median"), time, lang), "duration"),
            Column("cost", label("cost", lang, stat="total"), "money", unit=currency_of(p)),
            Column("rework", label("rework_rate", lang), "percent")]


def sheets(store: Store, f: Filters) -> list[tuple[str, list[Column], list[dict[str, Any]]]]:
    p = process_profile(store, f)
    return [(t("steps", f.lang), columns(p, f.lang), rows(p, f.lang))]


def card_step(p: dict[str, Any], f: Filters) -> str | None:
    """The step whose card is shown: the address's ``card`` when it is a step of the filtered log, else
    the top-ranked step bottleneck, else the most frequent step."""
    steps = [a["activity"] for a in p.get("activities", [])]
    if not steps:
        return None
    ranked = [b["name"] for b in p.get("bottlenecks", []) if b.get("kind") == "activity" and b["name"] in steps]
    default = ranked[0] if ranked else max(p["activities"], key=lambda a: a["count"])["activity"]
    return f.setting("card", steps, default)


def layout(store: Store, f: Filters) -> Any:
    p = process_profile(store, f)
    lang = f.lang
    chosen = card_step(p, f)
    name = labeller(f.process, lang)
    options = [{"label": name(a["activity"]), "value": a["activity"]} for a in p.get("activities", [])]
    return html.Div([excel_button("steps", lang),
                     table("steps-table", columns(p, lang), rows(p, lang), page_size=30, f=f, page="steps"),
                     html.H3(t("card_title", lang)),
                     html.Label([t("card_step", lang),
                                 dcc.Dropdown(id="steps-card-step", options=options, value=chosen, clearable=False)]),
                     dcc.Loading(html.Div(id="steps-card"), delay_show=300)])


def render_card(store: Store, f: Filters, step: str) -> Any:
    d = step_card_of(store, f, step)
    if d is None:
        return html.P(t("no_data", f.lang))
    return _card_view.layout(d, f, labeller(f.process, f.lang))


def register(app: Any, store: Store) -> None:
    def build(search: str | None) -> tuple[Filters, Any]:
        f = filters_of(store, search)
        return f, (sheets(store, f) if f.process else [])

    register_excel(app, "steps", "steps", build)

    @app.callback(Output("steps-card", "children"), Input("steps-card-step", "value"), State("url", "search"))
    def on_step(step: Any, search: str | None) -> Any:
        f = filters_of(store, search)
        if f.process is None or not isinstance(step, str):
            return no_update
        offered = {a["activity"] for a in process_profile(store, f).get("activities", [])}
        if step not in offered:  # a forged value: not a step this page offered
            return no_update
        return render_card(store, f, step)
