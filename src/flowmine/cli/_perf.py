"""``flowmine perf``: the per-step performance profile of a stored process (JSON or a readable table).

A thin shell: parses the shared filter options (``cli/_filters.py``), calls
:func:`flowmine.analytics.profile` and formats the result. Durations in the JSON are seconds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from flowmine.cli import app, fail
from flowmine.cli._filters import Filters, filter_options
from flowmine.cli._units import TimeOption, TzOption, UnitOption, calendar_of, unit_of, zone_of
from flowmine.vocabulary import between_steps, duration_in, label, money, percent


def _span(seconds: Any, unit: str = "auto") -> str:
    return duration_in(seconds, unit, missing="")


def format_profile(p: dict[str, Any], unit: str = "auto") -> str:
    """A readable summary of a profile: headline, steps, edges and bottlenecks, durations in ``unit``
    (``auto``: the unit that fits each value); the periods (``by``) headed by their time zone."""
    def t(seconds: Any) -> str:
        return _span(seconds, unit)

    cd = p["throughput_time_s"]
    basis = p["time_basis"]
    between = between_steps(basis)  # the sojourn time on a log without start timestamps, never "waiting"
    lines = [f"{p['process']}: {p['cases']:,} cases, {p['events']:,} events, {p['variants']:,} variants; "
             f"{label('throughput_time').lower()} median {t(cd['median'])}, mean {t(cd['mean'])}, "
             f"p90 {t(cd['p90'])}"]
    if p.get("time") == "business":
        lines.append(f"durations in business time: {p['calendar']['text']}")
    lines += ["", f"{'step':<34}{'count':>8}{'cases':>8}{'service med':>13}{basis + ' med':>13}"
             f"{'cost':>14}{'rework':>8}"]
    for a in p["activities"]:
        wait = a[f"{between}_median_s"]
        cost = money(a["cost_total"], a["cost_currency"], digits=0, missing="")
        lines.append(f"{a['activity'][:33]:<34}{a['count']:>8,}{a['cases']:>8,}{t(a['service_time_median_s']):>13}"
                     f"{t(wait):>13}{cost:>14}{percent(a['rework_rate']):>8}")
    lines += ["", f"{'edge':<56}{'count':>8}{'mean':>12}{'median':>12}"]
    for e in p["edges"][:15]:
        name = f"{e['source']} → {e['target']}"
        lines.append(f"{name[:55]:<56}{e['count']:>8,}{t(e['duration_mean_s']):>12}"
                     f"{t(e['duration_median_s']):>12}")
    if len(p["edges"]) > 15:
        lines.append(f"... {len(p['edges']) - 15} more edges (--json for all)")
    lines += ["", "bottlenecks: steps (a) and edges (e) are ranked as two lists; a share is of its own list's "
              f"total (all {label(between).lower()} at steps, or all time on edges), never of both",
              f"{'#':>3} {'bottleneck (' + basis + ')':<52}{'total':>14}{'share':>8}{'cases':>8}  95% CI"]
    for b in p["bottlenecks"]:
        ci = f"{t(b['ci_low_s'])} – {t(b['ci_high_s'])}" if b["ci_low_s"] is not None else ""
        lines.append(f"{b['rank']:>3} {(b['kind'][0] + ' ' + b['name'])[:51]:<52}{t(b['waiting_total_s']):>14}"
                     f"{percent(b['share'] or 0):>8}{b['cases']:>8,}  {ci}")
    for r in p.get("periods", []):
        if r is p["periods"][0]:
            lines += ["", f"periods in time zone {p.get('tz', 'UTC')} (each starts at its local midnight)",
                      f"{'period':<12}{'arrivals':>10}{'completions':>13}{'wip':>8}{'throughput med':>16}"]
        lines.append(f"{r['period'][:10]:<12}{r['arrivals']:>10,}{r['completions']:>13,}{r['wip']:>8,}"
                     f"{t(r['throughput_time_median_s']):>16}")
    return "\n".join(lines)


@app.command()
@filter_options
def perf(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    by: Annotated[str | None, typer.Option(help="Add arrivals/completions/WIP per day, week or month (in the "
                                           "time zone of --tz).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the profile as JSON to this file "
                                                  "('-': standard output).")] = None,
    engine: Annotated[str, typer.Option(help="auto, sql (= duckdb), fast, or spark (pip install "
                                        "'flowmine-pm[spark]'; see docs/SPARK.md).")] = "auto",
    spark_master: Annotated[str | None, typer.Option(help="With --engine spark: local[2] (default), "
                                                     "spark://host:7077, yarn, or a Spark Connect URL sc://host:15002 "
                                                     "(default $FLOWMINE_SPARK_MASTER).")] = None,
    top: Annotated[int, typer.Option(help="Bottlenecks listed.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap confidence intervals.")] = 0,
    unit: UnitOption = "auto",
    tz: TzOption = None,
    time: TimeOption = "elapsed",
    *,
    filters: Filters,
) -> None:
    """Per-step performance: time, cost, rework, edges, bottlenecks. / 各环节绩效分析。"""
    from flowmine.analytics import profile
    from flowmine.store import Store

    unit = unit_of(unit)
    zone = zone_of(tz, process)
    calendar = calendar_of(time, process)
    engine = "sql" if engine == "duckdb" else engine
    if calendar is not None and engine == "fast":
        fail("--engine fast measures elapsed time only: use --engine sql (or auto) with --time business")
    if engine == "spark" and not filters.events.is_empty():
        fail("--engine spark takes case filters only: the event filters make a new log in memory")
    log = filters.log(Store(store, create=False), process)
    if engine == "spark":
        from flowmine.engines import require, use_spark
        from flowmine.errors import EngineUnavailableError

        try:
            require()
            with use_spark(master=spark_master):
                result = profile(log, by=by, engine=engine, top=top, seed=seed, process=process, tz=zone,
                                 calendar=calendar)
        except EngineUnavailableError as exc:
            fail(str(exc))
    else:
        result = profile(log, by=by, engine=engine, top=top, seed=seed, process=process, tz=zone, calendar=calendar)
    if json_out is None:
        typer.echo(format_profile(result, unit))
        return
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if str(json_out) == "-":
        typer.echo(text)
    else:
        json_out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote the profile of {result['cases']:,} cases to {json_out}")
