"""The fast path of the XES reader: the body of a plain XES file read with vectorised byte operations.

XES as producers write it is a regular language between the header and ``</log>``: ``<trace>``,
``<event>``, their closing tags and self-closed typed attributes ``<string key="K" value="V"/>``. This
module finds every double quote of a chunk (numpy), so the chunk splits into *structure pieces*
(what lies between two attribute values: ``" value="`` or ``"/></event><event><date key="``) and
*contents* (keys and values), as zero-copy Arrow strings over the chunk's bytes. The few distinct
structure pieces are parsed strictly in Python and give, per piece, its tags and the type of the next
attribute; counts and a forward fill of the trace/event state place every attribute in its event or
trace. The values become the same text columns that :class:`~flowmine.ingest._xes._Parser` collects
element by element, so typing, quarantine and notes are the lxml reader's own code.

Anything this path cannot represent exactly raises :class:`~flowmine.errors.FastPathDeclined`
(``Fallback`` here) before a result exists, and the file is read again by the lxml reader:
single-quoted or reordered XML attributes, nested attributes,
lists and containers, unknown or prefixed tags, comments, CDATA or text in the body, an attribute
repeated in one event, events outside traces, log attributes between or after traces, a character
reference (``&#...;``), whitespace or ``<`` inside a value, control characters, a declared encoding
other than UTF-8, invalid UTF-8, values longer than the reader's limit, a file with no trace. The
prolog has been checked by :class:`~flowmine.ingest._xes_source.XesSource` before this module reads a
byte; the header (everything before the first ``<trace>``) is parsed by lxml with the reader's hardened
settings; reading is in chunks of :data:`CHUNK_BYTES` cut after a ``</trace>``, so memory holds one
chunk of XML and the text columns read so far.
"""

from __future__ import annotations

import re
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from flowmine._schema import CASE, Reason
from flowmine.errors import FastPathDeclined as Fallback

if TYPE_CHECKING:
    from flowmine.ingest._xes import _Columns, _Parser
    from flowmine.ingest._xes_source import XesSource

#: Decompressed bytes read per step (a chunk grows to the end of the trace that crosses it).
CHUNK_BYTES: Final = 32 << 20
_BLOCK: Final = 1 << 20  # bytes scanned per numpy pass
_MAX_PENDING: Final = 4 * CHUNK_BYTES  # bytes without a </trace>: not the shape this path reads
_NAME: Final = "concept:name"
_WS = "[ \t\r\n]"
_TYPES: Final = ("string", "date", "int", "float", "boolean", "id")
_KIND: Final = {"string": "string", "id": "string", "date": "date", "int": "int", "float": "float",
                "boolean": "boolean"}
_SEP = re.compile(f'"{_WS}+value{_WS}*={_WS}*"')
_PIECE = re.compile(
    f'(?P<end>"{_WS}*/>)?(?P<tags>(?:{_WS}|<(?:/?)(?:trace|event){_WS}*>)*)'
    f'(?:<(?P<type>{"|".join(_TYPES)}){_WS}+key{_WS}*={_WS}*")?'
)
_TAG = re.compile(f"<(/?)(trace|event){_WS}*>")
_FIRST_TRACE = re.compile(rb"<trace[ \t\r\n>]")
_TAIL = re.compile(rb"[ \t\r\n]*</log[ \t\r\n]*>[ \t\r\n]*")
_ENTITIES: Final = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))
_HEADER_PARSER = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                      remove_comments=True, remove_pis=True)
_LOG, _TRACE, _EVENT = 0, 1, 2
_SEP_KIND, _NEXT, _LEAD, _TRAIL = 0, 1, 2, 3


