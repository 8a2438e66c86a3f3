"""XES dates typed by Arrow's ISO 8601 cast (:func:`flowmine.ingest._xes_types._date`) against the per-part
reading (:func:`._date_by_parts`): the same instants for every shape producers write (ProM's milliseconds with
offsets, Disco, Celonis' ``Z``, pm4py without fraction, bupaR without offset, +08:00, -05:30), the shapes the
cast would read differently left to the per-part reading, and whole files in those shapes read to the right
instants with missing times quarantined."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from flowmine import read_log
from flowmine._schema import CASE, TIMESTAMP, Reason
from flowmine.ingest._cells import _blank, _text
from flowmine.ingest._xes_types import _date, _date_by_parts, _typed
from tests.test_xes_fast import _assert_same, _fast

UTC = dt.UTC

#: producer shape -> (values as written, the instants they mean, naive values among them)
SHAPES = {
    "ProM/OpenXES": (["2011-10-01T11:45:13.917+02:00", "2011-10-01T12:17:08.924+02:00"],
                     [dt.datetime(2011, 10, 1, 9, 45, 13, 917000, UTC),
                      dt.datetime(2011, 10, 1, 10, 17, 8, 924000, UTC)],
                     0),
    "Disco": (["2011-01-01T10:00:00.000+01:00"], [dt.datetime(2011, 1, 1, 9, 0, tzinfo=UTC)], 0),
    "Celonis": (["2023-03-01T07:30:00.000Z", "2024-02-29T23:59:59.999Z"],
                [dt.datetime(2023, 3, 1, 7, 30, tzinfo=UTC), dt.datetime(2024, 2, 29, 23, 59, 59, 999000, UTC)], 0),
    "pm4py": (["2024-02-01T09:00:00+00:00"], [dt.datetime(2024, 2, 1, 9, 0, tzinfo=UTC)], 0),
    "bupaR (naive)": (["2017-01-02T11:41:53", "2017-01-02T12:40:20.5"],
                      [dt.datetime(2017, 1, 2, 11, 41, 53, tzinfo=UTC),
                       dt.datetime(2017, 1, 2, 12, 40, 20, 500000, UTC)], 2),
    "+08:00 and fractions": (["2024-03-01T09:30:00.5+08:00", "2024-03-01T00:00:00.123456+08:00", None],
                             [dt.datetime(2024, 3, 1, 1, 30, 0, 500000, UTC),
                              dt.datetime(2024, 2, 29, 16, 0, 0, 123456, UTC), None], 0),
    "-05:30, +14:00, before 1970": (["1969-12-31T23:59:59.5-05:30", "2024-01-01T00:00:00+14:00"],
                                    [dt.datetime(1970, 1, 1, 5, 29, 59, 500000, UTC),
                                     dt.datetime(2023, 12, 31, 10, 0, tzinfo=UTC)], 0),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_cast_reads_each_producer_shape_as_the_parts_do(shape: str) -> None:
    values, instants, naive = SHAPES[shape]
    raw = pa.array(values, pa.string())
    fast = _date(raw)
    assert fast is not None  # the cast took it
    assert fast[0].to_pylist() == instants and fast[1] == naive
    by_parts = _date_by_parts(raw)
    assert fast[0].equals(by_parts[0]) and fast[1] == by_parts[1]


#: values the cast would misread or refuse as a whole column: the per-part reading types them
DECLINED = {
    "mixed zoned and naive": (["2024-01-01T10:00:00Z", "2024-01-01T10:00:00"], [True, True]),
    "seven fractional digits": (["2024-01-01T10:00:00.1234567Z"], [True]),
    "offset beyond 14 hours": (["2024-01-01T10:00:00+15:00"], [False]),
    "offset without colon": (["2024-01-01T10:00:00+0800"], [False]),
    "space for T": (["2024-01-01 10:00:00Z"], [False]),
    "no seconds": (["2024-01-01T10:00Z"], [False]),
    "30 February": (["2024-02-30T10:00:00Z", "2024-02-28T10:00:00Z"], [False, True]),
    "hour 24": (["2024-01-01T24:00:00Z"], [False]),
    "second 60": (["2024-06-30T23:59:60Z"], [False]),
    "whitespace around": ([" 2024-01-01T10:00:00Z "], [True]),
    "not a date": (["yesterday", "2024-01-01T10:00:00Z"], [False, True]),
}


@pytest.mark.parametrize("case", sorted(DECLINED))
def test_shapes_the_cast_would_misread_go_the_strict_way(case: str) -> None:
    values, typed_ok = DECLINED[case]
    raw = pa.array(values, pa.string())
    assert _date(raw) is None
    typed, bad, _ = _typed(pa.chunked_array([raw]), "date")
    assert typed.is_valid().to_pylist() == typed_ok and bad.tolist() == [not ok for ok in typed_ok]
    assert typed.equals(_date_by_parts(pa.array([v.strip() for v in values]))[0])


def test_seven_fractional_digits_truncate_to_microseconds() -> None:
    typed, _, _ = _typed(pa.chunked_array([pa.array(["2024-01-01T10:00:00.1234567Z"])]), "date")
    assert typed.to_pylist() == [dt.datetime(2024, 1, 1, 10, 0, 0, 123456, UTC)]


def test_the_cast_equals_the_parts_on_many_random_dates() -> None:
    rng = np.random.default_rng(7)
    n = 2000
    secs = rng.integers(-2_000_000_000, 4_000_000_000, n)
    base = [(dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(s))).strftime("%Y-%m-%dT%H:%M:%S") for s in secs]
    fracs = ["" if k == 0 else "." + "".join(map(str, rng.integers(0, 10, k))) for k in rng.integers(0, 7, n)]
    zones = [z if z else "Z" for z in (f"{'+-'[int(rng.integers(2))]}{h:02d}:{m:02d}" if rng.random() < .8 else ""
                                         for h, m in zip(rng.integers(0, 15, n), rng.integers(0, 60, n), strict=True))]
    zoned = [b + f + z for b, f, z in zip(base, fracs, zones, strict=True)]
    for values in (zoned, [b + f for b, f in zip(base, fracs, strict=True)]):
        raw = pa.array(values)
        fast = _date(raw)
        assert fast is not None and fast[0].null_count == 0
        assert fast[0].equals(_date_by_parts(raw)[0])


@pytest.mark.parametrize("values", [
    pa.array([dt.datetime(2024, 1, 1), None], pa.timestamp("us", tz="UTC")),
    pa.array([1, None, 0], pa.int64()),
    pa.array([1.5, None, float("nan")], pa.float64()),
    pa.array([True, None], pa.bool_()),
    pa.array([dt.date(2024, 1, 1), None], pa.date32()),
], ids=lambda a: str(a.type))
def test_blank_of_a_typed_column_is_what_its_text_would_say(values: pa.Array) -> None:
    text = _text(values)
    assert _blank(values).tolist() == [v is None or not v.strip() for v in text.to_pylist()]


HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n'
#: producer -> (date values of one trace's events as written, the instants the log holds)
FILES = {
    "prom": (["2011-10-01T11:45:13.917+02:00", "2011-10-01T12:17:08.924+02:00"],
             ["2011-10-01 09:45:13.917000+00:00", "2011-10-01 10:17:08.924000+00:00"]),
    "celonis": (["2023-03-01T07:30:00.000Z", "2023-03-06T12:00:00.000Z"],
                ["2023-03-01 07:30:00+00:00", "2023-03-06 12:00:00+00:00"]),
    "shanghai": (["2024-03-01T09:30:00.5+08:00", "2024-03-01T10:00:00.250+08:00"],
                 ["2024-03-01 01:30:00.500000+00:00", "2024-03-01 02:00:00.250000+00:00"]),
    "bupar": (["2017-01-02T11:41:53", "2017-01-02T12:40:20"],
              ["2017-01-02 11:41:53+00:00", "2017-01-02 12:40:20+00:00"]),
}


def _xes(tmp_path: Path, dates: list[str | None], name: str = "f.xes") -> Path:
    events = "".join(
        f'<event><string key="concept:name" value="a{i}"/>'
        + (f'<date key="time:timestamp" value="{d}"/>' if d is not None else "") + "</event>"
        for i, d in enumerate(dates))
    path = tmp_path / name
    path.write_text(f'{HEAD}<trace><string key="concept:name" value="c1"/>{events}</trace>\n</log>\n')
    return path


@pytest.mark.parametrize("producer", sorted(FILES))
def test_a_file_in_each_producer_shape_reads_its_instants(tmp_path: Path, producer: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    dates, instants = FILES[producer]
    path = _xes(tmp_path, dates)
    assert _fast(path) == "fast"
    r = read_log(path)
    assert [str(t) for t in r.events.column(TIMESTAMP).to_pylist()] == instants
    assert r.events.column(CASE).to_pylist() == ["c1", "c1"] and r.quarantine.num_rows == 0
    _assert_same(path, monkeypatch)


def test_a_missing_or_bad_time_quarantines_its_event_with_a_reason(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = _xes(tmp_path, ["2024-03-01T09:30:00+08:00", None, "2024-02-30T10:00:00+08:00",
                           "2024-03-01T11:00:00+08:00"])
    r = read_log(path)
    assert [str(t) for t in r.events.column(TIMESTAMP).to_pylist()] == ["2024-03-01 01:30:00+00:00",
                                                                        "2024-03-01 03:00:00+00:00"]
    reasons = dict(zip(r.quarantine.column("row").to_pylist(), r.quarantine.column("reason").to_pylist(),
                       strict=True))
    assert reasons == {2: Reason.MISSING_TIMESTAMP, 3: Reason.INVALID_TIMESTAMP}
    _assert_same(path, monkeypatch)


@pytest.mark.parametrize("values", [["1.5", "-2", "1e3", "INF", "NaN", None, ".5"], [" 1.5", "2 ", "x", None]])
def test_a_float_column_reads_the_same_cast_as_is_or_trimmed_and_checked(values: list[str | None]) -> None:
    raw = pa.chunked_array([pa.array(values[:2], pa.string()), pa.array(values[2:], pa.string())])
    typed, bad, _ = _typed(raw, "float")
    stripped = [v.strip() if v is not None else None for v in values]
    expected = [float(v) if v is not None and v not in ("x",) else None for v in stripped]
    got = typed.to_pylist()
    assert [g is None for g in got] == [e is None for e in expected]
    assert all(g == e or (g != g and e != e) for g, e in zip(got, expected, strict=True) if g is not None)
    assert bad.tolist() == [v == "x" for v in stripped]


def test_trace_dates_and_plain_floats_read_as_the_lxml_reader_reads_them(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A case-level date (Disco writes the case's start so), event floats written plainly and one padded."""
    traces = "".join(
        f'<trace><string key="concept:name" value="c{t}"/><date key="opened" value="2024-0{t}-01T08:00:00+08:00"/>'
        f'<event><string key="concept:name" value="a"/><date key="time:timestamp" value="2024-0{t}-02T09:00:00Z"/>'
        f'<float key="cost:total" value="{t}.25"/></event>'
        f'<event><string key="concept:name" value="b"/><date key="time:timestamp" value="2024-0{t}-03T09:00:00Z"/>'
        f'<float key="cost:total" value="{" 1e2" if t == 2 else "7"}"/></event></trace>'
        for t in (1, 2, 3))
    path = tmp_path / "disco_like.xes"
    path.write_text(f"{HEAD}{traces}\n</log>\n")
    assert _fast(path) == "fast"
    r = read_log(path)
    opened = [str(v) for v in r.events.column("case:opened").to_pylist()]
    assert opened == ["2024-01-01 00:00:00+00:00"] * 2 + ["2024-02-01 00:00:00+00:00"] * 2 \
        + ["2024-03-01 00:00:00+00:00"] * 2
    assert r.events.column("cost:total").to_pylist() == [1.25, 7.0, 2.25, 100.0, 3.25, 7.0]
    _assert_same(path, monkeypatch)
