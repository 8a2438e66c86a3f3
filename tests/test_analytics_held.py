"""Filtered stored logs (``stored(...).where(filter)``) and held logs (``hold``) give exactly the numbers
of the plain path: every declared metric and level, the profile on both engines, calendars."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import flowmine.analytics as fa
from flowmine.analytics import Calendar, CaseFilter, filter_cases, hold, profile, release, stored
from flowmine.store import Store
from tests.test_analytics_contract import CASES, call
from tests.test_analytics_fast import assert_same

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
MARCH = CaseFilter(started=("2025-03-01", "2025-04-01"))


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    st = Store(tmp_path_factory.mktemp("held") / "store")
    st.ingest("production", [str(SAMPLES / "production_mes.xes.gz")], mapping=SAMPLES / "production_mes.mapping.toml")
    lg = stored(st, "production")
    yield lg
    release(lg)


@pytest.fixture(scope="module")
def slow_cases(log):
    """A second filter of another kind: the cases slower than the median (ids from the plain metric)."""
    per_case = fa.throughput_time(log, level="case")
    return CaseFilter(cases=per_case.loc[per_case.throughput_s > per_case.throughput_s.median(), "case"].tolist())


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal frames; rows whose float sort key ties up to the last bit (sums in another order) may swap."""
    keys = [c for c in a.columns if not pd.api.types.is_float_dtype(a[c])]
    if keys:
        a, b = (x.sort_values(keys, kind="stable").reset_index(drop=True) for x in (a, b))
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


def _plain(log, *filters):
    table = fa.as_table(log, columns=None)
    for flt in filters:
        table = filter_cases(table, flt)
    return table


@pytest.fixture(scope="module")
def plain_march_slow(log, slow_cases):
    table = _plain(log, MARCH, slow_cases)
    assert 0 < table.num_rows < _plain(log).num_rows  # the filters do filter
    return table


@pytest.mark.parametrize(("metric", "level"), CASES)
def test_held_filtered_log_equals_filtered_table(log, slow_cases, plain_march_slow, metric, level):
    hold(log)
    got, want = call(metric, level, log.where(MARCH, slow_cases)), call(metric, level, plain_march_slow)
    same(got, want)
    assert len(got) == len(want) and list(got.columns) == list(want.columns)
    whole = call(metric, level, log)
    same(whole, call(metric, level, _plain(log)))  # the held tables are intact
    assert len(whole) >= len(got)  # the whole log has at least the rows of a part of it


@pytest.mark.parametrize(("metric", "level"), [("waiting_time", "activity"), ("bottlenecks", "edge"),
                                               ("handovers", "resource"), ("variant_stats", "variant")])
def test_filtered_stored_log_equals_filtered_table(log, slow_cases, plain_march_slow, metric, level):
    release(log)
    got, want = call(metric, level, log.where(MARCH, slow_cases)), call(metric, level, plain_march_slow)
    same(got, want)
    assert len(got) == len(want) > 0


@pytest.mark.parametrize("held", [False, True])
def test_profile_of_filtered_stored_log(log, slow_cases, held):
    (hold if held else release)(log)
    expected = profile(_plain(log, MARCH), engine="sql", by="month", n_boot=200, process="production")
    fast = profile(log, filters=MARCH, by="month", n_boot=200)
    assert fast["engine"] == "fast"
    assert_same(fast, expected)
    assert_same(profile(log.where(MARCH), engine="sql", by="month", n_boot=200), expected)
    both = profile(log.where(MARCH, slow_cases), n_boot=50)
    assert both["cases"] == len(set(_plain(log, MARCH, slow_cases).column("case:concept:name").to_pylist()))
    assert_same(both, profile(_plain(log, MARCH, slow_cases), engine="sql", n_boot=50, process="production"))


def test_calendar_on_held_log(log):
    cal = Calendar(weekdays=(0, 1, 2, 3, 4), start="09:00", end="17:00")
    release(log)
    expected = fa.waiting_time(_plain(log, MARCH), level="activity", calendar=cal)
    hold(log)
    same(fa.waiting_time(log.where(MARCH), level="activity", calendar=cal), expected)
    same(fa.waiting_time(log, level="activity"), fa.waiting_time(_plain(log), level="activity"))


def test_case_id_filter_and_empty_result(log):
    hold(log)
    ids = fa.throughput_time(log, level="case")["case"].head(3).tolist()
    assert sorted(fa.throughput_time(log.where(CaseFilter(cases=ids)), level="case")["case"]) == sorted(ids)
    none = log.where(CaseFilter(cases=["no such case"]))
    assert profile(none)["cases"] == 0
    assert fa.workload(none, level="resource").empty


def test_where_without_conditions_is_the_same_log(log):
    assert log.where(None, CaseFilter()) is log
    assert log.where(MARCH).base == log


