"""Improvement: initiatives with their verdicts, before/after distributions, KPI control charts and
the eight steps of each initiative with their evidence (monitor and evaluate, ``flowmine.monitor``).

A thin page: every number comes from :func:`flowmine.monitor.monitor`,
:func:`flowmine.monitor.evaluate_initiative` and, on request (a button: it simulates),
:func:`flowmine.monitor.predict_initiative` (the numbers of ``flowmine monitor`` / ``initiative
[--predict]``): the predicted effect of each initiative's ``[scenario]`` beside the achieved one.
The page's filters other than the process and the language do not apply: a KPI is judged per period
and an initiative on its own windows.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, dcc, html, no_update

from flowmine.dashboard import _heavy
from flowmine.dashboard._components import table
from flowmine.dashboard._data import filters_of, labeller, single_flight, version
from flowmine.dashboard._i18n import plotly_config
from flowmine.monitor import (
    STEP_LABELS,
    before_after_figure,
    control_chart_figure,
    evaluate_initiative,
    load_initiatives,
    monitor,
)
from flowmine.store import Store

PATH = "/improvement"
CACHE = False  # the KPI history changes without a new store version (flowmine monitor)
TITLE_KEY = "improvement"

#: the page's own words (the shell's LABELS needs only "improvement")
WORDS: dict[str, dict[str, str]] = {
    "en": {"intro": "Initiatives of this process, evaluated before/after their change date, and the KPIs "
           "of the latest complete period against target and control limits.", "initiatives": "Initiatives",
           "kpis": "KPIs and control charts", "initiative": "Initiative", "owner": "Owner",
           "change": "Change date", "verdict": "Verdict", "effect": "Effect (95% CI)", "reason": "Reason",
           "none": "No initiative file for this process (initiatives/*.toml of its definition).", "kpi": "KPI",
           "status": "Status", "value": "Value", "target": "Target", "step": "Step", "record": "Evidence",
           "no_process": "Choose a process.", "data_key_steps": "Key steps (from the baseline's data)",
           "data_factors": "Influencing factors (from the baseline's data)",
           "split": "Evaluation within {attr} = {value}", "rest": "the rest",
           "predict": "Predict the effects (simulate each initiative's scenario on the data before its change)",
           "predicted": "Predicted (simulated, 95% CI)", "achieved": "Achieved (95% CI)", "gap": "Gap",
           "close": "Within 25 %?", "fidelity": "As-is model", "yes": "yes", "no": "no",
           "fid_ok": "reproduces the log", "fid_poor": "poor fidelity: {problems}",
           "no_scenario": "no [scenario] in its file",
           "interval": "Prediction interval (95%: where the achieved change should land)",
           "inside": "Achieved inside the prediction interval?",
           "inside_yes": "yes", "inside_below": "no: {points} points below it", "inside_above": "no: {points} "
           "points above it", "ci_outside": "; {points} points from the predicted mean's CI"},
    "zh": {"intro": "本流程的改进项目（按变更日期前后对比评估），以及最近一个完整周期的KPI与目标、控制限的比较。",
           "initiatives": "改进项目", "kpis": "KPI 与控制图", "initiative": "改进项目", "owner": "负责人",
           "change": "变更日期", "verdict": "结论", "effect": "效果（95%置信区间）", "reason": "依据",
           "none": "该流程暂无改进项目文件（流程定义的 initiatives/*.toml）。", "kpi": "KPI", "status": "状态",
           "value": "数值", "target": "目标", "step": "步骤", "record": "证据", "no_process": "请选择流程。",
           "data_key_steps": "关键环节（基线期数据）", "data_factors": "影响因素（基线期数据）",
           "split": "在 {attr} = {value} 内的评估", "rest": "其余",
           "predict": "预测效果（用变更日期前的数据仿真每个改进项目的方案）", "predicted": "预测（仿真，95%置信区间）",
           "achieved": "实际（95%置信区间）", "gap": "差距", "close": "相差在 25% 以内？", "fidelity": "现状模型",
           "yes": "是", "no": "否", "fid_ok": "能重现日志", "fid_poor": "拟合度差：{problems}",
           "no_scenario": "文件中没有 [scenario]",
           "interval": "预测区间（95%：实际变化应落入的范围）", "inside": "实际变化在预测区间内？",
           "inside_yes": "是", "inside_below": "否：低于区间 {points} 个百分点",
           "inside_above": "否：高于区间 {points} 个百分点", "ci_outside": "；距预测均值的置信区间 {points} 个百分点"},
}
VERDICT_ZH = {"achieved": "已达成", "not achieved": "未达成", "inconclusive": "尚无定论"}


def _w(key: str, lang: str) -> str:
    return WORDS.get(lang, WORDS["en"])[key]


def initiative_rows(evals: list[Any], lang: str) -> list[dict[str, Any]]:
    """One table row per evaluated initiative (pure: used by the page and its tests)."""
    out = []
    for ev in evals:
        ini = ev.initiative
        scale, unit = (3600.0, "h") if ev.unit == "s" else (1.0, ev.unit)
        out.append({"name": ini.name_zh if lang == "zh" else ini.name_en,
                    "owner": ini.owner_zh if lang == "zh" and ini.owner_zh else ini.owner,
                    "change": ini.change_date.isoformat(),
                    "verdict": VERDICT_ZH[ev.verdict] if lang == "zh" else ev.verdict,
                    "effect": f"{ev.effect / scale:+,.2f} {unit} ({ev.effect_ci[0] / scale:+,.2f} … "
                              f"{ev.effect_ci[1] / scale:+,.2f})",
                    "reason": ev.reason_zh if lang == "zh" and ev.reason_zh else ev.reason})
    return out


@single_flight(maxsize=32)
def _evaluations(store_path: str, process: str, ver: str) -> tuple[list[Any], list[str]]:
    """The evaluations of the process's initiatives, and a one-line problem for each that cannot be
    evaluated on this store (for example a stratum attribute the log lacks)."""
    from flowmine.errors import FlowmineError

    st = Store(store_path, create=False)
    done, problems = [], []
    for ini in load_initiatives(process=process):
        try:
            done.append(evaluate_initiative(st, ini))
        except FlowmineError as exc:
            problems.append(f"{ini.name_en}: {exc}")
    return done, problems


@single_flight(maxsize=32)
def _contexts(store_path: str, process: str, ver: str) -> dict[str, Any]:
    """Each initiative's key steps and influencing factors from its baseline, and its evaluation split by
    the top factor (``flowmine.explain.initiative_context``), by initiative id."""
    from flowmine.errors import FlowmineError
    from flowmine.explain import initiative_context

    st = Store(store_path, create=False)
    out: dict[str, Any] = {}
    for ini in load_initiatives(process=process):
        try:
            out[ini.id] = initiative_context(st, ini)
        except FlowmineError:  # the evaluation's own problem is shown already
            continue
    return out


def context_rows(ctx: Any, process: str, lang: str) -> list[dict[str, str]]:
    """The record's rows that data fills: key steps, influencing factors, the split evaluation (pure)."""
    from flowmine.explain import factor_label, value_label

    rec = ctx.record(lang, labeller(process, lang))
    rows = [{"step": _w("data_key_steps", lang), "record": "; ".join(rec["key_steps"]) or "–"},
            {"step": _w("data_factors", lang), "record": "; ".join(rec["influencing_factors"]) or "–"}]
    for side in ctx.split:
        ev = side["evaluation"]
        value = _w("rest", lang) if side["value"] == "(rest)" else value_label(side["attribute"], side["value"], lang)
        verdict = VERDICT_ZH[ev["verdict"]] if lang == "zh" else ev["verdict"]
        rows.append({"step": _w("split", lang).format(attr=factor_label(side["attribute"], lang), value=value),
                     "record": f"{verdict}: {ev['relative']:+.1%} (n {ev['n_before']:,} / {ev['n_after']:,})"})
    return rows


