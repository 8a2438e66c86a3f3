"""Tests of the Excel reader: sheet choice, cell types, row numbers, damaged and hostile files."""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest

from flowmine.errors import MappingError, UnsafeInputError, UnusableInputError
from flowmine.ingest import _excel
from flowmine.ingest._excel import read_excel


def _write(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


@pytest.fixture
def three_sheets(tmp_path: Path) -> Path:
    return _write(
        tmp_path / "book.xlsx",
        {
            "Orders": [["case", "activity"], ["c1", "Create"]],
            "Items": [["item", "qty"], ["i1", 3], ["i2", 4]],
            "Notes": [["text"], ["hello"]],
        },
    )


# --- hardening pin --------------------------------------------------------------------------


def test_openpyxl_parses_xml_through_defusedxml() -> None:
    assert openpyxl.xml.DEFUSEDXML is True


# --- sheet choice ---------------------------------------------------------------------------


def test_default_sheet_is_the_active_one_with_a_note_naming_the_others(three_sheets: Path) -> None:
    raw = read_excel(three_sheets)
    assert raw.table.column_names == ["case", "activity"]
    assert raw.table.to_pydict() == {"case": ["c1"], "activity": ["Create"]}
    assert len(raw.notes) == 1
    assert "read sheet 'Orders' (the active sheet); the workbook also has: 'Items', 'Notes'" in raw.notes[0]


def test_sheet_by_name(three_sheets: Path) -> None:
    raw = read_excel(three_sheets, sheet="Items")
    assert raw.table.to_pydict() == {"item": ["i1", "i2"], "qty": [3, 4]}
    assert raw.notes == []


def test_sheet_by_index(three_sheets: Path) -> None:
    raw = read_excel(three_sheets, sheet=2)
    assert raw.table.to_pydict() == {"text": ["hello"]}
    assert raw.notes == []


def test_single_sheet_has_no_note(tmp_path: Path) -> None:
    raw = read_excel(_write(tmp_path / "one.xlsx", {"Only": [["a"], ["x"]]}))
    assert raw.notes == []
    assert raw.format == "xlsx"


def test_missing_sheet_lists_the_sheets(three_sheets: Path) -> None:
    with pytest.raises(
        MappingError, match=r"no sheet named 'Order'; the workbook has: 'Orders', 'Items', 'Notes'"
    ):
        read_excel(three_sheets, sheet="Order")


def test_sheet_index_out_of_range_lists_the_sheets(three_sheets: Path) -> None:
    with pytest.raises(MappingError, match=r"sheet index 3 is out of range.*'Orders', 'Items', 'Notes'"):
        read_excel(three_sheets, sheet=3)


# --- header and rows ------------------------------------------------------------------------


def test_header_names_stripped_empty_ones_numbered(tmp_path: Path) -> None:
    path = _write(tmp_path / "h.xlsx", {"S": [["  case ", None, "ts"], ["c1", "x", "y"]]})
    assert read_excel(path).table.column_names == ["case", "column_2", "ts"]


def test_data_beyond_the_header_gets_a_numbered_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "h.xlsx", {"S": [["case"], ["c1", None, "stray"], ["c2"]]})
    raw = read_excel(path)
    assert raw.table.to_pydict() == {
        "case": ["c1", "c2"],
        "column_2": [None, None],
        "column_3": ["stray", None],
    }


def test_duplicate_header_names_get_usable_names_and_a_note(tmp_path: Path) -> None:
    # issue #13: a repeated name is never a crash; every column is kept under a name of its own
    path = _write(tmp_path / "d.xlsx", {"S": [["case", "ts ", "ts", "x", "x"], [1, 2, 3, 4, 5]]})
    raw = read_excel(path)
    assert raw.table.to_pydict() == {"case": [1], "ts": [2], "ts_2": [3], "x": [4], "x_2": [5]}
    assert [n for n in raw.notes if "repeats" in n] == [
        f"{path}: sheet 'S': header repeats column name 'ts'; column 3 is read as 'ts_2'",
        f"{path}: sheet 'S': header repeats column name 'x'; column 5 is read as 'x_2'",
    ]


def test_row_numbers_are_worksheet_rows_and_empty_rows_are_not_records(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["case", "activity"],
        ["c1", "A"],
        [],
        ["c1", "B"],
        [None, None],
        ["c2", "A"],
        [],
    ]
    raw = read_excel(_write(tmp_path / "r.xlsx", {"S": rows}))
    assert raw.row_numbers.to_pylist() == [2, 4, 6]
    assert raw.table.num_rows == 3
    assert raw.quarantine.num_rows == 0
    assert raw.rows_read == raw.table.num_rows + raw.quarantine.num_rows == 3
    assert raw.row_numbers.type == pa.int64()


def test_header_row_option(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["Export of 2024-05-01"], [], ["case", "activity"], ["c1", "A"]]
    raw = read_excel(_write(tmp_path / "t.xlsx", {"S": rows}), header_row=3)
    assert raw.table.to_pydict() == {"case": ["c1"], "activity": ["A"]}
    assert raw.row_numbers.to_pylist() == [4]


