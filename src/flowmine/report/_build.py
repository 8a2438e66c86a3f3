"""The managers' report: one self-contained HTML file (plotly.js inlined, no external reference).

Every number comes from the public API with the defaults of the CLI, so the report shows the figures
of ``flowmine perf --json`` (:func:`flowmine.analytics.profile`), ``flowmine check --json``
(:func:`flowmine.conformance.check`), ``flowmine monitor`` and ``flowmine initiative``. The same
numbers are also embedded as JSON (``<script type="application/json" id="flowmine-report-data">``).
"""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flowmine._params import Options, validate_params
from flowmine.analytics import Calendar, CaseFilter, bottleneck_chart, profile, stored
from flowmine.explain import factor_label, step_card, value_label
from flowmine.monitor import (
    before_after_figure,
    control_chart_figure,
    evaluate_initiative,
    figure_html,
    load_initiatives,
    monitor,
)
from flowmine.processes import load_process
from flowmine.report._text import CSS, T, fmt_duration, fmt_share
from flowmine.store import Store
from flowmine.vocabulary import between_steps, kpi_value, label

LANGS = ("en", "zh")


def _e(v: Any) -> str:
    return html.escape(str(v))


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def report_data(store: str | Path | Store, process: str, initiatives: str | Path | None = None,
                with_check: bool = True, filters: CaseFilter | None = None, lang: str = "en",
                key_steps: int = 3, calendar: Calendar | None = None) -> dict[str, Any]:
    """Everything the report shows, as plain data: ``perf``, ``check``, ``monitor``, ``initiatives``,
    ``cards`` (the step cards of the ``key_steps`` top step bottlenecks, rule labels in ``lang``) and
    ``filters`` (the conditions of ``filters`` that are set; None: every case).

    ``filters`` restricts the profile and the conformance check to the whole cases that pass it (the
    dashboard's report of what a manager is looking at); the KPI monitor and the initiatives' before/after
    evaluations stay over all cases of the process (their periods and baselines are the process's).

    ``calendar``: the profile (throughput, step and edge times, bottlenecks) in business time of this
    working calendar (e.g. the process configuration's ``working_calendar()``); the step cards, the
    conformance impact and the KPIs keep their own definitions (the header says so)."""
    st = store if isinstance(store, Store) else Store(store, create=False)
    flt = None if filters is None or filters.is_empty() else filters
    perf = profile(stored(st, process).where(flt), calendar=calendar)
    chk, report = None, None
    if with_check:
        from flowmine.conformance import check

        report = check(st, process, filters=flt) if flt is not None else check(st, process)
        chk = report.to_dict()
    mon = monitor(st, process)
    evals = [evaluate_initiative(st, i) for i in load_initiatives(initiatives, process)]
    steps = [b["name"] for b in perf["bottlenecks"] if b["kind"] == "activity"][:key_steps]
    cards = [step_card(stored(st, process).where(flt), s, report=report, lang=lang).to_dict() for s in steps]
    return {"process": process, "perf": perf, "check": chk, "monitor": mon, "initiatives": evals,
            "filters": flt.conditions() if flt is not None else None, "cards": cards}


class _Words:
    """The report's words in one language: its own (``T``) and the vocabulary's metric names."""

    def __init__(self, lang: str) -> None:
        self.lang, self.own = lang, T[lang]

    def __getitem__(self, key: str) -> str:
        return self.own[key]

    def metric(self, key: str, stat: str | None = None) -> str:
        return label(key, self.lang, stat)


def _header(t: _Words, title: str, perf: dict[str, Any], conditions: dict[str, Any] | None = None) -> list[str]:
    covered = t["all_cases"] if not conditions else t["filtered_cases"] + ": " + "; ".join(
        f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in conditions.items())
    return [f"<h1>{_e(title)}</h1>",
            f"<p class='meta'>{_e(t['generated'])} {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · "
            f"{perf['cases']:,} {_e(t['cases'])} · {perf['events']:,} {_e(t['events'])} · "
            f"{perf['variants']:,} {_e(t['variants'])} · {_e(t.metric('throughput_time', 'median'))} "
            f"<b id='tt-median'>{fmt_duration(perf['throughput_time_s']['median'])}</b></p>",
            f"<p class='meta' id='covered'>{_e(covered)}</p>"] + (
        [f"<p class='meta' id='time-basis'>"
         f"{_e(t['business_time'].format(calendar=perf['calendar']['text_zh' if t.lang == 'zh' else 'text']))}</p>"]
        if perf.get("time") == "business" else [])


