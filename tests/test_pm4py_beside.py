"""pm4py keeps working next to flowmine: its default XES reader and writer run in flowmine's environment.

flowmine depends on r4pm (Rust alignments). With r4pm installed, pm4py's ``read_xes``/``write_xes`` pick
``r4pm.df`` as their default backend, which imports polars: without it every pm4py user who installs flowmine
beside it got ``No module named 'polars'``. The calls run in a fresh interpreter, with default arguments,
exactly as a pm4py user writes them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import shared_log

TINY = Path(__file__).parent / "data" / "xes" / "tiny.xes"

_SCRIPT = """
import json, sys, warnings
warnings.simplefilter("ignore")
import pm4py
src, out = sys.argv[1], sys.argv[2]
log = pm4py.read_xes(src)                                   # defaults: the backend pm4py picks
pm4py.write_xes(log, out)                                   # defaults again
back = pm4py.read_xes(out)
ref = pm4py.read_xes(src, variant="iterparse")              # pm4py's classic parser, for comparison
def shape(df):
    return [len(df), int(df["case:concept:name"].nunique()),
            sorted(df["concept:name"].value_counts().items())]
print(json.dumps({"default": shape(log), "written_back": shape(back), "iterparse": shape(ref)}))
"""


def _run(src: Path, tmp_path: Path) -> dict[str, list[object]]:
    res = subprocess.run([sys.executable, "-c", _SCRIPT, str(src), str(tmp_path / "out.xes")],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_pm4py_default_read_and_write_xes_work(tmp_path: Path) -> None:
    got = _run(TINY, tmp_path)
    assert got["default"] == got["iterparse"]
    assert got["written_back"] == got["iterparse"]
    assert got["default"][0] == 3  # tiny.xes: three events


def test_pm4py_default_reader_on_a_real_log(tmp_path: Path) -> None:
    got = _run(shared_log("running-example.xes"), tmp_path)
    assert got["default"][:2] == [42, 6]
    assert got["default"] == got["iterparse"] == got["written_back"]
