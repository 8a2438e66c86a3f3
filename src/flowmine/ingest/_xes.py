"""Read an XES event log safely and fast into a :class:`~flowmine.ingest._raw.RawTable`.

The reader streams the file through lxml's ``iterparse`` with entity resolution, DTD loading
and network access off and libxml2's size and depth limits on, after a byte-level scan of the
XML prolog has refused any DOCTYPE or entity declaration and checked that the root element is
``<log>``. Elements are cleared as soon as they are read, so memory holds one trace of XML plus
compact Arrow chunks of the values read so far. Values are collected as text per attribute key
and typed once at the end, vectorised, by their XES type (``date`` becomes
``timestamp[us, UTC]``, ``int`` ``int64``, ``float`` ``float64``, ``boolean`` ``bool``,
``string``/``id`` stay text). A value that does not parse quarantines its whole event with a
reason code, where pm4py would drop the value silently; two traces with one case id are never
merged. Elements are matched by their local name, so every producer's namespace reads alike: the
standard's ``http://www.xes-standard.org/``, Fluxicon Disco's ``http://www.xes-standard.org`` without the
trailing slash, a prefix (``xes:event``), or none. The header is read, not loaded as data:
``<classifier name keys>`` (keys split as pm4py splits them; one can be chosen as the activity, see
:func:`apply_classifier`), ``<global>``, ``<extension>``, and log-level attributes (the producer and
``lifecycle:model`` are reported in one note). Global attribute defaults (``<global scope="event">``) are
not applied to events, as in pm4py: an event lacking an attribute gets a null there, not the declared
default, so cases and events equal pm4py's reading. An attribute with an empty key (``key=""``) is
skipped with a note: no column can be named by it (pm4py keeps it as a column named ``""``).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from flowmine._schema import ACTIVITY, CASE, CASE_PREFIX, LIFECYCLE, Reason
from flowmine.errors import MappingError, UnsafeInputError, UnusableInputError
from flowmine.ingest._mapping import Mapping
from flowmine.ingest._raw import QuarantineBuilder, RawTable, TracePositions
from flowmine.ingest._scan import hash_behind
from flowmine.ingest._source import open_gzip_capped
from flowmine.ingest._xes_fast import Fallback, read_body
from flowmine.ingest._xes_source import REFUSED, XesSource, syntax_error
from flowmine.ingest._xes_types import _BAD, _typed

#: Longest attribute value kept (characters); longer values quarantine their event.
MAX_VALUE_CHARS: Final = 1_000_000
_CHUNK_EVENTS: Final = 65_536
#: Whether the vectorised reader (:mod:`._xes_fast`) reads the body first; off, every file goes element by
#: element through lxml (the equivalence tests compare the two).
FAST_PATH = True
_NAME: Final = "concept:name"
_TOO_LARGE: Final = Reason.VALUE_TOO_LARGE
_KINDS = dict(string="string", id="string", date="date", int="int", float="float", boolean="boolean")
_TYPES: Final = {**_KINDS, "list": "list", "container": "list"}  # by local name: any namespace, or none

Problem = tuple[str, str, "str | None", "str | None"]


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Columns:
    """Attribute values as text, column by column, flushed to Arrow every ``_CHUNK_EVENTS`` rows."""

    def __init__(self) -> None:
        self.cols: dict[str, tuple[list[int], list[str]]] = {}
        self.types: dict[str, str] = {}
        self.mixed: dict[str, set[str]] = {}
        self.chunks: list[pa.Table] = []
        self.base = 0

    def flush(self, n: int) -> None:
        arrays = {}
        for key, (idx, vals) in self.cols.items():
            if len(idx) == n:
                arrays[key] = pa.array(vals, pa.string())
            else:
                full: list[str | None] = [None] * n
                for i, v in zip(idx, vals, strict=True):
                    full[i] = v
                arrays[key] = pa.array(full, pa.string())
        self.chunks.append(pa.table(arrays) if arrays else pa.table({"_": pa.nulls(n)}).drop_columns("_"))
        self.cols, self.base = {}, self.base + n

    def table(self, n: int) -> pa.Table:
        if n > self.base or not self.chunks:
            self.flush(n - self.base)
        return pa.concat_tables(self.chunks, promote_options="default")


class _Parser:
    """State of one pass over an XES file: values as text, structure, problems found so far."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.events, self.traces = _Columns(), _Columns()
        self.ev_trace = array("q")  # trace index of each event, -1 outside any trace
        self.ev_pos = array("q")  # 1-based position of the event in its trace
        self.tr_first = array("q")  # index of each trace's first event
        self.tr_count = array("q")  # events per trace
        self.problems: dict[int, list[Problem]] = {}  # event index (trace t: -1 - t) -> problems
        self.case_problems: dict[int, Problem] = {}  # trace index -> missing/duplicate case id
        self.first_trace_of: dict[str, int] = {}
        self.skipped = {"nested": 0, "list": 0, "odd": 0, "empty": 0, "empty_key": 0}
        self.n_events = 0
        self.outside = 0
        self.root: etree._Element | None = None
        self.tag_types: dict[object, str | None] = {k: v for k, v in _TYPES.items()}
        self.classifiers: dict[str, tuple[str, ...]] = {}
        self.log_attrs: dict[str, str] = {}
        self.globals: dict[str, list[str]] = {}

    def attributes(self, kids: Iterable[etree._Element], store: _Columns, row: int, ev: int | None) -> None:
        """Record the typed attribute elements among ``kids`` as values of ``row``."""
        cols, types, skipped = store.cols, store.types, self.skipped
        tag_types = self.tag_types
        for child in kids:
            tag = child.tag
            if (typ := tag_types.get(tag)) is None and tag not in tag_types:
                typ = tag_types[tag] = _TYPES.get(_local(tag))  # by local name: namespaced tags once each
            key = child.get("key")
            if typ is None or key is None:
                skipped["odd"] += _local(child.tag) != "event"
                continue
            if not key.strip():  # key="": no column can hold it (pm4py keeps it under the empty name)
                skipped["empty_key"] += 1
                continue
            if typ == "list":
                skipped["list"] += 1
                continue
            if len(child):
                skipped["nested"] += 1  # children of an attribute are skipped, its own value kept
            value = child.get("value")
            if value is None:
                skipped["odd"] += 1
                continue
            if len(value) > MAX_VALUE_CHARS:
                col_at = (CASE_PREFIX + key, -1 - row) if ev is None else (key, ev)
                detail = f"{key!r} holds {len(value):,} characters (limit {MAX_VALUE_CHARS:,})"
                self.problems.setdefault(col_at[1], []).append((_TOO_LARGE, detail, col_at[0], value))
                continue
            if key == _NAME:
                typ = "string"  # case ids and activity names are text even when written as int
            if types.setdefault(key, typ) != typ:
                store.mixed.setdefault(key, {types[key]}).add(typ)
            col = cols.get(key)
            if col is None:
                col = cols[key] = ([], [])
            col[0].append(row)
            col[1].append(value)

    def run(self, stream: XesSource) -> None:
        etree.clear_error_log()
        context = etree.iterparse(
            stream, events=("end",), tag=("{*}trace", "{*}event"), resolve_entities=False, no_network=True,
            load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True,
        )  # fmt: skip
        cur: etree._Element | None = None  # the trace element being read
        trace = -1
        try:
            for _, elem in context:
                if self.n_events == 0 and not self.tr_first:
                    info = elem.getroottree().docinfo  # defence in depth: the prolog scan refused it
                    if info.doctype or info.internalDTD is not None:
                        raise UnsafeInputError(self.source, REFUSED)
                    self.root = elem.getroottree().getroot()
                parent = elem.getparent()
                where = _local(parent.tag) if parent is not None else ""
                if _local(elem.tag) == "event":
                    if where not in ("trace", "log"):
                        self._structure(f"<event> inside <{where}>", elem)
                    if where == "trace" and parent is not cur:
                        cur, trace = parent, self._new_trace()
                    self._event(elem, trace if where == "trace" else -1)
                    self._take(parent, elem, trace if where == "trace" else -1)
                    continue
                if where != "log":
                    self._structure(f"<trace> inside <{where or 'nothing'}>", elem)
                if elem is not cur:
                    trace = self._new_trace()
                self._take(elem, None, trace)
                self._end_trace(trace)
                cur, trace = None, -1
                self._take(parent, elem, -1)
            if self.root is not None:  # header elements after the last trace
                for child in self.root:
                    self._header(child)
        except etree.XMLSyntaxError as exc:
            raise syntax_error(self.source, exc, stream.encoding) from None
        finally:
            del context

    def _header(self, elem: etree._Element) -> None:
        """A child of ``<log>`` that is not a trace or event: classifier, global, extension, attribute."""
        local = _local(elem.tag)
        if local == "classifier":
            name, keys = elem.get("name"), elem.get("keys")
            if name is not None and keys is not None:  # split as pm4py does: quoted keys may hold spaces
                self.classifiers[name] = tuple(k for k in keys.split("'") if k.strip()) if "'" in keys \
                    else tuple(keys.split())
        elif local == "global":
            self.globals[elem.get("scope", "event")] = [k for c in elem if (k := c.get("key"))]
        elif local in _KINDS:
            key, value = elem.get("key"), elem.get("value")
            if key is not None and key.strip() and value is not None:
                self.log_attrs[key] = value

    def _new_trace(self) -> int:
        self.tr_first.append(self.n_events)
        self.tr_count.append(0)
        return len(self.tr_first) - 1

    def _event(self, elem: etree._Element, trace: int) -> None:
        idx = self.n_events
        self.n_events += 1
        self.ev_trace.append(trace)
        if trace < 0:
            self.outside += 1
            self.ev_pos.append(self.outside)
        else:
            self.tr_count[trace] += 1
            self.ev_pos.append(self.tr_count[trace])
        self.attributes(elem, self.events, idx - self.events.base, idx)
        if idx + 1 - self.events.base >= _CHUNK_EVENTS:
            self.events.flush(idx + 1 - self.events.base)

    def _take(self, parent: etree._Element, upto: etree._Element | None, trace: int) -> None:
        """Read the trace attributes among ``parent``'s children before ``upto``, then free them."""
        while len(parent) and (first := parent[0]) is not upto:
            if trace >= 0 and _local(first.tag) != "event":
                self.attributes((first,), self.traces, trace, None)
            elif parent is self.root:
                self._header(first)
            del parent[0]
        if upto is not None:
            upto.clear(keep_tail=False)

    def _structure(self, what: str, elem: etree._Element) -> None:
        raise UnusableInputError(self.source, f"is not well-formed XES: {what} (line {elem.sourceline})")

    def _end_trace(self, trace: int) -> None:
        if self.tr_count[trace] == 0:
            self.skipped["empty"] += 1
            return
        col = self.traces.cols.get(_NAME)
        case = col[1][-1] if col and col[0][-1] == trace else None
        if case is None:
            self.case_problems[trace] = (Reason.MISSING_CASE, "the trace has no concept:name", CASE, None)
        elif (first := self.first_trace_of.setdefault(case, trace)) != trace:
            detail = f"case id already used by trace {first + 1}; traces are never merged"
            self.case_problems[trace] = (Reason.DUPLICATE_CASE_ID, detail, CASE, case)


