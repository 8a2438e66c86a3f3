"""Read one worksheet of an Excel workbook (.xlsx/.xlsm) into a :class:`RawTable`.

The archive is checked for zip bombs and damage (:func:`check_zip_archive`) and for XML
document type declarations before openpyxl opens it; openpyxl then streams the sheet in
read-only mode with cached formula results (``data_only``), parsing XML through defusedxml.
Cell types are kept where a column is uniform (dates become naive ``timestamp[us]``: the
normaliser applies the mapping's time zone); a column mixing types becomes text so that the
normaliser can parse, and quarantine, cell by cell. Fully empty rows are spreadsheet padding,
not records: they are skipped and not counted.
"""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO, Final

import pyarrow as pa

from flowmine.errors import FlowmineError, MappingError, UnsafeInputError, UnusableInputError
from flowmine.ingest._cells import usable_names
from flowmine.ingest._raw import RawTable, empty_quarantine
from flowmine.ingest._source import check_zip_archive

#: Read size while looking through an XML prolog for a DTD (OPC forbids DTDs in packages).
_PROLOG_CHUNK: Final = 64 * 1024
#: Warnings of openpyxl kept as notes (the rest of a noisy file is summarised by a count).
_MAX_WARNING_NOTES: Final = 5
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


def read_excel(path: Path, sheet: str | int | None = None, header_row: int = 1) -> RawTable:
    """Read one worksheet of an .xlsx workbook as raw records.

    Parameters
    ----------
    path:
        A local .xlsx/.xlsm file (already checked by :func:`~flowmine.ingest._source.check_source`).
    sheet:
        Sheet name, or 0-based sheet index. ``None``: the only sheet; when the workbook has
        several, the first one, with a note naming the others.
    header_row:
        1-based worksheet row holding the column names; rows above it are ignored.

    Returns
    -------
    RawTable
        ``format="xlsx"``; ``row_numbers`` are worksheet row numbers (first data row is
        ``header_row + 1``). Columns keep Excel's types: date cells ``timestamp[us]`` (naive),
        integral numbers ``int64``, other numbers ``float64``, text ``string``, booleans
        ``bool``, durations ``duration[us]``; a column mixing types is ``string``.

    Raises
    ------
    UnsafeInputError
        Zip bomb, or an XML part that declares a DTD (entity expansion).
    UnusableInputError
        Truncated or damaged workbook, empty sheet, header without data rows.
    MappingError
        Unknown sheet, empty header row, duplicate column names.

    Examples
    --------
    >>> raw = read_excel(Path("sample_logs/sales_orders.xlsx"), sheet="Orders")
    >>> raw.table.column_names[:3], raw.table.num_rows
    (['order_id', 'customer', 'region'], 5000)
    """
    source = str(path)
    if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
        raise MappingError(f"{source}: header_row must be a worksheet row number >= 1; got {header_row!r}")
    try:
        check_zip_archive(path)
    except UnusableInputError as exc:
        # A cut-off .xlsx has no zip directory: say so in the words a user recognises.
        if "truncated or damaged" in exc.reason:
            raise
        raise UnusableInputError(source, f"is truncated or damaged ({exc.reason})") from None
    except zlib.error as exc:  # a corrupt deflate stream, met by the archive's CRC test
        raise UnusableInputError(source, f"is truncated or damaged: {exc}") from None
    _refuse_dtd(path)
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # We own the file handle: openpyxl leaks its own when loading a damaged file fails.
        with path.open("rb") as fh:
            wb = _open_workbook(fh, source)
            try:
                ws = _choose_sheet(wb, source, sheet, notes)
                ws.reset_dimensions()  # a wrong <dimension> element would otherwise cut rows or columns
                raw = _build(source, str(ws.title), _rows(ws, source), header_row, notes)
            finally:
                wb.close()
    _warnings_to_notes(source, caught, notes)
    return raw


