"""The XES fast path (:mod:`flowmine.ingest._xes_fast`) against the lxml reader: the same raw table and the same
canonical log on every XES file of tests/data and ../shared/data, the prolog refused before it runs, and the
shapes it cannot represent falling back (read by the lxml reader, never silently lossy)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

import flowmine.ingest._xes as xes
from flowmine import read_log
from flowmine._schema import CASE, SOURCE_ROW, TIMESTAMP
from flowmine.errors import UnsafeInputError
from flowmine.ingest._source import detect
from flowmine.ingest._xes_fast import Fallback, read_body
from flowmine.ingest._xes_source import XesSource
from tests.conftest import SHARED_DATA

DATA = Path(__file__).parent / "data"
LOCAL = sorted(p for p in DATA.rglob("*") if p.name.endswith((".xes", ".xes.gz")))
SHARED = sorted(p for p in SHARED_DATA.glob("*") if p.name.endswith((".xes", ".xes.gz"))) if SHARED_DATA.is_dir() \
    else []
#: tests/data files the fast path reads itself (the others fall back, see test_fallback_reasons)
FAST = {"tiny.xes", "bpic2013_style.xes", "bupar.xes", "celonis.xes", "disco.xes", "no_namespace.xes", "pm4py.xes"}


def _fast(path: Path) -> str:
    """'fast', or the reason the fast path gave up on ``path``."""
    with xes._open(path, detect(path)[1]) as stream:
        src = XesSource(stream, str(path))
        src.scan_prolog()
        try:
            read_body(xes._Parser(str(path)), src)
        except Fallback as exc:
            return f"fallback: {exc}"
    return "fast"


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    gz = detect(path)[1]
    monkeypatch.setattr(xes, "FAST_PATH", True)
    fast = xes.read_xes(path, gz)
    monkeypatch.setattr(xes, "FAST_PATH", False)
    return fast, xes.read_xes(path, gz)


def _assert_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _both(path, monkeypatch)
    assert fast.table.schema == slow.table.schema and fast.table.equals(slow.table)  # type: ignore[attr-defined]
    for attr in ("row_numbers", "positions", "quarantine"):
        assert getattr(fast, attr).equals(getattr(slow, attr)), attr
    assert fast.notes == slow.notes and fast.classifiers == slow.classifiers  # type: ignore[attr-defined]
    logs = []
    for flag in (True, False):
        monkeypatch.setattr(xes, "FAST_PATH", flag)
        r = read_log(path)
        df = r.events.to_pandas().sort_values([CASE, TIMESTAMP, SOURCE_ROW], kind="stable").reset_index(drop=True)
        logs.append((df, r.quarantine.to_pandas(), r.rows_read, r.rows_merged, r.notes))
    pd.testing.assert_frame_equal(logs[0][0], logs[1][0], check_dtype=True, check_exact=True)
    pd.testing.assert_frame_equal(logs[0][1], logs[1][1])
    assert logs[0][2:] == logs[1][2:]


@pytest.mark.parametrize("path", LOCAL, ids=lambda p: p.name)
def test_fast_path_equals_the_lxml_reader_on_test_files(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (_fast(path) == "fast") == (path.name in FAST), _fast(path)
    _assert_same(path, monkeypatch)


@pytest.mark.parametrize("name", [p.name for p in SHARED] or ["(none)"])
def test_fast_path_equals_the_lxml_reader_on_shared_logs(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not SHARED:
        pytest.skip("no XES in ../shared/data (real public logs, only on the team's machines)")
    path = SHARED_DATA / name
    assert _fast(path) == "fast"  # every real log there is in a shape the fast path reads
    _assert_same(path, monkeypatch)


HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n'
EV = '<event><string key="concept:name" value="a"/><date key="time:timestamp" value="2024-01-01T10:00:00.5+02:00"/>'


def _file(tmp_path: Path, body: str, name: str = "f.xes", head: str = HEAD) -> Path:
    data = (head + body + "\n</log>\n").encode()
    p = tmp_path / name
    p.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return p


FALLBACKS = {
    "nested": (f'<trace><string key="concept:name" value="c"/>{EV}<string key="n" value="v"><int key="x" value="1"/>'
               "</string></event></trace>", "structure"),
    "list": (f'<trace><string key="concept:name" value="c"/>{EV}<list key="l"><int key="x" value="1"/></list>'
             "</event></trace>", "quotes"),
    "single quotes": (f"<trace><string key='concept:name' value='c'/>{EV}</event></trace>", "structure"),
    "reordered": (f'<trace><string value="c" key="concept:name"/>{EV}</event></trace>', "structure"),
    "repeated key": (f'<trace><string key="concept:name" value="c"/>{EV}<string key="concept:name" value="b"/>'
                     "</event></trace>", "repeated"),
    "char reference": (f'<trace><string key="concept:name" value="c&#65;"/>{EV}</event></trace>', "reference"),
    "newline in value": (f'<trace><string key="concept:name" value="c\nd"/>{EV}</event></trace>', "inside a value"),
    "comment": (f'<trace><!-- x --><string key="concept:name" value="c"/>{EV}</event></trace>', "structure"),
    "event outside": (f'{EV}</event><trace><string key="concept:name" value="c"/>{EV}</event></trace>', "outside"),
    "log attribute after": (f'<trace><string key="concept:name" value="c"/>{EV}</event></trace>'
                            '<string key="creator" value="x"/>', "after the last trace"),
    "unknown tag": (f'<trace><string key="concept:name" value="c"/>{EV}<foo key="a" value="b"/></event></trace>',
                    "structure"),
}


@pytest.mark.parametrize("case", sorted(FALLBACKS))
def test_fallback_reasons(tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    body, reason = FALLBACKS[case]
    path = _file(tmp_path, body)
    assert _fast(path).startswith("fallback") and reason in _fast(path)
    _assert_same(path, monkeypatch)  # read by the lxml reader: exactly today's result


def test_fast_path_reads_entities_empty_traces_and_types(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = ('<trace><string key="concept:name" value="R&amp;D &lt;1&gt; &quot;q&quot;"/>'
            f'{EV}<int key="n" value="3"/><boolean key="b" value="true"/></event>'
            f'{EV}<float key="n" value="2.5"/><id key="i" value="x"/></event></trace>'
            '<trace><string key="concept:name" value="empty"/></trace>'
            f'<trace><string key="concept:name" value="c2"/>{EV}<string key="" value="e"/></event></trace>'
            f'<trace><string key="concept:name" value="c2"/>{EV}</event></trace>'
            f"<trace>{EV}</event></trace>")
    path = _file(tmp_path, body, "e.xes.gz")
    assert _fast(path) == "fast"
    fast, _ = _both(path, monkeypatch)
    assert fast.table.column(CASE).to_pylist()[:2] == ['R&D <1> "q"'] * 2  # type: ignore[attr-defined]
    assert any("appears as float, int" in n for n in fast.notes)  # type: ignore[attr-defined]
    assert fast.quarantine.num_rows == 2  # the repeated case id and the trace without one
    _assert_same(path, monkeypatch)


@pytest.mark.parametrize("name", ["d.xes", "d.xes.gz"])
def test_doctype_refused_before_the_fast_path(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    called = []
    monkeypatch.setattr(xes, "read_body", lambda *a: called.append(a))
    head = '<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY e "x">]>\n<log>\n'
    path = _file(tmp_path, f'<trace><string key="concept:name" value="&e;"/>{EV}</event></trace>', name, head)
    with pytest.raises(UnsafeInputError) as err:
        xes.read_xes(path, name.endswith(".gz"))
    assert str(path) in str(err.value) and "DOCTYPE/entity declaration; refused" in str(err.value)
    assert called == []


@pytest.mark.parametrize("name", ["f.xes", "f.xes.gz"])
@pytest.mark.parametrize("chunk", [7, 64, 333, 4096, 1 << 20])
def test_chunks_cut_anywhere_read_as_one(tmp_path: Path, chunk: int, name: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Reads of any size (a ``</trace>`` split across two of them, each read buffer reused for a later read)
    give the lxml reader's result."""
    import flowmine.ingest._xes_fast as fast

    body = "".join(f'<trace><string key="concept:name" value="c{t}"/>{EV}<int key="n" value="{t}"/></event>'
                   f"{EV}</event></trace>\n" for t in range(300))  # beyond the prolog scan's first read
    path = _file(tmp_path, body, name)
    parsed: list[int] = []
    real = fast._parse
    monkeypatch.setattr(fast, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(fast, "_parse", lambda data: parsed.append(len(data)) or real(data))
    assert _fast(path) == "fast"
    assert (len(parsed) > 1) == (chunk < len(body) // 2)
    _assert_same(path, monkeypatch)
    cases = xes.read_xes(path, name.endswith(".gz")).table.column(CASE).to_pylist()
    assert cases == [f"c{t}" for t in range(300) for _ in "ab"]


def test_non_ascii_values_read_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = (f'<trace><string key="concept:name" value="订单-1"/>{EV}<string key="org:resource" value="José"/>'
            "</event></trace>")
    path = _file(tmp_path, body)
    assert _fast(path) == "fast"
    _assert_same(path, monkeypatch)
    assert xes.read_xes(path, False).table.column("org:resource").to_pylist() == ["José"]


@pytest.mark.parametrize(("value", "reason"), [("\uffff", "a character XML does not allow"),
                                               ("\ufffe", "a character XML does not allow")])
def test_noncharacters_fall_back(tmp_path: Path, value: str, reason: str) -> None:
    path = _file(tmp_path, f'<trace><string key="concept:name" value="c{value}"/>{EV}</event></trace>')
    assert _fast(path) == f"fallback: {reason}"


def test_invalid_utf8_falls_back(tmp_path: Path) -> None:
    path = _file(tmp_path, f'<trace><string key="concept:name" value="cX"/>{EV}</event></trace>')
    path.write_bytes(path.read_bytes().replace(b'"cX"', b'"c\xff"'))
    assert _fast(path) == "fallback: invalid UTF-8"


@pytest.mark.parametrize("case", ["fast", "fallback", "gzip"])
def test_the_read_leaves_the_files_sha256_for_the_store(tmp_path: Path, case: str) -> None:
    """An XES read has its file's sha256 taken behind it: the store's digest without hashing after the ingest."""
    import hashlib

    from flowmine.ingest import scanned_sha256

    body = f'<trace><string key="concept:name" value="c"/>{EV}</event></trace>'
    path = _file(tmp_path, body if case != "fallback" else FALLBACKS["comment"][0],
                 "f.xes.gz" if case == "gzip" else "f.xes")
    assert scanned_sha256(path) is None
    xes.read_xes(path, case == "gzip")
    assert scanned_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_bytes(path.read_bytes() + b"\n")  # changed since: the remembered digest no longer applies
    assert scanned_sha256(path) is None


@pytest.mark.parametrize(("value", "reason"), [("a\tb", "a tab, line break or control character inside a value"),
                                               ("a\x01b", "a tab, line break or control character inside a value"),
                                               ("a<b", "'<' inside a value")])
def test_characters_a_value_cannot_hold_raw_fall_back(tmp_path: Path, value: str, reason: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = _file(tmp_path, f'<trace><string key="concept:name" value="c"/>{EV}<string key="x" value="{value}"/>'
                           "</event></trace>")
    assert _fast(path) == f"fallback: {reason}"
    if value == "a\tb":  # the lxml reader reads a raw tab (the other two are not well-formed XML)
        _assert_same(path, monkeypatch)