class _Piece:
    """What one distinct structure piece says: its kind, tags' effect on the state, the next type."""

    __slots__ = ("end", "events", "kind", "start", "traces", "typ")

    def __init__(self, text: str) -> None:
        self.typ, self.start, self.end, self.traces, self.events = -1, -1, -1, 0, 0
        if _SEP.fullmatch(text):
            self.kind = _SEP_KIND
            return
        m = _PIECE.fullmatch(text)
        if m is None or (m["end"] is None) != (not text.startswith('"')):
            raise Fallback(f"structure {text[:60]!r}")
        if m["type"] is None and text.endswith('"'):
            raise Fallback(f"structure {text[:60]!r}")
        self.kind = _NEXT if m["end"] and m["type"] else _LEAD if m["type"] else _TRAIL
        self.typ = _TYPES.index(m["type"]) if m["type"] else -1
        state = -1
        for close, tag in _TAG.findall(m["tags"]):
            want, after = {("", "trace"): (_LOG, _TRACE), ("/", "trace"): (_TRACE, _LOG),
                           ("", "event"): (_TRACE, _EVENT), ("/", "event"): (_EVENT, _TRACE)}[(close, tag)]
            if state == -1:
                self.start = want
            elif state != want:
                raise Fallback(f"tags out of order in {text[:60]!r}")
            state = after
            if not close:
                if tag == "trace" and self.events:
                    raise Fallback("an event without attributes before a new trace")
                self.traces += tag == "trace"
                self.events += tag == "event"
        self.end = state


def _unescape(arr: pa.Array) -> pa.Array:
    """XML's five named entities decoded; any other ``&`` (character references) falls back."""
    if not pc.any(pc.match_substring(arr, "&")).as_py():
        return arr
    amps, named = pc.count_substring(arr, "&"), pc.count_substring(arr, _ENTITIES[0][0])
    for entity, _ in _ENTITIES[1:]:
        named = pc.add(named, pc.count_substring(arr, entity))
    if not pc.all(pc.equal(amps, named)).as_py():
        raise Fallback("a character reference in a value")
    for entity, char in _ENTITIES:
        arr = pc.replace_substring(arr, entity, char)
    return arr


def _append(store: _Columns, table: pa.Table, n: int) -> None:
    store.chunks.append(table if table.num_columns else pa.table({"_": pa.nulls(n)}).drop_columns("_"))
    store.base += n


