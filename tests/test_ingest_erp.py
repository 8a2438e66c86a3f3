"""Tables as ERP systems export them (issue #13): codes stay as written, column names, timestamps.

Every input is a tiny file in the shape its producer writes: SAP (ERDAT/ERZET, YYYYMMDD, document
numbers with leading zeros, trailing-minus amounts), Kingdee/Yonyou (GBK, ``2024/3/5``,
``2024年3月5日``) and hand-made Excel sheets.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flowmine import read_log
from flowmine._schema import ACTIVITY, CASE, START, TIMESTAMP, Reason
from flowmine.errors import MappingError
from flowmine.ingest._mapping import mapping_from_dict

UTC = dt.UTC


def _utc(*a: int) -> dt.datetime:
    return dt.datetime(*a, tzinfo=UTC)


def _q(result) -> list[tuple[int, str, str | None, str]]:
    """(row, reason, value, detail) of every quarantine record, by row."""
    q = result.quarantine
    return sorted(zip(q.column("row").to_pylist(), q.column("reason").to_pylist(), q.column("value").to_pylist(),
                      q.column("detail").to_pylist(), strict=True))


# --- codes and identifiers stay exactly as written ---------------------------------------------------------

def test_codes_and_big_integers_stay_text_exactly_as_written(write):
    src = write("codes.csv", "case,activity,timestamp,code,big,plain,amount,zip\n"
                             "1,a,2024-01-01 10:00,1E5,12345678901234567891,7,1.50,007\n"
                             "1,b,2024-01-01 11:00,2E3,9007199254740993,12,2.25,010\n")
    ev = read_log(src).events
    assert ev.schema.field("code").type == pa.string()
    assert ev.column("code").to_pylist() == ["1E5", "2E3"]
    assert ev.schema.field("big").type == pa.string()  # above 2**53: a float64 would lose digits
    assert ev.column("big").to_pylist() == ["12345678901234567891", "9007199254740993"]
    assert ev.schema.field("zip").type == pa.string()
    assert ev.column("zip").to_pylist() == ["007", "010"]
    assert ev.schema.field("plain").type == pa.int64()
    assert ev.column("plain").to_pylist() == [7, 12]
    assert ev.schema.field("amount").type == pa.float64()  # 1.50 round-trips with its two decimals
    assert ev.column("amount").to_pylist() == [1.5, 2.25]


def test_a_column_is_a_number_only_when_every_value_round_trips(write):
    src = write("mixed.csv", "case,activity,timestamp,n,sp,plus,exact\n"
                             "1,a,2024-01-01 10:00,5,5,+5,9007199254740992\n"
                             "1,b,2024-01-01 11:00,1e3, 6,6,1\n")
    ev = read_log(src).events
    assert ev.column("n").to_pylist() == ["5", "1e3"]
    assert ev.column("sp").to_pylist() == ["5", " 6"]
    assert ev.column("plus").to_pylist() == ["+5", "6"]
    assert ev.schema.field("exact").type == pa.int64()  # 2**53 itself is exact
    assert ev.column("exact").to_pylist() == [2**53, 1]


def test_nan_and_empty_cells_are_nulls_in_a_number_column(write):
    src = write("nan.csv", "case,activity,timestamp,qty\n"
                           "1,a,2024-01-01 10:00,1.5\n1,b,2024-01-01 11:00,NaN\n1,c,2024-01-01 12:00,\n")
    r = read_log(src)
    qty = r.events.column("qty")
    assert qty.type == pa.float64()
    assert qty.to_pylist() == [1.5, None, None]
    assert qty.null_count == 2
    assert r.quarantine.num_rows == 0


def test_nan_in_a_parquet_float_column_and_float_case_ids_beyond_int64(tmp_path: Path):
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({
        "case": pa.array([1e20, 1e20, 3.0], pa.float64()),
        "activity": ["a", "b", "a"],
        "timestamp": pa.array([_utc(2024, 1, 1, 10), _utc(2024, 1, 1, 11), _utc(2024, 1, 2)],
                              pa.timestamp("us", tz="UTC")),
        "qty": pa.array([1.5, float("nan"), None], pa.float64()),
    }), path)
    r = read_log(path)
    assert r.events.column(CASE).to_pylist() == ["1e+20", "1e+20", "3"]
    assert r.events.column("qty").to_pylist() == [1.5, None, None]


def test_sap_amounts_with_a_trailing_minus_parse_when_declared_a_number(write):
    src = write("bseg.csv", "BELNR,ACT,BUDAT,DMBTR\n"
                            "0100000001,Post,20240305,100.00-\n0100000001,Clear,20240306,100.00\n")
    m = mapping_from_dict({"columns": {"case": "BELNR", "activity": "ACT", "timestamp": "BUDAT"},
                           "timestamps": {"format": "%Y%m%d"}, "attributes": {"types": {"DMBTR": "float"}}})
    r = read_log(src, m)
    assert r.events.column(CASE).to_pylist() == ["0100000001", "0100000001"]
    assert r.events.column("DMBTR").to_pylist() == [-100.0, 100.0]
    undeclared = read_log(src, mapping_from_dict({**{"columns": m.columns}, "timestamps": {"format": "%Y%m%d"}}))
    assert undeclared.events.column("DMBTR").to_pylist() == ["100.00-", "100.00"]


# --- column names --------------------------------------------------------------------------------------

def test_column_names_differing_only_in_case_are_two_columns(write):
    src = write("case.csv", "case,activity,timestamp,Note,note\n1,a,2024-01-01 10:00,Big,small\n")
    ev = read_log(src).events
    assert ev.column("Note").to_pylist() == ["Big"]
    assert ev.column("note").to_pylist() == ["small"]


def test_header_with_a_trailing_delimiter_drops_the_empty_column_with_a_note(write):
    src = write("trail.csv", "VBELN;ACT;ERDAT;\n0000004711;Order created;20240305;\n"
                             "0000004711;Delivery;20240306;\n")
    m = mapping_from_dict({"columns": {"case": "VBELN", "activity": "ACT", "timestamp": "ERDAT"},
                           "timestamps": {"format": "%Y%m%d"}})
    r = read_log(src, m)
    assert r.events.num_rows == 2
    assert "column_4" not in r.events.column_names
    assert f"{src}: column 4 has no name in the header and no values (a trailing delimiter); dropped" in r.notes


def test_empty_and_repeated_header_names_get_usable_names_and_notes(write):
    src = write("names.csv", "case,activity,timestamp,x,,x\n1,a,2024-01-01 10:00,p,q,r\n")
    r = read_log(src)
    assert r.events.column("x").to_pylist() == ["p"]
    assert r.events.column("column_5").to_pylist() == ["q"]
    assert r.events.column("x_2").to_pylist() == ["r"]
    assert f"{src}: header repeats column name 'x'; column 6 is read as 'x_2'" in r.notes
    assert f"{src}: column 5 has no name in the header; read as 'column_5'" in r.notes


# --- timestamps ----------------------------------------------------------------------------------------

SAP_VBAK = ("VBELN,AUART,ERDAT,ERZET,ERNAM,NETWR\n"
            "0000004711,Order created,20240305,143000,MUELLER,100.00\n"
            "0000004711,Delivery,20240306,090000,SCHMIDT,100.00\n"
            "0000004712,Order created,00000000,000000,MUELLER,1.00\n"
            "0000004712,Billing,20240306,250000,MUELLER,1.00\n")


def test_sap_date_and_time_columns_joined_before_the_format_applies(write):
    src = write("vbak.csv", SAP_VBAK)
    m = mapping_from_dict({"columns": {"case": "VBELN", "activity": "AUART", "timestamp": ["ERDAT", "ERZET"],
                                       "resource": "ERNAM"},
                           "timestamps": {"format": "%Y%m%d %H%M%S", "timezone": "Europe/Berlin"}})
    r = read_log(src, m)
    assert r.events.column(CASE).to_pylist() == ["0000004711", "0000004711"]
    assert r.events.column(TIMESTAMP).to_pylist() == [_utc(2024, 3, 5, 13, 30), _utc(2024, 3, 6, 8, 0)]
    assert "ERDAT" not in r.events.column_names and "ERZET" not in r.events.column_names
    assert _q(r) == [
        (4, Reason.MISSING_TIMESTAMP, None, "timestamp is empty"),  # SAP's 00000000 is no date
        (5, Reason.INVALID_TIMESTAMP, "20240306 250000", "'20240306 250000' does not match format '%Y%m%d %H%M%S'"),
    ]
    assert r.quarantine.column("column").to_pylist() == ["ERDAT+ERZET", "ERDAT+ERZET"]


def test_start_timestamp_and_activity_from_several_columns(write):
    src = write("afru.csv", "AUFNR,VORNR,LTXA1,ISDD,ISDZ,IEDD,IEDZ\n"
                            "000001000123,0010,Drill,20240305,080000,20240305,093000\n"
                            "000001000123,0020,Paint,20240305,100000,00000000,000000\n")
    m = mapping_from_dict({"columns": {"case": "AUFNR", "activity": ["VORNR", "LTXA1"],
                                       "start_timestamp": ["ISDD", "ISDZ"], "timestamp": ["IEDD", "IEDZ"]},
                           "timestamps": {"format": "%Y%m%d %H%M%S"}})
    r = read_log(src, m)
    assert r.events.column(ACTIVITY).to_pylist() == ["0010+Drill"]
    assert r.events.column(START).to_pylist() == [_utc(2024, 3, 5, 8)]
    assert r.events.column(TIMESTAMP).to_pylist() == [_utc(2024, 3, 5, 9, 30)]
    assert _q(r) == [(3, Reason.MISSING_TIMESTAMP, None, "timestamp is empty")]


def test_a_joined_column_list_is_checked(write):
    src = write("j.csv", "case,activity,d\n1,a,20240305\n")
    with pytest.raises(MappingError, match=r"joins column\(s\) \['t'\] for timestamp"):
        read_log(src, mapping_from_dict({"columns": {"timestamp": ["d", "t"]}}))
    with pytest.raises(MappingError, match=r"\[columns\] timestamp must list two or more different column names"):
        mapping_from_dict({"columns": {"timestamp": ["d"]}})
    with pytest.raises(MappingError, match=r"\[columns\] case must be a string \(a column name\), got \['a', 'b'\]"):
        mapping_from_dict({"columns": {"case": ["a", "b"]}})


def test_kingdee_and_yonyou_date_shapes(write):
    src = write("k3.csv", "单号,活动,完成时间\nPO-1,申请,2024/3/5\nPO-1,审批,2024/3/15\n", encoding="gbk")
    r = read_log(src, mapping_from_dict({"timestamps": {"format": "%Y/%m/%d"}, "csv": {"encoding": "gbk"}}))
    assert r.events.column(TIMESTAMP).to_pylist() == [_utc(2024, 3, 5), _utc(2024, 3, 15)]
    src = write("u8.csv", "单号,活动,完成时间\nPO-1,申请,2024年3月5日\nPO-1,审批,2024年3月15日\n")
    r = read_log(src)
    assert r.events.column(TIMESTAMP).to_pylist() == [_utc(2024, 3, 5), _utc(2024, 3, 15)]


DST = ("case,activity,timestamp\n"
       "1,a,2024-03-31 01:30\n"   # before the spring gap: CET, 00:30 UTC
       "1,b,2024-03-31 02:30\n"   # in the gap: does not exist in Europe/Berlin
       "2,a,2024-10-27 02:30\n"   # in the autumn overlap: occurs twice
       "2,b,2024-10-27 05:30\n")  # CET again


def test_daylight_saving_gap_and_overlap_are_quarantined_with_their_own_reasons(write):
    src = write("dst.csv", DST)
    r = read_log(src, mapping_from_dict({"timestamps": {"timezone": "Europe/Berlin"}}))
    assert r.events.column(TIMESTAMP).to_pylist() == [_utc(2024, 3, 31, 0, 30), _utc(2024, 10, 27, 4, 30)]
    assert r.events.column(TIMESTAMP).null_count == 0
    assert [(row, reason) for row, reason, *_ in _q(r)] == [(3, Reason.NONEXISTENT_TIME), (4, Reason.AMBIGUOUS_TIME)]
    details = dict((row, d) for row, _, _, d in _q(r))
    assert "skipped by the daylight-saving change in Europe/Berlin" in details[3]
    assert "occurs twice at the daylight-saving change in Europe/Berlin" in details[4]


@pytest.mark.parametrize(("overlap", "expected"), [("earliest", _utc(2024, 10, 27, 0, 30)),
                                                  ("latest", _utc(2024, 10, 27, 1, 30))])
def test_daylight_saving_policies_resolve_gap_and_overlap(write, overlap, expected):
    src = write("dst.csv", DST)
    m = mapping_from_dict({"timestamps": {"timezone": "Europe/Berlin", "dst_gap": "shift_forward",
                                          "dst_overlap": overlap}})
    r = read_log(src, m)
    assert r.quarantine.num_rows == 0
    assert r.events.column(TIMESTAMP).to_pylist() == [
        _utc(2024, 3, 31, 0, 30), _utc(2024, 3, 31, 1, 0), expected, _utc(2024, 10, 27, 4, 30)]


def test_daylight_saving_policy_values_are_checked():
    with pytest.raises(MappingError, match=r"dst_gap must be one of \['quarantine', 'shift_forward'\]"):
        mapping_from_dict({"timestamps": {"dst_gap": "earliest"}})
    with pytest.raises(MappingError, match=r"dst_overlap must be one of"):
        mapping_from_dict({"timestamps": {"dst_overlap": "first"}})


def test_daylight_saving_rows_make_strict_exit_1(write, tmp_path):
    from tests.conftest import run_cli

    src = write("dst.csv", DST)
    mapping = write("dst.toml", '[timestamps]\ntimezone = "Europe/Berlin"\n')
    out = run_cli("ingest", str(src), "--mapping", str(mapping), "--store", str(tmp_path / "store"),
                  "--process", "p", "--strict", env={"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")})
    assert out.returncode == 1, out.stderr


def test_epoch_units_are_checked_per_cell(write):
    src = write("ep.csv", "case,activity,timestamp\n1,a,1709650800\n1,b,1709654400000\n1,c,1709658000\n")
    r = read_log(src, mapping_from_dict({"timestamps": {"format": "epoch"}}))
    assert r.events.column(TIMESTAMP).to_pylist() == [_utc(2024, 3, 5, 15), _utc(2024, 3, 5, 17)]
    assert [(row, reason, v) for row, reason, v, _ in _q(r)] == [(3, Reason.MIXED_EPOCH_UNITS, "1709654400000")]
    assert "timestamp: numbers read as epoch s (from their magnitude; declare [timestamps] epoch_unit to be sure)" \
        in r.notes
    declared = read_log(src, mapping_from_dict({"timestamps": {"format": "epoch", "epoch_unit": "ms"}}))
    assert declared.events.column(TIMESTAMP).to_pylist() == [_utc(2024, 3, 5, 16)]
    assert [(row, reason) for row, reason, *_ in _q(declared)] == [(2, Reason.MIXED_EPOCH_UNITS),
                                                                   (4, Reason.MIXED_EPOCH_UNITS)]
    assert "than the declared 'ms'" in _q(declared)[0][3]


def test_out_of_range_epochs_and_year_one_never_crash(write, tmp_path):
    src = write("far.csv", "case,activity,timestamp\n1,a,1e20\n1,b,1709650800\n1,c,-1e19\n")
    r = read_log(src, mapping_from_dict({"timestamps": {"format": "epoch"}}))
    assert r.events.column(TIMESTAMP).to_pylist() == [_utc(2024, 3, 5, 15)]
    assert [(row, reason) for row, reason, *_ in _q(r)] == [(2, Reason.IMPLAUSIBLE_TIMESTAMP),
                                                            (4, Reason.IMPLAUSIBLE_TIMESTAMP)]
    src = write("y1.csv", "case,activity,timestamp\n1,a,0001-01-01T00:00:00+01:00\n1,b,2024-01-01T11:00:00+01:00\n"
                          "1,c,9999-12-31T23:59:59Z\n")
    r = read_log(src)
    assert r.events.column(TIMESTAMP).to_pylist() == [_utc(2024, 1, 1, 10)]
    assert [(row, reason) for row, reason, *_ in _q(r)] == [(2, Reason.IMPLAUSIBLE_TIMESTAMP),
                                                            (4, Reason.IMPLAUSIBLE_TIMESTAMP)]
    path = tmp_path / "y1.parquet"  # typed timestamps out of bounds, with an offset
    pq.write_table(pa.table({"case": ["1", "1"], "activity": ["a", "b"],
                             "timestamp": pa.array([dt.datetime(1, 1, 1, tzinfo=UTC), _utc(2024, 1, 1)],
                                                   pa.timestamp("us", tz="UTC"))}), path)
    r = read_log(path)
    assert r.events.column(TIMESTAMP).to_pylist() == [_utc(2024, 1, 1)]
    assert [(row, reason) for row, reason, *_ in _q(r)] == [(1, Reason.IMPLAUSIBLE_TIMESTAMP)]


def test_sentinel_dates_are_implausible_and_the_bounds_are_settable(write):
    src = write("s.csv", "case,activity,timestamp\n1,a,1945-05-08\n1,b,0001-01-01\n1,c,9999-12-31\n1,d,2024-03-05\n")
    r = read_log(src)
    assert r.events.column(TIMESTAMP).to_pylist() == [_utc(1945, 5, 8), _utc(2024, 3, 5)]
    assert _q(r) == [
        (3, Reason.IMPLAUSIBLE_TIMESTAMP, "0001-01-01",
         "outside the plausible years 1900-2100 (set [timestamps] min_year / max_year)"),
        (4, Reason.IMPLAUSIBLE_TIMESTAMP, "9999-12-31",
         "outside the plausible years 1900-2100 (set [timestamps] min_year / max_year)"),
    ]
    narrow = read_log(src, mapping_from_dict({"timestamps": {"min_year": 1950, "max_year": 2030}}))
    assert narrow.events.column(TIMESTAMP).to_pylist() == [_utc(2024, 3, 5)]
    assert [row for row, *_ in _q(narrow)] == [2, 3, 4]
    with pytest.raises(MappingError, match=r"min_year 2030 is after max_year 1950"):
        mapping_from_dict({"timestamps": {"min_year": 2030, "max_year": 1950}})


def test_day_first_sentinel_and_excel_serials_are_bounded(write):
    src = write("d.csv", "case,activity,timestamp\n1,a,05.03.2024\n1,b,31.12.9999\n")
    r = read_log(src, mapping_from_dict({"timestamps": {"format": "%d.%m.%Y"}}))
    assert r.events.column(TIMESTAMP).to_pylist() == [_utc(2024, 3, 5)]
    assert [(row, reason) for row, reason, *_ in _q(r)] == [(3, Reason.IMPLAUSIBLE_TIMESTAMP)]
    src = write("x.csv", "case,activity,timestamp\n1,a,45356\n1,b,1\n")
    r = read_log(src, mapping_from_dict({"timestamps": {"format": "excel"}}))
    assert r.events.column(TIMESTAMP).to_pylist() == [_utc(2024, 3, 5)]
    assert [(row, reason) for row, reason, *_ in _q(r)] == [(3, Reason.IMPLAUSIBLE_TIMESTAMP)]  # 1899-12-31


def test_an_unparseable_timestamp_names_value_and_format(write):
    src = write("f.csv", "case,activity,timestamp\n1,a,05.03.2024 14:30\n1,b,2024-03-05 15:00\n")
    r = read_log(src, mapping_from_dict({"timestamps": {"format": "%Y-%m-%d %H:%M"}}))
    assert _q(r) == [(2, Reason.INVALID_TIMESTAMP, "05.03.2024 14:30",
                      "'05.03.2024 14:30' does not match format '%Y-%m-%d %H:%M'")]
    src = write("e.csv", "case,activity,timestamp\n1,a,soon\n1,b,1709650800\n")
    r = read_log(src, mapping_from_dict({"timestamps": {"format": "epoch"}}))
    assert _q(r) == [(2, Reason.INVALID_TIMESTAMP, "soon", "'soon' is not a number (format 'epoch')")]


# --- Excel ---------------------------------------------------------------------------------------------

def _book(path: Path, sheets: list[tuple[str, list[list[object]], str]], active: int) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows, state in sheets:
        ws = wb.create_sheet(name)
        ws.sheet_state = state
        for row in rows:
            ws.append(row)
    wb.active = active
    wb.save(path)
    return path


EXPORT = [["case", "activity", "timestamp"], ["PO-1", "Create", "2024-03-05 10:00"]]
HIDDEN = [["case", "activity", "timestamp"], ["X-1", "Lookup", "2024-01-01 00:00"],
          ["X-2", "Lookup", "2024-01-01 00:00"]]


def test_excel_reads_the_active_sheet_never_a_hidden_first_one(tmp_path: Path):
    path = _book(tmp_path / "b.xlsx", [("Stammdaten", HIDDEN, "hidden"), ("Bericht", [["x"], [1]], "visible"),
                                       ("Export", EXPORT, "visible")], active=2)
    r = read_log(path)
    assert r.events.column(CASE).to_pylist() == ["PO-1"]
    assert f"{path}: read sheet 'Export' (the active sheet); the workbook also has: 'Stammdaten (hidden)', " \
           "'Bericht' (choose one with sheet = ...)" in r.notes


def test_excel_hidden_active_sheet_falls_back_to_the_first_visible_one(tmp_path: Path):
    import zipfile

    made = _book(tmp_path / "m.xlsx", [("Lookup", HIDDEN, "veryHidden"), ("Export", EXPORT, "visible")], active=1)
    path = tmp_path / "b.xlsx"  # the hidden sheet marked active (openpyxl never saves that; macros do)
    with zipfile.ZipFile(made) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "xl/workbook.xml":
                assert b'activeTab="1"' in data
                data = data.replace(b'activeTab="1"', b'activeTab="0"')
            zout.writestr(item, data)
    r = read_log(path)
    assert r.events.column(CASE).to_pylist() == ["PO-1"]
    assert any("read sheet 'Export' (the first visible sheet)" in n for n in r.notes)


def test_excel_a_named_hidden_sheet_is_read(tmp_path: Path):
    path = _book(tmp_path / "b.xlsx", [("Lookup", HIDDEN, "hidden"), ("Export", EXPORT, "visible")], active=1)
    r = read_log(path, mapping_from_dict({"excel": {"sheet": "Lookup"}}))
    assert r.events.column(CASE).to_pylist() == ["X-1", "X-2"]


# --- encodings -----------------------------------------------------------------------------------------

def test_undeclared_latin1_export_is_decoded_as_latin1_never_as_gbk(write):
    src = write("sap_de.csv", "VBELN;ERNAM;ACT;ERDAT\n0000004711;Müller;Prüfung;20240305\n"
                              "0000004711;Jürgen Weiß;Bestätigung;20240306\n", encoding="latin-1")
    m = mapping_from_dict({"columns": {"case": "VBELN", "resource": "ERNAM", "activity": "ACT", "timestamp": "ERDAT"},
                           "timestamps": {"format": "%Y%m%d"}})
    r = read_log(src, m)
    assert r.events.column("org:resource").to_pylist() == ["Müller", "Jürgen Weiß"]
    assert r.events.column(ACTIVITY).to_pylist() == ["Prüfung", "Bestätigung"]
    assert "encoding detected as cp1252 (declare [csv] encoding in the mapping to be sure)" in r.notes
    assert r.quarantine.num_rows == 0


def test_undeclared_cp1252_keeps_euro_signs_and_quotes(write):
    src = write("cp.csv", "case,activity,timestamp,note\n1,a,2024-01-01 10:00,5 € „gut“\n", encoding="cp1252")
    assert read_log(src).events.column("note").to_pylist() == ["5 € „gut“"]


def test_undeclared_gbk_kingdee_export_is_detected_as_gbk(write):
    src = write("k3.csv", "单号,活动,完成时间,执行人\nPO-1,采购申请,2024/3/5 09:00,张三\n"
                          "PO-1,审批,2024/3/6 10:00,李四\n", encoding="gbk")
    r = read_log(src)
    assert r.events.column(ACTIVITY).to_pylist() == ["采购申请", "审批"]
    assert r.events.column("org:resource").to_pylist() == ["张三", "李四"]
    assert "encoding detected as GB18030/GBK (declare [csv] encoding in the mapping to be sure)" in r.notes


def test_the_gbk_sample_log_is_still_detected_as_gbk():
    src = Path(__file__).resolve().parents[1] / "sample_logs" / "procurement_events_gbk.csv"
    from flowmine.ingest._csv import detect_encoding

    enc, notes = detect_encoding(src.read_bytes()[: 1 << 20], None, str(src))
    assert (enc, notes) == ("gb18030", ["encoding detected as GB18030/GBK (declare [csv] encoding in the mapping "
                                        "to be sure)"])


def test_bytes_that_fit_latin1_and_gbk_alike_are_refused_with_one_line(write, tmp_path):
    from tests.conftest import run_cli

    src = write("amb.csv", "case,activity,timestamp,name\n1,a,2024-01-01 10:00,ÃÉ\n1,b,2024-01-01 11:00,ok\n",
                encoding="latin-1")
    out = run_cli("ingest", str(src), "--store", str(tmp_path / "s"), "--process", "p",
                  env={"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")})
    assert out.returncode == 2
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, out.stderr
    assert "reads both as cp1252 (e.g. 'ÃÉ') and as GBK (e.g. '蒙')" in lines[0]
    assert '[csv] encoding = "cp1252" or "gbk"' in lines[0]
    assert "Traceback" not in out.stderr
    declared = read_log(src, mapping_from_dict({"csv": {"encoding": "latin-1"}}))
    assert declared.events.column("name").to_pylist() == ["ÃÉ", "ok"]


def test_no_replacement_character_ever_reaches_the_events(write):
    # UTF-8 with one broken byte: that row is quarantined, the rest loads exactly
    src = write("u.csv", "case,activity,timestamp,name\n1,a,2024-01-01 10:00,Zoë\n".encode() +
                b"1,b,2024-01-01 11:00,bad\xff\n" + "1,c,2024-01-01 12:00,Zoë\n".encode())
    r = read_log(src)
    assert r.events.column("name").to_pylist() == ["Zoë", "Zoë"]
    assert [(row, reason) for row, reason, *_ in _q(r)] == [(3, Reason.INVALID_ENCODING)]
    assert "\ufffd" not in "".join(v or "" for v in r.quarantine.column("value").to_pylist())


def test_sap_zero_dates_in_a_wide_milestone_table_are_milestones_not_reached(write):
    src = write("vbak_wide.csv", "VBELN,ERDAT,WADAT_IST,FKDAT\n0000004711,20240305,20240307,20240310\n"
                                 "0000004712,20240305,00000000,00000000\n")
    m = mapping_from_dict({"columns": {"case": "VBELN"}, "timestamps": {"format": "%Y%m%d"},
                           "milestones": {"ERDAT": "Order created", "WADAT_IST": "Goods issued",
                                          "FKDAT": "Billed"}})
    r = read_log(src, m)
    assert r.events.column(CASE).to_pylist() == ["0000004711"] * 3 + ["0000004712"]
    assert r.events.column(ACTIVITY).to_pylist() == ["Order created", "Goods issued", "Billed", "Order created"]
    assert r.events.column(TIMESTAMP).null_count == 0
    assert r.quarantine.num_rows == 0


def test_mapping_suggest_joins_sap_date_and_time_columns(write):
    from flowmine.ingest import suggest_mapping
    from flowmine.ingest._mapping import mapping_from_dict as from_dict

    src = write("vbak.csv", SAP_VBAK.replace("AUART", "activity"))
    text = suggest_mapping(src)
    assert 'timestamp = ["ERDAT", "ERZET"]   # SAP date + time, joined with a space' in text
    assert 'format = "%Y%m%d %H%M%S"' in text
    import tomllib

    m = from_dict(tomllib.loads(text.replace('# case = "?"', 'case = "VBELN"')))
    r = read_log(src, m)
    assert r.events.column(TIMESTAMP).to_pylist()[:1] == [_utc(2024, 3, 5, 14, 30)]


def test_header_with_a_trailing_delimiter_the_rows_lack(write):
    src = write("trail2.csv", "VBELN;ACT;ERDAT;\n0000004711;Order created;20240305\n0000004711;Delivery;20240306\n")
    m = mapping_from_dict({"columns": {"case": "VBELN", "activity": "ACT", "timestamp": "ERDAT"},
                           "timestamps": {"format": "%Y%m%d"}})
    r = read_log(src, m)
    assert r.events.num_rows == 2
    assert r.quarantine.num_rows == 0
    assert f"{src}: the header ends with 1 delimiter(s) the rows do not have; ignored" in r.notes
