"""Object-centric event logs (OCEL 2.0): the three standard forms read safely, one object type flattened.

pm4py reads the JSON and XML files (``read_ocel2_json/xml``, with its Rust reader r4pm) and flattens
them (``ocel_flattening``); SQLite is read by :mod:`._ocel_sqlite`, which builds the ``OCEL`` pm4py's
reader builds, 3-4 times faster. This module stands in front of them as every flowmine reader does: a
local regular file only, the format told by the content, the decompressed-size cap, an XML prolog
without DOCTYPE or entities (checked before pm4py's parser sees the file), an SQLite database read from a
private copy (opening one may roll back its journal, and a source is never modified), and every failure
as one line naming the file.

Flattening on an object type gives a case-centric log whose cases are the objects of that type. It
distorts in two known ways, which :class:`Flattening` counts so that the ingest report can say so:
**convergence** (an event related to several objects of the type is copied into each of their cases)
and **divergence** (one case holds several events of one activity that concern different objects of
another type, so they look like rework).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd
import pyarrow as pa

from flowmine.errors import OptionError, UnsafeInputError, UnusableInputError
from flowmine.ingest._ocel_sniff import OCEL_FORMATS
from flowmine.ingest._raw import RawTable, empty_quarantine
from flowmine.ingest._source import archive_member, check_deadline, check_source, detect, max_decompressed_bytes

if TYPE_CHECKING:
    from pm4py.objects.ocel.obj import OCEL

_KIND: Final = {"ocel-json": "JSON", "ocel-xml": "XML", "ocel-sqlite": "SQLite"}
#: The tables every OCEL 2.0 SQLite file has (the standard's relational form).
_SQLITE_TABLES: Final = ("event", "object", "event_object", "event_map_type", "object_map_type")

def read_ocel(source: str | os.PathLike[str]) -> OCEL:
    """Read an OCEL 2.0 log (JSON, XML or SQLite, or a ZIP archive holding one) as pm4py's ``OCEL``.

    The format is told by the content, not the name. Raises :class:`~flowmine.errors.UnusableInputError`
    (or :class:`~flowmine.errors.UnsafeInputError`) with one line naming the file for anything that
    is not a readable OCEL 2.0 log.

    Examples
    --------
    >>> from flowmine import read_ocel
    >>> log = read_ocel("sample_logs/sales_o2c.jsonocel")  # doctest: +SKIP
    """
    with _ocel_file(source) as (path, fmt):
        return _read(path, fmt, os.fspath(source))


@contextlib.contextmanager
def _ocel_file(source: str | os.PathLike[str]) -> Iterator[tuple[Path, str]]:
    path = check_source(source)
    fmt, _gz, _notes = detect(path)
    if fmt == "zip":
        with archive_member(path, None) as (inner, _name):
            yield inner, detect(inner)[0]
    else:
        yield path, fmt


def read_ocel_file(path: Path, fmt: str, source: str) -> OCEL:
    """Read the OCEL 2.0 file ``path`` of the sniffed format ``fmt``; ``source`` names it in messages."""
    return _read(path, fmt, source)


def _read(path: Path, fmt: str, source: str) -> OCEL:
    if fmt not in OCEL_FORMATS:
        raise UnusableInputError(source, f"is {fmt.upper()}, not an object-centric log (OCEL 2.0 JSON, XML or "
                                 "SQLite)")
    size, cap = path.stat().st_size, max_decompressed_bytes()
    if size > cap:  # the whole log is held in memory by pm4py's readers
        raise UnsafeInputError(source, f"is {size:,} bytes, more than the limit of {cap:,} "
                               "([limits] max_bytes in the mapping or FLOWMINE_MAX_DECOMPRESSED_BYTES)")
    import pm4py

    kind = _KIND[fmt]
    try:
        if fmt == "ocel-json":
            _check_json(path, source)
            with _named(path, ".jsonocel") as named:
                ocel = pm4py.read_ocel2_json(str(named))
        elif fmt == "ocel-xml":
            _check_xml(path, source)
            with _named(path, ".xmlocel") as named:
                ocel = pm4py.read_ocel2_xml(str(named))
        else:
            ocel = _read_sqlite(path, source)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError, OSError, sqlite3.Error) as exc:
        raise UnusableInputError(source, f"is not a valid OCEL 2.0 {kind} log ({type(exc).__name__}: "
                                 f"{str(exc)[:200]})") from None
    check_deadline(source)
    if ocel.events.empty:
        raise UnusableInputError(source, f"is an OCEL 2.0 {kind} log without any event")
    return ocel


@contextlib.contextmanager
def _named(path: Path, suffix: str) -> Iterator[Path]:
    """``path`` under a name ending in ``suffix``: pm4py's Rust reader (r4pm) picks the form by the extension,
    and flowmine tells it by the content (a ZIP member or a file named ``export.data`` is read too)."""
    if path.name.lower().endswith((suffix, suffix.replace("ocel", ""))):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="flowmine-ocel-") as tmp:
        link = Path(tmp) / f"log{suffix}"
        link.symlink_to(path.resolve())
        yield link


def _check_json(path: Path, source: str) -> None:
    """Parse once with the standard library so that a syntax error names its line and column."""
    try:
        with path.open("rb") as fh:
            doc = json.load(fh)
    except json.JSONDecodeError as exc:
        raise UnusableInputError(source, f"is not valid JSON: {exc.msg} at line {exc.lineno}, column "
                                 f"{exc.colno}") from None
    except UnicodeDecodeError as exc:
        raise UnusableInputError(source, f"is not UTF-8 JSON ({exc.reason} at byte {exc.start})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("events", []), list):
        raise UnusableInputError(source, "is JSON but not an OCEL 2.0 log: expected an object with an "
                                 "'events' list")
    for key in ("objectTypes", "eventTypes", "objects", "events"):
        if key not in doc:
            raise UnusableInputError(source, f"is not a valid OCEL 2.0 JSON log: the key {key!r} is missing")


def _check_xml(path: Path, source: str) -> None:
    """Refuse a DOCTYPE or entity declaration and check well-formedness before pm4py's parser runs."""
    from lxml import etree

    from flowmine.ingest._xes_source import XesSource, syntax_error

    with path.open("rb") as fh:
        src = XesSource(fh, source, kind="OCEL 2.0 XML")
        src.scan_prolog()
        try:
            for _ in etree.iterparse(src, events=("end",), resolve_entities=False, no_network=True,
                                     load_dtd=False, huge_tree=False):
                pass
        except etree.XMLSyntaxError as exc:
            raise syntax_error(source, exc, src.encoding, src.kind) from None