class _Chunk:
    """One chunk of whole traces: its pieces, and where each attribute belongs."""

    def __init__(self, data: bytes | memoryview) -> None:
        a = np.frombuffer(data, np.uint8)
        if len(a) >= 1 << 31:
            raise Fallback("a chunk beyond 2 GB")
        # Every '<' and every byte below 32 must lie in a structure piece, whose pattern allows no control
        # character but tab, line feed and carriage return: counted here, compared in _structure. Read in
        # blocks of 1 MB: the temporaries stay in cache and off the page-fault path, and numpy releases the GIL.
        self.lt = self.control = high = 0
        self.amp = False  # '&': entities to decode
        quotes = []
        for at in range(0, len(a), _BLOCK):
            block = a[at:at + _BLOCK]
            self.lt += int(np.count_nonzero(block == 60))
            self.control += int(np.count_nonzero(block < 32))
            self.amp = self.amp or bool(np.any(block == 38))
            high = max(high, int(block.max()))
            quotes.append(np.flatnonzero(block == 34).astype(np.int32) + np.int32(at))
        q = np.concatenate(quotes) if quotes else np.zeros(0, np.int32)
        ascii_only = high < 0x80
        if not ascii_only:  # U+FFFE and U+FFFF (EF BF BE, EF BF BF in UTF-8) are not XML characters
            ef = np.flatnonzero(a[:-2] == 0xEF)
            if np.any((a[ef + 1] == 0xBF) & (a[ef + 2] >= 0xBE)):
                raise Fallback("a character XML does not allow")
        if len(q) == 0 or len(q) % 4:
            raise Fallback("quotes that do not pair as key and value")
        offsets = np.empty(len(q) + 2, np.int32)
        offsets[0], offsets[-1] = 0, len(a)
        offsets[1:-1:2], offsets[2:-1:2] = q[0::2] + 1, q[1::2]
        self.pieces = pa.StringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data))
        from flowmine.ingest._xes import MAX_VALUE_CHARS

        if int((q[1::2] - q[0::2]).max()) - 1 > MAX_VALUE_CHARS:  # the keys' and values' lengths
            raise Fallback("a value beyond the reader's limit")
        try:  # ASCII is valid UTF-8, and the offsets are increasing by construction: only other text is checked
            if not ascii_only:
                self.pieces.validate(full=True)
        except pa.ArrowInvalid:
            raise Fallback("invalid UTF-8") from None
        self.n_attr = len(q) // 4
        self._structure()

    def _structure(self) -> None:
        n = self.n_attr
        enc = pc.dictionary_encode(self.pieces.take(pa.array(np.arange(0, 4 * n + 1, 2))))
        uniq = [_Piece(t) for t in enc.dictionary.to_pylist()]
        codes = enc.indices.to_numpy()
        kind = np.array([u.kind for u in uniq], np.int8)[codes]
        # what each distinct piece says, gathered once for the lead/next/trail pieces (one row per piece)
        said = np.array([(u.start, u.end, u.traces, u.events, u.typ) for u in uniq], np.int64)
        want = np.full(2 * n + 1, _NEXT, np.int8)
        want[1::2], want[0], want[-1] = _SEP_KIND, _LEAD, _TRAIL
        if not np.array_equal(kind, want):
            raise Fallback("attributes that are not key then value")
        occurs = np.bincount(codes, minlength=len(uniq)).tolist()
        texts = enc.dictionary.to_pylist()
        if sum(c * t.count("<") for c, t in zip(occurs, texts, strict=True)) != self.lt:
            raise Fallback("'<' inside a value")
        if sum(c * (t.count("\t") + t.count("\n") + t.count("\r")) for c, t in zip(occurs, texts, strict=True)) \
                != self.control:
            raise Fallback("a tab, line break or control character inside a value")
        s = codes[0::2]  # lead, next..., trail: one per attribute, plus the trail
        start, end, n_tr, n_ev, typ = said.T[:, s]
        has = np.flatnonzero(end >= 0)
        fill = np.full(len(s), -1, np.int64)
        fill[has] = has
        fill = np.maximum.accumulate(fill)
        after = np.where(fill >= 0, end[np.maximum(fill, 0)], _LOG)
        before = np.concatenate([[_LOG], after[:-1]])
        if np.any((start >= 0) & (start != before)) or after[-1] != _LOG:
            raise Fallback("tags out of order")
        self.ctx = after[:-1]
        if np.any(self.ctx == _LOG):
            raise Fallback("an attribute of the log between traces")
        cum_tr, cum_ev = np.cumsum(n_tr), np.cumsum(n_ev)
        self.n_traces, self.n_events = int(cum_tr[-1]), int(cum_ev[-1])
        self.trace_of_attr, self.event_of_attr = cum_tr[:-1] - 1, cum_ev[:-1] - 1
        self.ev_trace = np.repeat(cum_tr - 1, n_ev)
        self.tr_first = np.repeat(cum_ev - n_ev, n_tr)
        self.typ = typ[:-1].astype(np.int8)


def _keys(ch: _Chunk) -> tuple[np.ndarray, list[str]]:
    enc = pc.dictionary_encode(ch.pieces.take(pa.array(np.arange(1, 4 * ch.n_attr, 4))))
    names = enc.dictionary
    if ch.amp:
        names = _unescape(names)
    keys = names.to_pylist()
    if len(set(keys)) != len(keys):
        raise Fallback("a key written in two ways")
    return enc.indices.to_numpy(), keys


#: One scope's (events' or traces') text columns of a chunk: per key in the order keys first appear, its values,
#: the XES types it is written with and the type of its first value; and how many empty keys were skipped.
_Scope = tuple[list[tuple[str, pa.Array, set[str], str]], int]
_Parsed = tuple[_Chunk, _Scope, _Scope]


