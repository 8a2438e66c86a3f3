"""``flowmine mapping suggest FILE``: print a starting mapping inferred from the file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flowmine.cli import mapping_app
from flowmine.ingest import suggest_mapping


@mapping_app.command("suggest")
def suggest(source: Annotated[Path, typer.Argument(help="A CSV, Excel, XES or Parquet file.")]) -> None:
    """Print a mapping TOML for SOURCE to start from. / 生成映射文件草稿。"""
    typer.echo(suggest_mapping(str(source)), nl=False)