def _read_sqlite(path: Path, source: str) -> OCEL:
    from flowmine.ingest._ocel_sqlite import read_sqlite_ocel

    with tempfile.TemporaryDirectory(prefix="flowmine-ocel-") as tmp:
        copy = Path(tmp) / "log.sqlite"
        shutil.copyfile(path, copy)
        con = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        try:
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise UnusableInputError(source, f"is not a readable SQLite database ({exc})") from None
        finally:
            con.close()
        missing = [t for t in _SQLITE_TABLES if t not in names]
        if missing:
            raise UnusableInputError(source, f"is an SQLite database but not an OCEL 2.0 log: the table(s) "
                                     f"{', '.join(missing)} are missing")
        return read_sqlite_ocel(copy)


@dataclass
class Flattening:
    """A case-centric view of an object-centric log on one object type, and what the view distorts.

    Attributes
    ----------
    object_type:
        The object type whose objects became the cases.
    events:
        pandas DataFrame, one row per (event, related object of the type), with pm4py's XES keys
        (``case:concept:name`` the object id, ``concept:name``, ``time:timestamp`` in UTC, ``ocel:eid``,
        event attributes, object attributes prefixed ``case:``).
    cases:
        Objects of the type that have at least one event.
    objects_without_events:
        Objects of the type that no event relates to (they cannot be cases).
    events_total, events_used:
        Events in the log; events related to at least one object of the type.
    convergent_events:
        Events related to more than one object of the type: each is copied into every one of those
        cases, so counts and costs summed over cases count it more than once.
    extra_copies:
        Rows the copies add: ``len(events) - events_used``.
    divergent_events:
        Rows of a case whose activity occurs more than once in that case for different objects of
        another type (e.g. one order's three "create delivery" events for three deliveries): they
        read as rework although each concerns another object.
    unknown_objects:
        Event-to-object relations naming an object the log does not declare (left out by pm4py).
    """

    object_type: str
    events: pd.DataFrame
    cases: int
    objects_without_events: int
    events_total: int
    events_used: int
    convergent_events: int
    extra_copies: int
    divergent_events: int
    unknown_objects: int
    object_types: dict[str, int] = field(default_factory=dict)
    #: How many objects of one type relate to one object of another (deliveries per order, ...): one dict
    #: per (``from``, ``to``) type pair with ``objects`` (``from`` objects related to at least one ``to``),
    #: ``mean``, ``max`` and ``more_than_one`` (``from`` objects related to several ``to`` objects).
    cardinalities: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        """Everything but the events, as plain values (for the ingest report and its JSON)."""
        return {k: v for k, v in self.__dict__.items() if k != "events"}

    def notes(self) -> list[str]:
        """What the flattening did, for the ingest report (each a sentence a person can act on)."""
        t = self.object_type
        out = [f"object-centric log flattened on the object type {t!r}: {self.cases:,} {t} objects are the "
               f"cases; {self.events_used:,} of {self.events_total:,} events relate to one"]
        if self.events_total > self.events_used:
            out.append(f"{self.events_total - self.events_used:,} events relate to no {t} object and are not "
                       f"in this process (flatten on another object type to see them)")
        if self.convergent_events:
            out.append(f"convergence: {self.convergent_events:,} events relate to several {t} objects and were "
                       f"copied into each of their cases ({self.extra_copies:,} extra rows); totals over cases "
                       "count them more than once")
        if self.divergent_events:
            out.append(f"divergence: {self.divergent_events:,} rows repeat an activity within one {t} for "
                       "different objects of another type; they read as rework although each concerns "
                       "another object")
        if self.objects_without_events:
            out.append(f"{self.objects_without_events:,} {t} objects have no event and are not cases")
        if self.unknown_objects:
            out.append(f"{self.unknown_objects:,} event-to-object relations name an object the log does not "
                       "declare; they were left out")
        return out


