"""``flowmine whatif``: predict a scenario's effect with a simulation model calibrated on the log.

A thin shell over :func:`flowmine.simulation.whatif`: the shared case filters, the scenario file and the
replications in; the as-is and scenario KPIs with their intervals, the delta and the as-is model's
fidelity out, as JSON (``--json``) or a readable table. Times in the JSON are seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from flowmine.cli import app, emit_json
from flowmine.cli._filters import Filters, filter_options
from flowmine.cli._units import UnitOption, unit_of
from flowmine.vocabulary import duration_in, number, percent


def _fmt(k: str, v: Any, unit: str = "auto") -> str:
    if v is None:
        return "–"
    if k.endswith("_rate"):
        return percent(v, missing="–")
    return duration_in(v, unit, missing="–") if k.endswith("_s") else number(v, digits=2)


def _cell(k: str, x: dict[str, Any] | None, unit: str = "auto") -> str:
    if x is None or x["value"] is None:
        return "–"
    lo, hi = x["ci"]
    ci = f" [{_fmt(k, lo, unit)} … {_fmt(k, hi, unit)}]" if lo is not None else ""
    return f"{_fmt(k, x['value'], unit)}{ci}"


def format_whatif(d: dict[str, Any], unit: str = "auto") -> str:
    """A readable table: fidelity first, then each KPI as-is, scenario and delta with intervals (durations
    in ``unit``; ``auto``: the unit that fits each value)."""
    f = d["fidelity"]
    lines = [f"as-is model's fidelity: {'acceptable' if f.get('acceptable') else 'POOR'} (throughput median "
             f"{f['throughput_median_s']['relative_error']:+.1%}, p90 {f['throughput_p90_s']['relative_error']:+.1%},"
             f" activity L1 {f['activity_l1']:.3f})"]
    lines += [f"  {p}" for p in f.get("problems", [])]
    if not f.get("acceptable"):
        lines.append("  the model does not reproduce the log well enough: read the prediction with care")
    seeds = f"seeds {d['seed']}…{d['seed'] + d['runs'] - 1}"
    lines += ["", f"{d['runs']} replications ({seeds}); 95% intervals across them",
              f"{'KPI':<34}{'as-is':>32}{'scenario':>32}{'delta':>32}"]
    keys = ["throughput_median_s", "throughput_p90_s", "cost_per_case", "cases", "wip_mean", "rule_violation_rate"]
    for k in keys:
        lines.append(f"{k:<34}{_cell(k, d['as_is'][k], unit):>32}"
                     f"{_cell(k, d['scenario'][k], unit) if d['scenario'] else '–':>32}"
                     f"{_cell(k, d['delta'][k], unit) if d['delta'] else '–':>32}")
    for s, x in d["as_is"]["waiting_median_s"].items():
        sc = d["scenario"]["waiting_median_s"].get(s) if d["scenario"] else None
        de = d["delta"]["waiting_median_s"].get(s) if d["delta"] else None
        lines.append(f"{'waiting ' + s[:25]:<34}{_cell('x_s', x, unit):>32}{_cell('x_s', sc, unit):>32}"
                     f"{_cell('x_s', de, unit):>32}")
    return "\n".join(lines)


@app.command()
@filter_options
def whatif(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    scenario: Annotated[Path | None, typer.Option(help="Scenario TOML file of [[change]] tables (without it: "
                                                  "the as-is model and its fidelity only).")] = None,
    until: Annotated[str | None, typer.Option(help="Calibrate on the cases started before this date "
                                              "(YYYY-MM-DD).")] = None,
    runs: Annotated[int, typer.Option(min=1, help="Independent replications of each model.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the first replication (then seed+1, ...).")] = 0,
    workers: Annotated[int, typer.Option(min=1, help="Processes the replications run on.")] = 2,
    out: Annotated[Path | None, typer.Option(help="Write the first simulated as-is log here as a canonical "
                                             "Parquet log (every flowmine command reads it).")] = None,
    model_out: Annotated[Path | None, typer.Option("--model", help="Write the as-is simulation model as JSON "
                                                   "(readable, editable).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the prediction as JSON to this file "
                                                  "('-': standard output).")] = None,
    unit: UnitOption = "auto",
    *,
    filters: Filters,
) -> None:
    """What-if simulation: predict a change's effect before making it. / 模拟：变更前预测改进效果。"""
    from flowmine.simulation import load_scenario
    from flowmine.simulation import whatif as run
    from flowmine.store import Store

    unit = unit_of(unit)
    log = filters.log(Store(store, create=False), process)
    sc = load_scenario(scenario) if scenario is not None else None
    result = run(log, sc, runs=runs, seed=seed, workers=workers, until=until)
    if model_out is not None:
        result.model.save(model_out)
    if out is not None and result.log is not None:
        import pyarrow as pa

        from flowmine.export import write_parquet

        write_parquet(pa.Table.from_pandas(result.log, preserve_index=False), out)
    d = result.to_dict()
    d["process"] = process
    if json_out is None:
        typer.echo(format_whatif(d, unit))
        return
    emit_json(d, json_out, f"wrote the prediction ({d['runs']} replications) to {json_out}")
