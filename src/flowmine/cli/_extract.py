"""``flowmine extract``: ERP table exports -> an OCEL 2.0 file, with the reconciliation of every row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from flowmine.cli import app
from flowmine.extract import PROFILES

_PROFILE_HELP = "Extraction profile: " + "; ".join(f"{k} ({v})" for k, v in PROFILES.items()) + "."


def _columns(path: Path | None) -> dict[str, dict[str, str]] | None:
    """The ``--columns`` file: table -> role -> column name, every value text."""
    if path is None:
        return None
    from flowmine._toml import read_toml
    from flowmine.errors import MappingError

    doc = read_toml(path, "no such columns file")
    out: dict[str, dict[str, str]] = {}
    for table, roles in doc.items():
        if table not in ("documents", "links") or not isinstance(roles, dict) or not all(
                isinstance(v, str) and v for v in roles.values()):
            raise MappingError(f"{path}: [{table}] must be [documents] or [links] with role = \"column\" entries")
        out[table] = dict(roles)
    return out


@app.command()
def extract(
    profile: Annotated[str, typer.Argument(help=_PROFILE_HELP, show_default=False)],
    tables: Annotated[list[Path], typer.Argument(help="Table exports: CSV, Excel, Parquet, or ZIP archives holding "
                                                      "them (each told apart by its columns).", show_default=False)],
    out: Annotated[Path, typer.Option(help="Output OCEL 2.0 file: .jsonocel, .xmlocel or .sqlite.")],
    as_json: Annotated[Path | None, typer.Option("--json", help="Also write the reconciliation as JSON to this "
                                                 "file ('-' for standard output).")] = None,
    timezone: Annotated[str, typer.Option(help="Time zone of the export's local dates and times (IANA name).")]
    = "UTC",
    lang: Annotated[str, typer.Option(help="Language of object types and activities: en or zh.")] = "en",
    quarantine: Annotated[Path | None, typer.Option(help="Write the quarantined rows (table, source, row, reason) "
                                                    "to this CSV file.", show_default=False)] = None,
    columns: Annotated[Path | None, typer.Option(help="links profile: a TOML file naming the columns that differ "
                                                 "from the profile's aliases (\\[documents] created = \"制单时间\", "
                                                 "\\[links] from = \"上游单据\").", show_default=False)] = None,
) -> None:
    """Extract an object-centric log (OCEL 2.0) from ERP tables. / 从 ERP 表导出对象中心事件日志。"""
    from flowmine.export import ocel_form, write_csv, write_ocel
    from flowmine.extract import extract as run

    ocel_form(out)  # refuse an unknown output form before reading anything
    result = run(profile, list(tables), timezone=timezone, lang=lang, columns=_columns(columns))
    write_ocel(result.ocel, out, timezone=timezone)
    if quarantine is not None:
        import pyarrow as pa

        write_csv(pa.Table.from_pandas(result.quarantine, preserve_index=False), quarantine)
    payload = json.dumps(result.report.to_dict(), ensure_ascii=False, indent=1, default=str)
    if as_json is not None and str(as_json) == "-":
        typer.echo(payload)
    else:
        if as_json is not None:
            from flowmine._atomic import write_text_atomic

            write_text_atomic(as_json, payload + "\n")
        typer.echo("\n".join(result.report.lines()))
        typer.echo(f"wrote {out}")