def object_types(ocel: OCEL) -> dict[str, int]:
    """Object type → number of objects, largest first."""
    counts = ocel.objects[ocel.object_type_column].value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def flatten(ocel: OCEL, object_type: str) -> Flattening:
    """Flatten ``ocel`` on ``object_type`` with pm4py's ``ocel_flattening`` and count its distortions.

    Raises :class:`~flowmine.errors.OptionError` when the log has no object of that type (the message
    lists the types it has).
    """
    import pm4py

    types = object_types(ocel)
    if object_type not in types:
        have = ", ".join(f"{k} ({v:,})" for k, v in types.items())
        raise OptionError(f"the log has no object of type {object_type!r}; it has: {have}", parameter="object_type",
                          function="flatten")
    flat = pm4py.ocel_flattening(ocel, object_type)
    oid, eid, typ = ocel.object_id_column, ocel.event_id_column, ocel.object_type_column
    rel = ocel.relations[[eid, oid, typ]].drop_duplicates([eid, oid])
    known = set(ocel.objects[oid])
    unknown = int((~rel[oid].isin(known)).sum())
    mine = rel[rel[typ] == object_type]
    per_event = mine.groupby(eid)[oid].nunique()
    cases = int(flat["case:concept:name"].nunique()) if len(flat) else 0
    return Flattening(
        object_type=object_type, events=flat, cases=cases, objects_without_events=types[object_type] - cases,
        events_total=len(ocel.events), events_used=len(per_event),
        convergent_events=int((per_event > 1).sum()), extra_copies=int(len(flat) - len(per_event)),
        divergent_events=_divergent(flat, rel[rel[typ] != object_type], eid, oid), unknown_objects=unknown,
        object_types=types, cardinalities=cardinalities(ocel),
    )


#: Above this many (event, object, object) combinations the pairs that share an event are not formed
#: (an event related to thousands of objects); the object-to-object relations alone are counted then.
MAX_SHARED_PAIRS: Final = 20_000_000