def _kpis(t: _Words, mon: Any) -> list[str]:
    """1. KPIs against targets, with their control charts."""
    rows = []
    for s in mon.statuses:
        d = s.to_dict()
        sign = "≤" if d["direction"] == "lower" else "≥"
        rows.append([s.kpi.label_zh if t.lang == "zh" else s.kpi.label_en, d["period"] or "-",
                     kpi_value(d["value"], d["unit"]), f"{sign} {kpi_value(d['target'], d['unit'])}",
                     t["status_" + d["status"]], ", ".join(h["rule"] for h in d["signals"])])
    return ([f"<h2>{_e(t['kpis'])}</h2>", f"<p>{_e(t['kpis_note'])}</p>",
             _table([t["kpi"], t["period"], t["value"], t["target"], t["status"], t["signals"]], rows, "kpis")]
            + [figure_html(control_chart_figure(s, t.lang), f"cc-{i}") for i, s in enumerate(mon.statuses)
               if s.chart is not None])


def _bottlenecks(t: _Words, perf: dict[str, Any]) -> list[str]:
    """2. The top bottlenecks, named by the time basis (sojourn time on a log without starts)."""
    bn = perf["bottlenecks"]
    between = t.metric(between_steps(perf["time_basis"]))
    note = t["bottlenecks_note"].format(basis=between.lower() if t.lang == "en" else between)
    head = ["#", t["step_or_edge"], t.metric(between_steps(perf["time_basis"]), "total"),
            t["share_of_list"], t.metric("cases"), t["ci"]]
    rows = [[b["rank"], ("→ " if b["kind"] == "edge" else "") + str(b["name"]), fmt_duration(b["waiting_total_s"], "h"),
             fmt_share(b["share"]), f"{b['cases']:,}",
             _interval(b["ci_low_s"], b["ci_high_s"])] for b in bn]
    return [f"<h2>{_e(t['bottlenecks'])}</h2>", f"<p>{_e(note)}</p>", _table(head, rows, "bottlenecks"),
            figure_html(bottleneck_chart(bn, top=10, unit="h"), "bottlenecks")]


def _interval(low: float | None, high: float | None) -> str:
    return "" if low is None else f"{fmt_duration(low, 'h')} – {fmt_duration(high, 'h')}"


def _conformance(t: _Words, chk: dict[str, Any], lang: str) -> list[str]:
    """3. Fitness, precision, business rules and what deviations cost."""
    prec = "n/a" if chk["precision"] is None else f"{chk['precision']:.4f}"
    return [f"<h2>{_e(t['conformance'])}</h2>",
            f"<p>{_e(t.metric('fitness'))} <b id='fitness'>{chk['fitness']:.4f}</b> · {_e(t.metric('precision'))} "
            f"<b id='precision'>{prec}</b> · {_e(t.metric('fitting_cases_share'))} "
            f"<b>{fmt_share(chk['fitting_cases_share'])}</b></p>",
            _table([t["rule"], t["violating"], t["rate"]],
                   [[r["label_zh"] if lang == "zh" else r["label_en"], f"{r['violating_cases']:,}",
                     fmt_share(r["rate"])] for r in chk["rules"]], "rules"),
            f"<h3>{_e(t['impact'])}</h3>",
            _table([t["deviation"], t.metric("cases"), t["diff"].format(metric=t.metric("throughput_time", "median")),
                    t["diff"].format(metric=t.metric("cost", "mean"))],
                   [[r["deviation"], f"{r['cases']:,}", fmt_duration(r["throughput_time_difference_s"], "h"),
                     "" if r["cost_difference"] is None else f"{r['cost_difference']:+,.2f}"]
                    for r in chk["impact"]], "impact")]