@single_flight(maxsize=32)
def _monitor(store_path: str, process: str, ver: str, history: tuple[str, int, int]) -> Any:
    return monitor(Store(store_path, create=False), process, refresh=False)  # the dashboard never writes


def _history_stamp(store: Store) -> tuple[str, int, int]:
    """When the KPI history (written by ``flowmine monitor``) last changed: part of the cache key."""
    from flowmine._remember import stamp
    from flowmine.monitor import history_path

    return stamp(history_path(store.path)) or ("", 0, 0)


def warm(store: Store, process: str) -> None:
    """Start-up work: the process's initiative evaluations and KPI history (computed once per version; a
    process without a configuration has neither, and its page says so)."""
    from flowmine.processes import configured

    if configured(process) is None:
        return
    ver = version(store, process)
    _evaluations(str(store.path), process, ver)
    _contexts(str(store.path), process, ver)
    _monitor(str(store.path), process, ver, _history_stamp(store))


def layout(store: Store, f: Any) -> Any:
    lang = f.lang
    if not f.process:
        return html.P(_w("no_process", lang))
    ver = version(store, f.process)
    evals, problems = _evaluations(str(store.path), f.process, ver)  # cached per store version
    parts: list[Any] = [html.P(_w("intro", lang)), html.H3(_w("initiatives", lang))]
    parts += [html.P(text, className="fm-notice") for text in problems]
    if not evals:
        parts.append(html.P(_w("none", lang)))
    else:
        cols = [(k, _w(k if k != "name" else "initiative", lang))
                for k in ("name", "owner", "change", "verdict", "effect", "reason")]
        parts.append(table("imp-initiatives", cols, initiative_rows(evals, lang), f=f, page="improvement"))
        if any(ev.initiative.scenario is not None for ev in evals):
            parts += [html.Button(_w("predict", lang), id="imp-predict", n_clicks=0),
                      dcc.Loading(html.Div(id="imp-predicted"), delay_show=300)]
    contexts = _contexts(str(store.path), f.process, ver)
    for i, ev in enumerate(evals):
        steps = [{"step": STEP_LABELS[k][1 if lang == "zh" else 0],
                  "record": "; ".join(map(str, v)) if isinstance(v, list) else str(v)}
                 for k, v in ev.initiative.record(lang).items()]
        if ev.initiative.id in contexts:  # step 3 of the cycle from data, after the author's own words
            at = next((n + 1 for n, k in enumerate(ev.initiative.record(lang)) if k == "key_steps"), len(steps))
            steps[at:at] = context_rows(contexts[ev.initiative.id], f.process, lang)
        parts += [dcc.Graph(id=f"imp-before-after-{i}", figure=before_after_figure(ev, lang),
                            config=plotly_config(lang)),
                  table(f"imp-steps-{i}", [("step", _w("step", lang)), ("record", _w("record", lang))], steps,
                        f=f, page=f"improvement-{ev.initiative.id}")]
    result = _monitor(str(store.path), f.process, ver, _history_stamp(store))
    parts.append(html.H3(_w("kpis", lang)))
    parts += [dcc.Graph(id=f"imp-chart-{i}", figure=control_chart_figure(s, lang), config=plotly_config(lang))
              for i, s in enumerate(result.statuses) if s.chart is not None]
    return html.Div(parts)


