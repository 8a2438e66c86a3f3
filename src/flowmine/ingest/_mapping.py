"""The mapping: which source column plays which role, and how to read timestamps and numbers.

A mapping is written once per source shape (a TOML file, see ``docs/MAPPING.md``) and applied
at the edge: after ingestion no function asks for column names again. Without a mapping the
common column names of event-log exports are recognised (:func:`infer_mapping`); where that is
ambiguous the error says what to write. :func:`suggest_mapping` prints a starting file.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final

from flowmine._schema import (
    ACTIVITY,
    CASE,
    COST,
    CURRENCY,
    LIFECYCLE,
    QUALITY,
    RESOURCE,
    ROLE,
    START,
    TIMESTAMP,
    TRANSITIONS,
)
from flowmine.errors import MappingError

#: Role name in the mapping file -> canonical column.
ROLE_COLUMNS: Final[dict[str, str]] = {
    "case": CASE,
    "activity": ACTIVITY,
    "timestamp": TIMESTAMP,
    "start_timestamp": START,
    "resource": RESOURCE,
    "role": ROLE,
    "cost": COST,
    "currency": CURRENCY,
    "quality": QUALITY,
    "lifecycle": LIFECYCLE,
}

#: Normalised header names recognised without a mapping, per role (first match wins per name).
SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "case": ("case:concept:name", "case", "caseid", "case_id", "case id", "order_id", "orderid", "po_number",
             "claim_id", "ticket_id", "trace", "traceid", "案例", "案例编号", "单号", "订单号", "采购单号",
             "报销单号", "工单号"),
    "activity": ("concept:name", "activity", "activity_name", "activityname", "event", "event_name", "task",
                 "step", "action", "活动", "活动名称", "步骤", "环节", "操作"),
    "timestamp": ("time:timestamp", "timestamp", "time", "complete_timestamp", "completion_time",
                  "end_time", "endtime", "end", "completed_at", "datetime", "date", "时间", "完成时间",
                  "结束时间", "时间戳"),
    "start_timestamp": ("start_timestamp", "start_time", "starttime", "start", "started_at", "开始时间"),
    "resource": ("org:resource", "resource", "user", "performer", "executor", "employee", "owner",
                 "执行人", "操作人", "处理人", "员工"),
    "role": ("org:role", "role", "department", "dept", "group", "team", "部门", "角色"),
    # not "amount"/"金额": an order's or claim's amount is its value, not the cost of a step
    "cost": ("cost:total", "cost", "costs", "成本", "费用"),
    "currency": ("cost:currency", "currency", "币种", "货币"),
    "quality": ("quality:outcome", "quality", "outcome", "result", "check_result", "inspection_result",
                "质检结果", "检验结果"),
    "lifecycle": ("lifecycle:transition", "lifecycle", "transition", "event_type", "生命周期"),
}

_TIME_FORMATS: Final = ("iso", "excel", "epoch")
_TYPES: Final = ("float", "int", "string", "bool", "timestamp")
_SECTIONS: Final = ("columns", "values", "timestamps", "csv", "excel", "activities", "milestones",
                    "milestone_resources", "attributes", "lifecycle", "xes", "limits", "source", "events")
_LIFECYCLE_KEYS: Final = ("start", "complete", "model", "never_started", "values")
_MODELS: Final = ("standard", "none")
_NEVER_STARTED: Final = ("quarantine", "keep")
#: Roles that may be read from several columns joined (``timestamp = ["ERDAT", "ERZET"]``).
JOINABLE: Final = ("timestamp", "start_timestamp", "activity")
#: What joins the cells of several columns: one space for timestamps (date and time, before the
#: format applies), ``+`` for an activity (as pm4py and ProM join an XES classifier's keys).
JOIN_SEPARATORS: Final = {"timestamp": " ", "start_timestamp": " ", "activity": "+"}
_DST_GAP: Final = ("quarantine", "shift_forward")
_DST_OVERLAP: Final = ("quarantine", "earliest", "latest")


def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


@dataclass(frozen=True)
class TimestampOptions:
    format: str | None = None  # strptime format, "iso", "excel" or "epoch"; None: inferred per column
    dayfirst: bool | None = None  # only for inference; None: decide from the data or report ambiguity
    timezone: str | None = None  # IANA zone of naive timestamps; None: UTC, with a note
    epoch_unit: str | None = None  # s, ms, us, ns; None: told per column from the values' magnitude
    dst_gap: str = "quarantine"  # local times the clock skips: "quarantine" or "shift_forward"
    dst_overlap: str = "quarantine"  # local times that occur twice: "quarantine", "earliest", "latest"
    min_year: int = 1900  # plausible bounds: other years (0001-01-01, 9999-12-31) are quarantined
    max_year: int = 2100


#: Default cap on the bytes one source may decompress to (2 GiB).
DEFAULT_MAX_BYTES: Final = 2 * 1024**3


@dataclass(frozen=True)
class LimitOptions:
    """Resource limits of one ingest, for every format (``[limits]`` in the mapping)."""

    max_bytes: int | None = None  # decompressed bytes; None: FLOWMINE_MAX_DECOMPRESSED_BYTES or 2 GiB
    max_seconds: float | None = None  # wall clock on reading and parsing; None: no limit
    max_columns: int = 16_384  # Excel's own limit
    max_activities: int = 100_000  # distinct activity names (a clear error instead of MemoryError later)


@dataclass(frozen=True)
class CsvOptions:
    encoding: str | None = None  # None: detected
    delimiter: str | None = None  # None: sniffed
    decimal: str = "."
    quotechar: str = '"'
    thousands: str | None = None


@dataclass(frozen=True)
class Mapping:
    """Where each canonical role is found in a source, and how to read it.

    ``columns`` maps role names (``case``, ``activity``, ``timestamp``, ``start_timestamp``,
    ``resource``, ``role``, ``cost``, ``currency``, ``quality``, ``lifecycle``) to source column
    names. ``milestones`` (column -> activity) turns a wide table into events.
    """

    columns: dict[str, str] = field(default_factory=dict)
    joined: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> columns joined into columns[role]
    values: dict[str, str] = field(default_factory=dict)
    timestamps: TimestampOptions = field(default_factory=TimestampOptions)
    csv: CsvOptions = field(default_factory=CsvOptions)
    sheet: str | int | None = None
    header_row: int = 1
    activities: dict[str, str] = field(default_factory=dict)
    milestones: dict[str, str] = field(default_factory=dict)
    milestone_resources: dict[str, str] = field(default_factory=dict)
    case_attributes: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    types: dict[str, str] = field(default_factory=dict)
    lifecycle_start: tuple[str, ...] = ("start",)
    lifecycle_complete: tuple[str, ...] = ("complete",)
    lifecycle_model: str = "standard"  # "standard": fold transitions into activity instances; "none": rows as read
    lifecycle_never_started: str = "quarantine"  # or "keep": never-started instances loaded with their outcome
    lifecycle_values: dict[str, str] = field(default_factory=dict)  # source value (lower case) -> transition
    xes_classifier: str | None = None  # a classifier declared in the XES header, used as the activity
    limits: LimitOptions = field(default_factory=LimitOptions)
    member: str | None = None  # the file inside a ZIP archive ([source] member)
    object_type: str | None = None  # OCEL 2.0: the object type whose objects are the cases ([source] object_type)
    duplicates: str = "keep"  # [events] duplicates: "keep" exact duplicate events (counted) or "drop" them
    origin: str = "inferred"  # the mapping file's path, or "inferred"

    @property
    def is_wide(self) -> bool:
        return bool(self.milestones)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form, kept in the store's manifest."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if hasattr(v, "__dataclass_fields__"):
                v = {k: getattr(v, k) for k in v.__dataclass_fields__}
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out


def _table(doc: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise MappingError(f"{where}: [{key}] must be a table of key = value pairs, got {type(value).__name__}")
    return value


def _str_map(doc: dict[str, Any], key: str, where: str) -> dict[str, str]:
    table = _table(doc, key, where)
    for k, v in table.items():
        if not isinstance(v, str):
            raise MappingError(f"{where}: [{key}] {k} must be a string, got {v!r}")
    return dict(table)


def load_mapping(path: str | os.PathLike[str]) -> Mapping:
    """Read a mapping TOML file; every problem is a MappingError naming the file and key."""
    p = Path(path)
    where = str(p)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{where}: mapping file not found") from None
    except UnicodeDecodeError as exc:
        raise MappingError(f"{where}: mapping file is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{where}: not valid TOML: {exc}") from None
    return mapping_from_dict(doc, where)


def mapping_from_dict(doc: dict[str, Any], where: str = "mapping") -> Mapping:
    unknown = sorted(set(doc) - set(_SECTIONS))
    if unknown:
        raise MappingError(f"{where}: unknown section(s) {unknown}; expected some of {list(_SECTIONS)}")
    columns, joined = _columns(doc, where)
    bad = sorted(set(columns) - set(ROLE_COLUMNS))
    if bad:
        raise MappingError(f"{where}: [columns] has unknown role(s) {bad}; roles are {sorted(ROLE_COLUMNS)}")
    ts = _table(doc, "timestamps", where)
    fmt = ts.get("format")
    if fmt is not None and (not isinstance(fmt, str) or ("%" not in fmt and fmt not in _TIME_FORMATS)):
        raise MappingError(
            f"{where}: [timestamps] format must be a strptime format like '%d.%m.%Y %H:%M' "
            f"or one of {list(_TIME_FORMATS)}, got {fmt!r}"
        )
    unit = ts.get("epoch_unit")
    if unit is not None and unit not in ("s", "ms", "us", "ns"):
        raise MappingError(f"{where}: [timestamps] epoch_unit must be s, ms, us or ns, got {unit!r}")
    tz = ts.get("timezone")
    if tz is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise MappingError(f"{where}: [timestamps] timezone {tz!r} is not an IANA time zone "
                               "(e.g. 'Asia/Shanghai', 'Europe/Berlin', 'UTC')") from None
    gap, overlap = ts.get("dst_gap", "quarantine"), ts.get("dst_overlap", "quarantine")
    if gap not in _DST_GAP:
        raise MappingError(f"{where}: [timestamps] dst_gap must be one of {list(_DST_GAP)}, got {gap!r}")
    if overlap not in _DST_OVERLAP:
        raise MappingError(f"{where}: [timestamps] dst_overlap must be one of {list(_DST_OVERLAP)}, got {overlap!r}")
    years = {k: ts.get(k, d) for k, d in (("min_year", 1900), ("max_year", 2100))}
    for k, v in years.items():
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 9999:
            raise MappingError(f"{where}: [timestamps] {k} must be a year between 1 and 9999, got {v!r}")
    if years["min_year"] > years["max_year"]:
        raise MappingError(f"{where}: [timestamps] min_year {years['min_year']} is after max_year {years['max_year']}")
    dayfirst = ts.get("dayfirst")
    if dayfirst is not None and not isinstance(dayfirst, bool):
        raise MappingError(f"{where}: [timestamps] dayfirst must be true or false, got {dayfirst!r}")
    csv = _table(doc, "csv", where)
    if csv.get("encoding"):
        import codecs

        try:
            codecs.lookup(csv["encoding"])
        except LookupError:
            raise MappingError(f"{where}: [csv] encoding {csv['encoding']!r} is unknown "
                               "(e.g. utf-8, utf-8-sig, gbk, gb18030)") from None
    excel = _table(doc, "excel", where)
    attrs = _table(doc, "attributes", where)
    types = dict(attrs.get("types", {}))
    for col, t in types.items():
        if t not in _TYPES:
            raise MappingError(f"{where}: [attributes] types.{col} must be one of {list(_TYPES)}, got {t!r}")
    life = _table(doc, "lifecycle", where)
    bad_keys = sorted(set(life) - set(_LIFECYCLE_KEYS))
    if bad_keys:
        raise MappingError(f"{where}: [lifecycle] has unknown key(s) {bad_keys}; expected some of "
                           f"{list(_LIFECYCLE_KEYS)}")
    model = life.get("model", "standard")
    if model not in _MODELS:
        raise MappingError(f"{where}: [lifecycle] model must be one of {list(_MODELS)}, got {model!r}")
    never = life.get("never_started", "quarantine")
    if never not in _NEVER_STARTED:
        raise MappingError(f"{where}: [lifecycle] never_started must be one of {list(_NEVER_STARTED)}, "
                           f"got {never!r}")
    life_values = {str(k).strip().lower(): v for k, v in _str_map(life, "values", where + " [lifecycle]").items()}
    wrong = {k: v for k, v in life_values.items() if v.strip().lower() not in TRANSITIONS}
    if wrong:
        k, v = next(iter(wrong.items()))
        raise MappingError(f"{where}: [lifecycle] values.{k} must be one of the XES lifecycle transitions "
                           f"{list(TRANSITIONS)}, got {v!r}")
    xes = _table(doc, "xes", where)
    bad_keys = sorted(set(xes) - {"classifier"})
    if bad_keys:
        raise MappingError(f"{where}: [xes] has unknown key(s) {bad_keys}; expected 'classifier'")
    classifier = xes.get("classifier")
    if classifier is not None and (not isinstance(classifier, str) or not classifier.strip()):
        raise MappingError(f"{where}: [xes] classifier must be the name of a classifier declared in the XES "
                           f"header, got {classifier!r}")
    if classifier is not None and "activity" in columns:
        raise MappingError(f"{where}: [xes] classifier and [columns] activity both say what the activity is; "
                           "keep one")
    duplicates = _table(doc, "events", where).get("duplicates", "keep")
    if duplicates not in ("keep", "drop"):
        raise MappingError(f"{where}: [events] duplicates must be \"keep\" or \"drop\", got {duplicates!r}")
    return Mapping(
        columns=columns,
        joined=joined,
        values=_str_map(doc, "values", where),
        timestamps=TimestampOptions(format=fmt, dayfirst=dayfirst, timezone=tz, epoch_unit=unit, dst_gap=gap,
                                    dst_overlap=overlap, min_year=years["min_year"], max_year=years["max_year"]),
        csv=CsvOptions(
            encoding=csv.get("encoding") or None,
            delimiter=csv.get("delimiter"),
            decimal=csv.get("decimal", "."),
            quotechar=csv.get("quotechar", '"'),
            thousands=csv.get("thousands"),
        ),
        sheet=excel.get("sheet"),
        header_row=int(excel.get("header_row", 1)),
        activities=_str_map(doc, "activities", where),
        milestones=_str_map(doc, "milestones", where),
        milestone_resources=_str_map(doc, "milestone_resources", where),
        case_attributes=tuple(attrs.get("case", ())),
        drop=tuple(attrs.get("drop", ())),
        types=types,
        lifecycle_start=tuple(str(v).lower() for v in life.get("start", ("start",))),
        lifecycle_complete=tuple(str(v).lower() for v in life.get("complete", ("complete",))),
        lifecycle_model=model,
        lifecycle_never_started=never,
        lifecycle_values={k: v.strip().lower() for k, v in life_values.items()},
        xes_classifier=classifier,
        limits=_limits(doc, where),
        member=_member(doc, where),
        object_type=_object_type(doc, where),
        duplicates=duplicates,
        origin=where,
    )


def _columns(doc: dict[str, Any], where: str) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """``[columns]``: role -> column; a list for a joinable role names columns joined into one
    (its name is the parts joined with ``+``, as the quarantine and notes show it)."""
    table = _table(doc, "columns", where)
    columns: dict[str, str] = {}
    joined: dict[str, tuple[str, ...]] = {}
    for role, v in table.items():
        if isinstance(v, list) and role in JOINABLE:
            if len(v) < 2 or not all(isinstance(c, str) and c for c in v) or len(set(v)) != len(v):
                raise MappingError(f"{where}: [columns] {role} must list two or more different column names, "
                                   f"got {v!r}")
            joined[role] = tuple(v)
            columns[role] = "+".join(v)
        elif isinstance(v, str):
            columns[role] = v
        else:
            lists = ", or a list of columns to join" if role in JOINABLE else ""
            raise MappingError(f"{where}: [columns] {role} must be a string (a column name{lists}), got {v!r}")
    return columns, joined


def _limits(doc: dict[str, Any], where: str) -> LimitOptions:
    table = _table(doc, "limits", where)
    unknown = sorted(set(table) - {"max_bytes", "max_seconds", "max_columns", "max_activities"})
    if unknown:
        raise MappingError(f"{where}: [limits] has unknown key(s) {unknown}; "
                           "expected max_bytes, max_seconds, max_columns, max_activities")
    for k, v in table.items():
        ok = (isinstance(v, int | float) if k == "max_seconds" else isinstance(v, int)) and not isinstance(v, bool)
        if not ok or v <= 0:
            raise MappingError(f"{where}: [limits] {k} must be a positive number, got {v!r}")
    return LimitOptions(**table)


def _member(doc: dict[str, Any], where: str) -> str | None:
    table = _table(doc, "source", where)
    unknown = sorted(set(table) - {"member", "object_type"})
    if unknown:
        raise MappingError(f"{where}: [source] has unknown key(s) {unknown}; expected member, object_type")
    member = table.get("member")
    if member is not None and (not isinstance(member, str) or not member):
        raise MappingError(f"{where}: [source] member must be the name of a file in the archive, got {member!r}")
    return member


def _object_type(doc: dict[str, Any], where: str) -> str | None:
    value = _table(doc, "source", where).get("object_type")
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise MappingError(f"{where}: [source] object_type must name an object type of the OCEL 2.0 log, "
                           f"got {value!r}")
    return value


def resolve_columns(mapping: Mapping, source: str, names: list[str]) -> dict[str, str]:
    """Role -> source column for a table with ``names``: explicit mapping first, then synonyms.

    Raises MappingError when a mapped column is missing, when a required role cannot be found,
    or when two columns could play the same role (the message says what to write).
    """
    from flowmine.ingest._source import quotes_content

    # a symlinked source's header is its target's first line: never echoed
    has = f"the file has {names}" if quotes_content() else "the file has other columns (not shown: the source " \
        "is a symbolic link)"
    roles: dict[str, str] = {}
    for role, col in mapping.columns.items():
        if col not in names:
            raise MappingError(f"{source}: mapping {mapping.origin} names column {col!r} for {role}, but {has}")
        roles[role] = col
    taken = set(roles.values()) | set(mapping.milestones) | set(mapping.drop)
    by_norm: dict[str, list[str]] = {}
    for n in names:
        by_norm.setdefault(_norm(n), []).append(n)
    for role, syns in SYNONYMS.items():
        if role in roles or (mapping.is_wide and role in ("activity", "timestamp", "start_timestamp")):
            continue
        if syns[0] in names and syns[0] not in taken:  # the XES key itself is never ambiguous
            roles[role] = syns[0]
            taken.add(syns[0])
            continue
        found = [c for s in syns for c in by_norm.get(_norm(s), []) if c not in taken]
        found = list(dict.fromkeys(found))
        if len(found) > 1 and role in ("case", "activity", "timestamp") and not quotes_content():
            raise MappingError(f"{source}: {len(found)} columns could each be the {role}; say which in a mapping "
                               f"file: [columns] {role} = \"...\"")
        if len(found) > 1 and role in ("case", "activity", "timestamp"):
            raise MappingError(
                f"{source}: columns {found} could each be the {role}; say which in a mapping file: "
                f"[columns] {role} = \"{found[0]}\"  (start one with: flowmine mapping suggest {source})"
            )
        if found:
            roles[role] = found[0]
            taken.add(found[0])
    required = ("case",) if mapping.is_wide else ("case", "activity", "timestamp")
    missing = [r for r in required if r not in roles]
    if missing:
        hint = " ".join(f'{r} = "<column>"' for r in missing)
        raise MappingError(
            f"{source}: cannot tell which column is the {', '.join(missing)}; {has}. "
            f"Write a mapping file with [columns] {hint} (start one with: flowmine mapping suggest {source})"
        )
    return roles
