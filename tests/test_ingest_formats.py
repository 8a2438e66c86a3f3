"""Every format through the one entry point: Excel sheets and serial dates, epochs, Parquet types, XES."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

from flowmine import read_log
from flowmine._schema import ACTIVITY, CASE, TIMESTAMP, Reason
from flowmine.ingest._mapping import mapping_from_dict


def _xlsx(path, sheets):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def test_excel_sheet_choice_and_serial_dates(tmp_path):
    src = _xlsx(tmp_path / "o.xlsx", {
        "Notes": [["nothing here"]],
        "Orders": [["case", "activity", "serial"], ["001", "Create", 45292.5], [1, "Ship", 45293.25]],
    })
    m = mapping_from_dict({"excel": {"sheet": "Orders"}, "columns": {"timestamp": "serial"},
                           "timestamps": {"format": "excel", "timezone": "Asia/Shanghai"}})
    r = read_log(src, m)
    df = r.events.to_pandas()
    assert df[CASE].tolist() == ["001", "1"]
    # 45292.5 = 2024-01-01 12:00 in Shanghai = 04:00 UTC
    assert df[TIMESTAMP].tolist()[0] == dt.datetime(2024, 1, 1, 4, 0, tzinfo=dt.UTC)
    assert df["source:row"].tolist() == [2, 3]


def test_excel_date_cells_with_time_zone(tmp_path):
    src = _xlsx(tmp_path / "o.xlsx", {"S": [["case", "activity", "timestamp"],
                                            ["A", "X", dt.datetime(2024, 3, 1, 9, 30)]]})
    r = read_log(src, mapping_from_dict({"timestamps": {"timezone": "Europe/Berlin"}}))
    assert r.events.column(TIMESTAMP).to_pylist()[0] == dt.datetime(2024, 3, 1, 8, 30, tzinfo=dt.UTC)


def test_epoch_units(write):
    src = write("e.csv", "case,activity,timestamp\nA,X,1700000000000\nA,Y,notanumber\n")
    r = read_log(src, mapping_from_dict({"timestamps": {"format": "epoch", "epoch_unit": "ms"}}))
    assert r.events.column(TIMESTAMP).to_pylist()[0] == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
    assert r.quarantine.to_pandas()["reason"].tolist() == [Reason.INVALID_TIMESTAMP]


def test_parquet_keeps_types(tmp_path):
    t = pa.table({"case:concept:name": ["1", "2"], "concept:name": ["A", "B"],
                  "time:timestamp": pa.array([dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)],
                                             pa.timestamp("ns")),
                  "weight": [1.5, 2.5], "flag": [True, False]})
    path = tmp_path / "l.parquet"
    pq.write_table(t, path)
    r = read_log(path)
    assert r.events.schema.field(TIMESTAMP).type == pa.timestamp("us", tz="UTC")
    assert r.events.column("weight").to_pylist() == [1.5, 2.5]
    assert r.events.column("flag").to_pylist() == [True, False]


def test_xes_duplicate_trace_ids_are_never_merged(write):
    ev = ('<event><string key="concept:name" value="{a}"/>'
          '<date key="time:timestamp" value="2024-01-0{d}T10:00:00Z"/></event>')
    xes = ('<?xml version="1.0" encoding="UTF-8"?><log>'
           f'<trace><string key="concept:name" value="c1"/>{ev.format(a="A", d=1)}</trace>'
           f'<trace><string key="concept:name" value="c1"/>{ev.format(a="B", d=2)}{ev.format(a="C", d=3)}</trace>'
           '</log>')
    r = read_log(write("d.xes", xes))
    assert r.events.column(ACTIVITY).to_pylist() == ["A"]
    q = r.quarantine.to_pandas()
    assert q["reason"].tolist() == [Reason.DUPLICATE_CASE_ID] * 2
    assert r.rows_read == 3 == r.events.num_rows + len(q)
