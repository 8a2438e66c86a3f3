"""The managers' report: one self-contained HTML file (plotly.js inlined, no external reference).

Every number comes from the public API with the defaults of the CLI, so the report shows the figures
of ``flowmine perf --json`` (:func:`flowmine.analytics.profile`), ``flowmine check --json``
(:func:`flowmine.conformance.check`), ``flowmine monitor`` and ``flowmine initiative``. The same
numbers are also embedded as JSON (``<script type="application/json" id="flowmine-report-data">``).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flowmine.analytics import bottleneck_chart, profile, stored
from flowmine.monitor import evaluate_initiative, load_initiatives, monitor
from flowmine.monitor._figures import before_after_figure, control_chart_figure, figure_html
from flowmine.processes import load_process
from flowmine.report._text import CSS, T, fmt_duration, fmt_share
from flowmine.store import Store

LANGS = ("en", "zh")


def _e(v: Any) -> str:
    return html.escape(str(v))


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _kpi_value(v: float | None, unit: str | None) -> str:
    if v is None:
        return "n/a"
    if unit == "s":
        return fmt_duration(v)
    if unit == "share":
        return fmt_share(v)
    return f"{v:,.4g} {unit or ''}".strip()


def report_data(store: str | Path | Store, process: str, initiatives: str | Path | None = None,
                with_check: bool = True) -> dict[str, Any]:
    """Everything the report shows, as plain data: ``perf``, ``check``, ``monitor``, ``initiatives``."""
    st = store if isinstance(store, Store) else Store(store, create=False)
    perf = profile(stored(st, process))
    chk = None
    if with_check:
        from flowmine.conformance import check

        chk = check(st, process).to_dict()
    mon = monitor(st, process)
    evals = [evaluate_initiative(st, i) for i in load_initiatives(initiatives, process)]
    return {"process": process, "perf": perf, "check": chk, "monitor": mon, "initiatives": evals}


def build_report(store: str | Path | Store, process: str, lang: str = "en", initiatives: str | Path | None = None,
                 with_check: bool = True) -> str:
    """The report of one process as a complete HTML document (a string).

    Examples
    --------
    >>> from flowmine.report import build_report
    >>> page = build_report(STORE, "finance", lang="zh")
    >>> page.startswith("<!DOCTYPE html>")
    True
    """
    if lang not in LANGS:
        raise ValueError(f"The 'lang' parameter of build_report must be one of {set(LANGS)}. Got {lang!r} instead.")
    from plotly.offline import get_plotlyjs

    t = T[lang]
    data = report_data(store, process, initiatives, with_check)
    cfg = load_process(process)
    perf, chk, mon = data["perf"], data["check"], data["monitor"]
    title = f"{t['title']}: {cfg.label_zh if lang == 'zh' else cfg.label_en}"
    parts = [f"<h1>{_e(title)}</h1>",
             f"<p class='meta'>{_e(t['generated'])} {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · "
             f"{perf['cases']:,} {_e(t['cases'])} · {perf['events']:,} {_e(t['events'])} · "
             f"{perf['variants']:,} {_e(t['variants'])} · {_e(t['tt_median'])} "
             f"<b id='tt-median'>{fmt_duration(perf['case_duration_s']['median'])}</b></p>"]
    # 1. KPIs against targets
    rows = []
    for s in mon.statuses:
        d = s.to_dict()
        sign = "≤" if d["direction"] == "lower" else "≥"
        rows.append([s.kpi.label_zh if lang == "zh" else s.kpi.label_en, d["period"] or "-",
                     _kpi_value(d["value"], d["unit"]), f"{sign} {_kpi_value(d['target'], d['unit'])}",
                     t["status_" + d["status"]], ", ".join(h["rule"] for h in d["signals"])])
    parts += [f"<h2>{_e(t['kpis'])}</h2>", f"<p>{_e(t['kpis_note'])}</p>",
              _table([t["kpi"], t["period"], t["value"], t["target"], t["status"], t["signals"]], rows, "kpis")]
    parts += [figure_html(control_chart_figure(s, lang), f"cc-{i}") for i, s in enumerate(mon.statuses)
              if s.chart is not None]
    # 2. bottlenecks
    bn = perf["bottlenecks"]
    note = t["bottlenecks_note"].format(basis=perf["time_basis"])
    parts += [f"<h2>{_e(t['bottlenecks'])}</h2>", f"<p>{_e(note)}</p>",
              _table(["#", t["step_or_edge"], t["waiting_total"], t["share"], t["cases"], t["ci"]],
                     [[b["rank"], ("→ " if b["kind"] == "edge" else "") + str(b["name"]),
                       fmt_duration(b["waiting_total_s"], "h"), fmt_share(b["share"]), f"{b['cases']:,}",
                       "" if b["ci_low_s"] is None else
                       f"{fmt_duration(b['ci_low_s'], 'h')} – {fmt_duration(b['ci_high_s'], 'h')}"] for b in bn],
                     "bottlenecks"),
              figure_html(bottleneck_chart(bn, top=10, unit="h"), "bottlenecks")]
    # 3. conformance
    if chk is not None:
        prec = "n/a" if chk["precision"] is None else f"{chk['precision']:.4f}"
        parts += [f"<h2>{_e(t['conformance'])}</h2>",
                  f"<p>{_e(t['fitness'])} <b id='fitness'>{chk['fitness']:.4f}</b> · {_e(t['precision'])} "
                  f"<b id='precision'>{prec}</b> · {_e(t['fitting'])} "
                  f"<b>{fmt_share(chk['fitting_cases_share'])}</b></p>",
                  _table([t["rule"], t["violating"], t["rate"]],
                         [[r["label_zh"] if lang == "zh" else r["label_en"], f"{r['violating_cases']:,}",
                           fmt_share(r["rate"])] for r in chk["rules"]], "rules"),
                  f"<h3>{_e(t['impact'])}</h3>",
                  _table([t["deviation"], t["cases"], t["tt_diff"], t["cost_diff"]],
                         [[r["deviation"], f"{r['cases']:,}", fmt_duration(r["throughput_time_difference_s"], "h"),
                           "" if r["cost_difference"] is None else f"{r['cost_difference']:+,.2f}"]
                          for r in chk["impact"]], "impact")]
    # 4. cost and quality per step
    dev = {s["activity"]: s["rate"] for s in chk["steps"]} if chk else {}
    parts += [f"<h2>{_e(t['per_step'])}</h2>",
              _table([t["step"], t["count"], t["cost_total"], t["rework"], t["deviating"]],
                     [[cfg.label(a["activity"], lang), f"{a['count']:,}",
                       "" if a["cost_total"] is None else f"{a['cost_total']:,.2f} {a['cost_currency']}",
                       fmt_share(a["rework_rate"]),
                       fmt_share(dev[a["activity"]]) if a["activity"] in dev else ""] for a in perf["activities"]],
                     "steps")]
    # 5. initiatives
    parts.append(f"<h2>{_e(t['initiatives'])}</h2>")
    if not data["initiatives"]:
        parts.append(f"<p>{_e(t['no_initiatives'])}</p>")
    for i, ev in enumerate(data["initiatives"]):
        ini = ev.initiative
        scale = 3600.0 if ev.unit == "s" else 1.0
        unit = "h" if ev.unit == "s" else ev.unit
        parts += [f"<h3>{_e(ini.name_zh if lang == 'zh' else ini.name_en)}</h3>",
                  f"<p>{_e(t['owner'])}: {_e(ini.owner)} · {_e(t['change_date'])}: {ini.change_date} · "
                  f"<b class='verdict'>{_e(t['verdict_' + ev.verdict.replace(' ', '_')])}</b>: {_e(ev.reason)}</p>",
                  _table([t["before"], t["after"], t["effect"], t["ci"], "p"],
                         [[f"{ev.before / scale:,.2f} {unit}", f"{ev.after / scale:,.2f} {unit}",
                           f"{ev.effect / scale:+,.2f} {unit}",
                           f"{ev.effect_ci[0] / scale:+,.2f} … {ev.effect_ci[1] / scale:+,.2f}",
                           "" if ev.p_value is None else f"{ev.p_value:.3g}"]], "initiative"),
                  figure_html(before_after_figure(ev, lang), f"ba-{i}"),
                  _table([t["cycle_step"], t["record"]],
                         [[t["cycle_" + k], "; ".join(map(str, v)) if isinstance(v, list) else v]
                          for k, v in ini.steps.items()], "steps8")]
    embedded = {"perf": perf, "check": chk, "monitor": mon.to_dict(),
                "initiatives": [e.to_dict() for e in data["initiatives"]]}
    blob = json.dumps(embedded, ensure_ascii=False).replace("</", "<\\/")
    return (f"<!DOCTYPE html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{_e(title)}</title>"
            f"<style>{CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
            + "\n".join(parts)
            + f"<script type='application/json' id='flowmine-report-data'>{blob}</script></body></html>")


def write_report(store: str | Path | Store, process: str, out: str | Path, lang: str = "en",
                 initiatives: str | Path | None = None) -> Path:
    """Write :func:`build_report` to ``out`` (UTF-8) and return the path."""
    path = Path(out)
    path.write_text(build_report(store, process, lang, initiatives), encoding="utf-8")
    return path
