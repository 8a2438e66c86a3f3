"""``flowmine card`` and ``flowmine annotate``: a step's six elements, and the analysts' notes on it.

Thin shells over :func:`flowmine.explain.step_card` and :func:`flowmine.explain.annotate`; times in the
JSON are seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from flowmine.cli import app, emit_json
from flowmine.cli._units import UnitOption, unit_of
from flowmine.vocabulary import duration_in, percent


def _h(v: Any, unit: str = "auto") -> str:
    return duration_in(v, unit, missing="–")


def _list(items: list[dict[str, Any]], key: str = "value") -> str:
    return ", ".join(f"{i[key]} {percent(i['share'])}" for i in items) or "–"


def format_card(d: dict[str, Any], unit: str = "auto") -> str:
    """The card as readable text, one block per element; durations in ``unit`` (``auto``: the fitting one)."""
    p, c, e = d["processing"], d["controls"], d["environment"]

    lines = [f"{d['step']} ({d['process'] or 'log'}): {d['instances']:,} instances in {d['cases']:,} cases", "",
             "INPUT / 输入",
             f"  from: {_list(d['inputs']['predecessors'])}",
             "", "PROCESSING / 处理"]
    for m in ("waiting", "service", "sojourn"):
        s = p[m]
        if s and s["count"]:
            lines.append(f"  {m:<8} median {_h(s['median'], unit)}, p90 {_h(s['p90'], unit)}, "
                         f"mean {_h(s['mean'], unit)}")
    cost = p["cost"]
    if cost["instances_with_cost"]:
        lines.append(f"  cost per execution: mean {cost['mean']:,.2f} {cost['currency'] or ''}, "
                     f"total {cost['total']:,.0f}")
    lines.append(f"  rework rate {percent(p['rework_rate'])}, first-pass yield {percent(p['first_pass_yield'])}, "
                 f"in batches {percent(p['batching']['share_in_batches'])}")
    if p["waiting_parts"]:
        w = p["waiting_parts"]
        parts = ", ".join(f"{k} {percent(w[k + '_share'])}" if w[k + "_s"] is not None else f"{k} unknown"
                          for k in ("off_calendar", "batching", "resource_busy", "other"))
        lines.append(f"  waiting: {parts}")
    lines += ["", "OUTPUT / 输出", f"  to: {_list(d['outputs']['successors'])}"]
    if d["outputs"]["quality"]:
        lines.append(f"  outcome: {_list(d['outputs']['quality'])}")
    lines += ["", "CONTROL / 控制"]
    for r in c["rules"]:
        rate = percent(r["violation_rate"]) if r["violation_rate"] is not None else "–"
        lines.append(f"  rule {r['id']}: {r['label']} — broken in {rate} of cases")
    for k in c["kpis"]:
        state = {True: "met", False: "missed", None: "–"}[k["met"]]
        lines.append(f"  KPI {k['label']}: target {k['target']} ({k['direction']} is better) — {state}")
    if c.get("conformance"):
        cf = c["conformance"]
        lines.append(f"  conformance: skipped {cf['skipped']:,}, inserted {cf['inserted']:,}, out of order "
                     f"{cf['out_of_order']:,} ({percent(cf['rate'])} of cases)")
    if c.get("note"):
        lines.append(f"  {c['note']}")
    lines += ["", "PARTICIPANTS / 参与者"]
    for r in d["participants"]["resources"]:
        lines.append(f"  {r['resource']}: {r['instances']:,} ({percent(r['share'])}), {r['per_active_day']:.1f} per "
                     f"active day, service median {_h(r['service_median_s'], unit)}")
    lines += ["", f"ENVIRONMENT / 环境 (factors of the {e['measure'] or 'unknown'} time)"]
    for f in e["factors"]:
        lines.append(f"  {f['attribute']} = {f['value']}: {f['cases']:,} cases, effect {f['effect_ratio'] or 0:.2f}, "
                     f"excess {_h(f['excess'], unit)}")
    if not e["factors"]:
        lines.append("  no factor passes the test")
    if e["change_point"]:
        cp = e["change_point"]
        lines.append(f"  change point {cp['at'][:10]}: median {_h(cp['median_before_s'], unit)} → "
                     f"{_h(cp['median_after_s'], unit)} (Pettitt p = {cp['p_value']:.1e})")
    if d["annotations"]:
        lines += ["", "ANNOTATIONS / 注释"]
        lines += [f"  {n['date']} {n['author']} ({n['kind']}): {n['text']}" for n in d["annotations"]]
    return "\n".join(lines)


@app.command()
def card(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    step: Annotated[str, typer.Option(help="The step (activity).")],
    lang: Annotated[str, typer.Option(help="en or zh: the language of rule and KPI labels.")] = "en",
    definition: Annotated[str | None, typer.Option(help="Process definition for rules, KPIs and the model "
                                                   "(default: the process's own).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the card as JSON to this file ('-': "
                                                  "standard output).")] = None,
    unit: UnitOption = "auto",
) -> None:
    """A step's card: input, processing, output, control, participants, environment. / 环节六要素卡片。"""
    from flowmine.analytics import stored
    from flowmine.explain import step_card
    from flowmine.store import Store

    unit = unit_of(unit)
    d = step_card(stored(Store(store, create=False), process), step, definition=definition, lang=lang).to_dict()
    if json_out is None:
        typer.echo(format_card(d, unit))
        return
    emit_json(d, json_out, f"wrote the card of {step!r} to {json_out}")


@app.command()
def annotate(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    step: Annotated[str, typer.Option(help="The step the note is about.")],
    text: Annotated[str, typer.Option(help="The note.")],
    author: Annotated[str, typer.Option(help="Who wrote it.")],
    kind: Annotated[str, typer.Option(help="finding, interview or feedback.")] = "finding",
    date: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today).")] = None,
) -> None:
    """Attach a finding, interview note or user feedback to a step. / 为环节添加注释。"""
    from flowmine.explain import annotate as add

    note = add(store, process, step, text, author=author, kind=kind, date=date)
    typer.echo(f"noted on {note['step']!r} ({note['kind']}, {note['date']})")