def _refuse_dtd(path: Path) -> None:
    """Refuse XML parts that declare a DTD: Office Open XML packages never do (OPC, ECMA-376 part 2).

    defusedxml (and lxml's amplification limit) would refuse entity expansion too; this check
    gives one clear message before any parser runs, whatever parser openpyxl picks.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    continue
                with zf.open(info) as fh:
                    if _declares_dtd(fh):
                        raise UnsafeInputError(
                            str(path),
                            f"archive member {info.filename!r} declares a DTD (XML entities); refused: "
                            "genuine Excel files never contain one",
                        )
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as exc:
        raise UnusableInputError(str(path), f"is truncated or damaged: {exc}") from None


def _declares_dtd(fh: IO[bytes]) -> bool:
    """Whether the XML prolog (declaration, comments, processing instructions) holds a DOCTYPE.

    Reads only the prolog, however long its comments are, up to the cap of the archive check.
    """
    buf = fh.read(_PROLOG_CHUNK)
    pos = 0
    while True:
        while pos < len(buf) and buf[pos : pos + 1] in b" \t\r\n":
            pos += 1
        if buf.startswith(b"\xef\xbb\xbf", pos):
            pos += 3
            continue
        for opener, closer in ((b"<?", b"?>"), (b"<!--", b"-->")):
            if buf.startswith(opener, pos):
                end = buf.find(closer, pos + len(opener))
                while end < 0:  # keep only what a closer split across two reads needs
                    more = fh.read(_PROLOG_CHUNK)
                    if not more:
                        return False  # unterminated: the parser reports the damage
                    buf = buf[-(len(closer) - 1) :] + more
                    end = buf.find(closer)
                pos = end + len(closer)
                break
        else:
            if len(buf) - pos < len(b"<!DOCTYPE"):
                more = fh.read(_PROLOG_CHUNK)
                if not more:
                    return buf.startswith(b"<!DOCTYPE", pos)
                buf = buf[pos:] + more
                pos = 0
                continue
            return buf.startswith(b"<!DOCTYPE", pos) or buf.startswith(b"<!ENTITY", pos)


def _open_workbook(fh: BinaryIO, source: str) -> Any:
    # Imported here: openpyxl is slow to import and only Excel sources need it.
    import openpyxl

    try:
        return openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except FlowmineError:
        raise
    except Exception as exc:  # openpyxl raises whatever its zip/XML layers raise on damage
        raise _damage(source, exc, "") from None


def _damage(source: str, exc: BaseException, where: str) -> FlowmineError:
    """The error for a failure inside openpyxl: unsafe XML if defusedxml refused it, else damage.

    openpyxl wraps parser errors in a multi-line ValueError; the innermost cause is the message.
    """
    from defusedxml import DefusedXmlException

    chain = [exc]
    while chain[-1].__cause__ is not None and len(chain) < 10:
        chain.append(chain[-1].__cause__)
    root = chain[-1]
    text = " ".join(str(root).split())
    for link in chain:
        if isinstance(link, DefusedXmlException):
            return UnsafeInputError(source, f"contains forbidden XML constructs ({link}); refused")
    if type(root).__name__ == "XMLSyntaxError" and "entity amplification" in text:  # lxml's own limit
        return UnsafeInputError(source, f"contains an XML entity expansion attack ({text}); refused")
    return UnusableInputError(source, f"is truncated or damaged{where} ({type(root).__name__}: {text})")


def _rows(ws: Any, source: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(worksheet row number, cell values) of every row, streamed from the sheet XML."""
    rows = ws.iter_rows(min_row=1, values_only=True)
    number = 0
    while True:
        try:
            row = next(rows, None)
        except FlowmineError:
            raise
        except Exception as exc:  # as above: any failure inside the sheet XML is damage
            raise _damage(source, exc, f": sheet {ws.title!r} cannot be read after row {number}") from None
        if row is None:
            return
        number += 1  # iter_rows from row 1 yields every row, empty ones included, in order
        yield number, row


def _choose_sheet(wb: Any, source: str, sheet: str | int | None, notes: list[str]) -> Any:
    names = [str(n) for n in wb.sheetnames]
    listing = ", ".join(repr(n) for n in names)
    if sheet is None:
        chosen, why = _default_sheet(wb, names, source, listing)
        others = [n if wb[n].sheet_state == "visible" else f"{n} ({wb[n].sheet_state})" for n in names if n != chosen]
        if others:
            notes.append(
                f"{source}: read sheet {chosen!r} ({why}); the workbook also has: "
                + ", ".join(repr(n) for n in others)
                + " (choose one with sheet = ...)"
            )
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise MappingError(
                f"{source}: sheet index {sheet} is out of range; the workbook has {len(names)} "
                f"sheet(s), index 0..{len(names) - 1}: {listing}"
            )
        chosen = names[sheet]
    elif isinstance(sheet, str):
        if sheet not in names:
            raise MappingError(f"{source}: no sheet named {sheet!r}; the workbook has: {listing}")
        chosen = sheet
    else:
        raise MappingError(f"{source}: sheet must be a sheet name or a 0-based index; got {sheet!r}")
    ws = wb[chosen]
    if not hasattr(ws, "iter_rows"):
        raise MappingError(f"{source}: sheet {chosen!r} is a chart sheet, not a worksheet; sheets: {listing}")
    return ws


def _default_sheet(wb: Any, names: list[str], source: str, listing: str) -> tuple[str, str]:
    """The sheet Excel opens on: the active one, never a hidden one; else the first visible worksheet."""
    visible = [n for n in names if hasattr(wb[n], "iter_rows") and wb[n].sheet_state == "visible"]
    if not visible:
        raise UnusableInputError(source, f"has no visible worksheet with cells (sheets: {listing}); "
                                 "name one in the mapping: [excel] sheet = \"...\"")
    try:
        active = str(wb.active.title) if wb.active is not None else None
    except (IndexError, AttributeError):  # an activeTab beyond the sheets
        active = None
    if active in visible:
        return str(active), "the active sheet"
    return visible[0], "the first visible sheet"


