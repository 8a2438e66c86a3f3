"""``flowmine explain``: the influencing factors of a step's, an edge's or the case's measure.

A thin shell over :func:`flowmine.explain.explain`: the shared case filters, the target and the measure
in; the findings out, as JSON (``--json``) or a readable table. Times in the JSON are seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from flowmine.cli import app, emit_json, fail
from flowmine.cli._filters import Filters, filter_options, pair
from flowmine.cli._units import UnitOption, unit_of
from flowmine.vocabulary import duration_in, number, percent, ratio


def _amount(value: Any, unit: str, shown: str = "auto") -> str:
    """A value of the measure's ``unit``; a duration in the time unit ``shown`` (``--unit``)."""
    if value is None:
        return ""
    if unit == "s":
        return duration_in(value, shown, missing="")
    if unit == "cases":
        return number(value, digits=1)
    return f"{number(value, digits=0)} {unit}"


def _centre(value: Any, statistic: str, unit: str, shown: str = "auto") -> str:
    return percent(value) if statistic == "rate" else _amount(value, unit, shown)


def format_explanation(d: dict[str, Any], shown: str = "auto") -> str:
    """A readable table of an explanation's findings (or every value tested), durations in the time
    unit ``shown`` (``auto``: the unit that fits each value)."""
    what = d["step"] or d["edge"] or "the case"
    stat = d["statistic"]
    lines = [f"{d['measure']} of {what}: {d['units']:,} units in {d['cases']:,} cases; {d['tested']:,} factor "
             f"values tested, {d['findings']:,} findings (q <= {d['alpha']}, >= {d['min_cases']} cases each side)",
             f"{stat} with / without; effect = ratio of the two, {round(d['confidence'] * 100)}% bootstrap interval; "
             "excess = the group's total minus its size times the rest's mean",
             "",
             f"{'factor':<28}{'value':<26}{'cases':>7}{stat + ' with':>13}{'without':>11}{'effect':>8}"
             f"{'interval':>15}{'q':>10}{'excess':>14}"]
    unit = d["unit"]
    for f in d["factors"]:
        lo, hi = f["ci"]
        ci = f"{ratio(lo, 2)}–{ratio(hi, 2)}" if lo is not None and hi is not None else ""
        with_, without = _centre(f["median_with"], stat, unit, shown), _centre(f["median_without"], stat, unit, shown)
        effect, excess = ratio(f["effect_ratio"], 2), _amount(f["excess"], unit, shown)
        lines.append(f"{f['attribute'][:27]:<28}{str(f['value'])[:25]:<26}{f['cases']:>7,}{with_:>13}{without:>11}"
                     f"{effect:>8}{ci:>15}{f['q_value']:>10.1e}{excess:>14}")
        for same in f["same_cases_as"]:
            lines.append(f"  = {same['attribute']} {same['value']} (the same cases)")
    if not d["factors"]:
        lines.append("(no factor value passes the test; --all lists every value tested)")
    if d["interactions"]:
        top = d["factors"][0]
        lines += ["", f"within {top['attribute']} = {top['value']}:"]
        for f in d["interactions"]:
            effect, excess = ratio(f["effect_ratio"], 2), _amount(f["excess"], unit, shown)
            lines.append(f"  {f['attribute'][:25]:<26}{str(f['value'])[:25]:<26}{f['cases']:>7,}{effect:>8}"
                         f"{f['q_value']:>10.1e}{excess:>14}")
    for note in d["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines)


@app.command()
@filter_options
def explain(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    step: Annotated[str | None, typer.Option(help="The step (activity) to explain.")] = None,
    edge: Annotated[str | None, typer.Option(help="The edge 'A -> B' to explain.")] = None,
    case: Annotated[bool, typer.Option("--case", help="Explain the whole case (the default without --step "
                                       "and --edge).")] = False,
    measure: Annotated[str | None, typer.Option(help="waiting | service | sojourn | throughput | cost | rework | "
                                                "deviation (default: waiting, or sojourn without start "
                                                "timestamps; throughput for the case).")] = None,
    min_cases: Annotated[int, typer.Option(help="Cases a group needs on each side to be a finding.")] = 30,
    alpha: Annotated[float, typer.Option(help="False discovery rate (Benjamini-Hochberg).")] = 0.05,
    n_boot: Annotated[int, typer.Option(help="Bootstrap replicates of the effect interval.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    all_values: Annotated[bool, typer.Option("--all", help="List every factor value tested, not only the "
                                             "findings.")] = False,
    definition: Annotated[str | None, typer.Option(help="Process definition the deviation measure checks "
                                                   "against (default: the process's own).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the explanation as JSON to this file "
                                                  "('-': standard output).")] = None,
    unit: UnitOption = "auto",
    *,
    filters: Filters,
) -> None:
    """Influencing factors: why a step is slow, costly or deviating. / 影响因素分析。"""
    from flowmine.explain import explain as run
    from flowmine.store import Store

    shown = unit_of(unit)
    if case and (step is not None or edge is not None):
        fail("--case explains the whole case: give it without --step and --edge")
    log = filters.log(Store(store, create=False), process, definition)
    result = run(log, step=step, edge=pair(edge, "edge"), measure=measure, min_cases=min_cases, alpha=alpha,
                 n_boot=n_boot, seed=seed, definition=definition)
    d = result.to_dict(all_factors=all_values)
    d["process"] = process
    if json_out is None:
        typer.echo(format_explanation(d, shown))
        return
    emit_json(d, json_out, f"wrote {d['findings']:,} findings of {d['tested']:,} factor values tested to {json_out}")