@single_flight(maxsize=16)
def _predictions(store_path: str, process: str, ver: str) -> list[dict[str, Any]]:
    return _heavy.run(predictions_work, store_path, process, ver)


#: Replications of each prediction on the page (``flowmine initiative --predict --runs`` takes more).
PREDICT_RUNS = 5


def predictions_work(store_path: str, process: str, ver: str) -> list[dict[str, Any]]:
    """Each initiative's evaluation and predicted effect (``Prediction.to_dict()``, None without a
    ``[scenario]``; ``{"error": line}`` when the scenario does not fit the model), in the worker when served."""
    from flowmine.errors import FlowmineError
    from flowmine.monitor import predict_initiative

    evals, _ = _evaluations(store_path, process, ver)
    st = Store(store_path, create=False)
    out = []
    for ev in evals:
        ini = ev.initiative
        try:
            pred = predict_initiative(st, ini, runs=PREDICT_RUNS, workers=1, achieved=ev).to_dict() \
                if ini.scenario is not None else None
        except FlowmineError as exc:
            pred = {"error": str(exc)}
        out.append({"id": ini.id, "name_en": ini.name_en, "name_zh": ini.name_zh, "relative": ev.relative,
                    "relative_ci": list(ev.relative_ci), "prediction": pred})
    return out


