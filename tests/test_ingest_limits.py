"""Sources as they are delivered and the limits of every read (issue #13).

ZIP archives (SAP and portals deliver logs zipped), gzip magic followed by garbage, symlinked
inputs, and ``[limits]``: decompressed bytes, wall clock, columns, distinct activities; memory
that stays flat on a gzip of blank lines and linear time in the number of columns.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flowmine import read_log
from flowmine._schema import CASE
from flowmine.errors import MappingError, UnsafeInputError, UnusableInputError
from flowmine.ingest._mapping import mapping_from_dict
from tests.conftest import run_cli

SRC = str(Path(__file__).resolve().parents[1] / "src")
ENV = {"PYTHONPATH": SRC}
VBAK = "VBELN;AUART;ERDAT\n0000004711;Order created;20240305\n0000004711;Delivery;20240306\n"
SAP = {"columns": {"case": "VBELN", "activity": "AUART", "timestamp": "ERDAT"}, "timestamps": {"format": "%Y%m%d"}}


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, out.stderr
    return lines[0]


# --- ZIP archives -------------------------------------------------------------------------------------

def test_a_zip_holding_one_log_is_read_from_its_member(tmp_path: Path):
    path = _zip(tmp_path / "VBAK_export.zip", {"export/VBAK.csv": VBAK.encode(), "__MACOSX/._VBAK.csv": b"x",
                                               "export/": b""})
    r = read_log(path, mapping_from_dict(SAP))
    assert r.events.column(CASE).to_pylist() == ["0000004711", "0000004711"]
    assert r.rows_read == 2
    assert "VBAK_export.zip: read archive member 'export/VBAK.csv'" in r.notes
    assert r.events.column("source:file").to_pylist()[0] == str(path)


def test_a_zip_holding_a_gzipped_or_excel_log(tmp_path: Path):
    path = _zip(tmp_path / "gz.zip", {"VBAK.csv.gz": gzip.compress(VBAK.encode())})
    assert read_log(path, mapping_from_dict(SAP)).events.num_rows == 2
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for row in VBAK.strip().split("\n"):
        ws.append(row.split(";"))
    wb.save(tmp_path / "VBAK.xlsx")
    path = _zip(tmp_path / "x.zip", {"VBAK.xlsx": (tmp_path / "VBAK.xlsx").read_bytes()})
    assert read_log(path, mapping_from_dict(SAP)).events.column(CASE).to_pylist() == ["0000004711", "0000004711"]


def test_a_zip_with_several_files_needs_the_member_named(tmp_path: Path):
    path = _zip(tmp_path / "delivery.zip", {"VBAK.csv": VBAK.encode(), "VBAP.csv": b"a;b\n1;2\n",
                                            "readme.txt": b"hello"})
    with pytest.raises(UnusableInputError) as exc:
        read_log(path, mapping_from_dict(SAP))
    assert str(exc.value) == (f"{path}: is a ZIP archive of 3 files: 'VBAK.csv', 'VBAP.csv', 'readme.txt'; "
                              "name the log in the mapping: [source] member = \"VBAK.csv\"")
    r = read_log(path, mapping_from_dict({**SAP, "source": {"member": "VBAK.csv"}}))
    assert r.events.num_rows == 2
    with pytest.raises(UnusableInputError, match=r"holds no file named 'VBAK.txt'; it holds: 'VBAK.csv'"):
        read_log(path, mapping_from_dict({**SAP, "source": {"member": "VBAK.txt"}}))
    mapping = tmp_path / "m.toml"
    mapping.write_text("[columns]\ncase = \"VBELN\"\n", encoding="utf-8")
    line = _one_line_error(run_cli("ingest", str(path), "--mapping", str(mapping), "--store", str(tmp_path / "s"),
                                   "--process", "p", env=ENV))
    assert "is a ZIP archive of 3 files" in line


def test_zip_bombs_are_capped_like_gzip(tmp_path: Path):
    path = _zip(tmp_path / "bomb.zip", {"big.csv": b"case,activity,timestamp\n" + b"\n" * 5_000_000})
    with pytest.raises(UnsafeInputError, match=r"archive member 'big.csv' would decompress to 5,000,024 bytes "
                                               r"\(> 1,000,000\); refused as a possible zip bomb"):
        read_log(path, mapping_from_dict({"limits": {"max_bytes": 1_000_000}}))


def test_a_zip_member_whose_directory_lies_about_its_size_is_still_capped(tmp_path: Path):
    path = _zip(tmp_path / "liar.zip", {"big.csv": b"case,activity,timestamp\n" + b"1,a,2024-01-01\n" * 200_000})
    data = bytearray(path.read_bytes())
    real = (24 + 15 * 200_000).to_bytes(4, "little")
    small = (1000).to_bytes(4, "little")
    assert data.count(real) == 2  # local header and central directory
    path.write_bytes(bytes(data).replace(real, small))
    with pytest.raises((UnsafeInputError, UnusableInputError)) as exc:
        read_log(path, mapping_from_dict({"limits": {"max_bytes": 100_000}}))
    assert "liar.zip" in str(exc.value)


def test_a_member_named_for_a_file_that_is_not_an_archive_is_an_error(write):
    src = write("v.csv", VBAK)
    with pytest.raises(UnusableInputError, match=r"is not a ZIP archive, but the mapping names the member 'x.csv'"):
        read_log(src, mapping_from_dict({**SAP, "source": {"member": "x.csv"}}))


# --- gzip garbage, symlinks ---------------------------------------------------------------------------

@pytest.mark.parametrize("body", [b"garbage-garbage-garbage",
                                  b"\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(256)) * 8,
                                  b"\x08\x00\x00\x00\x00\x00\x00\x03" + b"\x00" * 50])
@pytest.mark.parametrize("name", ["log.csv.gz", "log.xes.gz"])
def test_gzip_magic_followed_by_garbage_is_one_line_exit_2(tmp_path: Path, body: bytes, name: str):
    path = tmp_path / name
    path.write_bytes(b"\x1f\x8b" + body)
    line = _one_line_error(run_cli("ingest", str(path), "--store", str(tmp_path / "s"), "--process", "p", env=ENV))
    assert f"{path}: is not a readable gzip file" in line


def test_a_damaged_gzip_stream_after_a_good_start_is_one_error(tmp_path: Path):
    good = gzip.compress(b"case,activity,timestamp\n" + b"1,a,2024-01-01 10:00\n" * 50_000)
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(good[:2000] + bytes(range(256)) * 4 + good[3024:])
    with pytest.raises(UnusableInputError, match=r"cut.csv.gz: is a truncated or damaged gzip file"):
        read_log(path)


def test_a_symlinked_input_never_echoes_the_target_file(tmp_path: Path):
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAA\nAAAA\n", encoding="utf-8")
    link = tmp_path / "log.csv"
    os.symlink(secret, link)
    out = run_cli("ingest", str(link), "--store", str(tmp_path / "s"), "--process", "p", env=ENV)
    assert out.returncode == 2
    assert "PRIVATE KEY" not in out.stderr + out.stdout
    assert "b3BlbnNz" not in out.stderr + out.stdout
    assert "not shown: the source is a symbolic link" in out.stderr
    with pytest.raises(MappingError) as exc:
        read_log(link, mapping_from_dict({"columns": {"case": "c", "activity": "a", "timestamp": "t"}}))
    assert "PRIVATE KEY" not in str(exc.value)
    # the same file read directly still lists its header (helpful there)
    with pytest.raises(MappingError, match=r"PRIVATE KEY"):
        read_log(secret.rename(tmp_path / "own.csv"))


def test_a_symlinked_input_with_bad_timestamps_does_not_quote_them(tmp_path: Path):
    target = tmp_path / "t.csv"
    target.write_text("case,activity,timestamp\n1,a,sekret-value\n1,b,2024-01-01 10:00\n", encoding="utf-8")
    link = tmp_path / "l.csv"
    os.symlink(target, link)
    r = read_log(link, mapping_from_dict({"timestamps": {"format": "%Y-%m-%d %H:%M"}}))
    assert r.quarantine.column("detail").to_pylist() == ["does not match format '%Y-%m-%d %H:%M'"]
    direct = read_log(target, mapping_from_dict({"timestamps": {"format": "%Y-%m-%d %H:%M"}}))
    assert direct.quarantine.column("detail").to_pylist() == ["'sekret-value' does not match format '%Y-%m-%d %H:%M'"]


# --- limits -------------------------------------------------------------------------------------------

def test_max_bytes_caps_gzip_for_every_format(tmp_path: Path):
    path = tmp_path / "big.csv.gz"
    rows = "".join(f"{i},a,2024-01-01 10:00\n" for i in range(100_000))
    path.write_bytes(gzip.compress(b"case,activity,timestamp\n" + rows.encode()))
    with pytest.raises(UnsafeInputError, match=r"decompresses to more than 100,000 bytes; refused as a possible "
                                               r"decompression bomb \(raise \[limits\] max_bytes in the mapping"):
        read_log(path, mapping_from_dict({"limits": {"max_bytes": 100_000}}))
    assert read_log(path).events.num_rows == 100_000
    pq_path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"case": [str(i) for i in range(10_000)], "activity": ["a"] * 10_000,
                             "timestamp": [dt.datetime(2024, 1, 1, tzinfo=dt.UTC)] * 10_000}), pq_path)
    with pytest.raises(UnsafeInputError, match=r"uncompressed bytes \(> 1,000\)"):
        read_log(pq_path, mapping_from_dict({"limits": {"max_bytes": 1000}}))


def test_the_default_cap_is_two_gib():
    from flowmine.ingest._source import DEFAULT_MAX_DECOMPRESSED, max_decompressed_bytes

    assert DEFAULT_MAX_DECOMPRESSED == 2 * 1024**3
    if "FLOWMINE_MAX_DECOMPRESSED_BYTES" not in os.environ:
        assert max_decompressed_bytes() == 2 * 1024**3


def test_max_columns(write):
    src = write("w.csv", "case,activity,timestamp," + ",".join(f"c{i}" for i in range(20)) + "\n"
                         "1,a,2024-01-01 10:00" + ",x" * 20 + "\n")
    with pytest.raises(UnusableInputError, match=r"has 23 columns, more than the limit of 10 "
                                                 r"\(\[limits\] max_columns in the mapping\)"):
        read_log(src, mapping_from_dict({"limits": {"max_columns": 10}}))
    assert read_log(src).events.num_rows == 1


def test_max_activities_is_a_clear_error_instead_of_memory_error_later(write):
    rows = "".join(f"{i % 7},step {i},2024-01-01 10:00\n" for i in range(300))
    src = write("acts.csv", "case,activity,timestamp\n" + rows)
    with pytest.raises(UnusableInputError, match=r"has 300 distinct activities, more than the limit of 100 "
                                                 r"\(\[limits\] max_activities in the mapping\); is the activity "
                                                 r"column right\?"):
        read_log(src, mapping_from_dict({"limits": {"max_activities": 100}}))
    assert read_log(src).events.num_rows == 300


def test_max_seconds_stops_a_read_that_takes_too_long(write):
    src = write("t.csv", "case,activity,timestamp\n1,a,2024-01-01 10:00\n")
    with pytest.raises(UnusableInputError, match=r"t.csv: reading took longer than 1e-09 s "
                                                 r"\(\[limits\] max_seconds in the mapping\); stopped"):
        read_log(src, mapping_from_dict({"limits": {"max_seconds": 1e-9}}))
    assert read_log(src, mapping_from_dict({"limits": {"max_seconds": 600}})).events.num_rows == 1


def test_limit_values_are_checked():
    with pytest.raises(MappingError, match=r"\[limits\] max_columns must be a positive number, got 0"):
        mapping_from_dict({"limits": {"max_columns": 0}})
    with pytest.raises(MappingError, match=r"\[limits\] has unknown key\(s\) \['max_rows'\]"):
        mapping_from_dict({"limits": {"max_rows": 5}})


# The peak of this process's own memory (VmHWM of its address space). Not ru_maxrss: a child started by
# vfork/posix_spawn from a large parent (the test runner holds about 1 GB late in the suite) inherits the
# parent's peak into its ru_maxrss.
_PEAK = """
import sys
from flowmine import read_log
r = read_log(sys.argv[1])
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(r.events.num_rows, list(r.events.column("source:row").to_pylist()), hwm // 1024)
"""


def test_a_gzip_of_blank_lines_keeps_memory_flat(tmp_path: Path):
    path = tmp_path / "blank.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b"case,activity,timestamp\n1,a,2024-01-01 10:00\n")
        fh.write(b"\n" * 200_000_000)  # 200 MB of blank lines in ~200 KB
        fh.write(b"1,b,2024-01-01 11:00\n")
    assert path.stat().st_size < 300_000
    out = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, **ENV})
    assert out.returncode == 0, out.stderr
    events, peak_mb = out.stdout.split(" ", 1)[0], int(out.stdout.rsplit(" ", 1)[1])
    assert events == "2"
    rows = out.stdout.split("[", 1)[1].split("]", 1)[0]
    assert rows == "2, 200000003"  # spreadsheet-style line numbers survive the blank lines
    assert peak_mb < 800, f"peak RSS {peak_mb} MB"  # before: gigabytes (6.7 GB for 1 MB of gzip)


def test_ten_thousand_columns_load_with_repeated_names(tmp_path: Path):
    n = 3
    names = ["case", "activity", "timestamp"] + [f"c{j}" for j in range(10_000)] + ["c5", "c5"]
    arrays = [pa.array(["1", "1", "2"]), pa.array(["a", "b", "a"]),
              pa.array([dt.datetime(2024, 1, 1, h, tzinfo=dt.UTC) for h in range(n)], pa.timestamp("us", tz="UTC"))]
    arrays += [pa.array([f"v{j}"] * n) for j in range(10_002)]
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.Table.from_arrays(arrays, names=names), path)
    r = read_log(path)
    assert r.events.num_rows == 3
    assert "c5_2" in r.events.column_names and "c5_3" in r.events.column_names
    assert r.events.column("c5_3").to_pylist() == ["v10001"] * 3
    assert sum(1 for c in r.events.column_names if c.startswith("c") and c[1:].split("_")[0].isdigit()) == 10_002
