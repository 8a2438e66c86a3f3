"""Real public logs: the store equals pm4py's own reading, and our XES export reads back equal in pm4py."""

from __future__ import annotations

import pandas as pd
import pm4py
import pytest

from flowmine import Store, export_log
from flowmine._schema import ACTIVITY, CASE, EVENT_ID, LIFECYCLE, SOURCE, SOURCE_ROW, TIMESTAMP
from tests.conftest import shared_log

REAL = ["running-example.xes", "roadtraffic100traces.xes", "08_receipt.xes.gz",
        "Sepsis Cases - Event Log.xes.gz", "helpdesk.xes.gz", "06_bpic2013_closed.xes.gz"]


def _pm4py(path) -> pd.DataFrame:
    df = pm4py.read_xes(str(path), variant="iterparse", return_legacy_log_object=False)
    df[CASE] = df[CASE].astype(str)
    df[TIMESTAMP] = pd.to_datetime(df[TIMESTAMP], utc=True).astype("datetime64[us, UTC]")
    df["_order"] = range(len(df))
    return df.sort_values([CASE, TIMESTAMP, "_order"], kind="stable").reset_index(drop=True)


def _comparable(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = df[columns].copy()
    for c in columns:
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].astype("datetime64[us, UTC]")
        elif out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out.reset_index(drop=True)


@pytest.mark.parametrize("name", REAL)
def test_store_equals_pm4py_and_export_reads_back(tmp_path, name):
    path = shared_log(name)
    store = Store(tmp_path / "s")
    report = store.ingest("real", [str(path)])
    src = report.sources[0]
    assert report.errors == [] and src.balanced
    ours = store.load("real")
    theirs = _pm4py(path)
    # Exact duplicate events (every attribute equal) are kept and counted, as pm4py keeps them.
    content = [c for c in theirs.columns if c != "_order"]
    dups = theirs.duplicated(subset=content, keep="first")
    assert src.duplicate_events == int(dups.sum()) and "duplicate_event" not in src.reasons
    assert len(ours) == len(theirs)
    assert ours[CASE].nunique() == theirs[CASE].nunique()
    assert set(ours[ACTIVITY]) == set(theirs[ACTIVITY])
    core = [CASE, ACTIVITY, TIMESTAMP]
    pd.testing.assert_frame_equal(_comparable(ours, core), _comparable(theirs, core))
    # export and read back with pm4py: same cases, events, values and types
    out = tmp_path / "back.xes.gz"
    assert export_log(store, "real", out) == len(ours)
    back = _pm4py(out)
    shared = [c for c in ours.columns if c in back.columns and c not in (EVENT_ID, SOURCE, SOURCE_ROW)]
    assert set(core) <= set(shared)
    pd.testing.assert_frame_equal(_comparable(back, shared), _comparable(ours, shared), check_dtype=False)
    for c in shared:  # types survive: numbers stay numbers, text stays text
        assert pd.api.types.is_numeric_dtype(back[c]) == pd.api.types.is_numeric_dtype(ours[c]), c


def test_lifecycle_pairs_export_as_start_and_complete(tmp_path):
    store = Store(tmp_path / "s")
    rep = store.ingest("production", ["sample_logs/production_mes.xes.gz"],
                       mapping="sample_logs/production_mes.mapping.toml")
    assert rep.sources[0].rows_quarantined == 0
    ours = store.load("production")
    out = tmp_path / "p.xes"
    export_log(store, "production", out)
    back = pm4py.read_xes(str(out), variant="iterparse", return_legacy_log_object=False)
    assert set(back[LIFECYCLE]) == {"start", "complete"}
    assert (back[LIFECYCLE] == "complete").sum() == len(ours)
    again = Store(tmp_path / "t")
    again.ingest("production", [str(out)])
    assert len(again.load("production")) == len(ours)
    assert again.load("production")["start_timestamp"].notna().sum() == ours["start_timestamp"].notna().sum()