def prediction_rows(preds: list[dict[str, Any]], lang: str) -> list[dict[str, str]]:
    """One row per initiative: predicted beside achieved relative change (pure: the page and its tests)."""
    def pct(v: float | None) -> str:
        return "–" if v is None else f"{v:+.1%}"

    rows = []
    for d in preds:
        p = d["prediction"]
        row = {"name": d["name_zh"] if lang == "zh" else d["name_en"],
               "achieved": f"{pct(d['relative'])} ({pct(d['relative_ci'][0])} … {pct(d['relative_ci'][1])})"}
        if p is None or "error" in p:
            row |= {"predicted": _w("no_scenario", lang) if p is None else p["error"], "gap": "–", "close": "–",
                    "fidelity": "–", "interval": "–", "inside": "–"}
        else:
            lo, hi = p["relative"]["ci"]
            row |= {"predicted": f"{pct(p['relative']['value'])} ({pct(lo)} … {pct(hi)})", "gap": pct(p["gap"]),
                    "close": "–" if p["within_25pct"] is None else _w("yes" if p["within_25pct"] else "no", lang),
                    "fidelity": _w("fid_ok", lang) if p["fidelity_acceptable"] else _w("fid_poor", lang).format(
                        problems="; ".join(p["fidelity_problems"])),
                    "interval": "–" if _unknown(p.get("prediction_interval")) else
                    f"{pct(p['prediction_interval'][0])} … {pct(p['prediction_interval'][1])}",
                    "inside": inside_text(p, lang)}
        rows.append(row)
    return rows


def _unknown(interval: list[float | None] | None) -> bool:
    return interval is None or interval[0] is None or interval[1] is None


def inside_text(p: dict[str, Any], lang: str) -> str:
    """Whether the achieved change lies inside the prediction interval, and how many percentage points
    outside it (and outside the predicted mean's confidence interval) it lies when not (pure)."""
    d, to_ci = p.get("distance_to_prediction_interval"), p.get("distance_to_ci")
    if d is None:
        return "–"
    text = _w("inside_yes", lang) if d == 0 else _w("inside_below" if d < 0 else "inside_above", lang).format(
        points=f"{abs(d) * 100:.1f}")
    if to_ci:
        text += _w("ci_outside", lang).format(points=f"{abs(to_ci) * 100:.1f}")
    return text


def register(app: Any, store: Store) -> None:
    @app.callback(Output("imp-predicted", "children"), Input("imp-predict", "n_clicks"), State("url", "search"),
                  prevent_initial_call=True)
    def on_predict(clicks: Any, search: str | None) -> Any:
        f = filters_of(store, search)
        if f.process is None or not clicks:
            return no_update
        preds = _predictions(str(store.path), f.process, version(store, f.process))
        cols = [(k, _w(k if k != "name" else "initiative", f.lang))
                for k in ("name", "fidelity", "predicted", "achieved", "gap", "close", "interval", "inside")]
        return table("imp-predictions", cols, prediction_rows(preds, f.lang), f=f, page="improvement-predicted")
