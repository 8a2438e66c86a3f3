"""``flowmine discover``: discover a process model from a stored process and write it (format by extension)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flowmine.cli import app, fail, log_variants
from flowmine.cli._filters import Filters, filter_options


@app.command()
@filter_options
def discover(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    out: Annotated[Path, typer.Option(help="Output file: .bpmn (with layout), .pnml, .svg or .png.")],
    algorithm: Annotated[str, typer.Option(help="inductive, heuristics or dfg.")] = "inductive",
    noise: Annotated[float, typer.Option(help="Noise threshold of the inductive miner (0 = IM, >0 = IMf).")] = 0.0,
    engine: Annotated[str, typer.Option(help="Where the variants are computed: duckdb or spark (pip install "
                                        "'flowmine-pm[spark]'; see docs/SPARK.md).")] = "duckdb",
    spark_master: Annotated[str | None, typer.Option(help="With --engine spark: local[2] (default), "
                                                     "spark://host:7077, yarn, or a Spark Connect URL sc://host:15002 "
                                                     "(default $FLOWMINE_SPARK_MASTER).")] = None,
    *,
    filters: Filters,
) -> None:
    """Discover a process model. / 流程发现。"""
    from flowmine._params import check_call
    from flowmine.discovery import FORMATS, discover_model, write_model
    from flowmine.store import Store

    check_call(discover_model, algorithm=algorithm, noise=noise)  # before the variants are computed
    if out.suffix.lower() not in FORMATS:  # before the work, too: write_model refuses it only at the end
        fail(f"{out}: unknown model format; use .bpmn, .pnml, .svg or .png")
    st = Store(store, create=False)
    if filters.is_empty() or engine not in ("duckdb", "spark"):  # an unknown engine: the declared message
        v = log_variants("discover", "engine", st, process, engine, spark_master)
    elif engine == "spark":
        fail("--engine spark discovers from every case: give the filters with --engine duckdb")
    else:
        from flowmine.discovery import collect_variants

        v = collect_variants(filters.log(st, process))
    model = discover_model(v, algorithm, noise)
    write_model(model, out, name=process)
    typer.echo(f"{process}: {v.n_cases:,} cases, {len(v):,} variants; {algorithm} model with "
               f"{sum(t.label is not None for t in model.net.transitions)} activities written to {out}")


@app.command("map")
@filter_options
def map_(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    out: Annotated[Path, typer.Option(help="Output file: .svg, .png, .pdf (drawn by graphviz), .dot or .html "
                                      "(the dashboard's interactive map, offline).")],
    activities: Annotated[float, typer.Option(help="Share of activities kept, most frequent first.")] = 1.0,
    paths: Annotated[float, typer.Option(help="Share of paths kept, most frequent first.")] = 1.0,
    overlay: Annotated[str, typer.Option(help="frequency, performance or cost.")] = "frequency",
    statistic: Annotated[str | None, typer.Option(help="frequency/cost: absolute or cases; performance: "
                                                  "median, mean, total or max (default the first).")] = None,
    lang: Annotated[str, typer.Option(help="en or zh (labels from the process definition).")] = "en",
    *,
    filters: Filters,
) -> None:
    """Draw the process map to a file. / 导出流程图。"""
    from flowmine.analytics import profile, service_time
    from flowmine.discovery import MAP_FORMATS, process_map, write_process_map
    from flowmine.processes import configured
    from flowmine.store import Store

    if out.suffix.lower() not in MAP_FORMATS:  # before the work
        fail(f"{out}: unknown map format; use {', '.join(MAP_FORMATS)}")
    if lang not in ("en", "zh"):
        fail(f"--lang: expected en or zh, got {lang!r}")
    st = Store(store, create=False)
    log = filters.log(st, process)
    pmap = process_map(log, activities=activities, paths=paths)
    p = profile(log, process=process)
    acts = p.get("activities", [])
    cfg = configured(process) if lang == "zh" else None
    service = service_time(log, level="activity")
    write_process_map(
        pmap, out, overlay=overlay, statistic=statistic,
        node_cost={a["activity"]: a.get("cost_total") for a in acts},
        currency=next((a.get("cost_currency") for a in acts if a.get("cost_currency")), None),
        highlight=[b["name"] for b in p.get("bottlenecks", [])[:3]],
        labels={a["activity"]: cfg.label(a["activity"], "zh") for a in acts} if cfg is not None else None,
        node_time={str(r["activity"]): {"total": r["total_s"], "mean": r["mean_s"], "median": r["median_s"],
                                        "max": r["max_s"]} for r in service.to_dict("records")},
        time_basis=p.get("time_basis"), lang=lang, title=f"{process} · {overlay}")
    typer.echo(f"{process}: map of {len(pmap.nodes) - 2} activities and {len(pmap.edges)} paths ({overlay}) "
               f"written to {out}")