def test_every_filter_kind_keeps_the_same_cases_held_or_not(log):
    from flowmine.analytics._held import filtered_table, kept_case_ids

    per_case = fa.throughput_time(log, level="case")
    variant = fa.variant_stats(log)["variant"].iloc[0]
    ordered = fa.instances(log).sort_values(["case", "pos"]).groupby("case")["activity"]
    first, last = ordered.first().iloc[0], ordered.last().value_counts().index[-1]  # a rare last step
    kinds = [MARCH, CaseFilter(completed=("2025-02-01", "2025-03-01")), CaseFilter(active=("2025-02-01", "2025-02-02")),
             CaseFilter(duration_s=(float(per_case.throughput_s.median()), None)), CaseFilter(variants=[variant]),
             CaseFilter(start_steps=[first]), CaseFilter(end_steps=[last]),
             CaseFilter(cases=per_case["case"].head(5).tolist()), CaseFilter(follows=(last, first))]
    table = fa.as_table(log, columns=None)
    attrs = [c for c in table.column_names if c.startswith("case:") and c != "case:concept:name"]
    if attrs:
        kinds.append(CaseFilter(attributes={attrs[0]: [table.column(attrs[0])[0].as_py()]}))
    proper = 0
    for flt in kinds:
        release(log)
        light = sorted(kept_case_ids(log.where(flt)).to_pylist())
        expected = sorted(set(filter_cases(_plain(log), flt).column("case:concept:name").to_pylist()))
        rows = filtered_table(log.where(flt), None)
        hold(log)
        assert light == expected == sorted(kept_case_ids(log.where(flt)).to_pylist()), flt
        assert filtered_table(log.where(flt), None).equals(rows), flt  # held: the kept cases' rows, in order
        proper += 0 < len(light) < len(per_case)
    assert proper >= len(kinds) - 2  # the filters do filter


def test_combined_conditions_from_remembered_masks(log):
    """A held log decides each condition of a filter once and ANDs the remembered masks: any combination
    of known conditions keeps exactly the cases the plain path keeps."""
    from flowmine.analytics._held import _MASKS, kept_case_ids

    per_case = fa.throughput_time(log, level="case")
    variant = fa.variant_stats(log)["variant"].iloc[0]
    slow = float(per_case.throughput_s.median())
    combos = [CaseFilter(started=MARCH.started, duration_s=(slow, None)),
              CaseFilter(started=MARCH.started, variants=[variant]),
              CaseFilter(duration_s=(slow, None), variants=[variant]),
              CaseFilter(started=MARCH.started, duration_s=(slow, None), variants=[variant]),
              CaseFilter(variants=[variant], cases=per_case["case"].head(40).tolist()),
              CaseFilter(variants=[])]
    hold(log)
    for key in [k for k in _MASKS if k[0] == log.path]:
        del _MASKS[key]
    sizes = []
    for flt in combos:
        expected = sorted(set(filter_cases(_plain(log), flt).column("case:concept:name").to_pylist()))
        assert sorted(kept_case_ids(log.where(flt)).to_pylist()) == expected, flt
        assert sorted(fa.throughput_time(log.where(flt), level="case")["case"]) == expected, flt
        sizes.append(len(expected))
    # six combinations of five conditions (started, duration, variant, 40 cases, no variant): one mask each
    assert sum(k[0] == log.path for k in _MASKS) == 5
    assert sizes[-1] == 0 and 0 < sizes[3] < sizes[0]  # the conditions do combine


def test_a_column_subset_without_start_timestamps_is_read(log):
    table = fa.as_table(log, columns=["case:concept:name", "concept:name", "time:timestamp"])
    assert "start_timestamp" not in table.column_names and table.num_rows == _plain(log).num_rows


@pytest.mark.parametrize("activities, paths", [(1.0, 1.0), (1.0, 0.3), (0.6, 1.0), (0.3, 0.5)])
def test_process_map_of_a_held_filtered_log(log, activities, paths):
    from flowmine.discovery import map_layout, process_map

    layout = map_layout(log)
    release(log)
    expected = process_map(_plain(log, MARCH), activities=activities, paths=paths, layout=layout)
    hold(log)
    got = process_map(log.where(MARCH), activities=activities, paths=paths, layout=layout)
    same(got.nodes, expected.nodes)
    same(got.edges, expected.edges)
    assert len(got.edges) > 0


@pytest.mark.parametrize("name, mapping", [("finance_claims.csv", "finance_claims.mapping.toml"),
                                           ("sales_orders.xlsx", "sales_orders.mapping.toml")])
