"""What-if: pick a step, try a change (one more person, a shorter service time, automation) and see the
predicted KPIs with their intervals, before changing anything (``flowmine.simulation``).

A thin page: the numbers are :func:`flowmine.simulation.whatif`'s on the filtered log (the numbers of
``flowmine whatif`` with the same scenario, runs and seed). The as-is model's fidelity against the log
comes first: a poor fidelity is said before any predicted number. The simulation runs in the served
dashboard's worker process (``flowmine.dashboard._heavy``), once per store version, filters, step and
change.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, dcc, html, no_update

from flowmine.dashboard import _heavy
from flowmine.dashboard._components import table
from flowmine.dashboard._data import _filters, _key, filters_of, labeller, log_of, process_profile, single_flight
from flowmine.store import Store
from flowmine.vocabulary import duration, money

PATH = "/whatif"
TITLE_KEY = "whatif"
#: Replications per prediction on the page (``flowmine whatif --runs`` takes more).
RUNS = 5
#: The changes the page offers: their scenario ``[[change]]`` (the step is filled in).
CHANGES: dict[str, dict[str, Any]] = {
    "capacity+1": {"kind": "capacity", "add": 1},
    "service-25": {"kind": "service_time", "factor": 0.75},
    "service-50": {"kind": "service_time", "factor": 0.5},
    "automate": {"kind": "automate_step", "seconds": 0},
    "remove": {"kind": "remove_step"},
}
WORDS: dict[str, dict[str, str]] = {
    "en": {"intro": "Try a change at one step and see what the simulation, calibrated on this log, predicts: "
           "each KPI as-is and after the change, with 95 % intervals over {runs} replications.",
           "step": "Step", "change": "Change", "run": "Simulate", "kpi": "KPI", "as_is": "As-is (95% CI)",
           "scenario": "With the change (95% CI)", "delta": "Change (95% CI)", "no_process": "Choose a process.",
           "capacity+1": "One more person in its pool", "service-25": "Service time −25 %",
           "service-50": "Service time −50 %", "automate": "Automate it (no wait, no time)",
           "remove": "Remove the step", "tt_median": "Throughput time, median", "tt_p90": "Throughput time, p90",
           "cost": "Cost per case", "wait": "Median waiting time at {step}",
           "poor": "The as-is model does not reproduce this log well ({problems}): read the predictions with care.",
           "good": "The as-is model reproduces this log: throughput time median off by {median}, p90 by {p90}.",
           "pick": "Pick a step and a change, then Simulate (about a few seconds per thousand cases)."},
    "zh": {"intro": "在某一环节尝试一项改变，查看基于本日志校准的仿真预测：每个 KPI 的现状值与改变后的值，"
           "以及 {runs} 次重复运行的 95% 置信区间。",
           "step": "环节", "change": "改变", "run": "仿真", "kpi": "KPI", "as_is": "现状（95%置信区间）",
           "scenario": "改变后（95%置信区间）", "delta": "变化（95%置信区间）", "no_process": "请选择流程。",
           "capacity+1": "该环节的人员池增加一人", "service-25": "处理时间缩短 25%", "service-50": "处理时间缩短 50%",
           "automate": "自动化（无等待、无处理时间）", "remove": "取消该环节", "tt_median": "通过时间中位数",
           "tt_p90": "通过时间第 90 百分位", "cost": "单件成本", "wait": "{step} 的等待时间中位数",
           "poor": "现状模型未能很好地重现该日志（{problems}）：请谨慎看待预测结果。",
           "good": "现状模型能重现该日志：通过时间中位数偏差 {median}，第 90 百分位偏差 {p90}。",
           "pick": "选择环节与改变后点击“仿真”（每千个案例约需数秒）。"},
}


def _w(key: str, lang: str) -> str:
    return WORDS.get(lang, WORDS["en"])[key]


def steps_offered(store: Store, f: Any) -> list[str]:
    """The steps of the filtered log (what the step list offers and the callback accepts)."""
    return sorted(str(a["activity"]) for a in process_profile(store, f).get("activities", []))


def layout(store: Store, f: Any) -> Any:
    lang = f.lang
    if not f.process:
        return html.P(_w("no_process", lang))
    label = labeller(f.process, lang)
    steps = steps_offered(store, f)
    return html.Div([
        html.P(_w("intro", lang).format(runs=RUNS)),
        html.Div([
            html.Label(_w("step", lang)),
            dcc.Dropdown(id="whatif-step", options=[{"label": label(s), "value": s} for s in steps],
                         value=steps[0] if steps else None, clearable=False, style={"minWidth": "260px"}),
            html.Label(_w("change", lang)),
            dcc.Dropdown(id="whatif-change", options=[{"label": _w(k, lang), "value": k} for k in CHANGES],
                         value="capacity+1", clearable=False, style={"minWidth": "260px"}),
            html.Button(_w("run", lang), id="whatif-run", n_clicks=0),
        ], className="fm-tools"),
        dcc.Loading(html.Div(html.P(_w("pick", lang)), id="whatif-result")),
    ])


@single_flight(maxsize=64)
def _prediction(step: str, change: str, *key: Any) -> dict[str, Any]:
    return _heavy.run(whatif_work, step, change, *key)


def whatif_work(step: str, change: str, *key: Any) -> dict[str, Any]:
    """The prediction itself (in the worker when served): ``WhatIf.to_dict()``, or ``{"error": line}``
    for a change the model cannot make (a step no pool does cannot get one more person)."""
    from flowmine.errors import FlowmineError
    from flowmine.simulation import scenario_from_dict, whatif

    store = Store(key[0], create=False)
    spec = {**CHANGES[change], "step": step}
    try:
        scenario = scenario_from_dict({"name": f"{change} at {step}", "change": [spec]}, "the what-if page")
        return whatif(log_of(store, _filters(key)), scenario, runs=RUNS, workers=1, seed=0).to_dict()
    except FlowmineError as exc:
        return {"error": str(exc)}


def _ci(v: dict[str, Any] | None, show: Any) -> str:
    if not v or v.get("value") is None:
        return "–"
    lo, hi = v["ci"]
    return show(v["value"]) + (f" ({show(lo)} … {show(hi)})" if lo is not None else "")


def result_rows(d: dict[str, Any], step: str, lang: str, step_label: str, currency: str | None = None
                ) -> list[dict[str, str]]:
    """The KPI rows of a prediction (pure: used by the callback and its tests)."""
    def secs(x: float) -> str:
        return duration(x, lang)

    def signed(x: float) -> str:
        return ("+" if x > 0 else "−" if x < 0 else "") + duration(abs(x), lang)

    def cash(x: float) -> str:
        return money(x, currency)

    rows = []
    for key, name, show, delta in (("throughput_median_s", "tt_median", secs, signed),
                                   ("throughput_p90_s", "tt_p90", secs, signed),
                                   ("cost_per_case", "cost", cash, cash)):
        rows.append({"kpi": _w(name, lang), "as_is": _ci(d["as_is"].get(key), show),
                     "scenario": _ci((d.get("scenario") or {}).get(key), show),
                     "delta": _ci((d.get("delta") or {}).get(key), delta)})
    wait = d["as_is"].get("waiting_median_s", {}).get(step)
    if wait is not None:
        rows.append({"kpi": _w("wait", lang).format(step=step_label), "as_is": _ci(wait, secs),
                     "scenario": _ci((d.get("scenario") or {}).get("waiting_median_s", {}).get(step), secs),
                     "delta": _ci((d.get("delta") or {}).get("waiting_median_s", {}).get(step), signed)})
    return rows


def fidelity_line(fid: dict[str, Any], lang: str) -> tuple[str, bool]:
    """What the page says of the as-is model before any number, and whether it is acceptable."""
    if not fid.get("acceptable", False):
        return _w("poor", lang).format(problems="; ".join(fid.get("problems", [])) or "?"), False
    med = fid.get("throughput_median_s", {}).get("relative_error")
    p90 = fid.get("throughput_p90_s", {}).get("relative_error")
    return _w("good", lang).format(median=f"{med:+.1%}" if med is not None else "–",
                                   p90=f"{p90:+.1%}" if p90 is not None else "–"), True


def register(app: Any, store: Store) -> None:
    @app.callback(Output("whatif-result", "children"), Input("whatif-run", "n_clicks"),
                  State("whatif-step", "value"), State("whatif-change", "value"), State("url", "search"),
                  prevent_initial_call=True)
    def on_run(_clicks: Any, step: Any, change: Any, search: str | None) -> Any:
        f = filters_of(store, search)
        if f.process is None or not isinstance(step, str) or change not in CHANGES:
            return no_update
        if step not in steps_offered(store, f):  # a forged value: not a step this page offered
            return no_update
        d = _prediction(step, str(change), *_key(store, f))
        lang = f.lang
        if "error" in d:
            return html.P(d["error"], className="fm-notice")
        line, good = fidelity_line(d.get("fidelity", {}), lang)
        cols = [(k, _w(k, lang)) for k in ("kpi", "as_is", "scenario", "delta")]
        step_label = labeller(f.process, lang)(step)
        return html.Div([html.P(line, className="" if good else "fm-notice"),
                         table("whatif-kpis", cols, result_rows(d, step, lang, step_label), f=f, page="whatif")])