def cardinalities(ocel: OCEL) -> list[dict[str, Any]]:
    """Per ordered pair of object types: how many objects of the second relate to one of the first,
    counting object-to-object relations (both ways) and objects that share an event."""
    oid, eid, typ = ocel.object_id_column, ocel.event_id_column, ocel.object_type_column
    kind = dict(zip(ocel.objects[oid], ocel.objects[typ], strict=False))
    pairs = [ocel.o2o[[oid, f"{oid}_2"]].set_axis(["a", "b"], axis=1)] if len(ocel.o2o) else []
    rel = ocel.relations[[eid, oid]].drop_duplicates()
    sizes = rel.groupby(eid).size()
    if int((sizes.astype("int64") ** 2).sum()) <= MAX_SHARED_PAIRS:
        shared = rel.merge(rel, on=eid)
        shared = shared[shared[f"{oid}_x"] != shared[f"{oid}_y"]]
        pairs.append(shared[[f"{oid}_x", f"{oid}_y"]].set_axis(["a", "b"], axis=1))
    if not pairs:
        return []
    both = pd.concat(pairs + [p.rename(columns={"a": "b", "b": "a"}) for p in pairs], ignore_index=True)
    both = both.drop_duplicates()
    both["ta"], both["tb"] = both["a"].map(kind), both["b"].map(kind)
    both = both.dropna(subset=["ta", "tb"])
    both = both[both["ta"] != both["tb"]]
    per = both.groupby(["ta", "tb", "a"]).size().rename("n").reset_index()
    out = []
    for (ta, tb), g in per.groupby(["ta", "tb"]):
        n = g["n"]
        out.append({"from": str(ta), "to": str(tb), "objects": len(n), "mean": round(float(n.mean()), 3),
                    "max": int(n.max()), "more_than_one": int((n > 1).sum())})
    return out


def _divergent(flat: pd.DataFrame, others: pd.DataFrame, eid: str, oid: str) -> int:
    """Rows whose (case, activity) repeats with different sets of related objects of other types."""
    if flat.empty:
        return 0
    key = flat[["case:concept:name", "concept:name", eid]]
    repeated = key[key.duplicated(["case:concept:name", "concept:name"], keep=False)]
    if repeated.empty:
        return 0
    sets = others.groupby(eid)[oid].agg(lambda s: "\x1f".join(sorted(map(str, s))))
    with_sets = repeated.assign(_objs=repeated[eid].map(sets).fillna("").astype(str))
    spread = with_sets.groupby(["case:concept:name", "concept:name"])["_objs"].transform("nunique")
    return int((spread > 1).sum())


def read_ocel_raw(path: Path, fmt: str, source: str, object_type: str | None) -> RawTable:
    """An OCEL 2.0 file flattened on ``object_type`` as a :class:`RawTable` in XES keys (``ingest``'s reader)."""
    ocel = _read(path, fmt, source)
    if object_type is None:
        have = ", ".join(f"{k} ({v:,})" for k, v in object_types(ocel).items())
        raise UnusableInputError(source, f"is an object-centric log (OCEL 2.0); name the object type whose "
                                 f"objects are the cases (--object-type, or [source] object_type in the mapping): "
                                 f"{have}")
    try:
        flat = flatten(ocel, object_type)
    except OptionError as exc:
        raise UnusableInputError(source, str(exc)) from None
    table = _to_arrow(flat.events)
    n = table.num_rows
    return RawTable(source=source, format=fmt, table=table,
                    row_numbers=pa.array(range(1, n + 1), pa.int64()), quarantine=empty_quarantine(),
                    notes=flat.notes(), flattening=flat.counts())


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    """pm4py's frame as Arrow with the reader conventions: UTC timestamps, text ids, no pandas index."""
    cols: dict[str, Any] = {}
    for name in frame.columns:
        s = frame[name]
        if pd.api.types.is_datetime64_any_dtype(s):
            s = pd.to_datetime(s, utc=True)
            cols[str(name)] = pa.array(s.dt.as_unit("us"), pa.timestamp("us", tz="UTC"))
        elif name in ("case:concept:name", "concept:name", "ocel:eid") or s.dtype == object:
            cols[str(name)] = pa.array(s.astype("string").astype(object).where(s.notna(), None), pa.string())
        else:
            cols[str(name)] = pa.Array.from_pandas(s)
    return pa.table(cols)