def _steps(t: _Words, perf: dict[str, Any], chk: dict[str, Any] | None, cfg: Any) -> list[str]:
    """4. Cost and quality per step (with the share of cases deviating there, when checked)."""
    dev = {s["activity"]: s["rate"] for s in chk["steps"]} if chk else {}
    return [f"<h2>{_e(t['per_step'])}</h2>",
            _table([t["step"], t.metric("activity_instances"), t.metric("cost"), t.metric("rework_rate"),
                    t.metric("deviation_rate")],
                   [[cfg.label(a["activity"], t.lang), f"{a['count']:,}",
                     "" if a["cost_total"] is None else f"{a['cost_total']:,.2f} {a['cost_currency']}",
                     fmt_share(a["rework_rate"]),
                     fmt_share(dev[a["activity"]]) if a["activity"] in dev else ""] for a in perf["activities"]],
                   "steps")]


def _cards(t: _Words, cards: list[dict[str, Any]], cfg: Any) -> list[str]:
    """5. The key steps, each as its card in the six elements (the top step bottlenecks)."""
    parts = [f"<h2>{_e(t['key_steps'])}</h2>", f"<p>{_e(t['key_steps_note'])}</p>"]
    for d in cards:
        p, c, e = d["processing"], d["controls"], d["environment"]
        step_label = functools.partial(cfg.label, lang=t.lang)
        basis = p["time_basis"]
        between = t.metric(between_steps(basis))

        def shares(items: list[dict[str, Any]]) -> str:
            named = [cfg.label(i["value"], t.lang) if i["value"][:1] != "(" else value_label("", i["value"], t.lang)
                     for i in items]
            return ", ".join(f"{n} {fmt_share(i['share'])}" for n, i in zip(named, items, strict=True))

        time = p[basis]
        processing = (f"{between} {t['median']} {fmt_duration(time['median'], 'h')}, p90 "
                      f"{fmt_duration(time['p90'], 'h')}; {t.metric('rework_rate')} {fmt_share(p['rework_rate'])}; "
                      f"{t.metric('first_pass_yield')} {fmt_share(p['first_pass_yield'])}")
        if p["waiting_parts"]:
            w = p["waiting_parts"]
            processing += "; " + ", ".join(f"{t['part_' + k]} {fmt_share(w[k + '_share'])}"
                                           for k in ("off_calendar", "batching", "resource_busy", "other")
                                           if w[k + "_s"] is not None)
        controls = "; ".join(f"{r['label']}: {fmt_share(r['violation_rate'])}" for r in c["rules"]) or "–"
        if c.get("conformance"):
            controls += f"; {t['deviating_here']} {fmt_share(c['conformance']['rate'])}"
        people = ", ".join(f"{r['resource']} {fmt_share(r['share'])}" for r in d["participants"]["resources"])
        found = []
        for f in e["factors"][:3]:
            value = value_label(f["attribute"], str(f["value"]), t.lang, step_label)
            what = f"{factor_label(f['attribute'], t.lang)} = {value}"
            effect = (f"×{f['effect_ratio']:.2f} [{f['ci'][0]:.2f}–{f['ci'][1]:.2f}], "
                      if f["effect_ratio"] is not None and f["ci"][0] is not None else "")
            found.append(f"{what}: {effect}{t['excess']} {fmt_duration(f['excess'], 'h')}")
        factors = "; ".join(found) or t["no_factors"]
        if e["change_point"]:
            cp = e["change_point"]
            factors += (f"; {t['change_point']} {cp['at'][:10]}: {fmt_duration(cp['median_before_s'], 'h')} → "
                        f"{fmt_duration(cp['median_after_s'], 'h')}")
        notes = "; ".join(f"{n['date']} {n['author']}: {n['text']}" for n in d["annotations"]) or "–"
        rows = [[t["el_inputs"], shares(d["inputs"]["predecessors"])], [t["el_processing"], processing],
                [t["el_outputs"], shares(d["outputs"]["successors"])], [t["el_controls"], controls],
                [t["el_participants"], people], [t["el_environment"], factors], [t["el_annotations"], notes]]
        parts += [f"<h3>{_e(cfg.label(d['step'], t.lang))}</h3>", _table([t["element"], t["record"]], rows, "card")]
    return parts


