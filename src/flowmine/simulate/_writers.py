"""Write a simulated log: format chosen by extension (.csv, .parquet, .xes, .xes.gz), truth beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from flowmine._schema import CORE_TYPES, SCHEMA_VERSION, START, TIMESTAMP
from flowmine.errors import OptionError
from flowmine.simulate._api import SimulationResult
from flowmine.simulate._truth import as_builtin
from flowmine.simulate._xes import write_xes

SUFFIXES = (".csv", ".parquet", ".xes", ".xes.gz")


def truth_path(out: Path) -> Path:
    """Where the ground truth of ``out`` goes: ``<name>.truth.json`` beside it."""
    name = out.name
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return out.with_name(name + ".truth.json")


def write_truth(truth: dict[str, object], path: Path) -> None:
    """Write a ground-truth dict as indented UTF-8 JSON (Chinese kept readable)."""
    path.write_text(json.dumps(as_builtin(truth), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_log(result: SimulationResult, out: Path | str, *, truth: bool = True) -> Path:
    """Write the events of ``result`` to ``out``, the format given by its extension.

    Parameters
    ----------
    result : SimulationResult
        What :func:`flowmine.simulate.simulate` returned.
    out : path
        ``.csv`` (UTF-8, ISO-8601 UTC timestamps), ``.parquet`` (canonical Arrow types, UTC
        microseconds), ``.xes`` or ``.xes.gz`` (start and complete lifecycle events).
    truth : bool
        Also write the ground truth to ``<name>.truth.json`` beside the log (default True).

    Returns
    -------
    Path
        The path of the log written.
    """
    out = Path(out)
    name = out.name.lower()
    events = result.events
    if name.endswith(".csv"):
        frame = events.copy()
        for col in (TIMESTAMP, START):
            frame[col] = frame[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        frame.to_csv(out, index=False, encoding="utf-8")
    elif name.endswith(".parquet"):
        table = pa.Table.from_pandas(events, preserve_index=False)
        fields = [pa.field(f.name, CORE_TYPES.get(f.name, f.type)) for f in table.schema]
        table = table.cast(pa.schema(fields, metadata={b"flowmine.schema_version": str(SCHEMA_VERSION).encode()}))
        pq.write_table(table, out, compression="zstd")
    elif name.endswith((".xes", ".xes.gz")):
        write_xes(events, out)
    else:
        raise OptionError(f"write_log: the extension of {out} must be one of {list(SUFFIXES)}", parameter="out",
                          function="write_log")
    if truth:
        write_truth(result.truth, truth_path(out))
    return out


__all__ = ["SUFFIXES", "truth_path", "write_log", "write_truth"]
