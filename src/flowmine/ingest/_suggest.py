"""``flowmine mapping suggest``: a starting mapping file inferred from a source's columns."""

from __future__ import annotations

import os
import re

import pyarrow as pa

from flowmine.errors import MappingError
from flowmine.ingest._mapping import SYNONYMS, Mapping, _norm
from flowmine.ingest._read import read_raw
from flowmine.ingest._timestamps import infer_format

#: SAP date and time columns that belong together (creation, change, entry, actual start/finish).
_SAP_PAIRS = (("ERDAT", "ERZET"), ("AEDAT", "AEZET"), ("CPUDT", "CPUTM"), ("UDATE", "UTIME"), ("IEDD", "IEDZ"),
              ("ISDD", "ISDZ"))
_TIMEY = re.compile(r"(_at|_date|_time|_ts|date|time|时间|日期)$", re.IGNORECASE)


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def suggest_mapping(source: str | os.PathLike[str]) -> str:
    """TOML text of a mapping for ``source``: recognised roles filled in, the rest as comments."""
    raw = read_raw(source, Mapping())
    names = raw.table.column_names
    roles: dict[str, str] = {}
    for role, syns in SYNONYMS.items():
        for s in syns:
            hit = [n for n in names if _norm(n) == _norm(s) and n not in roles.values()]
            if hit:
                roles[role] = hit[0]
                break
    lines = [f"# flowmine mapping suggested for {os.path.basename(os.fspath(source))} ({raw.format}).",
             "# Check every line; see docs/MAPPING.md for all options.", ""]
    timey = [n for n in names if _TIMEY.search(n) or pa.types.is_timestamp(raw.table.column(n).type)]
    wide = "activity" not in roles and len(timey) >= 2
    pairs = [p for p in _SAP_PAIRS if p[0] in names and p[1] in names]
    sap_ts = None
    if "timestamp" not in roles and pairs:  # SAP: a date column and a time column make one timestamp
        sap_ts = next((p for p in pairs if p[0] in ("IEDD", "ERDAT")), pairs[0])
        wide = False
    lines.append("[columns]")
    if sap_ts is not None:
        lines.append(f"timestamp = [{_q(sap_ts[0])}, {_q(sap_ts[1])}]   # SAP date + time, joined with a space")
        if sap_ts == ("IEDD", "IEDZ") and ("ISDD", "ISDZ") in pairs and "start_timestamp" not in roles:
            lines.append('start_timestamp = ["ISDD", "ISDZ"]')
    for role in ("case", "activity", "timestamp", "start_timestamp", "resource", "role", "cost", "currency",
                 "quality", "lifecycle"):
        if wide and role in ("activity", "timestamp", "start_timestamp"):
            continue
        if role in roles:
            lines.append(f"{role} = {_q(roles[role])}")
        elif role in ("case", "activity", "timestamp") and not (role == "timestamp" and sap_ts):
            lines.append(f"# {role} = \"?\"   # REQUIRED: which of {names}?")
    ts_col = roles.get("timestamp") or (timey[0] if timey else None)
    lines += ["", "[timestamps]"]
    if sap_ts is not None:
        lines.append('format = "%Y%m%d %H%M%S"   # YYYYMMDD HHMMSS; 00000000 means no date')
    elif ts_col is not None and pa.types.is_string(raw.table.column(ts_col).type):
        sample = [v for v in raw.table.column(ts_col).slice(0, 2000).to_pylist() if v][:2000]
        try:
            fmt = infer_format(sample, Mapping().timestamps, ts_col, str(source))
            lines.append(f"format = {_q(fmt)}")
        except MappingError as exc:
            lines.append(f"# format = \"...\"   # {exc}")
    lines.append("# timezone = \"Asia/Shanghai\"   # zone of timestamps without an offset (default UTC)")
    if raw.format == "csv":
        lines += ["", "[csv]", "# encoding = \"gbk\"   # detected automatically when omitted",
                  "# decimal = \",\"     # for amounts such as 1.234,56"]
    if wide:
        lines += ["", "[milestones]   # timestamp column = activity it records"]
        lines += [f"{_q(n)} = {_q(n.removesuffix('_at').replace('_', ' ').capitalize())}" for n in timey]
        others = [n for n in names if n not in timey and n not in roles.values()]
        if others:
            lines += ["", "[attributes]", f"case = [{', '.join(_q(n) for n in others)}]"]
    return "\n".join(lines) + "\n"
