"""``flowmine monitor``: every KPI of the latest complete period against its target and control chart.

A thin shell over :func:`flowmine.monitor.monitor`. Exit codes: 0 every KPI on target and in
control, 1 any KPI breaches (off target, or a run rule hits the latest period), 2 an error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from flowmine.cli import app, emit_json, fail
from flowmine.cli._units import UnitOption, unit_of
from flowmine.vocabulary import duration_in, fitting_unit, kpi_value


def _shared_unit(unit: str, *seconds: float | None) -> str:
    """``--unit`` for the numbers of one line, which are compared: ``auto`` is the unit that fits the
    first known value (the target, or the baseline), used for all of them."""
    if unit != "auto":
        return unit
    known = [abs(v) for v in seconds if v is not None and v == v]
    return fitting_unit(known[0]) if known else "d"


def _line(s: dict, unit: str = "auto") -> str:
    value, target = s["value"], s["target"]
    shared = _shared_unit(unit, target, value)

    def fmt(v: float | None) -> str:
        return kpi_value(v, s["unit"], duration_unit=shared)

    sign = "≤" if s["direction"] == "lower" else "≥"
    rules = ", ".join(h["rule"] for h in s["signals"])
    return (f"{s['status'].upper():<15}{s['process']:<13}{s['kpi']:<28}{s['period'] or '-':<12}"
            f"{fmt(value):>12}  target {sign} {fmt(target)}" + (f"  [{rules}]" if rules else ""))


@app.command()
def monitor(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str | None, typer.Option(help="Process name (default: every configured process).")] = None,
    config: Annotated[Path | None, typer.Option(help="Process configuration TOML instead of "
                                                     "its definition's process.toml (needs --process).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the result as JSON ('-': stdout).")] = None,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML: one test case per KPI.")] = None,
    baseline: Annotated[int, typer.Option(help="Complete periods that set the control limits.")] = 6,
    unit: UnitOption = "auto",
) -> None:
    """KPIs against targets and control limits; exit 1 on any breach. / KPI监控：目标与控制图。"""
    from flowmine.monitor import monitor as run_monitor
    from flowmine.store import Store

    unit = unit_of(unit)
    result = run_monitor(Store(store, create=False), process, config=config, baseline=baseline)
    data = result.to_dict()
    to_stdout = str(json_out) == "-"
    if json_out is not None:
        text = json.dumps(data, ensure_ascii=False, indent=1)
        if to_stdout:
            typer.echo(text)
        else:
            json_out.write_text(text + "\n", encoding="utf-8")
    if junit is not None:
        junit.write_text(result.to_junit() + "\n", encoding="utf-8")
    for name, reason in data["skipped"].items():
        typer.echo(f"skipped {name}: {reason}", err=True)
    for s in data["kpis"]:
        typer.echo(_line(s, unit), err=to_stdout)
    typer.echo(f"{len(data['kpis'])} KPIs, {data['breaches']} breaching", err=to_stdout)
    raise typer.Exit(result.exit_code)


@app.command()
def initiative(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    file: Annotated[list[Path] | None, typer.Option(help="Initiative TOML file (repeatable; default: every file "
                                                         "in --folder).")] = None,
    folder: Annotated[Path | None, typer.Option(help="Folder of initiative files (default: the definitions').")] = None,
    process: Annotated[str | None, typer.Option(help="Only the initiatives of this process.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the evaluations as JSON ('-': stdout).")]
    = None,
    explain: Annotated[bool, typer.Option("--explain", help="Also the key steps and influencing factors of each "
                                          "baseline, and the evaluation split by the top factor (JSON key "
                                          "'context').")] = False,
    predict: Annotated[bool, typer.Option("--predict", help="Also simulate each initiative's [scenario] on the data "
                                          "before its change date: the predicted effect beside the achieved one "
                                          "(JSON key 'predicted_effect').")] = False,
    runs: Annotated[int, typer.Option(min=2, max=1000, help="Replications of each --predict simulation.")] = 10,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Processes the --predict replications run on.")] = 2,
    unit: UnitOption = "auto",
) -> None:
    """Before/after evaluation of improvement initiatives. / 改进项目前后对比评估。"""
    from flowmine.monitor import evaluate_initiative, load_initiative, load_initiatives, predict_initiative
    from flowmine.store import Store

    unit = unit_of(unit)
    st = Store(store, create=False)
    inis = [load_initiative(f) for f in file] if file else load_initiatives(folder, process)
    inis = [i for i in inis if process is None or i.process == process]
    if not inis:
        fail("no initiative found (give --file or --folder)")
    evals = [evaluate_initiative(st, i) for i in inis]
    contexts: list[Any] = [None] * len(inis)
    if explain:
        from flowmine.explain import initiative_context

        contexts = [initiative_context(st, i) for i in inis]
    predictions: list[Any] = [None] * len(inis)
    if predict:
        predictions = [predict_initiative(st, i, runs=runs, workers=workers, achieved=e)
                       if i.scenario is not None else None for i, e in zip(inis, evals, strict=True)]
    to_stdout = str(json_out) == "-"
    if json_out is not None:
        dicts = [e.to_dict() | ({"context": c.to_dict()} if c is not None else {})
                 | ({"predicted_effect": p.to_dict() if p is not None else None} if predict else {})
                 for e, c, p in zip(evals, contexts, predictions, strict=True)]
        emit_json(dicts, json_out, f"wrote {json_out}")
    for e, c, p in zip(evals, contexts, predictions, strict=True):
        typer.echo(_evaluation_line(e, unit), err=to_stdout)
        if c is not None:
            rec = c.record()
            typer.echo(f"  key steps (baseline): {'; '.join(rec['key_steps'])}", err=to_stdout)
            typer.echo(f"  influencing factors of its {c.measure}: {'; '.join(rec['influencing_factors']) or '-'}",
                       err=to_stdout)
            for side in c.split:
                ev = side["evaluation"]
                typer.echo(f"  {side['attribute']} = {side['value']}: {ev['verdict']}, relative change "
                           f"{ev['relative']:+.1%} (n {ev['n_before']:,} / {ev['n_after']:,})", err=to_stdout)
            if c.split_note:
                typer.echo(f"  {c.split_note}", err=to_stdout)
        if predict:
            typer.echo(f"  {_predicted_line(p)}", err=to_stdout)


def _evaluation_line(e: Any, unit: str) -> str:
    """One initiative's verdict with before → after, the effect and its interval, all in one unit."""
    lo, hi = e.effect_ci
    if e.unit == "s":
        shared = _shared_unit(unit, e.before, e.after)

        def v(x: float, sign: str = "") -> str:
            text = duration_in(abs(x), shared)
            return (("-" if x < 0 else "+") + text) if sign else text
    else:
        def v(x: float, sign: str = "") -> str:
            return f"{x:{sign},.4g} {e.unit}".rstrip()
    return (f"{e.verdict.upper():<14}{e.initiative.id}: {e.initiative.statistic} {v(e.before)} → {v(e.after)} "
            f"(effect {v(e.effect, '+')}, 95% CI {v(lo, '+')} … {v(hi, '+')}; n {e.n_before:,} / {e.n_after:,}); "
            f"{e.reason}")


