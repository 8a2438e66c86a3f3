"""``EventFilter(between=(A, B))`` / ``--between 'A -> B'``: each case from its first A to its last B after it
(bupaR's filter_trim), hand-computed."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from flowmine._schema import ACTIVITY, CASE, EVENT_ID, TIMESTAMP
from flowmine.analytics import AnalyticsError, EventFilter, filter_events
from flowmine.cli import _register, app


@pytest.fixture
def frame() -> pd.DataFrame:
    traces = {"c1": "XABCBD", "c2": "BAC", "c3": "XYZ", "c4": "AXA"}  # c2: no B after its A; c3: neither
    rows = [(c, a, i) for c, t in traces.items() for i, a in enumerate(t)]
    return pd.DataFrame({CASE: [r[0] for r in rows], ACTIVITY: [r[1] for r in rows], EVENT_ID: range(len(rows)),
                         TIMESTAMP: pd.to_datetime([f"2025-01-01 {r[2]:02d}:00" for r in rows], utc=True)})


def _traces(df: pd.DataFrame) -> dict[str, str]:
    return {c: "".join(g[ACTIVITY]) for c, g in df.groupby(CASE, sort=True)}


def test_between_keeps_from_the_first_a_to_the_last_b(frame):
    assert _traces(filter_events(frame, EventFilter(between=("A", "B")))) == {"c1": "ABCB"}
    assert _traces(filter_events(frame, EventFilter(between=("A", None)))) == {"c1": "ABCBD", "c2": "AC",
                                                                                "c4": "AXA"}
    assert _traces(filter_events(frame, EventFilter(between=(None, "B")))) == {"c1": "XABCB", "c2": "B"}
    assert _traces(filter_events(frame, EventFilter(between=("A", "A")))) == {"c1": "A", "c2": "A", "c4": "AXA"}
    # ANDed with the other event conditions, decided on the case's events as stored
    assert _traces(filter_events(frame, EventFilter(between=("A", "B"), drop_activities=["C"]))) == {"c1": "ABB"}


@pytest.mark.parametrize("bad", [("A",), (None, None), ("A", 3), "A -> B"])
def test_between_refuses_what_is_not_a_pair(bad):
    with pytest.raises(AnalyticsError, match="filter between"):
        EventFilter(between=bad)


def test_between_names_an_unknown_activity_with_the_closest(frame):
    with pytest.raises(AnalyticsError, match="no activity 'Q'"):
        filter_events(frame, EventFilter(between=("A", "Q")))


def test_cli_between(tmp_path, frame):
    from flowmine import Store

    csv = tmp_path / "log.csv"
    frame.rename(columns={CASE: "case", ACTIVITY: "activity", TIMESTAMP: "time"})[["case", "activity", "time"]].to_csv(
        csv, index=False)
    Store(tmp_path / "s").ingest("p", [csv])
    _register()
    run = CliRunner().invoke
    res = run(app, ["perf", "--store", str(tmp_path / "s"), "--process", "p", "--between", "A -> *", "--json", "-"])
    assert res.exit_code == 0, res.stderr
    import json

    p = json.loads(res.stdout)
    assert (p["cases"], p["events"]) == (3, 10)  # ABCBD, AC, AXA
    res = run(app, ["perf", "--store", str(tmp_path / "s"), "--process", "p", "--between", "* -> *"])
    assert (res.exit_code, res.stderr.strip()) == (2, "error: --between '* -> *': name an activity on at least "
                                                      "one side")
