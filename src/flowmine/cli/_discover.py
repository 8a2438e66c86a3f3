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
