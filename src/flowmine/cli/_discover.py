"""``flowmine discover``: discover a process model from a stored process and write it (format by extension)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flowmine.cli import app, fail, spark_variants


@app.command()
def discover(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    out: Annotated[Path, typer.Option(help="Output file: .bpmn (with layout), .pnml, .svg or .png.")],
    algorithm: Annotated[str, typer.Option(help="inductive, heuristics or dfg.")] = "inductive",
    noise: Annotated[float, typer.Option(help="Noise threshold of the inductive miner (0 = IM, >0 = IMf).")] = 0.0,
    engine: Annotated[str, typer.Option(help="Where the variants are computed: duckdb or spark (pip install "
                                        "'flowmine[spark]'; see docs/SPARK.md).")] = "duckdb",
    spark_master: Annotated[str | None, typer.Option(help="With --engine spark: local[2] (default), "
                                                     "spark://host:7077, yarn, or a Spark Connect URL sc://host:15002 "
                                                     "(default $FLOWMINE_SPARK_MASTER).")] = None,
) -> None:
    """Discover a process model. / 流程发现。"""
    from flowmine.discovery import collect_variants, discover_model, write_model
    from flowmine.discovery._export import FORMATS
    from flowmine.store import Store

    if algorithm not in ("inductive", "heuristics", "dfg"):
        fail(f"--algorithm must be inductive, heuristics or dfg, got {algorithm!r}")
    if not 0.0 <= noise <= 1.0:
        fail(f"--noise must be within [0, 1], got {noise}")
    if out.suffix.lower() not in FORMATS:
        fail(f"{out}: unknown model format; use .bpmn, .pnml, .svg or .png")
    if engine not in ("duckdb", "spark"):
        fail(f"--engine must be duckdb or spark, got {engine!r}")
    st = Store(store, create=False)
    v = spark_variants(st, process, spark_master) if engine == "spark" else collect_variants(st, process)
    model = discover_model(v, algorithm, noise)
    write_model(model, out, name=process)
    typer.echo(f"{process}: {v.n_cases:,} cases, {len(v):,} variants; {algorithm} model with "
               f"{sum(t.label is not None for t in model.net.transitions)} activities written to {out}")