def test_compiled_map_equals_the_sql_map(tmp_path, name, mapping):
    from flowmine.discovery import map_layout, process_map

    st = Store(tmp_path / "store")
    st.ingest("p", [str(SAMPLES / name)], mapping=SAMPLES / mapping)
    lg = stored(st, "p")
    table = fa.as_table(lg, columns=None)
    layout = map_layout(table)
    for activities in (1.0, 0.7, 0.2):
        fast, sql = process_map(lg, activities, 1.0, layout), process_map(table, activities, 1.0, layout)
        same(fast.nodes, sql.nodes)
        same(fast.edges, sql.edges)
        assert len(fast.edges) > 0


@pytest.mark.parametrize("held", [False, True])
def test_a_case_list_changed_in_place_is_seen(log, held):
    """Kept cases are remembered per filter content, never per object: a list edited in place is a new filter."""
    from flowmine.analytics._held import kept_case_ids

    (hold if held else release)(log)
    ids = sorted(fa.throughput_time(log, level="case")["case"])
    chosen = ids[:3]
    flt = CaseFilter(cases=chosen)
    assert sorted(kept_case_ids(log.where(flt)).to_pylist()) == ids[:3]
    chosen.append(ids[3])
    assert sorted(kept_case_ids(log.where(flt)).to_pylist()) == ids[:4]
    assert sorted(fa.throughput_time(log.where(flt), level="case")["case"]) == ids[:4]


def test_held_relations_are_written_once_then_mapped_and_a_damaged_file_is_rebuilt(tmp_path, monkeypatch) -> None:
    """The first hold writes the relations beside the version's events (stamped); a later hold in a fresh
    state opens them without building (the events memory-mapped; the numbers unchanged); a damaged file
    is never read but rebuilt; a version folder that cannot be written holds them in memory with the same
    numbers."""
    from flowmine.analytics import _held, _held_files

    st = Store(tmp_path / "store")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    lg = stored(st, "finance")
    plain = fa.waiting_time(lg.where(MARCH))
    files = [Path(lg.path).with_name(name) for name in _held_files.HELD_FILES.values()]
    builds: list[str] = []
    build = _held_files._build
    monkeypatch.setattr(_held_files, "_build", lambda path, threads: builds.append(path) or build(path, threads))
    try:
        hold(lg)
        assert builds == [lg.path] and all(f.exists() and f.with_suffix(".json").exists() for f in files)
        first = fa.waiting_time(lg.where(MARCH))
        release(lg)
        import pyarrow as pa
        before = pa.total_allocated_bytes()
        hold(lg)
        assert builds == [lg.path]  # mapped, not built again: the tables' buffers are the files' pages
        held = _held._held(lg)
        assert pa.total_allocated_bytes() - before < held.table.nbytes / 4
        pd.testing.assert_frame_equal(fa.waiting_time(lg.where(MARCH)), first)
        pd.testing.assert_frame_equal(first, plain)
        release(lg)
        with files[1].open("r+b") as fh:  # one byte of the relations' database changed on disk
            fh.seek(files[1].stat().st_size // 2)
            byte = fh.read(1)
            fh.seek(-1, 1)
            fh.write(bytes([byte[0] ^ 0xFF]))
        from flowmine.analytics import _stamp
        _stamp._DIGESTS.clear()
        hold(lg)
        assert builds == [lg.path, lg.path]
        pd.testing.assert_frame_equal(fa.waiting_time(lg.where(MARCH)), plain)
        release(lg)
        monkeypatch.setattr(_held_files, "_write", lambda files, events, db: False)  # a folder that cannot be written
        for f in files:
            f.unlink()
        hold(lg)
        assert not any(f.exists() for f in files)
        pd.testing.assert_frame_equal(fa.waiting_time(lg.where(MARCH)), plain)
    finally:
        release(lg)


_HOLDER = """
import sys, time
from pathlib import Path
import flowmine.analytics._held_files as files
build = files._build
files._build = lambda path, threads: (print("built", flush=True), build(path, threads))[1]
from flowmine.analytics import CaseFilter, hold, stored, waiting_time
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.01)
log = stored(sys.argv[1], "finance")
hold(log)
march = log.where(CaseFilter(started=("2025-03-01", "2025-04-01")))
print(round(float(waiting_time(march)["total_s"].sum()), 3), flush=True)
"""


def test_two_processes_holding_a_new_version_at_once_build_it_once(tmp_path) -> None:
    """A dashboard's server and worker hold a new version at the same moment: the second waits for the
    first's build (a lock beside the version) and opens its files; both give the same numbers."""
    import subprocess
    import sys

    st = Store(tmp_path / "store")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", _HOLDER, str(st.path), str(go)], stdout=subprocess.PIPE,
                              text=True) for _ in range(2)]
    import time
    time.sleep(3.0)  # both imported and waiting
    go.touch()
    outs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(out.count("built") for out in outs) == 1
    assert outs[0][-1] == outs[1][-1]
