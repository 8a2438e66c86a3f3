"""The notebooks as committed: one per user task, each with its narrative, the manager's questions, figures a code
host shows (PNG), a "now your data" section, the bundled data found through ``flowmine.samples``, and their outputs
normalised by ``scripts/notebooks.py``. That they run — from a folder outside the checkout, against the installed
wheel — is ``tests/test_wheel.py``'s part."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from scripts.notebooks import normalise

nbformat = pytest.importorskip("nbformat")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


def test_one_notebook_per_user_task():
    assert NAMES == ["01_quickstart_your_csv.ipynb", "02_check_your_bpmn.ipynb", "03_why_is_a_step_slow.ipynb",
                     "04_evaluate_an_initiative.ipynb", "05_sap_tables_to_process.ipynb"]


def _read(name: str):
    return nbformat.read(NOTEBOOKS / name, as_version=4)


@pytest.mark.parametrize("name", NAMES)
def test_a_notebook_teaches(name):
    nb = _read(name)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    headings = re.findall(r"^#+ (.+)$", markdown, flags=re.M)
    assert "The manager's questions" in markdown
    assert any(h.startswith("Now your data") for h in headings), headings
    assert any(h.startswith("What we found") for h in headings), headings
    assert len(headings) >= 6 and len(markdown.split()) >= 300, "a narrative, not a heading and code"
    assert "flowmine.samples" in code or "from flowmine import samples" in code
    assert "sample_logs" not in code and "../" not in code, "the data is found through the package"


@pytest.mark.parametrize("name", NAMES)
def test_a_notebook_is_committed_with_its_outputs_normalised(name):
    nb = _read(name)
    assert normalise(nb) == nb, "run `python scripts/notebooks.py` to execute and normalise it"
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    pngs = [base64.b64decode(o.data["image/png"]) for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) >= 2, "figures a code host renders: PNG"
    assert max(len(p) for p in pngs) < 80_000
    assert not [o for o in outputs if "text/html" in o.get("data", {}) and len(o.data["text/html"]) > 20_000]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert not re.search(r"/tmp/|/home/|site-packages|[A-Z]:\\\\", text), "no path of the machine that ran it"
    assert (NOTEBOOKS / name).stat().st_size < 250_000


def test_normalise_strips_what_changes_from_run_to_run():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", execution_count=7)])
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=7)]
    nb.cells[0].metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    clean = normalise(nb)
    cell = clean.cells[0]
    assert (cell.execution_count, cell.outputs[0].execution_count, cell.id) == (None, None, "c00")
    assert "execution" not in cell.metadata and clean.metadata["language_info"] == {"name": "python"}
    assert cell.outputs[0].data == {"text/plain": "2"} and nb.cells[0].execution_count == 7  # a copy
