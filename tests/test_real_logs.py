"""Every real public log in ../shared/data, ingested as a user would, cross-checked against pm4py's own reading.

For each log: every row is accounted for (rows read = events loaded + rows merged + already stored +
quarantined), rows read, cases and per-activity counts equal pm4py's reading (none of these logs has
start/complete pairs, so pm4py's interval log has the same counts), and the XES export read back by pm4py
gives the same cases, events and activities.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import pytest
from tests.conftest import SHARED_DATA, shared_log

from flowmine import Store
from flowmine.api import export_log

LOGS = ["running-example.xes", "roadtraffic100traces.xes", "08_receipt.xes.gz", "Sepsis Cases - Event Log.xes.gz",
        "helpdesk.xes.gz", "06_bpic2013_closed.xes.gz"]


def _pm4py(path: Path) -> tuple[int, int, Counter[str]]:
    import pm4py

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = pm4py.read_xes(str(path), variant="iterparse", disable_progress_bar=True)
    return len(df), int(df["case:concept:name"].nunique()), Counter(df["concept:name"].astype(str))


@pytest.mark.parametrize("name", LOGS)
def test_real_log_equals_pm4py(name: str, tmp_path: Path) -> None:
    path = shared_log(name)
    events, cases, per_activity = _pm4py(path)
    store = Store(tmp_path / "store")
    t = store.ingest("real", [str(path)]).totals()
    assert t["rows_read"] == t["events_loaded"] + t["rows_merged"] + t["rows_already_stored"] + t["rows_quarantined"]
    assert t["rows_read"] == events
    assert t["rows_quarantined"] == 0, t["reasons"]
    log = store.load("real")
    assert len(log) == events
    assert log["case:concept:name"].nunique() == cases
    assert Counter(log["concept:name"].astype(str)) == per_activity
    out = tmp_path / "back.xes.gz"
    export_log(store, "real", out)
    assert _pm4py(out) == (events, cases, per_activity)


def test_the_shared_folder_is_the_one_described() -> None:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data not present (only on the team's machines)")
    present = {p.name for p in SHARED_DATA.iterdir()}
    assert set(LOGS) <= present