def _scope(ch: _Chunk, kidx: np.ndarray, keys: list[str], scope: int, rows_of: np.ndarray, n_rows: int) -> _Scope:
    """The chunk's text columns of one scope (events or traces): order-free, so built in the worker thread."""
    sel = np.flatnonzero(ch.ctx == scope)
    k = kidx[sel]
    empty = [i for i, key in enumerate(keys) if not key.strip()]
    skipped = 0
    if empty:
        drop = np.isin(k, empty)
        skipped = int(drop.sum())
        sel, k = sel[~drop], k[~drop]
    present = np.flatnonzero(np.bincount(k, minlength=len(keys)))
    first = [int(np.argmax(k == key_id)) for key_id in present.tolist()]
    columns = []
    for key_id in present[np.argsort(first, kind="stable")].tolist():
        at = sel[k == key_id]
        rows = rows_of[at]
        if len(rows) > 1 and np.any(np.diff(rows) <= 0):
            raise Fallback("an attribute repeated in one event or trace")
        where = 4 * at + 3
        if len(rows) != n_rows:
            full = np.full(n_rows, -1, np.int64)
            full[rows] = where
            take = pa.array(full, mask=full < 0)
        else:
            take = pa.array(where)
        values = ch.pieces.take(take)
        key = keys[key_id]
        if key == _NAME:  # case ids and activity names are text even when written as int
            kinds, typ = {"string"}, "string"
        else:
            kinds = {_KIND[_TYPES[t]] for t in np.flatnonzero(np.bincount(ch.typ[at], minlength=len(_TYPES))).tolist()}
            typ = _KIND[_TYPES[int(ch.typ[at[0]])]]
        columns.append((key, _unescape(values) if ch.amp else values, kinds, typ))
    return columns, skipped


def _fold(store: _Columns, scope: _Scope, n_rows: int, p: _Parser) -> None:
    """Append one scope's columns of a chunk to ``store``, in file order: the types seen so far decide mixed."""
    columns, skipped = scope
    p.skipped["empty_key"] += skipped
    arrays = {}
    for key, values, kinds, typ in columns:
        arrays[key] = values
        known = store.types.setdefault(key, typ)
        if len(seen := kinds | {known}) > 1:
            store.mixed.setdefault(key, set()).update(seen)
    _append(store, pa.table(arrays) if arrays else pa.table({}), n_rows)


def _parse(data: bytes | memoryview) -> _Parsed:
    """The order-free part of a chunk (numpy and Arrow, which release the GIL): run in a worker thread."""
    ch = _Chunk(data)
    kidx, keys = _keys(ch)
    return (ch, _scope(ch, kidx, keys, _EVENT, ch.event_of_attr, ch.n_events),
            _scope(ch, kidx, keys, _TRACE, ch.trace_of_attr, ch.n_traces))


def _read_chunk(p: _Parser, parsed: _Parsed) -> None:
    ch, events, traces = parsed
    ev0, tr0 = p.n_events, len(p.tr_first)
    _fold(p.events, events, ch.n_events, p)
    _fold(p.traces, traces, ch.n_traces, p)
    ev_trace = ch.ev_trace + tr0
    count = np.bincount(ch.ev_trace, minlength=ch.n_traces)
    first = ch.tr_first + ev0
    pos = np.arange(ch.n_events, dtype=np.int64) - ch.tr_first[ch.ev_trace] + 1
    p.ev_trace.frombytes(ev_trace.astype(np.int64).tobytes())
    p.ev_pos.frombytes(pos.tobytes())
    p.tr_first.frombytes(first.astype(np.int64).tobytes())
    p.tr_count.frombytes(count.astype(np.int64).tobytes())
    p.n_events += ch.n_events
    _cases(p, tr0, count)
    del ch.pieces  # the last view of the chunk's buffer, which the next read reuses


def _cases(p: _Parser, tr0: int, count: np.ndarray) -> None:
    """Missing and repeated case ids of the chunk's traces, as :meth:`_Parser._end_trace` finds them."""
    last = p.traces.chunks[-1]
    cases = last.column(_NAME).to_pylist() if _NAME in last.column_names else [None] * len(count)
    first_of, problems = p.first_trace_of, p.case_problems
    for i, (case, n) in enumerate(zip(cases, count.tolist(), strict=True)):
        trace = tr0 + i
        if n == 0:
            p.skipped["empty"] += 1
        elif case is None:
            problems[trace] = (Reason.MISSING_CASE, "the trace has no concept:name", CASE, None)
        elif (seen := first_of.setdefault(case, trace)) != trace:
            detail = f"case id already used by trace {seen + 1}; traces are never merged"
            problems[trace] = (Reason.DUPLICATE_CASE_ID, detail, CASE, case)


