"""Tests of the XES reader: values and types, refused and unusable files, quarantine, real logs vs pm4py."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from flowmine._schema import (
    ACTIVITY,
    CASE,
    LIFECYCLE,
    Q_COLUMN,
    Q_POSITION,
    Q_REASON,
    Q_ROW,
    TIMESTAMP,
    Reason,
)
from flowmine.errors import UnsafeInputError, UnusableInputError
from flowmine.ingest._raw import RawTable
from flowmine.ingest._xes import read_xes

DATA = Path(__file__).parent / "data" / "xes"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
REFUSED = "contains a DOCTYPE/entity declaration; refused (XML entities are never expanded)"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def _write(tmp_path: Path, body: str | bytes, name: str = "log.xes", header: bytes = b"") -> Path:
    data = body.encode() if isinstance(body, str) else body
    path = tmp_path / name
    raw = header + data
    path.write_bytes(gzip.compress(raw) if name.endswith(".gz") else raw)
    return path


def _log(*traces: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n' + "\n".join(traces) + "\n</log>\n"
    )


def _ev(name: str = "a", ts: str = "2024-01-01T00:00:00Z", extra: str = "") -> str:
    stamp = f'<date key="time:timestamp" value="{ts}"/>'
    return f'<event><string key="concept:name" value="{name}"/>{stamp}{extra}</event>'


def _tr(case: str | None, *events: str) -> str:
    head = f'<string key="concept:name" value="{case}"/>' if case is not None else ""
    return "<trace>" + head + "".join(events) + "</trace>"


def _read(path: Path) -> RawTable:
    raw = read_xes(path, gzipped=path.name.endswith(".gz"))
    assert raw.rows_read == raw.table.num_rows + raw.quarantine.num_rows
    assert len(raw.row_numbers) == raw.table.num_rows
    return raw


def _reasons(raw: RawTable) -> list[tuple[int, str, str, str]]:
    q = raw.quarantine.to_pydict()
    return list(zip(q[Q_ROW], q[Q_POSITION], q[Q_COLUMN], q[Q_REASON], strict=True))


# --- values and types ---------------------------------------------------------------------------
def test_tiny_fixture_values_types_positions() -> None:
    raw = _read(DATA / "tiny.xes")
    assert raw.format == "xes"
    assert raw.table.schema == pa.schema(
        [
            (CASE, pa.string()),
            (ACTIVITY, pa.string()),
            (TIMESTAMP, pa.timestamp("us", tz="UTC")),
            (LIFECYCLE, pa.string()),
            ("org:resource", pa.string()),
            ("items", pa.int64()),
            ("cost:total", pa.float64()),
            ("urgent", pa.bool_()),
            ("case:region", pa.string()),
        ]
    )
    assert raw.table.to_pydict() == {
        CASE: ["7", "7", "case-2"],  # an int case id is text
        ACTIVITY: ["register", "R&D check", "register"],
        TIMESTAMP: [_utc(2024, 3, 1, 8, 30), _utc(2024, 3, 1, 10, 0, 0, 123456), _utc(2024, 3, 2, 8, 0)],
        LIFECYCLE: ["complete", None, None],
        "org:resource": ["Ann", None, None],  # the <global> default "DEFAULT" is not applied
        "items": [3, None, -4],
        "cost:total": [12.5, None, None],
        "urgent": [True, False, None],
        "case:region": ["North", "North", "South"],  # a trace attribute after the events counts too
    }
    assert raw.row_numbers.to_pylist() == [1, 2, 3]
    assert raw.positions is not None
    assert raw.positions.to_pylist() == ["trace 1, event 1", "trace 1, event 2", "trace 2, event 1"]
    assert raw.quarantine.num_rows == 0
    # issue #13: the header's log attributes (here: creator) are reported
    assert raw.notes == ["XES header: creator 'flowmine tests'",
                         "1 timestamp value(s) had no UTC offset and were read as UTC"]


def test_declared_latin1_encoding_is_honoured() -> None:
    raw = _read(DATA / "latin1.xes")
    assert raw.table.column(CASE).to_pylist() == ["Café 1"]
    assert raw.table.column(ACTIVITY).to_pylist() == ["crème brûlée"]


def test_date_forms(tmp_path: Path) -> None:
    stamps = [
        "2024-01-01T10:00:00+02:00",
        "2024-01-01T10:00:00.5-05:30",
        "2024-01-01T10:00:00.123456789Z",
        " 2024-01-01T10:00:00.1Z ",
        "0001-01-01T00:00:00Z",
        "2024-01-01T10:00:00",
    ]
    raw = _read(_write(tmp_path, _log(_tr("c", *(_ev("a", s) for s in stamps)))))
    assert raw.table.column(TIMESTAMP).to_pylist() == [
        _utc(2024, 1, 1, 8),
        _utc(2024, 1, 1, 15, 30, 0, 500000),
        _utc(2024, 1, 1, 10, 0, 0, 123456),
        _utc(2024, 1, 1, 10, 0, 0, 100000),
        _utc(1, 1, 1),
        _utc(2024, 1, 1, 10),
    ]
    assert raw.notes == ["1 timestamp value(s) had no UTC offset and were read as UTC"]


def test_mixed_types_fall_back_to_text(tmp_path: Path) -> None:
    body = _log(_tr("c", _ev(extra='<int key="n" value="5"/>'), _ev(extra='<string key="n" value="five"/>')))
    raw = _read(_write(tmp_path, body))
    assert raw.table.column("n").type == pa.string()
    assert raw.table.column("n").to_pylist() == ["5", "five"]
    assert raw.notes == ["event attribute 'n' appears as int, string; read as text"]


def test_nested_and_list_attributes(tmp_path: Path) -> None:
    nested = '<string key="p" value="parent"><string key="child" value="x"/></string>'
    lst = '<list key="l"><values><string key="v" value="1"/></values></list>'
    raw = _read(_write(tmp_path, _log(_tr("c", _ev(extra=nested + lst)))))
    assert raw.table.column("p").to_pylist() == ["parent"]
    assert "child" not in raw.table.column_names and "l" not in raw.table.column_names
    assert raw.notes == [
        "1 attribute(s) with nested attributes: the children skipped, the parent's value kept",
        "1 list/container attribute(s) skipped",
    ]


# --- refused and unusable files -------------------------------------------------------------------
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + ']>\n<log><trace><string key="concept:name" value="&lol9;"/>'
    + _ev()
    + "</trace></log>"
)
EXTERNAL = (
    '<?xml version="1.0"?>\n<!-- c -->\n<?pi x?>\n<!DOCTYPE log [<!ENTITY x SYSTEM "file:///dev/zero">]>\n'
    '<log><trace><string key="concept:name" value="&x;"/>' + _ev() + "</trace></log>"
)


@pytest.mark.parametrize("name", ["log.xes", "log.xes.gz"])
@pytest.mark.parametrize(
    "body", [BILLION_LAUGHS, EXTERNAL, "<!DOCTYPE log><log/>"], ids=["laughs", "external", "bare"]
)
def test_doctype_and_entities_refused(tmp_path: Path, body: str, name: str) -> None:
    start = time.perf_counter()
    with pytest.raises(UnsafeInputError) as err:
        read_xes(_write(tmp_path, body, name), gzipped=name.endswith(".gz"))
    assert err.value.reason == REFUSED
    assert time.perf_counter() - start < 1.0  # nothing expanded, /dev/zero never read


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            _log(_tr("c", _ev())).replace("</trace>\n</log>\n", ""),
            "is not well-formed XES: Premature end of data in tag trace line 3 (line 3)",
        ),
        (
            "<log><trace>" + "<x>" * 300,
            "is not well-formed XES: Excessive depth in document: 256, use XML_PARSE_HUGE option (line 1)",
        ),
        (
            _log(_tr("c", _ev(extra='<string key="k" value="&foo;"/>'))),
            "is not well-formed XES: Entity 'foo' not defined (line 3)",
        ),
        (
            "<log><trace></trace></log>junk",
            "is not well-formed XES: Extra content at the end of the document (line 1)",
        ),
        ("junk", "is not well-formed XES: text before the root element (line 1)"),
        ("  \n ", "is not well-formed XES: it holds no XML element"),
        ('<?xml version="1.0"?>\n<html><body/></html>', "is XML but not XES: root element is <html>"),
        (
            "<log><trace><trace></trace></trace></log>",
            "is not well-formed XES: <trace> inside <trace> (line 1)",
        ),
        (
            "<log><trace><event><event/></event></trace></log>",
            "is not well-formed XES: <event> inside <event> (line 1)",
        ),
        (_log(_tr("c")), "holds no events"),
        (
            '<?xml version="1.0" encoding="UTF-16"?><log/>',
            "declares the encoding 'UTF-16', which flowmine does not read; save it as UTF-8",
        ),
        (
            '<?xml version="1.0" encoding="klingon"?><log/>',
            "declares the unknown encoding 'klingon' in its header",
        ),
    ],
    ids=[
        "truncated",
        "deep",
        "entity",
        "extra",
        "text",
        "blank",
        "html",
        "trace-in-trace",
        "event-in-event",
        "no-events",
        "utf16-declared",
        "unknown-encoding",
    ],
)
def test_unusable_files(tmp_path: Path, body: str, message: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(UnusableInputError) as err:
        read_xes(path, gzipped=False)
    assert err.value.reason == message
    assert err.value.source == str(path)


def test_invalid_utf8_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, _log(_tr("c", "\n" + _ev())).encode().replace(b'value="a"', b'value="caf\xe9"'))
    with pytest.raises(UnusableInputError) as err:
        read_xes(path, gzipped=False)
    assert err.value.reason.startswith("is not valid UTF-8 at line 4, column ")
    assert err.value.reason.endswith(
        'declare the encoding in the XML header, e.g. <?xml version="1.0" encoding="ISO-8859-1"?>'
    )


def test_truncated_gzip(tmp_path: Path) -> None:
    path = tmp_path / "cut.xes.gz"
    path.write_bytes(gzip.compress(_log(*[_tr(f"c{i}", _ev()) for i in range(200)]).encode())[:-40])
    with pytest.raises(UnusableInputError) as err:
        read_xes(path, gzipped=True)
    assert err.value.reason.startswith("is truncated")


def test_decompression_bomb_propagates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWMINE_MAX_DECOMPRESSED_BYTES", "100000")
    path = _write(tmp_path, _log(*[_tr(f"c{i}", _ev()) for i in range(2000)]), "bomb.xes.gz")
    with pytest.raises(UnsafeInputError) as err:
        read_xes(path, gzipped=True)
    assert "decompression bomb" in err.value.reason


def test_value_beyond_libxml2_limit_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, _log(_tr("c", _ev(extra=f'<string key="big" value="{"x" * 20_000_000}"/>'))))
    with pytest.raises(UnusableInputError) as err:
        read_xes(path, gzipped=False)
    assert err.value.reason.startswith("holds a value beyond libxml2's 10 MB limit at line ")
    assert err.value.reason.endswith("; refused (XML limits stay on)")


# --- quarantine -----------------------------------------------------------------------------------
def test_bad_values_quarantine_whole_events(tmp_path: Path) -> None:
    big = "y" * 2_000_000
    body = _log(
        _tr("ok", _ev("a"), _ev("b", "2024-02-30T00:00:00Z"), _ev("c", "yesterday")),
        _tr(
            "nums",
            _ev(extra='<int key="n" value="1.5"/>'),
            _ev(extra='<float key="f" value="1,5"/>'),
            _ev(extra='<boolean key="b" value="yes"/>'),
            _ev(extra=f'<string key="big" value="{big}"/>'),
            _ev(extra='<int key="n" value="99999999999999999999"/><boolean key="b" value="TRUE"/>'),
        ),
        _tr(None, _ev("orphan")),
        _tr("ok", _ev("again")),
        _ev("outside"),
        _tr("tattr", _ev("x"), _ev("y")).replace("<trace>", '<trace><date key="due" value="soon"/>'),
        _tr("multi", _ev("m", "never", '<int key="n" value="x"/>')),
    )
    raw = _read(_write(tmp_path, body))
    assert raw.rows_read == 14
    assert raw.table.column(ACTIVITY).to_pylist() == ["a"]
    assert raw.row_numbers.to_pylist() == [1]
    assert _reasons(raw) == [
        (2, "trace 1, event 2", TIMESTAMP, Reason.INVALID_TIMESTAMP),
        (3, "trace 1, event 3", TIMESTAMP, Reason.INVALID_TIMESTAMP),
        (4, "trace 2, event 1", "n", Reason.INVALID_NUMBER),
        (5, "trace 2, event 2", "f", Reason.INVALID_NUMBER),
        (6, "trace 2, event 3", "b", Reason.INVALID_VALUE),
        (7, "trace 2, event 4", "big", Reason.VALUE_TOO_LARGE),
        (8, "trace 2, event 5", "n", Reason.INVALID_NUMBER),  # beyond int64
        (9, "trace 3, event 1", CASE, Reason.MISSING_CASE),
        (10, "trace 4, event 1", CASE, Reason.DUPLICATE_CASE_ID),
        (11, "outside traces, event 1", CASE, Reason.MISSING_CASE),
        (12, "trace 5, event 1", "case:due", Reason.INVALID_TIMESTAMP),
        (13, "trace 5, event 2", "case:due", Reason.INVALID_TIMESTAMP),
        (14, "trace 6, event 1", TIMESTAMP, Reason.INVALID_TIMESTAMP),
    ]
    q = raw.quarantine.to_pydict()
    assert q["detail"][8] == "case id already used by trace 1; traces are never merged"
    assert q["value"][8] == "ok"
    assert q["detail"][5] == "'big' holds 2,000,000 characters (limit 1,000,000)"
    assert q["value"][5] == "y" * 200 + "… (2000000 chars)"
    assert q["detail"][12] == (
        "'time:timestamp' is not an xs:dateTime such as 2024-03-01T09:30:00.000+01:00 "
        "(and 1 more: invalid_number)"
    )
    assert set(q["source"]) == {str(tmp_path / "log.xes")}


# --- real logs against pm4py ----------------------------------------------------------------------
REAL = sorted(SHARED.glob("*.xes*")) if SHARED.is_dir() else []


@pytest.mark.skipif(not REAL, reason=f"real logs folder {SHARED} is absent (only on the team's machines)")
@pytest.mark.parametrize("path", REAL, ids=[p.name for p in REAL])
def test_real_log_matches_pm4py(path: Path) -> None:
    pm4py = pytest.importorskip("pm4py")
    raw = _read(path)
    assert raw.quarantine.num_rows == 0
    ours = raw.table.to_pandas()
    theirs = pm4py.read_xes(str(path), variant="iterparse", show_progress_bar=False)
    assert len(ours) == len(theirs)
    assert ours[CASE].nunique() == theirs[CASE].nunique()
    assert set(ours[ACTIVITY]) == set(theirs[ACTIVITY])
    keys = [CASE, TIMESTAMP, "order"]
    a = ours.assign(order=range(len(ours))).sort_values(keys, kind="stable")
    b = theirs.assign(order=range(len(theirs))).sort_values(keys, kind="stable")
    assert a[CASE].tolist() == b[CASE].astype(str).tolist()
    assert a[ACTIVITY].tolist() == b[ACTIVITY].tolist()
    assert (
        a[TIMESTAMP].dt.as_unit("us").tolist() == b[TIMESTAMP].dt.tz_convert("UTC").dt.as_unit("us").tolist()
    )
