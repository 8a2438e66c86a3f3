"""The case table and the waits of one case (``case_table``, ``case_waits``) on a hand-made 4-case log.

c1: A[0,10] B[15,30]            cost 1+2 = 3, dept "Sales"   throughput 30 s, 2 events
c2: A[100,110] C[112,130]       cost 5+4 = 9               throughput 30 s, 2 events, dept "Ops"
c3: A@200 B@260 C@300 (no start) no cost                    throughput 100 s, 3 events, dept "Sales"
x-42: A[50,55]                  no cost, no dept            throughput 5 s, 1 event
Times are seconds after T0.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from flowmine._schema import ACTIVITY, CASE, COST, EVENT_ID, START, TIMESTAMP
from flowmine.analytics import CASE_TABLE_COLUMNS, AnalyticsError, case_table, case_waits, instances

T0 = datetime(2025, 1, 6, tzinfo=UTC)
DEPT = "case:department"
ROWS = [  # case, activity, start, complete, cost, department
    ("c1", "A", 0, 10, 1.0, "Sales"),
    ("c1", "B", 15, 30, 2.0, "Sales"),
    ("c2", "A", 100, 110, 5.0, "Ops"),
    ("c2", "C", 112, 130, 4.0, "Ops"),
    ("c3", "A", None, 200, None, "Sales"),
    ("c3", "B", None, 260, None, "Sales"),
    ("c3", "C", None, 300, None, "Sales"),
    ("x-42", "A", 50, 55, None, None),
]


def t(sec: int | None) -> pd.Timestamp | None:
    return None if sec is None else pd.Timestamp(T0 + timedelta(seconds=sec))


@pytest.fixture
def log() -> pd.DataFrame:
    return pd.DataFrame({
        CASE: [r[0] for r in ROWS], ACTIVITY: [r[1] for r in ROWS],
        START: pd.to_datetime([t(r[2]) for r in ROWS], utc=True),
        TIMESTAMP: pd.to_datetime([t(r[3]) for r in ROWS], utc=True),
        EVENT_ID: list(range(len(ROWS))), COST: [r[4] for r in ROWS], DEPT: [r[5] for r in ROWS],
    })


def test_every_case_with_its_columns(log):
    page, total = case_table(log, sort="case")
    assert total == 4
    assert list(page.columns) == [*CASE_TABLE_COLUMNS, DEPT]
    rows = {r["case"]: r for r in page.to_dict("records")}
    assert page["case"].tolist() == ["c1", "c2", "c3", "x-42"]
    assert rows["c1"]["throughput_s"] == 30 and rows["c3"]["throughput_s"] == 100 and rows["x-42"]["throughput_s"] == 5
    assert [rows[c]["events"] for c in ("c1", "c2", "c3", "x-42")] == [2, 2, 3, 1]
    assert rows["c3"]["variant"] == "A → B → C" and rows["c2"]["variant"] == "A → C"
    assert rows["c1"]["cost"] == 3.0 and rows["c2"]["cost"] == 9.0 and np.isnan(rows["c3"]["cost"])
    assert rows["c1"]["start"] == t(0) and rows["c3"]["start"] == t(200) and rows["c3"]["end"] == t(300)
    assert str(page["start"].dt.tz) == "UTC"
    assert rows["c2"][DEPT] == "Ops" and pd.isna(rows["x-42"][DEPT])


def test_sort_any_column_both_ways_ties_by_id_missing_last(log):
    assert case_table(log, sort="throughput_s")[0]["case"].tolist() == ["x-42", "c1", "c2", "c3"]  # c1, c2 tie
    assert case_table(log, sort="throughput_s", descending=True)[0]["case"].tolist() == ["c3", "c1", "c2", "x-42"]
    assert case_table(log, sort="cost", descending=True)[0]["case"].tolist() == ["c2", "c1", "c3", "x-42"]
    assert case_table(log, sort=DEPT)[0]["case"].tolist() == ["c2", "c1", "c3", "x-42"]
    assert case_table(log, sort="start")[0]["case"].tolist() == ["c1", "x-42", "c2", "c3"]


def test_pages_do_not_overlap_and_total_counts_all(log):
    first, n1 = case_table(log, sort="events", limit=2)
    second, n2 = case_table(log, sort="events", offset=2, limit=2)
    beyond, n3 = case_table(log, sort="events", offset=4, limit=2)
    assert first["case"].tolist() == ["x-42", "c1"] and second["case"].tolist() == ["c2", "c3"]
    assert (n1, n2, n3) == (4, 4, 4) and beyond.empty


def test_search_by_id_substring_or_attribute_value(log):
    page, total = case_table(log, search="X-4")  # ignoring case
    assert page["case"].tolist() == ["x-42"] and total == 1
    page, total = case_table(log, search="sal", sort="case")  # an attribute value
    assert page["case"].tolist() == ["c1", "c3"] and total == 2
    page, total = case_table(log, search="c", sort="case", limit=1)
    assert page["case"].tolist() == ["c1"] and total == 3  # total: all matches, not the page
    assert case_table(log, search="nothing like it")[1] == 0


def test_one_case_by_its_exact_id(log):
    page, total = case_table(log, case="c1")
    assert page["case"].tolist() == ["c1"] and total == 1 and page["events"].tolist() == [2]
    assert case_table(log, case="c")[1] == 0  # exact, not a substring
    assert case_table(log, case="c1' OR '1'='1")[1] == 0


def test_search_text_is_a_parameter_not_sql(log):
    for text in ("' OR 1=1 --", "%", "_", '"case"'):
        assert case_table(log, search=text)[1] == 0


def test_fitting_column(log):
    page, _ = case_table(log, sort="fitting", descending=True, fitting=["c2", "x-42"])
    assert page["case"].tolist() == ["c2", "x-42", "c1", "c3"]
    assert page["fitting"].tolist() == [True, True, False, False]
    assert "fitting" not in case_table(log)[0]


def test_refusals(log):
    with pytest.raises(AnalyticsError, match="sort"):
        case_table(log, sort='"case"; DROP TABLE x')
    with pytest.raises(AnalyticsError, match="fitting"):
        case_table(log, sort="fitting")  # no model: no such column
    with pytest.raises(AnalyticsError, match="limit"):
        case_table(log, limit=0)
    with pytest.raises(AnalyticsError, match="offset"):
        case_table(log, offset=-1)


def test_case_table_of_a_stored_log_is_remembered_and_filtered(tmp_path, log):
    import pyarrow as pa

    from flowmine.analytics import CaseFilter, _case_table, stored
    from tests.test_canonical_order import commit_table

    st = commit_table(tmp_path / "store", "p", pa.Table.from_pandas(log, preserve_index=False))
    lg = stored(st, "p")
    page, total = case_table(lg, sort="case")
    assert total == 4 and page["case"].tolist() == ["c1", "c2", "c3", "x-42"]
    assert case_table(lg.where(CaseFilter(cases=["c3", "x-42"])), sort="case")[0]["case"].tolist() == ["c3", "x-42"]
    assert lg.path in _case_table._BASES and len(_case_table._TABLES) >= 1  # the version's rows, and the filtered
    for flt in (CaseFilter(cases=["c3", "x-42"]), CaseFilter(attributes={DEPT: ["Sales"]}),
                CaseFilter(contains=["B"]), CaseFilter(cases=[])):
        # the kept cases' rows of the unfiltered table are the rows built on the filtered log
        kept = _case_table._remembered(lg.where(flt)).sort_by("case")
        assert kept.equals(_case_table._build(lg.where(flt)).sort_by("case"))
    ids = ["c1"]
    assert case_table(lg, sort="case", fitting=ids)[0]["fitting"].tolist() == [True, False, False, False]
    ids.append("x-42")  # the same list, changed: a new ordering, not the remembered one
    assert case_table(lg, sort="case", fitting=ids)[0]["fitting"].tolist() == [True, False, False, True]


def test_waits_are_the_glossary_waiting_time(log):
    c2 = log[log[CASE] == "c2"].reset_index(drop=True)
    waits = case_waits(c2)
    assert waits[["position", "wait_s", "sojourn"]].values.tolist() == [[1, 2.0, False]]
    assert waits["from"].tolist() == [t(110)] and waits["to"].tolist() == [t(112)]
    inst = instances(log)  # the engine's waiting time of the same instance
    assert inst.loc[(inst["case"] == "c2") & (inst["activity"] == "C"), "waiting_s"].tolist() == [2.0]


def test_waits_without_starts_are_sojourn_times(log):
    c3 = log[log[CASE] == "c3"].reset_index(drop=True)
    waits = case_waits(c3)
    assert waits[["position", "wait_s", "sojourn"]].values.tolist() == [[1, 60.0, True], [2, 40.0, True]]


def test_parallel_instance_waits_on_the_latest_completion_before_its_start():
    tl = pd.DataFrame({START: pd.to_datetime([t(0), t(20), t(25), t(100)], utc=True),
                       TIMESTAMP: pd.to_datetime([t(10), t(90), t(40), t(120)], utc=True)})
    waits = case_waits(tl)  # 3rd waits on 1st (10), 2nd still runs; 4th on the 2nd (90)
    assert waits[["position", "wait_s"]].values.tolist() == [[1, 10.0], [2, 15.0], [3, 10.0]]


def test_remembered_tables_stay_within_their_memory_budget(monkeypatch):
    import pyarrow as pa

    from flowmine.analytics import _case_table

    cache = OrderedDict((i, pa.table({"x": list(range(1000))})) for i in range(5))  # 8,000 bytes each
    monkeypatch.setattr(_case_table, "MAX_BYTES", 20_000)
    _case_table._trim(cache, 16)
    assert list(cache) == [3, 4]  # the least recently used went first
    _case_table._trim(cache, 1)
    assert list(cache) == [4]
    monkeypatch.setattr(_case_table, "MAX_BYTES", 1)
    _case_table._trim(cache, 16)
    assert list(cache) == [4]  # the newest always stays


def _waits_by_definition(timeline: pd.DataFrame) -> list[tuple[int, pd.Timestamp, pd.Timestamp, float, bool]]:
    """The waits computed straight from the definition (pandas, one instance at a time)."""
    done, begun = timeline[TIMESTAMP], timeline[START]
    out = []
    for i in range(len(timeline)):
        started = not pd.isna(begun.iloc[i])
        own = begun.iloc[i] if started else done.iloc[i]
        if pd.isna(own):
            continue
        earlier, later = done.iloc[:i], done.iloc[i + 1:]
        enabling = pd.concat([earlier[earlier <= own], later[later < own]] if started else [earlier[earlier <= own]])
        if enabling.dropna().empty or enabling.max() >= own:
            continue
        out.append((i, enabling.max(), own, (own - enabling.max()).total_seconds(), not started))
    return out


def test_waits_equal_the_definition_on_random_timelines():
    import numpy as np

    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 9))
        starts = [None if rng.random() < 0.3 else t(int(rng.integers(0, 50))) for _ in range(n)]
        ends = [None if rng.random() < 0.15 else t(int(rng.integers(0, 60))) for _ in range(n)]
        tl = pd.DataFrame({START: pd.to_datetime(starts, utc=True).as_unit("us"),  # units differ, as may happen
                           TIMESTAMP: pd.to_datetime(ends, utc=True)})
        got = case_waits(tl)
        assert list(got.itertuples(index=False, name=None)) == _waits_by_definition(tl)