def _columns(p: _Parser, take: pa.Array, notes: list[str]) -> dict[str, pa.Array]:
    """Typed columns: the case id, event attributes, trace attributes (``case:``) per event."""
    ev, tr = p.events.table(p.n_events), p.traces.table(len(p.tr_first))
    has_case = _NAME in tr.column_names
    case = tr.column(_NAME).combine_chunks() if has_case else pa.nulls(tr.num_rows, pa.string())
    columns, naive = {CASE: case.take(take)}, 0
    todo = [(store, table, scope, key) for store, table, scope in ((p.events, ev, "event"), (p.traces, tr, "trace"))
            for key in table.column_names if (key if scope == "event" else CASE_PREFIX + key) != CASE]
    kinds_of = ["string" if key in store.mixed else store.types[key] for store, _, _, key in todo]
    with ThreadPoolExecutor(max_workers=2) as pool:  # Arrow's kernels release the GIL: two columns at a time
        typings = list(pool.map(_typed, [table.column(key) for _, table, _, key in todo], kinds_of))
    for (store, table, scope, key), typ, (typed, bad, k) in zip(todo, kinds_of, typings, strict=True):
        name = key if scope == "event" else CASE_PREFIX + key
        if key in store.mixed:
            kinds = ", ".join(sorted(store.mixed[key]))
            notes.append(f"{scope} attribute {key!r} appears as {kinds}; read as text")
        raw = table.column(key)
        naive += k
        for i in np.flatnonzero(bad).tolist():
            at, (reason, what) = (i if scope == "event" else -1 - i), _BAD[typ]
            p.problems.setdefault(at, []).append((reason, f"{key!r} {what}", name, raw[i].as_py()))
        if name in columns:
            notes.append(f"event attribute {name!r} is shadowed by the trace attribute {key!r}")
        columns[name] = typed if scope == "event" else typed.take(take)
    if naive:
        notes.append(f"{naive} timestamp value(s) had no UTC offset and were read as UTC")
    return columns


