"""Exit codes and one-line errors of the command line, in the situations scripts and shells create.

0 done, 1 only for ``--strict`` with quarantined rows (and ``monitor`` breaches), 2 an unusable input,
option, output path or store, 3 an internal error whose traceback went to a file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import run_cli

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    st = tmp_path_factory.mktemp("exits") / "store"
    res = run_cli("ingest", str(SAMPLES / "finance_claims.csv"), "--mapping",
                  str(SAMPLES / "finance_claims.mapping.toml"), "--store", str(st), "--process", "finance")
    assert res.returncode == 0, res.stderr
    return st


def _one_line_error(res: subprocess.CompletedProcess[str]) -> str:
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in res.stderr
    return lines[0]


def test_a_reader_closing_stdout_is_not_a_failure(store: Path) -> None:
    r, w = os.pipe()
    os.close(r)  # the reader is gone before the command writes anything: every write gets EPIPE
    try:
        proc = subprocess.run([sys.executable, "-m", "flowmine", "info", "--store", str(store)], stdout=w,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(w)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_port_out_of_range_is_refused(store: Path) -> None:
    res = run_cli("dashboard", "--store", str(store), "--port", "99999", timeout=60)
    assert res.returncode == 2
    line = _one_line_error(res)
    assert "--port" in line and "65535" in line


def test_unknown_option_is_one_line(store: Path) -> None:
    res = run_cli("info", "--store", str(store), "--bogus")
    assert res.returncode == 2
    assert "--bogus" in _one_line_error(res)


def test_output_to_a_missing_folder_names_the_file(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "folder" / "log.csv"
    res = run_cli("export", "--store", str(store), "--process", "finance", "--out", str(out))
    assert res.returncode == 2
    line = _one_line_error(res)
    assert str(out) in line and "does not exist" in line
    assert not out.parent.exists()


def test_internal_error_exits_3_and_saves_the_traceback(store: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from flowmine import cli
    from flowmine.store import Store

    def broken(self: Store) -> None:
        raise ZeroDivisionError("planted bug")

    monkeypatch.setattr(Store, "info", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["flowmine", "info", "--store", str(store)])
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert ended.value.code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: internal error (ZeroDivisionError: planted bug)")
    saved = list(tmp_path.glob("flowmine-error-*.txt"))
    assert len(saved) == 1 and str(saved[0]) in err[0]
    text = saved[0].read_text(encoding="utf-8")
    assert "Traceback" in text and "planted bug" in text


@pytest.mark.parametrize("ended, code", [(SystemExit(2), 2), (SystemExit(None), 0), (SystemExit("bad"), 1), (None, 0)])
def test_the_program_exits_with_the_commands_code_without_teardown(monkeypatch, capsys, ended, code) -> None:
    """``flowmine`` (``cli.run``) ends with ``os._exit`` and the command's code: no native thread pool's
    teardown can turn an exit code into an abort."""
    from flowmine import cli

    def command() -> None:
        print("done")
        if ended is not None:
            raise ended

    exits: list[int] = []
    monkeypatch.setattr(cli, "main", command)
    monkeypatch.setattr(os, "_exit", exits.append)
    cli.run()
    out = capsys.readouterr()
    assert exits == [code] and out.out == "done\n"
    assert out.err == ("bad\n" if code == 1 else "")
