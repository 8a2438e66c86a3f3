"""The built wheel, installed alone in a fresh virtual environment, outside the checkout: it carries the package
data (sample logs, process definitions, extraction profiles, dashboard assets), ``flowmine demo`` builds the sample
store from it, and every notebook runs against it.

The wheel is built from a copy of the sources (``pip wheel --no-build-isolation``: nothing is downloaded, the
project's pinned setuptools builds it). The fresh venv has no flowmine but the wheel's; it reaches the *dependencies*
(pandas, pm4py, nbclient, ...) through one ``.pth`` line naming the running environment's site-packages, since
installing them again would mean downloading them. A ``.pth`` line adds that folder to ``sys.path`` without
processing the ``.pth`` files in it, so the project's editable install stays invisible: each test asserts that
``flowmine`` is imported from the venv. Marked ``wheel`` (``pytest -m "not wheel"`` skips the ~3 minutes it takes).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


def _run(args: list[str | Path], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "FLOWMINE_PROCESSES")}
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src" / "flowmine", source / "src" / "flowmine",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                "-w", base / "dist", "."], cwd=source)
    assert out.returncode == 0, out.stderr
    (built,) = (base / "dist").glob("*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel; the python to run."""
    folder = tmp_path_factory.mktemp("venv") / "venv"
    out = _run([sys.executable, "-m", "venv", "--without-pip", folder], cwd=folder.parent)
    assert out.returncode == 0, out.stderr
    python = folder / "bin" / "python"
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=folder)
    dependencies = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (Path(site.stdout.strip()) / "_dependencies.pth").write_text("\n".join(dependencies) + "\n", encoding="utf-8")
    out = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel],
               cwd=folder.parent)
    assert out.returncode == 0, out.stderr
    return python


def test_the_wheel_carries_the_package_data(wheel):
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(whl.read(metadata).decode())
        (entry,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_points = whl.read(entry).decode()
        data = [i for i in whl.infolist() if i.filename.startswith("flowmine/samples/data/")]
    assert (meta["Name"], meta["License-Expression"]) == ("flowmine-pm", "AGPL-3.0-or-later")
    assert "flowmine = flowmine.cli:run" in entry_points
    shipped = {i.filename.removeprefix("flowmine/samples/data/") for i in data}
    in_checkout = {p.name for p in (ROOT / "src" / "flowmine" / "samples" / "data").iterdir() if p.is_file()}
    assert shipped == in_checkout
    assert sum(i.file_size for i in data) < 20 * 2**20
    for process in ("sales", "procurement", "production", "finance"):
        assert f"flowmine/processes/definitions/{process}/model.bpmn" in names
        assert f"flowmine/processes/definitions/{process}/process.toml" in names
    assert "flowmine/extract/profiles/sap-o2c.toml" in names
    assert "flowmine/dashboard/assets/dashAgGridFunctions.js" in names
    assert not [n for n in names if n.startswith(("tests/", "notebooks/", "sample_logs/"))]


def test_the_installed_package_reads_its_data_from_the_venv(venv, tmp_path):
    code = ("import json, flowmine, flowmine.samples as s, flowmine.processes as p; "
            "print(json.dumps([flowmine.__file__, str(s.folder()), str(s.path('procurement')), "
            "str(p.packaged_folder()), sorted(p.list_processes())]))")
    out = _run([venv, "-c", code], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    module, folder, procurement, definitions, processes = json.loads(out.stdout)
    prefix = str(venv.parent.parent)
    assert all(p.startswith(prefix) for p in (module, folder, procurement, definitions)), (module, prefix)
    assert Path(procurement).stat().st_size == (ROOT / "sample_logs" / "procurement_events_gbk.csv").stat().st_size
    assert processes == ["finance", "procurement", "production", "sales"]


def test_flowmine_demo_runs_from_the_wheel_outside_the_checkout(venv, tmp_path):
    from flowmine.store import Store

    out = _run([venv.parent / "flowmine", "demo", "--no-serve", "--store", tmp_path / "store"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    info = Store(tmp_path / "store").info()
    events = {p["process"]: p["events"] for p in info["processes"]}
    assert events == {"finance": 31911, "procurement": 45963, "production": 25342, "sales": 46587,
                      "sales_dirty": 44, "sales_sap": 9945, "sales_sap_delivery": 6742, "sales_sap_invoice": 2190}
    assert (tmp_path / "ocel" / "sales_sap.jsonocel").is_file()


#: a value each notebook computes, as its output shows it (the notebooks also assert their findings themselves)
SHOWN = {
    "01_quickstart_your_csv.ipynb": "rows read 31,911 = 31,911 events loaded",
    "02_check_your_bpmn.ipynb": "fitness 0.9933, precision 0.9995, cases that fit the model: 93.3%",
    "03_why_is_a_step_slow.ipynb": "GM approval: 39% of all waiting",
    "04_evaluate_an_initiative.ipynb": "effect -4.39 h",
    "05_sap_tables_to_process.ipynb": "34,619 table rows read, 34,619 used, 0 quarantined",
}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_notebook_runs_from_the_wheel_outside_the_checkout(name, venv, tmp_path):
    out = _run([venv, ROOT / "scripts" / "notebooks.py", "--check", "--out", tmp_path, name], cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    nb = nbformat.read(tmp_path / name, as_version=4)
    shown = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert SHOWN[name] in shown