def _header(p: _Parser, head: bytes) -> None:
    """The header (prolog, ``<log>`` and what precedes the first trace), parsed by lxml, read as today."""
    try:
        root = etree.fromstring(head + b"</log>", etree.XMLParser(**_HEADER_PARSER))
    except etree.XMLSyntaxError:
        raise Fallback("a header lxml must read") from None
    if root.getroottree().docinfo.internalDTD is not None or etree.QName(root).localname != "log":
        raise Fallback("an unusual root")
    for child in root:
        if not isinstance(child.tag, str) or etree.QName(child).localname in ("event", "trace"):
            raise Fallback("an event outside traces")
        p._header(child)
    p.root = root


def read_body(p: _Parser, src: XesSource) -> None:
    """Fill ``p`` from ``src`` (its prolog already scanned) as :meth:`_Parser.run` would, or raise Fallback."""
    if src.encoding.upper().replace("_", "-") not in ("UTF-8", "UTF8"):
        raise Fallback(f"declared encoding {src.encoding}")
    pending = b""
    while (m := _FIRST_TRACE.search(pending)) is None:
        more = src.read(CHUNK_BYTES)
        if not more or len(pending) > _MAX_PENDING:
            raise Fallback("no trace")
        pending += more
    _header(p, pending[: m.start()])
    pending = pending[m.start():]
    with ThreadPoolExecutor(max_workers=2) as pool:  # at most two chunks parsed ahead: memory stays bounded
        inflight: deque[Future[_Parsed]] = deque()
        try:
            pending = _chunks(p, src, pending, pool, inflight)
            while inflight:
                _read_chunk(p, inflight.popleft().result())
        finally:
            for f in inflight:
                f.cancel()
    if not _TAIL.fullmatch(pending):
        raise Fallback("something after the last trace")
    if p.n_events == 0:
        raise Fallback("no events")


def _fill(src: XesSource, view: memoryview) -> int:
    """Read into ``view`` until it is full or the stream ends; the bytes read."""
    got = 0
    while got < len(view) and (k := src.readinto(view[got:])):
        got += k
    return got


def _chunks(p: _Parser, src: XesSource, pending: bytes, pool: ThreadPoolExecutor,
            inflight: deque[Future[_Parsed]]) -> bytes:
    """Read ``src`` in chunks of whole traces, parse them in ``pool``, fold finished ones into ``p`` in order.

    Each read goes into a buffer of its own, behind the tail of the read before (the start of a trace): the
    chunk is parsed in place, and its buffer is read into again once the chunk is folded (a worker's arrays
    are copies, never views of it), so no fresh memory is paged in for each of the file's 32 MB.
    """
    free: list[bytearray] = []
    held: deque[bytearray] = deque()  # the buffers of the chunks in flight, in order
    tail = pending
    while True:
        need = len(tail) + CHUNK_BYTES
        free = [b for b in free if len(b) >= need]  # a trace longer than a read grows the buffers
        buf = free.pop() if free else bytearray(need)
        buf[: len(tail)] = tail
        n = len(tail) + _fill(src, memoryview(buf)[len(tail):need])
        if n == len(tail):  # the end of the file
            free.append(buf)
            break
        if (cut := buf.rfind(b"</trace>", 0, n)) < 0:  # a trace longer than one read: read on behind it
            if n > _MAX_PENDING:
                raise Fallback("a trace longer than the chunks this path holds")
            tail = bytes(buf[:n])
            free.append(buf)
            continue
        cut += len(b"</trace>")
        inflight.append(pool.submit(_parse, memoryview(buf)[:cut]))
        held.append(buf)
        tail = bytes(buf[cut:n])
        while len(inflight) > 1:
            _read_chunk(p, inflight.popleft().result())
            free.append(held.popleft())
    if (cut := tail.rfind(b"</trace>")) >= 0:  # the header's read held the whole file
        cut += len(b"</trace>")
        inflight.append(pool.submit(_parse, tail[:cut]))
        tail = tail[cut:]
    return tail