def _per_event(p: _Parser, ev_trace: np.ndarray) -> dict[int, list[Problem]]:
    """Every problem of every event, the case-level one first (trace problems apply to all its events)."""
    first, count = np.frombuffer(p.tr_first, dtype=np.int64), np.frombuffer(p.tr_count, dtype=np.int64)
    found: dict[int, list[Problem]] = {i: list(v) for i, v in p.problems.items() if i >= 0}
    for t in {-1 - i for i in p.problems if i < 0} | set(p.case_problems):
        own = ([p.case_problems[t]] if t in p.case_problems else []) + p.problems.get(-1 - t, [])
        for e in range(int(first[t]), int(first[t] + count[t])):
            found.setdefault(e, [])[:0] = own
    for e in np.flatnonzero(ev_trace < 0).tolist():
        found.setdefault(e, []).insert(0, (Reason.MISSING_CASE, "outside any <trace>", CASE, None))
    return found


_SKIPPED = {
    "nested": "attribute(s) with nested attributes: the children skipped, the parent's value kept",
    "list": "list/container attribute(s) skipped",
    "odd": "element(s) that are not typed XES attributes with key and value skipped",
    "empty": "trace(s) without events (they hold no rows)",
    "empty_key": "attribute(s) with an empty key skipped (no column can be named by it)",
}
_CREATORS: Final = ("creator", "library", "xes.creator", "openxes.creator")


