"""CSV ingestion: every bad input of the foundation issue gets its reason code, and rows reconcile."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from flowmine import MappingError, UnsafeInputError, UnusableInputError, read_log
from flowmine._schema import ACTIVITY, CASE, COST, CURRENCY, START, TIMESTAMP, Reason
from flowmine.ingest import Mapping
from flowmine.ingest._mapping import mapping_from_dict

HEADER = "case,activity,timestamp\n"


def reasons(result) -> dict[int, set[str]]:
    q = result.quarantine.to_pandas()
    return {int(r): set(g["reason"]) for r, g in q.groupby("row")}


def balanced(result) -> bool:
    rows = result.quarantine.to_pandas()["row"].nunique()
    return result.rows_read == result.events.num_rows + result.rows_merged + rows


def test_case_ids_stay_distinct_strings(write):
    r = read_log(write("a.csv", HEADER + "001,A,2024-01-01 10:00\n01,A,2024-01-01 10:00\n1,A,2024-01-01 10:00\n"))
    assert r.events.column(CASE).to_pylist() == ["001", "01", "1"]
    assert r.events.schema.field(TIMESTAMP).type.tz == "UTC"
    assert r.events.schema.field(TIMESTAMP).type.unit == "us"


def test_missing_values_and_impossible_dates_are_quarantined_with_reasons(write):
    text = HEADER + ("C1,A,2024-01-01 10:00\n"
                     ",A,2024-01-01 10:00\n"
                     "C2,,2024-01-01 10:00\n"
                     "C3,A,\n"
                     "C4,A,2024-02-30 10:00\n"
                     "C5,A,not a date\n")
    r = read_log(write("a.csv", text))
    assert r.events.num_rows == 1
    assert reasons(r) == {3: {Reason.MISSING_CASE}, 4: {Reason.MISSING_ACTIVITY},
                          5: {Reason.MISSING_TIMESTAMP}, 6: {Reason.INVALID_TIMESTAMP},
                          7: {Reason.INVALID_TIMESTAMP}}
    assert r.rows_read == 6 and balanced(r)
    q = r.quarantine.to_pandas().set_index("row")
    assert q.loc[6, "value"] == "2024-02-30 10:00" and q.loc[6, "column"] == "timestamp"


def test_every_failure_of_a_row_is_listed(write):
    r = read_log(write("a.csv", "case,activity,timestamp,cost\n,,2024-13-01 10:00,abc\n"),
                 mapping_from_dict({"columns": {"cost": "cost"}}))
    assert reasons(r)[2] == {Reason.MISSING_CASE, Reason.MISSING_ACTIVITY, Reason.INVALID_TIMESTAMP,
                             Reason.INVALID_NUMBER}
    assert r.rows_read == 1 and balanced(r)


def test_ambiguous_day_month_column_needs_a_declaration(write):
    src = write("a.csv", HEADER + "C1,A,03/04/2024 10:00\nC2,A,05/06/2024 10:00\n")
    with pytest.raises(MappingError, match="dayfirst"):
        read_log(src)
    r = read_log(src, mapping_from_dict({"timestamps": {"dayfirst": True}}))
    assert [t.month for t in r.events.column(TIMESTAMP).to_pylist()] == [4, 6]


def test_day_month_contradicting_the_column_is_quarantined(write):
    src = write("a.csv", HEADER + "C1,A,13/04/2024 10:00\nC2,A,25/06/2024 10:00\nC3,A,04/13/2024 10:00\n")
    r = read_log(src)
    assert reasons(r) == {4: {Reason.AMBIGUOUS_TIMESTAMP}}
    assert r.events.num_rows == 2 and balanced(r)


def test_naive_timestamps_mixed_with_offsets(write):
    src = write("a.csv", HEADER + "C1,A,2024-01-01T10:00:00+08:00\nC2,A,2024-01-01T10:00:00\n")
    r = read_log(src)
    assert reasons(r) == {3: {Reason.NAIVE_TIMESTAMP}}
    assert r.events.column(TIMESTAMP).to_pylist()[0].hour == 2
    r2 = read_log(src, mapping_from_dict({"timestamps": {"timezone": "Asia/Shanghai"}}))
    assert [t.hour for t in r2.events.column(TIMESTAMP).to_pylist()] == [2, 2]


def test_completion_before_start(write):
    src = write("a.csv", "case,activity,start,timestamp\nC1,A,2024-01-01 09:00,2024-01-01 10:00\n"
                         "C1,B,2024-01-01 12:00,2024-01-01 11:00\n")
    r = read_log(src, mapping_from_dict({"columns": {"start_timestamp": "start"}}))
    assert reasons(r) == {3: {Reason.COMPLETE_BEFORE_START}}
    assert r.events.column(START).to_pylist()[0].hour == 9


def test_exact_duplicates_are_kept_once_and_reported(write):
    src = write("a.csv", HEADER + "C1,A,2024-01-01 10:00\nC1,A,2024-01-01 10:00\nC1,A,2024-01-01 11:00\n")
    kept = read_log(src)  # kept by default (as pm4py, Disco and bupaR do) and counted
    assert kept.events.num_rows == 3 and kept.duplicate_events == 1 and kept.quarantine.num_rows == 0
    r = read_log(src, mapping_from_dict({"events": {"duplicates": "drop"}}))
    assert r.events.num_rows == 2 and r.duplicate_events == 1
    q = r.quarantine.to_pandas()
    assert list(q["reason"]) == [Reason.DUPLICATE_EVENT] and list(q["row"]) == [3]
    assert "row 2" in q["detail"].iloc[0]


def test_non_utf8_bytes_in_a_file_declared_utf8(write):
    src = write("a.csv", (HEADER + "C1,A\xff,2024-01-01 10:00\nC2,B,2024-01-01 10:00\n").encode("latin-1"))
    r = read_log(src, mapping_from_dict({"csv": {"encoding": "utf-8"}}))
    assert reasons(r) == {2: {Reason.INVALID_ENCODING}}
    assert r.quarantine.to_pandas()["column"].iloc[0] == "activity"
    assert r.events.column(CASE).to_pylist() == ["C2"] and balanced(r)


def test_gbk_with_chinese_names_and_renames(write):
    text = "采购单号,活动,完成时间,金额\nP001,采购需求申请,2024-01-01 10:00,\"1.234,5\"\n"
    src = write("p.csv", text, encoding="gbk")
    m = mapping_from_dict({"columns": {"case": "采购单号", "activity": "活动", "timestamp": "完成时间",
                                       "cost": "金额"},
                           "csv": {"encoding": "gbk", "decimal": ",", "thousands": "."},
                           "values": {"currency": "CNY"},
                           "activities": {"采购需求申请": "Purchase requisition"}})
    r = read_log(src, m)
    row = r.events.to_pylist()[0]
    assert row[ACTIVITY] == "Purchase requisition" and row[COST] == 1234.5 and row[CURRENCY] == "CNY"
    r2 = read_log(src)  # detected encoding, recognised Chinese headers; an amount is not a cost
    assert r2.quarantine.num_rows == 0 and r2.events.column("金额").to_pylist() == ["1.234,5"]
    assert r2.events.column(ACTIVITY).to_pylist() == ["采购需求申请"]
    assert any("GB18030" in n for n in r2.notes)


def test_semicolon_decimal_comma_day_first(write):
    src = write("f.csv", "case;activity;timestamp;cost\nE1;Submit;27.11.2026 14:05;12,50\n")
    r = read_log(src, mapping_from_dict({"csv": {"decimal": ","}, "columns": {"cost": "cost"}}))
    row = r.events.to_pylist()[0]
    assert row[COST] == 12.5 and (row[TIMESTAMP].day, row[TIMESTAMP].month) == (27, 11)


def test_quoted_fields_with_delimiters_and_newlines_keep_row_numbers(write):
    src = write("a.csv", HEADER + 'C1,"A, with comma",2024-01-01 10:00\n\nC2,"two\nlines",2024-01-01 11:00\n'
                                  "C3,only two fields\nC4,D,2024-01-01 12:00\n")
    r = read_log(src)
    assert r.events.column(ACTIVITY).to_pylist() == ["A, with comma", "two\nlines", "D"]
    assert r.events.column("source:row").to_pylist() == [2, 4, 7]
    assert reasons(r) == {6: {Reason.MALFORMED_ROW}} and balanced(r)


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (HEADER.encode(), "no data rows"),
    (b"   \n\n", "whitespace"),
])
def test_empty_and_header_only_files_are_unusable(write, content, message):
    with pytest.raises(UnusableInputError, match=message):
        read_log(write("a.csv", content))


def test_url_is_never_fetched():
    with pytest.raises(UnsafeInputError, match="URL"):
        read_log("https://example.org/log.csv")


def test_content_not_what_the_extension_says_is_read_for_what_it_is(write):
    src = write("log.xlsx", HEADER + "C1,A,2024-01-01 10:00\n")
    r = read_log(src)
    assert r.events.num_rows == 1 and any("content is CSV" in n for n in r.notes)
    with pytest.raises(UnusableInputError, match="PDF"):
        read_log(write("log.csv", b"%PDF-1.4 binary"))


def test_gzip_bomb_is_capped(write, monkeypatch):
    monkeypatch.setenv("FLOWMINE_MAX_DECOMPRESSED_BYTES", str(1_000_000))
    payload = (HEADER + "C1,A,2024-01-01 10:00\n").encode() + b"0" * 5_000_000
    src = write("bomb.csv.gz", gzip.compress(payload))
    with pytest.raises(UnsafeInputError, match="decompression bomb"):
        read_log(src)


def test_truncated_gzip_is_unusable(write):
    data = gzip.compress((HEADER + "C1,A,2024-01-01 10:00\n" * 1000).encode())
    with pytest.raises(UnusableInputError, match="truncated"):
        read_log(write("t.csv.gz", data[: len(data) // 2]))


def test_a_20mb_value_is_quarantined_not_loaded(write):
    big = "x" * 20_000_000
    src = write("a.csv", "case,activity,timestamp,note\nC1,A,2024-01-01 10:00," + big + "\nC2,A,2024-01-01 10:00,ok\n")
    r = read_log(src)
    assert reasons(r) == {2: {Reason.VALUE_TOO_LARGE}}
    q = r.quarantine.to_pandas()
    assert len(q["value"].iloc[0]) < 300 and r.events.num_rows == 1


def test_unrecognised_columns_say_what_to_write(write):
    with pytest.raises(MappingError, match=r'\[columns\] case = "<column>"'):
        read_log(write("a.csv", "id,act,ts\n1,A,2024-01-01\n"))


def test_two_candidate_columns_are_an_ambiguity_error(write):
    with pytest.raises(MappingError, match="could each be the timestamp"):
        read_log(write("a.csv", "case,activity,timestamp,time\n1,A,2024-01-01,2024-01-01\n"))


def test_input_is_not_mutated_and_source_is_unchanged(write):
    src = write("a.csv", HEADER + "C1,A,2024-01-01 10:00\n")
    before = src.read_bytes()
    read_log(src, Mapping())
    assert src.read_bytes() == before


def test_attributes_keep_types_and_leading_zeros(write):
    src = write("a.csv", "case,activity,timestamp,qty,price,code,region\n"
                         "C1,A,2024-01-01,3,2.5,007,north\nC2,A,2024-01-02,4,1.0,010,south\n")
    r = read_log(src, mapping_from_dict({"attributes": {"case": ["region"]}}))
    df = r.events.to_pandas()
    assert df["qty"].tolist() == [3, 4] and df["price"].tolist() == [2.5, 1.0]
    assert df["code"].tolist() == ["007", "010"] and df["case:region"].tolist() == ["north", "south"]
    assert pd.api.types.is_integer_dtype(df["qty"])


def test_gbk_file_whose_only_chinese_is_its_header(tmp_path):
    """Chinese ERP exports often hold numbers only, under Chinese captions: a few of the header's GBK bytes
    happen to form valid UTF-8, which once made the file read as UTF-8 with broken bytes."""
    from flowmine.ingest import read_raw

    path = tmp_path / "links.csv"
    path.write_bytes("源单内码,目标单内码\n".encode("gbk") + b"".join(f"{i},{i + 3}\n".encode() for i in range(5000)))
    raw = read_raw(path)
    assert raw.table.column_names == ["源单内码", "目标单内码"]
    assert raw.table.num_rows == 5000 and raw.quarantine.num_rows == 0