def _warnings_to_notes(source: str, caught: Sequence[warnings.WarningMessage], notes: list[str]) -> None:
    """openpyxl warns about cells it cannot read (e.g. dates out of range): pass them on as notes."""
    texts = list(dict.fromkeys(str(w.message) for w in caught))
    notes.extend(f"{source}: {t}" for t in texts[:_MAX_WARNING_NOTES])
    if len(texts) > _MAX_WARNING_NOTES:
        notes.append(f"{source}: {len(texts) - _MAX_WARNING_NOTES} more warnings from the Excel reader")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _build(
    source: str,
    sheet_name: str,
    rows: Iterable[tuple[int, tuple[Any, ...]]],
    header_row: int,
    notes: list[str],
) -> RawTable:
    header: tuple[Any, ...] | None = None
    first_filled: int | None = None
    columns: list[list[Any]] = []
    row_numbers: list[int] = []
    for number, row in rows:
        if number < header_row:
            if first_filled is None and not all(_is_blank(v) for v in row):
                first_filled = number
            continue
        if number == header_row:
            header = row
            continue
        if all(_is_blank(v) for v in row):
            continue  # padding, not a record
        if first_filled is None:
            first_filled = number
        n = len(row_numbers)
        width = len(columns)
        for j in range(width):
            columns[j].append(row[j] if j < len(row) else None)
        last = max((j for j, v in enumerate(row) if v is not None), default=-1)
        for j in range(width, last + 1):
            columns.append([None] * n + [row[j]])
        row_numbers.append(number)

    if header is None or all(_is_blank(v) for v in header):
        if first_filled is None:
            raise UnusableInputError(source, f"sheet {sheet_name!r} is empty")
        raise MappingError(
            f"{source}: sheet {sheet_name!r}: header row {header_row} is empty; "
            f"the first non-empty row is {first_filled} (set header_row = {first_filled} in the mapping)"
        )
    if not row_numbers:
        raise UnusableInputError(
            source, f"sheet {sheet_name!r} has a header (row {header_row}) but no data rows"
        )

    last_header = max(j for j, v in enumerate(header) if not _is_blank(v))
    width = max(len(columns), last_header + 1)
    n = len(row_numbers)
    columns.extend([None] * n for _ in range(width - len(columns)))
    names = _column_names(source, sheet_name, header, width, notes)
    table = pa.table([_to_array(values) for values in columns], names=names)
    return RawTable(
        source=source,
        format="xlsx",
        table=table,
        row_numbers=pa.array(row_numbers, type=pa.int64()),
        quarantine=empty_quarantine(),
        notes=notes,
    )


def _column_names(source: str, sheet_name: str, header: tuple[Any, ...], width: int, notes: list[str]) -> list[str]:
    names: list[str] = []
    for j in range(width):
        value = header[j] if j < len(header) else None
        names.append(f"column_{j + 1}" if _is_blank(value) else _as_text(value).strip())
    usable, renamed, _ = usable_names(source, names, where=f"sheet {sheet_name!r}: header")
    notes.extend(renamed)
    return usable


def _kind(value: Any) -> str:
    # bool before int (bool is an int); datetime before date (datetime is a date)
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if _INT64_MIN <= value <= _INT64_MAX else "bigint"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.datetime | dt.date):
        return "datetime"
    if isinstance(value, dt.timedelta):
        return "timedelta"
    if isinstance(value, dt.time):
        return "time"
    return "str"


def _as_text(value: Any) -> str:
    """Text of a cell in a mixed column: ISO dates, ``repr`` numbers, Excel's TRUE/FALSE."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date):
        return _stamp(value).isoformat(sep=" ")
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, int | float):
        return repr(value)
    return str(value)


def _stamp(value: dt.date) -> dt.datetime:
    """A naive datetime for a date cell (a plain date is its midnight)."""
    if isinstance(value, dt.datetime):
        return _naive(value)
    return dt.datetime(value.year, value.month, value.day)


def _naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _to_array(values: list[Any]) -> pa.Array:
    kinds = {_kind(v) for v in values if v is not None}
    if kinds == {"datetime"}:
        return pa.array([None if v is None else _stamp(v) for v in values], type=pa.timestamp("us"))
    if kinds and kinds <= {"int", "float"}:
        if all(_integral(v) for v in values):
            return pa.array([None if v is None else int(v) for v in values], type=pa.int64())
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    if kinds == {"bool"}:
        return pa.array(values, type=pa.bool_())
    if kinds == {"timedelta"}:
        return pa.array(values, type=pa.duration("us"))
    return pa.array(_texts(values), type=pa.string())


def _integral(value: Any) -> bool:
    if value is None or isinstance(value, int):
        return True
    return bool(value.is_integer()) and _INT64_MIN <= value <= _INT64_MAX


def _texts(values: Iterable[Any]) -> list[str | None]:
    return [None if v is None else _as_text(v) for v in values]