def _initiatives(t: _Words, evals: list[Any]) -> list[str]:
    """6. The improvement initiatives with their before/after evaluation and the steps of their cycle."""
    parts = [f"<h2>{_e(t['initiatives'])}</h2>"]
    if not evals:
        parts.append(f"<p>{_e(t['no_initiatives'])}</p>")
    for i, ev in enumerate(evals):
        ini = ev.initiative
        scale = 3600.0 if ev.unit == "s" else 1.0
        unit = "h" if ev.unit == "s" else ev.unit
        parts += [f"<h3>{_e(ini.name_zh if t.lang == 'zh' else ini.name_en)}</h3>",
                  f"<p>{_e(t['owner'])}: {_e(ini.owner)} · {_e(t['change_date'])}: {ini.change_date} · "
                  f"<b class='verdict'>{_e(t['verdict_' + ev.verdict.replace(' ', '_')])}</b>: {_e(ev.reason)}</p>",
                  _table([t["before"], t["after"], t["effect"], t["ci"], "p"],
                         [[f"{ev.before / scale:,.2f} {unit}", f"{ev.after / scale:,.2f} {unit}",
                           f"{ev.effect / scale:+,.2f} {unit}",
                           f"{ev.effect_ci[0] / scale:+,.2f} … {ev.effect_ci[1] / scale:+,.2f}",
                           "" if ev.p_value is None else f"{ev.p_value:.3g}"]], "initiative"),
                  figure_html(before_after_figure(ev, t.lang), f"ba-{i}"),
                  _table([t["cycle_step"], t["record"]],
                         [[t["cycle_" + k], "; ".join(map(str, v)) if isinstance(v, list) else v]
                          for k, v in ini.steps.items()], "steps8")]
    return parts


def _document(lang: str, title: str, parts: list[str], data: dict[str, Any]) -> str:
    """The HTML document: plotly.js inlined, the sections, and the numbers embedded as JSON."""
    from plotly.offline import get_plotlyjs

    embedded = {"perf": data["perf"], "check": data["check"], "monitor": data["monitor"].to_dict(),
                "initiatives": [e.to_dict() for e in data["initiatives"]], "cards": data["cards"]}
    blob = json.dumps(embedded, ensure_ascii=False).replace("</", "<\\/")
    return (f"<!DOCTYPE html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{_e(title)}</title>"
            f"<style>{CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
            + "\n".join(parts)
            + f"<script type='application/json' id='flowmine-report-data'>{blob}</script></body></html>")


@validate_params({"lang": [Options(LANGS)]})
def build_report(store: str | Path | Store, process: str, lang: str = "en", initiatives: str | Path | None = None,
                 with_check: bool = True, filters: CaseFilter | None = None,
                 calendar: Calendar | None = None) -> str:
    """The report of one process as a complete HTML document (a string): :func:`report_data`, laid out
    in six sections (KPIs, bottlenecks, conformance, cost and quality per step, the key steps' cards,
    initiatives).

    Examples
    --------
    >>> from flowmine.report import build_report
    >>> page = build_report(STORE, "finance", lang="zh")
    >>> page.startswith("<!DOCTYPE html>")
    True
    """
    t = _Words(lang)
    data = report_data(store, process, initiatives, with_check, filters, lang=lang, calendar=calendar)
    cfg = load_process(process)
    perf, chk = data["perf"], data["check"]
    title = f"{t['title']}: {cfg.label_zh if lang == 'zh' else cfg.label_en}"
    parts = _header(t, title, perf, data["filters"]) + _kpis(t, data["monitor"]) + _bottlenecks(t, perf)
    if chk is not None:
        parts += _conformance(t, chk, lang)
    parts += _steps(t, perf, chk, cfg) + _cards(t, data["cards"], cfg) + _initiatives(t, data["initiatives"])
    return _document(lang, title, parts, data)


@validate_params({"lang": [Options(LANGS)]})
def write_report(store: str | Path | Store, process: str, out: str | Path, lang: str = "en",
                 initiatives: str | Path | None = None, filters: CaseFilter | None = None,
                 calendar: Calendar | None = None) -> Path:
    """Write :func:`build_report` to ``out`` (UTF-8) and return the path (``filters``, ``calendar``: as in
    :func:`report_data`)."""
    path = Path(out)
    path.write_text(build_report(store, process, lang, initiatives, filters=filters, calendar=calendar),
                    encoding="utf-8")
    return path