def _header_note(p: _Parser) -> str | None:
    """One line on what the header says that matters: who wrote it, its lifecycle model, its classifiers."""
    attrs = {**(dict(p.root.attrib) if p.root is not None else {}), **p.log_attrs}
    parts = [f"{k} {str(attrs[k])[:80]!r}" for k in (*_CREATORS, "lifecycle:model") if k in attrs]
    chosen = {n: k for n, k in p.classifiers.items() if k != (_NAME,)}
    if chosen:
        listed = ", ".join(f"{n!r} = {'+'.join(k)}" for n, k in list(chosen.items())[:6])
        parts.append(f"classifiers {listed} (one can be the activity: [xes] classifier = \"NAME\")")
    return "XES header: " + "; ".join(parts) if parts else None


def _build(p: _Parser) -> RawTable:
    n, ev_trace = p.n_events, np.frombuffer(p.ev_trace, dtype=np.int64)
    notes: list[str] = []
    columns = _columns(p, pa.array(ev_trace, mask=ev_trace < 0), notes)
    notes += [f"{p.skipped[k]} {text}" for k, text in _SKIPPED.items() if p.skipped[k]]
    if (header := _header_note(p)) is not None:
        notes.insert(0, header)
    positions = TracePositions(ev_trace, np.frombuffer(p.ev_pos, dtype=np.int64))  # "trace 3, event 2"
    quarantine, keep = QuarantineBuilder(p.source), np.ones(n, bool)
    per_event = _per_event(p, ev_trace)
    bad = sorted(per_event)  # one record per event, so that rows_read = kept + quarantined
    for e, where in zip(bad, positions.take(bad).to_pylist(), strict=True):
        (reason, detail, column, value), *more = per_event[e]
        if more:
            detail += f" (and {len(more)} more: {', '.join(m[0] for m in more)})"
        quarantine.add(e + 1, reason, detail, column=column, value=value, position=where)
        keep[e] = False
    table, rows = pa.table(columns), np.arange(1, n + 1, dtype=np.int64)
    if bad:  # a filter copies every column: only when some event is quarantined
        table, rows, positions = table.filter(pa.array(keep)), rows[keep], positions.filter(keep)
    return RawTable(
        source=p.source, format="xes", table=table, row_numbers=pa.array(rows), quarantine=quarantine.to_table(),
        positions=positions, notes=notes, classifiers=dict(p.classifiers),
    )  # fmt: skip