def test_empty_header_row_points_at_the_first_filled_row(tmp_path: Path) -> None:
    rows: list[list[Any]] = [[], ["case", "activity"], ["c1", "A"]]
    with pytest.raises(MappingError, match=r"header row 1 is empty; the first non-empty row is 2"):
        read_excel(_write(tmp_path / "t.xlsx", {"S": rows}))


def test_header_only_is_unusable(tmp_path: Path) -> None:
    path = _write(tmp_path / "h.xlsx", {"S": [["case", "activity"], [], [None]]})
    with pytest.raises(UnusableInputError, match=r"sheet 'S' has a header \(row 1\) but no data rows"):
        read_excel(path)


def test_empty_sheet_is_unusable(tmp_path: Path) -> None:
    path = _write(tmp_path / "e.xlsx", {"Blank": []})
    with pytest.raises(UnusableInputError, match=r"sheet 'Blank' is empty"):
        read_excel(path)


# --- cell types -----------------------------------------------------------------------------


def test_date_cells_become_naive_microsecond_timestamps(tmp_path: Path) -> None:
    stamps = [dt.datetime(2024, 3, 1, 8, 30), dt.datetime(2024, 3, 1, 9, 15, 2, 500000)]
    path = _write(tmp_path / "d.xlsx", {"S": [["ts"], [stamps[0]], [stamps[1]]]})
    col = read_excel(path).table.column("ts")
    assert col.type == pa.timestamp("us")
    assert col.to_pylist() == stamps


def test_serial_numbers_that_are_not_date_formatted_stay_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.xlsx", {"S": [["serial", "frac"], [45352, 45352.5], [45353, 45353.25]]})
    table = read_excel(path).table
    assert table.column("serial").type == pa.int64()
    assert table.column("serial").to_pylist() == [45352, 45353]
    assert table.column("frac").type == pa.float64()
    assert table.column("frac").to_pylist() == [45352.5, 45353.25]


def test_integral_floats_give_int64(tmp_path: Path) -> None:
    path = _write(tmp_path / "i.xlsx", {"S": [["n", "k"], [1, "a"], [2.0, "b"], [None, "c"], [3, "d"]]})
    col = read_excel(path).table.column("n")
    assert col.type == pa.int64()
    assert col.to_pylist() == [1, 2, None, 3]


def test_leading_zero_text_ids_stay_distinct(tmp_path: Path) -> None:
    path = _write(tmp_path / "z.xlsx", {"S": [["case"], ["001"], ["01"], ["1"]]})
    col = read_excel(path).table.column("case")
    assert col.type == pa.string()
    assert col.to_pylist() == ["001", "01", "1"]
    assert len(set(col.to_pylist())) == 3


def test_mixed_column_becomes_text_with_iso_dates_and_number_reprs(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["when"],
        [dt.datetime(2024, 1, 2, 3, 4, 5)],
        ["yesterday"],
        [dt.datetime(2024, 1, 2, 3, 4, 5, 250000)],
        [42],
        [2.5],
        [True],
    ]
    col = read_excel(_write(tmp_path / "m.xlsx", {"S": rows})).table.column("when")
    assert col.type == pa.string()
    assert col.to_pylist() == [
        "2024-01-02 03:04:05",
        "yesterday",
        "2024-01-02 03:04:05.250000",
        "42",
        "2.5",
        "TRUE",
    ]


def test_booleans_and_error_cells(tmp_path: Path) -> None:
    path = _write(tmp_path / "b.xlsx", {"S": [["ok", "calc"], [True, "#DIV/0!"], [False, "#N/A"]]})
    table = read_excel(path).table
    assert table.column("ok").type == pa.bool_()
    assert table.column("ok").to_pylist() == [True, False]
    assert table.column("calc").to_pylist() == ["#DIV/0!", "#N/A"]


def test_error_cell_in_a_number_column_makes_it_text(tmp_path: Path) -> None:
    path = _write(tmp_path / "b.xlsx", {"S": [["cost"], [1.5], ["#VALUE!"], [3]]})
    col = read_excel(path).table.column("cost")
    assert col.type == pa.string()
    assert col.to_pylist() == ["1.5", "#VALUE!", "3"]


def test_all_empty_column_is_a_null_string_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "n.xlsx", {"S": [["case", "note"], ["c1", None]]})
    col = read_excel(path).table.column("note")
    assert col.type == pa.string()
    assert col.to_pylist() == [None]


def test_durations_and_times_of_day(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["took", "at"],
        [dt.timedelta(hours=26, minutes=3), dt.time(8, 30)],
        [None, dt.time(17, 5, 9)],
    ]
    table = read_excel(_write(tmp_path / "d.xlsx", {"S": rows})).table
    assert table.column("took").type == pa.duration("us")
    assert table.column("took").to_pylist() == [dt.timedelta(hours=26, minutes=3), None]
    assert table.column("at").type == pa.string()
    assert table.column("at").to_pylist() == ["08:30:00", "17:05:09"]


