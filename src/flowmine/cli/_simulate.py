"""``flowmine simulate``: a simulated log of one reference process, with its ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flowmine.cli import app


@app.command()
def simulate(
    process: Annotated[str, typer.Argument(help="sales, procurement, production or finance.")],
    cases: Annotated[int, typer.Option(help="Number of cases (at least 1).")],
    out: Annotated[Path, typer.Option(help="Output file: .csv, .parquet or .xes.gz (truth JSON beside it).")],
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same log).")] = 0,
) -> None:
    """Simulate a reference process into a log file. / 模拟参考流程并生成日志。"""
    from flowmine.simulate import simulate as run
    from flowmine.simulate import write_log

    result = run(process, cases, seed=seed)
    path = write_log(result, out)
    typer.echo(f"wrote {len(result.events):,} events of {cases:,} {process} cases to {path}")