def _open(path: Path, gzipped: bool) -> IO[bytes]:
    return open_gzip_capped(path) if gzipped else path.open("rb")


def read_xes(path: Path, gzipped: bool) -> RawTable:
    """Read an XES (or gzip-compressed XES) file into a :class:`RawTable`, one row per ``<event>``.

    Parameters
    ----------
    path:
        A local file already checked by :func:`~flowmine.ingest._source.check_source`.
    gzipped:
        Whether the content is gzip-compressed (from :func:`~flowmine.ingest._source.detect`).

    Returns
    -------
    RawTable
        ``format="xes"``; columns ``case:concept:name``, every event attribute by key and every
        trace attribute prefixed ``case:``, typed by XES type. An event with a value that does
        not parse, without case id, or in a later trace whose case id was used before, is
        quarantined whole (one record per event, naming its first problem).

    Raises
    ------
    UnsafeInputError
        A DOCTYPE/entity declaration, or a decompression bomb.
    UnusableInputError
        Not well-formed, truncated, not XES, wrongly encoded, or holding no events.

    Examples
    --------
    >>> raw = read_xes(Path("tests/data/xes/tiny.xes"), gzipped=False)
    >>> raw.table.num_rows, raw.quarantine.num_rows
    (3, 0)
    """
    source = str(path)
    parser = _Parser(source)
    with _open(path, gzipped) as stream:
        src = XesSource(stream, source)
        src.scan_prolog()  # refuses DOCTYPE/entities before either parser reads a byte of the body
        if FAST_PATH:
            try:
                read_body(parser, src)
            except Fallback:
                parser = None  # type: ignore[assignment]
        else:
            parser.run(src)
    if parser is None:  # the fast path could not represent the file exactly: read it again, element by element
        parser = _Parser(source)
        with _open(path, gzipped) as stream:
            src = XesSource(stream, source)
            src.scan_prolog()
            parser.run(src)
    if parser.n_events == 0:
        raise UnusableInputError(source, "holds no events")
    hash_behind(path)  # the store's sha256 of the file, taken while the events are built and normalised
    return _build(parser)


def apply_classifier(raw: RawTable, mapping: Mapping, notes: list[str]) -> str | None:
    """Make the classifier ``[xes] classifier`` names the activity (its keys' values joined with ``+``,
    as pm4py's ``insert_classifier`` joins them). Returns ``"none"`` when the classifier holds the
    lifecycle transition (its values are then part of the activity, so no transitions are folded),
    else ``None``."""
    name = mapping.xes_classifier
    if name is None:
        return None
    if name not in raw.classifiers:
        declared = list(raw.classifiers) or "none"
        raise MappingError(f"{raw.source}: mapping {mapping.origin} chooses the classifier {name!r}, but the file "
                           f"declares {declared}")
    keys = raw.classifiers[name]
    t = raw.table
    missing = [k for k in keys if k not in t.column_names]
    if missing or not keys:
        raise MappingError(f"{raw.source}: classifier {name!r} uses the key(s) {missing or list(keys)}, which no "
                           "event of the file has")
    parts = [t.column(k).cast(pa.string()) for k in keys]
    value = pc.binary_join_element_wise(*parts, "+") if len(parts) > 1 else parts[0]
    if ACTIVITY in t.column_names:
        t = t.set_column(t.column_names.index(ACTIVITY), ACTIVITY, value)
    else:
        t = t.append_column(ACTIVITY, value)
    raw.table = t
    notes.append(f"activity = classifier {name!r} ({'+'.join(keys)})")
    if LIFECYCLE in keys:
        notes.append(f"the classifier holds {LIFECYCLE}: each transition is an activity of its own "
                     "(no lifecycle folding)")
        return "none"
    return None
