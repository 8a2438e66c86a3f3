"""``flowmine processes``: the process definitions found, and every problem of the broken ones."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from flowmine.cli import app


@app.command()
def processes(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Process definitions (FLOWMINE_PROCESSES, then the packaged ones); exit 1 naming every problem. / 流程定义。"""
    from flowmine.processes import configured, search_path

    found = configured()
    if as_json:
        typer.echo(json.dumps({
            "search_path": [str(p) for p in search_path()],
            "processes": [{"process": name, "label_en": cfg.label_en, "label_zh": cfg.label_zh,
                           "definition": str(cfg.path)} for name, cfg in found.processes.items()],
            "problems": [{"file": p.file, "entry": p.entry, "expected": p.expected, "got": p.got}
                         for p in found.problems],
        }, ensure_ascii=False))
    else:
        for name, cfg in found.processes.items():
            typer.echo(f"{name:<16}{cfg.label_en} / {cfg.label_zh}  ({cfg.path})")
        for p in found.problems:
            typer.echo(f"problem: {p.line}")
    if found.problems:
        raise typer.Exit(1)