def test_a_wrong_dimension_element_does_not_cut_rows_or_columns(tmp_path: Path) -> None:
    cells = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{a}</t></is></c>'
        f'<c r="B{r}" t="inlineStr"><is><t>{b}</t></is></c></row>'
        for r, a, b in [(1, "case", "activity"), (2, "c1", "A"), (3, "c1", "B"), (5, "c2", "A")]
    )
    body = '<dimension ref="A1:A2"/><sheetData>' + cells + "</sheetData>"
    raw = read_excel(_hand_made_xlsx(tmp_path / "dim.xlsx", prolog="", dtd="", body=body))
    assert raw.table.to_pydict() == {"case": ["c1", "c1", "c2"], "activity": ["A", "B", "A"]}
    assert raw.row_numbers.to_pylist() == [2, 3, 5]


# --- damaged and hostile files --------------------------------------------------------------


def test_truncated_workbook_is_unusable(tmp_path: Path) -> None:
    rows = [["case", "activity", "note"]] + [[f"c{i}", "A", "x" * 50] for i in range(500)]
    path = _write(tmp_path / "full.xlsx", {"S": rows})
    data = path.read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnusableInputError, match=r"cut\.xlsx: is truncated or damaged"):
        read_excel(cut)


def test_corrupted_member_is_unusable(tmp_path: Path) -> None:
    rows = [["case", "activity"]] + [[f"c{i}", "A"] for i in range(200)]
    path = _write(tmp_path / "full.xlsx", {"S": rows})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(start + 10, start + 40):
        data[k] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(UnusableInputError, match=r"damaged"):
        read_excel(path)


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    "</Relationships>"
)
_LAUGHS = (
    '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + "]>"
)


_LAUGH_ROWS = (
    "<sheetData>"
    '<row r="1"><c r="A1" t="inlineStr"><is><t>case</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    "</sheetData>"
)


def _hand_made_xlsx(path: Path, prolog: str, dtd: str = _LAUGHS, body: str = _LAUGH_ROWS) -> Path:
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        + prolog
        + dtd
        + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + body
        + "</worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def test_billion_laughs_in_sheet_xml_is_refused_fast(tmp_path: Path) -> None:
    path = _hand_made_xlsx(tmp_path / "laughs.xlsx", prolog="")
    t0 = time.perf_counter()
    with pytest.raises(UnsafeInputError, match=r"declares a DTD"):
        read_excel(path)
    assert time.perf_counter() - t0 < 5


def test_billion_laughs_behind_a_long_comment_is_refused(tmp_path: Path) -> None:
    prolog = "<!--" + "-x" * 300_000 + "--><?pi data?>\n<!-- short -->"
    path = _hand_made_xlsx(tmp_path / "laughs.xlsx", prolog=prolog)
    t0 = time.perf_counter()
    with pytest.raises(UnsafeInputError, match=r"'xl/worksheets/sheet1\.xml' declares a DTD"):
        read_excel(path)
    assert time.perf_counter() - t0 < 5


def test_defusedxml_refuses_entities_even_without_the_prolog_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # second line of defence: with the reader's own DTD check switched off, the XML parser refuses
    monkeypatch.setattr(_excel, "_declares_dtd", lambda fh: False)
    path = _hand_made_xlsx(tmp_path / "laughs.xlsx", prolog="")
    t0 = time.perf_counter()
    with pytest.raises(UnsafeInputError, match=r"forbidden XML constructs"):
        read_excel(path)
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b'<?xml version="1.0"?>\n<worksheet/>', False),
        (b'\xef\xbb\xbf<?xml version="1.0"?><!-- <!DOCTYPE x> --><worksheet/>', False),
        (b'<?xml version="1.0"?>\r\n  <!-- note --> <!DOCTYPE x []><x/>', True),
        (b"<!DOCTYPE x><x/>", True),
        (b"<!--" + b"y" * 200_000 + b"--><!DOCTYPE x><x/>", True),
        (b"<!-- never closed", False),
    ],
)
def test_prolog_dtd_detection(text: bytes, expected: bool) -> None:
    assert _excel._declares_dtd(io.BytesIO(text)) is expected


def test_zip_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWMINE_MAX_DECOMPRESSED_BYTES", str(50 * 1024**2))
    path = _hand_made_xlsx(tmp_path / "bomb.xlsx", prolog="")
    chunk = bytes(1024**2)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf, zf.open("xl/media/zeros.bin", "w") as fh:
        for _ in range(200):
            fh.write(chunk)
    assert path.stat().st_size < 2 * 1024**2
    t0 = time.perf_counter()
    with pytest.raises(UnsafeInputError, match=r"zip bomb"):
        read_excel(path)
    assert time.perf_counter() - t0 < 20


def test_not_a_zip_is_unusable(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with pytest.raises(UnusableInputError, match=r"fake\.xlsx: is truncated or damaged"):
        read_excel(path)


@pytest.mark.parametrize("bad", [0, -1, True, "2"])
def test_header_row_must_be_a_row_number(three_sheets: Path, bad: Any) -> None:
    with pytest.raises(MappingError, match=r"header_row must be a worksheet row number"):
        read_excel(three_sheets, header_row=bad)
