"""CSV reader: encoding (declared or detected, GBK/GB18030 included), delimiter, quoting.

Reads every column as text with pyarrow's multithreaded CSV parser: nothing is converted here,
so case ids keep their leading zeros and no value is guessed to be a date. Bytes that are not
valid in the file's encoding do not stop the read: the rows holding them are quarantined with
the column named. Malformed rows (wrong number of fields) are quarantined too.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Final

import charset_normalizer
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

from flowmine._schema import Reason
from flowmine.errors import UnusableInputError
from flowmine.ingest._cells import usable_names
from flowmine.ingest._mapping import CsvOptions
from flowmine.ingest._raw import QuarantineBuilder, RawTable
from flowmine.ingest._scan import nonblank_lines, scan
from flowmine.ingest._source import check_deadline, open_gzip_capped

_SNIFF_BYTES: Final = 1 << 20
#: pyarrow block size: one record must fit in a block, so this bounds a single row's size.
BLOCK_SIZE: Final = 64 << 20
#: Blocks tried first: parsing in smaller blocks holds far less memory at once.
_FIRST_BLOCK_SIZE: Final = 8 << 20
_UTF8_LIKE: Final = {"utf-8", "utf-8-sig", "ascii"}
#: Parse plain UTF-8 files straight from disk (tests switch it off to compare with the in-memory way).
READ_FROM_DISK = True


@contextlib.contextmanager
def _decompressed(path: Path) -> Iterator[Path]:
    """A .csv.gz decompressed into a temporary file, streamed and capped (never whole in memory):
    a small file of blank lines that inflates a thousandfold costs disk, not gigabytes of memory."""
    with tempfile.TemporaryDirectory(prefix="flowmine-gz-") as tmp:
        target = Path(tmp) / (path.name.removesuffix(".gz") or "source.csv")
        try:
            with open_gzip_capped(path) as fh, target.open("wb") as out:
                shutil.copyfileobj(fh, out, 1 << 20)
        except (EOFError, OSError) as exc:
            raise UnusableInputError(str(path), f"is a truncated or damaged gzip file ({exc})") from None
        yield target


def detect_encoding(head: bytes, declared: str | None, source: str = "") -> tuple[str, list[str]]:
    """Python codec name for the file, with a note saying how it was chosen.

    Undeclared bytes that are not UTF-8 are decoded only when the guess is unambiguous
    (:func:`_legacy_encoding`); where Latin-1/cp1252 and GBK both fit, the file is refused with one
    line naming both and how to declare the encoding. Never mojibake, never U+FFFD.
    """
    if declared:
        name = codecs.lookup(declared).name
        if name == "utf-8" and head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig", []
        return ("gb18030" if name in ("gbk", "gb2312") else name), []
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", []
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", ["encoding detected as UTF-16 (byte order mark)"]
    try:
        head.decode("utf-8")
        return "utf-8", []
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a multi-byte character cut by the sample's end
            return "utf-8", []
    text = head[: len(head) - 4].decode("utf-8", errors="surrogateescape")
    bad = sum(1 for ch in text if "\udc80" <= ch <= "\udcff")
    multibyte = sum(1 for ch in text if ord(ch) > 127) - bad
    high = sum(1 for byte in head if byte >= 0x80)
    # UTF-8 with a few broken bytes: quarantine those rows. "A few" counts against the non-ASCII bytes, not
    # the file: a GBK file whose only Chinese is its header (numbers below) has most of them broken
    if multibyte and bad <= multibyte and bad <= max(2, high // 100):
        return "utf-8", [f"encoding taken as UTF-8 although {bad} byte(s) are not valid UTF-8"]
    return _legacy_encoding(head, source)


#: Bytes looked at to tell legacy encodings apart (plenty for a verdict, quick to scan).
_LEGACY_SNIFF: Final = 256 << 10
#: Symbols a Western text holds besides letters (in cp1252).
_LATIN_SYMBOLS: Final = set("€£¥°§²³µ«»–—‘’‚“”„•…¼½¾×÷¿¡·ºª©®™")


def _legacy_encoding(head: bytes, source: str) -> tuple[str, list[str]]:
    """Latin-1/cp1252 or GBK/GB18030 for bytes that are not UTF-8, or a one-line refusal.

    - GBK fits when the bytes decode strictly and at least 90 % of the double-byte characters lie in
      the GB2312 area (both bytes 0xA1-0xFE: the common hanzi and punctuation). Latin-1 text read
      as GBK pairs an accented letter with the ASCII letter after it ("Mü" + "l"): rare characters
      outside that area, or no valid pair at all (an accent before a delimiter).
    - cp1252 (Latin-1) fits when at least 90 % of the non-ASCII characters are letters or common
      symbols and at most 20 % of the non-ASCII bytes sit in runs of three or more (Chinese text
      read as Latin-1 is runs of symbols such as "²É¹º").
    Both fit (a few accented letters in pairs): refused. Neither: charset-normalizer among the
    legacy code pages, else refused.
    """
    sample = head[: _LEGACY_SNIFF - 4] if len(head) >= _LEGACY_SNIFF else head
    gbk = _gbk_fits(sample)
    latin = _latin_fits(sample)
    if gbk and latin:
        words = [w for w in re.split(rb"[\x00-\x40\x5b-\x60\x7b-\x7f]+", sample) if re.search(rb"[\x80-\xff]", w)]
        ex = words[0][:24] if words else b""
        as_latin = ex.decode(latin, errors="replace").replace("\ufffd", "?")
        as_gbk = ex.decode("gb18030", errors="replace").replace("\ufffd", "?")
        raise UnusableInputError(
            source, f"is not UTF-8 and reads both as {latin} (e.g. {as_latin!r}) and as GBK (e.g. {as_gbk!r}); "
            f'declare the encoding in the mapping: [csv] encoding = "{latin}" or "gbk"')
    if gbk:
        return "gb18030", ["encoding detected as GB18030/GBK (declare [csv] encoding in the mapping to be sure)"]
    if latin:
        return latin, [f"encoding detected as {latin} (declare [csv] encoding in the mapping to be sure)"]
    best = charset_normalizer.from_bytes(sample, cp_isolation=["big5", "shift_jis", "euc_kr", "cp1251",
                                                                "cp1250", "iso8859_2"]).best()
    if best is None:
        raise UnusableInputError(source, "is not UTF-8 and its encoding cannot be told; declare it in the mapping: "
                                 '[csv] encoding = "..." (e.g. "gbk", "cp1252", "big5", "shift_jis")')
    enc = best.encoding
    return enc, [f"encoding detected as {enc.upper()} (declare [csv] encoding in the mapping to be sure)"]


def _gbk_fits(data: bytes) -> bool:
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    wide = [ch for ch in text if ord(ch) > 127]
    if not wide:
        return False
    common = 0
    for ch in wide:
        b = ch.encode("gb18030")
        common += len(b) == 2 and 0xA1 <= b[0] <= 0xFE and 0xA1 <= b[1] <= 0xFE
    return common >= 0.9 * len(wide)


def _latin_fits(data: bytes) -> str | None:
    """``"cp1252"`` (or ``"latin-1"`` where bytes cp1252 leaves undefined occur) if the text reads as a
    Western one, else None."""
    enc = "cp1252"
    try:
        text = data.decode(enc)
    except UnicodeDecodeError:
        enc = "latin-1"
        text = data.decode(enc)
    high = [ch for ch in text if ord(ch) > 127]
    if not high:
        return None
    if sum(ch.isalpha() or ch in _LATIN_SYMBOLS for ch in high) < 0.9 * len(high):
        return None
    in_runs = sum(len(m) for m in re.findall(rb"[\x80-\xff]{3,}", data))
    return enc if in_runs <= 0.2 * len(high) else None


def _to_utf8(data: bytes, encoding: str) -> bytes:
    """Transcode to UTF-8; bytes invalid in ``encoding`` survive as invalid UTF-8 so the rows holding
    them are found and quarantined afterwards instead of failing the whole file."""
    if codecs.lookup(encoding).name in _UTF8_LIKE:
        return data[3:] if data.startswith(codecs.BOM_UTF8) else data
    return data.decode(encoding, errors="surrogateescape").encode("utf-8", errors="surrogateescape")


def sniff_delimiter(text_head: str) -> str:
    lines = [ln for ln in text_head.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in ",;\t|"}
        return max(counts, key=lambda d: counts[d])


def read_csv(path: Path, options: CsvOptions | None = None, gzipped: bool = False) -> RawTable:
    """Read a CSV (or .csv.gz) file as text columns; see the module docstring.

    A plain UTF-8 file is parsed straight from disk while one pass beside the parser counts its
    line breaks and checks the UTF-8: the file's bytes are never held in memory and text columns
    are not decoded again. Other files (compressed, another encoding, broken bytes) go through
    memory and the per-column check that names the rows with invalid bytes.
    """
    opts = options or CsvOptions()
    if gzipped:
        with _decompressed(path) as plain:
            return _read_file(plain, opts, str(path))
    return _read_file(path, opts, str(path))


def _read_file(path: Path, opts: CsvOptions, source: str) -> RawTable:
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    encoding, notes = detect_encoding(head, opts.encoding, source)
    if READ_FROM_DISK and codecs.lookup(encoding).name in _UTF8_LIKE and not notes:
        return _read_plain(path, head, encoding, opts, source)
    check_deadline(source)
    raw = path.read_bytes()
    data = _to_utf8(raw, encoding)
    del raw
    if len(data) < (1 << 16) and not data.strip():
        raise UnusableInputError(source, "holds only whitespace, no header and no rows")
    head_text = data[:65536].decode("utf-8", errors="replace")
    delimiter = opts.delimiter or sniff_delimiter(head_text)
    names, name_notes, blank = _header(head_text, delimiter, opts.quotechar, source)
    table, bad_lines = _parse(lambda: io.BytesIO(data), names, delimiter, opts, source)
    ends = data.endswith(b"\n")
    return _finish(source, [table], bad_lines, data.count(b"\n"), ends, lambda: data, names, delimiter, opts,
                   encoding, notes + name_notes, utf8=None, blank=blank)


def _read_plain(path: Path, head: bytes, encoding: str, opts: CsvOptions, source: str) -> RawTable:
    body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    if len(body) < (1 << 16) and not body.strip():
        raise UnusableInputError(source, "holds only whitespace, no header and no rows")
    head_text = body[:65536].decode("utf-8", errors="replace")
    delimiter = opts.delimiter or sniff_delimiter(head_text)
    names, name_notes, blank = _header(head_text, delimiter, opts.quotechar, source)
    scanned_info: dict[str, int | bool] = {}
    table: pa.Table | None = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        scanned = pool.submit(scan, path, scanned_info)
        if len(names) > 1:  # first as if every record sat on one line: the parser need not track quotes
            try:
                table, bad_lines = _parse(lambda: pa.OSFile(str(path)), names, delimiter, opts, source,
                                          one_line=True)
            except UnusableInputError:
                table = None
        scanned.result()
    lines, ends = int(scanned_info["lines"]), bool(scanned_info["ends_with_newline"])
    known: np.ndarray | None = None
    if table is not None and not bad_lines and lines + (0 if ends else 1) != table.num_rows + 1:
        # Blank lines only? A record spanning lines would have shown as malformed in the one-line
        # parse, so one record per non-blank line means that parse was right.
        nonblank = nonblank_lines(path)
        if len(nonblank) == table.num_rows + 1:
            known = nonblank[1:]
    if known is None and (table is None or bad_lines or lines + (0 if ends else 1) != table.num_rows + 1):
        # A record spans lines (a line break in a quoted value splits such a record into a row
        # with too few fields and one with too few or too many, so it is always noticed), or
        # lines are blank or malformed: parse again, tracking quotes across lines.
        table, bad_lines = _parse(lambda: pa.OSFile(str(path)), names, delimiter, opts, source)

    def data() -> Path:  # only for files whose records do not sit one per line: read as a stream
        return path

    parsed = [table]
    del table
    return _finish(source, parsed, bad_lines, lines, ends, data, names, delimiter, opts, encoding, name_notes,
                   utf8=bool(scanned_info["utf8"]), blank=blank, known_rows=known)


def _parse(open_stream: Callable[[], IO[bytes] | pa.NativeFile], names: list[str], delimiter: str,
           opts: CsvOptions, source: str, one_line: bool = False) -> tuple[pa.Table, list[tuple[int | None, str]]]:
    """Parse with small blocks (less memory); a record longer than a block is read again with large ones.
    ``one_line``: line breaks always end a record (faster; the caller checks that this held)."""
    for block_size in (_FIRST_BLOCK_SIZE, BLOCK_SIZE):
        bad_lines: list[tuple[int | None, str]] = []

        def on_invalid(row: pacsv.InvalidRow, bad: list[tuple[int | None, str]] = bad_lines) -> str:
            bad.append((row.number, row.text))
            return "skip"

        try:
            table = pacsv.read_csv(
                open_stream(),
                read_options=pacsv.ReadOptions(block_size=block_size, use_threads=True, column_names=names,
                                               skip_rows=1),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter, quote_char=opts.quotechar or False, newlines_in_values=not one_line,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.binary() for n in names}, strings_can_be_null=True,
                    null_values=[""], quoted_strings_can_be_null=True,
                ),
            )
        except pa.ArrowInvalid as exc:
            if "straddl" in str(exc) and block_size < BLOCK_SIZE:
                continue
            raise UnusableInputError(source, f"cannot be read as CSV with delimiter {delimiter!r}: {exc}") from None
        break
    if table.num_rows == 0 and not bad_lines:
        raise UnusableInputError(source, "has a header but no data rows")
    return table, bad_lines


def _finish(source: str, parsed: list[pa.Table], bad_lines: list[tuple[int | None, str]], newlines: int,
            ends_with_newline: bool, data: Callable[[], bytes | Path], names: list[str], delimiter: str,
            opts: CsvOptions, encoding: str, notes: list[str], utf8: bool | None,
            blank: set[str] | None = None, known_rows: np.ndarray | None = None) -> RawTable:
    """Row numbers, malformed rows and text decoding, shared by both ways of reading.

    ``parsed`` holds the parsed table and is emptied, so that its columns can be released one by
    one as they are turned into text.
    """
    table = parsed.pop()
    quarantine = QuarantineBuilder(source)
    if known_rows is not None:
        row_numbers = pa.array(known_rows, pa.int64())
    elif bad_lines or newlines + (0 if ends_with_newline else 1) != table.num_rows + 1:
        # Blank lines, line breaks inside quoted values or malformed rows: record i is not on line
        # i + 1, so find each record's line exactly.
        nonblank = None if bad_lines else nonblank_lines(data())
        if nonblank is not None and len(nonblank) == table.num_rows + 1:
            # Only blank lines in between: a record spanning lines would add two non-blank lines
            # at least, so records sit one per non-blank line (vectorised: a file of a billion blank
            # lines takes seconds, not the csv module's minutes).
            row_numbers = pa.array(nonblank[1:], pa.int64())
        else:  # slow path, only for such files
            check_deadline(source)
            lines, malformed = _record_lines(data(), delimiter, opts.quotechar, len(names))
            row_numbers = pa.array(lines, pa.int64())
            for number, text in malformed:
                quarantine.add(number, Reason.MALFORMED_ROW,
                               f"expected {len(names)} fields separated by {delimiter!r}", value=text)
    else:
        row_numbers = pa.array(np.arange(2, table.num_rows + 2, dtype=np.int64))
    if len(row_numbers) != table.num_rows:
        raise UnusableInputError(source, f"records could not be counted consistently ({len(row_numbers)} vs "
                                 f"{table.num_rows}); check the quoting ({opts.quotechar!r})")
    if utf8:  # the whole file is valid UTF-8, so every field is: the bytes are the text
        parsed.append(table)
        del table
        table = _as_text(parsed)
        bad_rows = np.array([], dtype=np.int64)
    else:
        table, bad_rows = _decode_columns(table, quarantine, encoding, row_numbers)
    if bad_rows.size:
        keep = np.ones(table.num_rows, dtype=bool)
        keep[bad_rows] = False
        table = table.filter(pa.array(keep))
        row_numbers = row_numbers.filter(pa.array(keep))
    if blank:
        table = _drop_unnamed(table, blank, source, notes)
    return RawTable(source=source, format="csv", table=table, row_numbers=row_numbers,
                    quarantine=quarantine.to_table(), notes=notes)


def _as_text(parsed: list[pa.Table]) -> pa.Table:
    """Binary columns as text, chunk by chunk and without copying (the bytes are valid UTF-8)."""
    table = parsed.pop()
    return pa.table([pa.chunked_array([c.view(pa.string()) for c in col.chunks], pa.string())
                     for col in table.columns], names=table.column_names)


def _header(head_text: str, delimiter: str, quotechar: str, source: str) -> tuple[list[str], list[str], set[str]]:
    """Column names from the first record, made usable (:func:`._cells.usable_names`), the notes saying
    what was renamed, and the names given to empty headers (a trailing delimiter leaves one)."""
    reader = csv.reader(io.StringIO(head_text), delimiter=delimiter, quotechar=quotechar or '"')
    try:
        names = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise UnusableInputError(source, f"has no readable header line ({exc})") from None
    names = [n.strip() for n in names]
    if not any(names):
        raise UnusableInputError(source, "the first line (header) is empty")
    trailing = len(names) - len("\0".join(names).rstrip("\0").split("\0")) if not names[-1] else 0
    if trailing:  # "a;b;c;" over rows "1;2;3": the header's trailing delimiter is not a column
        first = next((r for r in _safe_records(reader) if r), None)
        if first is not None and len(first) == len(names) - trailing:
            usable, notes, blank = usable_names(source, names[: len(names) - trailing])
            return usable, [*notes, f"{source}: the header ends with {trailing} delimiter(s) the rows do not "
                            "have; ignored"], blank
    return usable_names(source, names)


def _safe_records(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error:
        return


def _drop_unnamed(table: pa.Table, blank: set[str], source: str, notes: list[str]) -> pa.Table:
    """Columns without a header name: dropped when empty everywhere (a trailing delimiter), else kept
    under their ``column_<n>`` name; a note says which."""
    for name in sorted(blank, key=table.column_names.index):
        col = table.column(name)
        empty = col.null_count == len(col) or not (pc.max(pc.utf8_length(pc.utf8_trim_whitespace(col))).as_py() or 0)
        if empty:
            why = " (a trailing delimiter)" if name == table.column_names[-1] else ""
            table = table.drop_columns([name])
            notes.append(f"{source}: column {name.removeprefix('column_')} has no name in the header and no "
                         f"values{why}; dropped")
        else:
            notes.append(f"{source}: column {name.removeprefix('column_')} has no name in the header; "
                         f"read as {name!r}")
    return table


def _record_lines(data: bytes | Path, delimiter: str, quotechar: str,
                  width: int) -> tuple[list[int], list[tuple[int, str]]]:
    """Line number where each well-formed record starts, and the malformed records (line, text).

    ``data``: UTF-8 bytes, or the path of a UTF-8 file, read as a stream (memory stays flat however
    many blank lines it holds). Bytes that are not UTF-8 show as ``\\xNN``, never as U+FFFD."""
    with contextlib.ExitStack() as stack:
        if isinstance(data, Path):
            text: IO[str] = stack.enter_context(data.open(encoding="utf-8-sig", errors="backslashreplace",
                                                          newline=""))
        else:
            text = io.StringIO(data.decode("utf-8", errors="backslashreplace"), newline="")
        return _record_lines_of(text, delimiter, quotechar, width)


def _record_lines_of(text: IO[str], delimiter: str, quotechar: str,
                     width: int) -> tuple[list[int], list[tuple[int, str]]]:
    reader = csv.reader(text, delimiter=delimiter, quotechar=quotechar or '"')
    lines: list[int] = []
    malformed: list[tuple[int, str]] = []
    start = 1
    for i, rec in enumerate(reader):
        line = start
        start = reader.line_num + 1
        if i == 0 or not rec:
            continue
        if len(rec) == width:
            lines.append(line)
        else:
            malformed.append((line, delimiter.join(rec)))
    return lines, malformed


def _decode_columns(table: pa.Table, quarantine: QuarantineBuilder, encoding: str,
                    row_numbers: pa.Array) -> tuple[pa.Table, np.ndarray]:
    """binary -> string per column; rows with invalid UTF-8 are quarantined with their column."""
    cols = []
    bad_all: list[np.ndarray] = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        try:
            cols.append(arr.cast(pa.string()))
            continue
        except pa.ArrowInvalid:
            pass
        values = arr.to_pylist()
        rows = row_numbers.to_pylist()
        bad = []
        for i, v in enumerate(values):
            if v is None:
                continue
            try:
                v.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad.append(i)
                quarantine.add(rows[i], Reason.INVALID_ENCODING,
                               f"byte {v[exc.start:exc.start + 1]!r} at offset {exc.start} is not valid {encoding}",
                               column=name, value=v.decode("utf-8", errors="backslashreplace"))
        bad_idx = np.array(bad, dtype=np.int64)
        bad_all.append(bad_idx)
        mask = np.zeros(len(arr), dtype=bool)
        mask[bad_idx] = True
        cleaned = pc.if_else(pa.array(mask), pa.nulls(len(arr), pa.binary()), arr)
        cols.append(cleaned.cast(pa.string()))
    bad_rows = np.unique(np.concatenate(bad_all)) if bad_all else np.array([], dtype=np.int64)
    return pa.table(cols, names=table.column_names), bad_rows


