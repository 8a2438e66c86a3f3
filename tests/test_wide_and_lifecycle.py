"""Wide milestone tables become events; start/complete rows become one activity instance."""

from __future__ import annotations

from flowmine import read_log
from flowmine._schema import ACTIVITY, CASE, OUTCOME, RESOURCE, SOURCE_ROW, START, TIMESTAMP, Reason
from flowmine.ingest._mapping import mapping_from_dict

WIDE = mapping_from_dict({
    "columns": {"case": "order_id"},
    "milestones": {"created_at": "Order created", "approved_at": "Order approved", "paid_at": "Payment"},
    "milestone_resources": {"approved_at": "approver"},
    "attributes": {"case": ["customer"]},
})


def test_wide_table_melts_in_row_major_order(write):
    src = write("w.csv", "order_id,customer,created_at,approved_at,approver,paid_at\n"
                         "O1,ACME,2024-01-01 10:00,2024-01-02 10:00,li,2024-01-05 10:00\n"
                         "O2,Beta,2024-01-03 10:00,,,\n"
                         "O3,Gamma,,,,\n"
                         "O4,Delta,2024-01-03 10:00,2024-02-30 10:00,wang,\n")
    r = read_log(src, WIDE)
    df = r.events.to_pandas()
    assert list(zip(df[CASE], df[ACTIVITY], strict=True)) == [
        ("O1", "Order created"), ("O1", "Order approved"), ("O1", "Payment"), ("O2", "Order created"),
        ("O4", "Order created")]
    assert [None if v != v else v for v in df[RESOURCE].tolist()[:3]] == [None, "li", None]
    assert df["case:customer"].tolist() == ["ACME"] * 3 + ["Beta", "Delta"]
    q = r.quarantine.to_pandas()
    assert sorted(zip(q["row"], q["reason"], q["column"].fillna(""), strict=True)) == [
        (4, Reason.NO_MILESTONES, ""), (5, Reason.INVALID_TIMESTAMP, "approved_at")]
    # records: 6 filled milestone cells + 1 row without any = loaded 5 + quarantined 2
    assert r.rows_read == 7 and r.events.num_rows + len(q) == 7


def test_start_complete_rows_become_one_instance(write):
    src = write("l.csv", "case,activity,timestamp,lifecycle\n"
                         "C1,A,2024-01-01 09:00,start\n"
                         "C1,A,2024-01-01 10:00,complete\n"
                         "C1,B,2024-01-01 10:30,complete\n"
                         "C1,A,2024-01-01 11:00,start\n"
                         "C1,A,2024-01-01 11:30,start\n"
                         "C1,A,2024-01-01 12:00,complete\n")
    r = read_log(src)
    df = r.events.to_pandas()
    # issue #13: the 11:30 start that is never completed is an open instance (loaded, completion unknown),
    # kept at its start row, no longer quarantined as unmatched_start
    assert df[ACTIVITY].tolist() == ["A", "B", "A", "A"]
    assert [None if s is None or s != s else (s.hour, s.minute) for s in df[START]] == [(9, 0), None, (11, 30),
                                                                                      (11, 0)]
    assert [None if t is None or t != t else t.hour for t in df[TIMESTAMP]] == [10, 10, None, 12]
    assert df[OUTCOME].tolist() == ["complete", "complete", "open", "complete"]
    assert df[SOURCE_ROW].tolist() == [3, 4, 6, 7]
    assert r.rows_merged == 2
    assert r.quarantine.num_rows == 0
    assert any("without a start" in n for n in r.notes)
    assert any("1 open instance(s)" in n for n in r.notes)
    assert r.rows_read == 6 == r.events.num_rows + r.rows_merged
