"""Ingest outcomes and the store's integrity: nothing-loaded inputs, sources known by content,
newer extracts with other columns or types, versions and rollback, digests and damaged files."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flowmine import Store, StoreError, load_log
from flowmine._fingerprint import fingerprints
from flowmine._schema import ACTIVITY, CASE
from flowmine.errors import DamagedStoreError, InputError, NothingLoadedError
from flowmine.ingest._mapping import mapping_from_dict
from tests.conftest import run_cli

HEADER = "case,activity,timestamp\n"
GERMAN = HEADER + "C1,A,05.03.2024 14:30\nC1,B,06.03.2024 09:00\n"


def _mapping(write, fmt: str):
    return write(f"m{len(fmt)}.toml", f'[timestamps]\nformat = "{fmt}"\n')


@pytest.mark.parametrize("existing", [False, True])
def test_nothing_loads_exits_2_stores_nothing_and_the_fixed_mapping_then_loads(tmp_path, write, existing):
    store = tmp_path / "s"
    if existing:
        assert run_cli("ingest", str(write("old.csv", HEADER + "C0,A,2024-01-01 10:00\n")), "--store", str(store),
                       "--process", "p").returncode == 0
    src = write("de.csv", GERMAN)
    r = run_cli("ingest", str(src), "--store", str(store), "--process", "p",
                "--mapping", str(_mapping(write, "%Y-%m-%d %H:%M")))
    assert r.returncode == 2
    err = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and "Traceback" not in r.stderr
    assert err[0].startswith(f"error: {src}: nothing loaded, all 2 rows quarantined (invalid_timestamp 2); "
                             "first: row 2, column 'timestamp': ")
    assert "05.03.2024 14:30" in err[0] and "%Y-%m-%d %H:%M" in err[0] and err[0].endswith("nothing was stored")
    if not existing:
        assert r.stdout.strip() == "process 'p' holds no events: nothing was stored"
    st = Store(store)
    if existing:
        assert st.version("p") == "v000001" and len(st.load("p")) == 1 and len(st.manifest("p")["sources"]) == 1
    else:
        assert st.processes() == []
    ok = run_cli("ingest", str(src), "--store", str(store), "--process", "p", "--json",
                 "--mapping", str(_mapping(write, "%d.%m.%Y %H:%M")))
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["events_loaded"] == 2  # not "already in the store"


def test_nothing_loaded_is_an_input_error_naming_the_first_record(tmp_path, write):
    from flowmine import read_log
    from flowmine.store._store import nothing_loaded

    src = write("de.csv", GERMAN)
    norm = read_log(src, mapping_from_dict({"timestamps": {"format": "%Y-%m-%d %H:%M"}}))
    exc = nothing_loaded(str(src), norm)
    assert isinstance(exc, NothingLoadedError) and isinstance(exc, InputError) and exc.exit_code == 2
    assert "row 2, column 'timestamp'" in str(exc) and "'05.03.2024 14:30'" in str(exc)


def test_same_content_with_a_changed_mapping_replaces_its_events_and_quarantine(tmp_path, write):
    st = Store(tmp_path / "s")
    src = write("a.csv", HEADER + "C1,A,2024-01-01 10:00\nC1,B,2024-01-02 10:00\nC2,A,bad\n")
    st.ingest("p", [write("other.csv", HEADER + "C9,Z,2024-01-05 10:00\n")])
    first = mapping_from_dict({})
    st.ingest("p", [src], mapping=first)
    assert len(st.load("p")) == 3 and len(st.quarantine("p")) == 1
    renamed = mapping_from_dict({"activities": {"A": "Approve"}})
    r = st.ingest("p", [src], mapping=renamed)
    assert r.sources[0].replaced == str(src) and r.sources[0].events_loaded == 2 and r.version == "v000003"
    df = st.load("p")
    assert sorted(df[ACTIVITY]) == ["Approve", "B", "Z"]  # no doubling, the other source untouched
    assert list(st.quarantine("p")["source"]) == [str(src)]
    assert [s["source"] for s in st.manifest("p")["sources"]] == [str(tmp_path / "other.csv"), str(src)]
    again = st.ingest("p", [src], mapping=mapping_from_dict({"activities": {"A": "Approve"}}))
    assert again.sources[0].skipped and again.version == "v000003"


@pytest.mark.parametrize("extra", ["note", ""])
def test_a_newer_extract_with_an_added_column_adds_only_its_new_events(tmp_path, write, extra):
    st = Store(tmp_path / "s")
    st.ingest("p", [write("jan.csv", HEADER + "C1,A,2024-01-01 10:00\nC1,B,2024-01-02 10:00\n")])
    fill = (lambda v: v) if extra else (lambda v: "")
    newer = write("feb.csv", "case,activity,timestamp,note\n"
                  f"C1,A,2024-01-01 10:00,{fill('x')}\nC1,B,2024-01-02 10:00,{fill('y')}\n"
                  f"C2,A,2024-02-01 10:00,{fill('fresh')}\n")
    rep = st.ingest("p", [newer]).sources[0]
    assert (rep.rows_read, rep.rows_already_stored, rep.events_loaded) == (3, 2, 1)
    assert rep.new_columns == ["note"]
    assert any("new column(s) ['note']" in n and "kept for the 1 new events" in n for n in rep.notes)
    notes = st.load_table("p").sort_by("event_id").column("note").to_pylist()
    assert notes == [None, None, fill("fresh") or None]
    # the next extract with the same columns is matched over them and adds nothing twice
    later = write("mar.csv", "case,activity,timestamp,note\n"
                  f"C1,A,2024-01-01 10:00,{fill('x')}\nC2,A,2024-02-01 10:00,{fill('fresh')}\n"
                  f"C3,A,2024-03-01 10:00,{fill('z')}\n")
    rep3 = st.ingest("p", [later]).sources[0]
    assert (rep3.rows_already_stored, rep3.events_loaded) == (2, 1) and len(st.load("p")) == 4


def test_columns_differing_only_in_case_are_never_merged(tmp_path, write):
    head = "case,activity,timestamp,Note,note\n"
    st = Store(tmp_path / "s")
    st.ingest("p", [write("a.csv", head + "C1,A,2024-01-01 10:00,a,b\n")])
    corrected = st.ingest("p", [write("b.csv", head + "C1,A,2024-01-01 10:00,b,a\n")]).sources[0]
    assert (corrected.rows_already_stored, corrected.events_loaded) == (0, 1)  # the corrected value is kept
    df = st.load("p").sort_values("event_id")
    assert df["Note"].tolist() == ["a", "b"] and df["note"].tolist() == ["b", "a"]
    import pyarrow as pa

    t = pa.table({CASE: ["c", "c"], "Note": ["a", None], "note": [None, "a"]})
    fp = fingerprints(t).to_pylist()
    assert fp[0] != fp[1]


def test_an_attribute_whose_type_changes_between_extracts_widens_to_text(tmp_path, write):
    head = "case,activity,timestamp,amount\n"
    st = Store(tmp_path / "s")
    st.ingest("p", [write("jan.csv", head + "C1,A,2024-01-01 10:00,5\nC1,B,2024-01-02 10:00,7\n")])
    assert pq.read_schema(st.events_path("p")).field("amount").type == "int64"
    rep = st.ingest("p", [write("feb.csv", head + "C1,A,2024-01-01 10:00,5\nC1,B,2024-01-02 10:00,7\n"
                                "C2,A,2024-02-01 10:00,n/a\n")]).sources[0]
    assert (rep.rows_already_stored, rep.events_loaded) == (2, 1)
    assert any("column 'amount' has types int64 and string" in n for n in rep.notes)
    df = st.load("p").sort_values("event_id")
    assert df["amount"].tolist() == ["5", "7", "n/a"]
    third = st.ingest("p", [write("mar.csv", head + "C2,A,2024-02-01 10:00,n/a\nC1,A,2024-01-01 10:00,5\n"
                                  "C3,A,2024-03-01 10:00,9\n")]).sources[0]
    assert (third.rows_already_stored, third.events_loaded) == (2, 1)


def _three_versions(tmp_path: Path, write, keep: int = 10) -> Store:
    st = Store(tmp_path / "s", keep_versions=keep)
    for i in range(3):
        st.ingest("p", [write(f"{i}.csv", HEADER + "".join(f"C{j},A,2024-01-0{j + 1} 10:00\n" for j in range(i + 1)))])
    return st


def test_versions_lists_and_rollback_makes_an_earlier_version_live_as_a_new_one(tmp_path, write):
    st = _three_versions(tmp_path, write)
    r = run_cli("versions", "--store", str(tmp_path / "s"), "--process", "p", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [(x["version"], x["events"], x["cases"], x["sources"], x["live"]) for x in rows] == [
        ("v000001", 1, 1, 1, False), ("v000002", 2, 2, 2, False), ("v000003", 3, 3, 3, True)]
    assert all(x["created"] for x in rows)
    back = run_cli("rollback", "--store", str(tmp_path / "s"), "--process", "p", "--to", "v000001")
    assert back.returncode == 0, back.stderr
    assert back.stdout.strip() == "process 'p': v000001 is live again as v000004 (was v000003)"
    assert st.version("p") == "v000004" and st.load("p")[CASE].tolist() == ["C0"]
    m = st.manifest("p")
    assert m["rollback"] == {"of": "v000001", "from": "v000003"} and m["version"] == "v000004"
    assert (tmp_path / "s" / "p" / "v000003").is_dir()  # kept, so a rollback can be undone
    text = run_cli("versions", "--store", str(tmp_path / "s"), "--process", "p")
    assert text.stdout.splitlines()[-1].startswith("* v000004") and "(rollback to v000001)" in text.stdout
    bad = run_cli("rollback", "--store", str(tmp_path / "s"), "--process", "p", "--to", "v000009")
    assert bad.returncode == 2 and "no version 'v000009'" in bad.stderr
    # the next ingest builds on the rolled-back events
    st.ingest("p", [write("x.csv", HEADER + "C5,A,2024-02-01 10:00\n")])
    assert sorted(st.load("p")[CASE]) == ["C0", "C5"]


def test_old_versions_are_kept_up_to_the_count_never_the_live_one_or_the_target(tmp_path, write):
    st = _three_versions(tmp_path, write, keep=2)
    pdir = tmp_path / "s" / "p"
    assert sorted(p.name for p in pdir.glob("v*")) == ["v000002", "v000003"]
    st.rollback("p", "v000002")
    assert sorted(p.name for p in pdir.glob("v*")) == ["v000002", "v000004"]
    with pytest.raises(StoreError, match="keep_versions must be at least 1"):
        Store(tmp_path / "s", keep_versions=0)


def _flip(path: Path, at: int, n: int = 4) -> None:
    data = bytearray(path.read_bytes())
    for i in range(at, at + n):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def test_flipped_bytes_in_events_are_found_by_verify_and_every_reader_refuses(tmp_path, write):
    rows = "".join(f"C{i % 50},A{i % 7},2024-01-{1 + i % 28:02d} {10 + i % 9}:{i % 60:02d}\n" for i in range(2000))
    st = Store(tmp_path / "s")
    st.ingest("p", [write("a.csv", HEADER + rows)])
    store = str(tmp_path / "s")
    ok = run_cli("verify", "--store", store)
    assert ok.returncode == 0 and ok.stdout.strip().endswith("1 version(s) checked, intact")
    m = st.manifest("p")
    events = st.events_path("p")
    assert m["files"]["events.parquet"]["sha256"] and m["files"]["events.parquet"]["bytes"] == events.stat().st_size
    assert pq.ParquetFile(events).metadata.row_group(0).column(0).total_compressed_size > 0
    _flip(events, events.stat().st_size // 3)
    bad = run_cli("verify", "--store", store, "--json")
    assert bad.returncode == 1
    out = json.loads(bad.stdout)
    assert [d["file"] for d in out["damaged"]] == [str(events)]
    for args in (("export", "--store", store, "--process", "p", "--out", str(tmp_path / "o.csv")),
                 ("ingest", str(write("b.csv", HEADER + "X,A,2024-05-01 10:00\n")), "--store", store,
                  "--process", "p"),
                 ("perf", "--store", store, "--process", "p")):
        r = run_cli(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert r.stdout == "" and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
        assert r.stderr.startswith(f"error: {events}: damaged (its sha256 differs from the one its manifest records)")
    assert not (tmp_path / "o.csv").exists()
    assert sorted(p.name for p in (tmp_path / "s" / "p").glob("v*")) == ["v000001"]  # nothing built on it
    with pytest.raises(DamagedStoreError):
        load_log(st, "p")
    from flowmine.dashboard._data import case_events

    with pytest.raises(DamagedStoreError):  # the dashboard's case view
        case_events(st, "p", "C1")
    with pytest.raises(DamagedStoreError):
        Store(tmp_path / "s").load("p")


def test_page_checksums_catch_damage_even_without_a_digest(tmp_path, write):
    from flowmine.store._store import _read_parquet

    rows = "".join(f"C{i},A,2024-01-01 10:{i % 60:02d}\n" for i in range(3000))
    st = Store(tmp_path / "s")
    st.ingest("p", [write("a.csv", HEADER + rows)])
    events = st.events_path("p")
    assert _read_parquet(events).num_rows == 3000
    meta = pq.ParquetFile(events).metadata.row_group(0)
    col = next(meta.column(i) for i in range(meta.num_columns) if meta.column(i).path_in_schema == CASE)
    _flip(events, col.data_page_offset + col.total_compressed_size * 2 // 3)  # inside the page data
    with pytest.raises(DamagedStoreError, match="Parquet cannot read it"):
        _read_parquet(events)


def test_a_damaged_or_stale_analytics_cache_is_rebuilt_never_trusted(tmp_path, write):
    from flowmine.analytics import prepare, stored
    from flowmine.analytics._fast import _OPEN, CACHE, available, load_columns
    from flowmine.analytics._stamp import STAMP, cache_intact

    if not available():
        pytest.skip("numba is not installed: no analytics cache")
    rows = "".join(f"C{i % 40},A{i % 5},2024-01-{1 + i % 20:02d} 10:{i % 60:02d}\n" for i in range(800))
    st = Store(tmp_path / "s")
    st.ingest("p", [write("a.csv", HEADER + rows)])
    assert prepare(st, "p")
    cache = st.events_path("p").with_name(CACHE)
    assert cache_intact(cache) and json.loads(cache.with_name(STAMP).read_text())["bytes"] == cache.stat().st_size
    good = load_columns(stored(st, "p"))
    c_before = good.c.copy()
    _OPEN.clear()
    _flip(cache, cache.stat().st_size // 2, 8)
    assert not cache_intact(cache)
    again = load_columns(stored(st, "p"))
    assert (again.c == c_before).all() and cache_intact(cache)  # rebuilt from the intact events
    _OPEN.clear()
    stamp = json.loads(cache.with_name(STAMP).read_text())
    cache.with_name(STAMP).write_text(json.dumps({**stamp, "events_sha256": "0" * 64}))  # built from other events
    assert not cache_intact(cache)
    assert (load_columns(stored(st, "p")).c == c_before).all() and cache_intact(cache)