def _predicted_line(p: Any) -> str:
    """One line: the predicted relative change with its interval beside the achieved one, or why not."""
    if p is None:
        return "predicted: no [scenario] in the initiative file"
    rel = p.relative
    if rel["value"] is None:
        return f"predicted ({p.whatif.scenario}): no value (the goal step has no unit in the simulated logs)"
    lo, hi = rel["ci"]
    ci = f", 95% CI {lo:+.1%} … {hi:+.1%}" if lo is not None else ""
    d = p.to_dict()
    warn = ("the as-is model's fidelity is poor (" + "; ".join(d["fidelity_problems"]) + "), so take this with care: "
            if d["fidelity_acceptable"] is False else "")
    line = warn + (f"predicted ({d['scenario_name']}, {d['runs']} runs on the cases before {d['calibrated_until']}): "
            f"relative change {rel['value']:+.1%}{ci}")
    if p.achieved_relative is not None and p.gap is not None:
        line += (f"; achieved {p.achieved_relative:+.1%}; gap {p.gap * 100:+.1f} points "
                 f"({'within' if p.within else 'more than'} 25 % of the achieved change)")
    lo, hi = p.prediction_interval
    d = p.distance_to_interval
    if lo is not None and hi is not None and d is not None:
        where = "inside it" if d == 0 else f"{abs(d) * 100:.1f} points {'below' if d < 0 else 'above'} it"
        line += f"; prediction interval {lo:+.1%} … {hi:+.1%}, the achieved change {where}"
    return line
