"""Execute the notebooks and keep them with their outputs: ``python scripts/notebooks.py [NAME ...] [--check]``.

Each notebook is copied to a fresh temporary folder outside the checkout and run there top to bottom with nbclient
(one kernel each, on the Python running this script and the flowmine installed in it), so it finds the sample data
through ``flowmine.samples`` exactly as a user's copy would. The executed notebook is then normalised — execution
counts, timings, kernel and Python versions removed, cell ids numbered — and written back to ``notebooks/``, so a
re-run changes a committed notebook only where an output changed.

A notebook fails when a cell raises, writes to stderr (a warning), or shows a path of this machine (the temporary
folder, the home folder, the checkout or the Python installation). ``--check`` runs them without writing back and
exits 1 when one fails; ``--out DIR`` also keeps the executed, normalised copies in DIR (``tests/test_wheel.py``
reads them).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
TIMEOUT_S = 300  # per cell


def normalise(nb: Any) -> Any:
    """A copy of ``nb`` without what changes from run to run: execution counts, cell timings and ids, the kernel's
    and Python's versions. Outputs stay."""
    nb = copy.deepcopy(nb)
    nb.metadata = nbformat.from_dict({"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}})
    nb.nbformat, nb.nbformat_minor = 4, 5
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i:02d}"
        for key in ("execution", "ExecuteTime", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.execution_count = None
            for output in cell.outputs:
                if "execution_count" in output:
                    output.execution_count = None
                output.get("metadata", {}).pop("execution", None)
    return nb


def _texts(nb: Any) -> list[str]:
    texts: list[str] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") or mime.endswith("json"):
                    texts.append(value if isinstance(value, str) else str(value))
    return texts


def _machine_paths(workdir: Path) -> set[str]:
    paths = {str(workdir), tempfile.gettempdir(), str(Path.home()), str(NOTEBOOKS.parent), sys.prefix,
             sys.base_prefix}
    return {p for p in paths if len(p) > 4}  # "/", "/tmp" of a tiny prefix would match everything


def problems(nb: Any, workdir: Path) -> list[str]:
    """What makes an executed notebook unfit to commit: errors, stderr output, paths of this machine."""
    found: list[str] = []
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                found.append(f"cell {i}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                found.append(f"cell {i}: writes to stderr: {output.text.strip()[:200]}")
    texts = "\n".join(_texts(nb))
    found += [f"an output shows the path {p}" for p in sorted(_machine_paths(workdir)) if p in texts]
    return found


def execute(source: Path, workdir: Path) -> Any:
    """``source`` run top to bottom from a copy in ``workdir`` (its working directory); the executed notebook."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    copied = workdir / source.name
    shutil.copyfile(source, copied)
    nb = nbformat.read(copied, as_version=4)
    client = NotebookClient(nb, timeout=TIMEOUT_S, kernel_name=KERNELSPEC["name"], allow_errors=False,
                            record_timing=False, resources={"metadata": {"path": str(workdir)}})
    with contextlib.suppress(CellExecutionError):  # the error is in the cell's outputs; problems() reports it
        client.execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook file names (default: every notebook in notebooks/)")
    parser.add_argument("--check", action="store_true", help="run only; do not write the notebooks back")
    parser.add_argument("--out", type=Path, help="also write the executed, normalised notebooks here")
    args = parser.parse_args(argv)
    names = args.names or sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend draws the PNGs
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # ipykernel's debugger warns about frozen modules otherwise
    with tempfile.TemporaryDirectory(prefix="flowmine-kernel-") as kernels:
        _this_python_kernel(Path(kernels))
        return _run_all(names, args.check, args.out)


def _this_python_kernel(folder: Path) -> None:
    """Make the kernel ``python3`` this interpreter: a kernel spec first on ``JUPYTER_PATH``, ahead of a user's own
    ``python3`` spec that may name another Python (and another flowmine)."""
    spec = folder / "kernels" / KERNELSPEC["name"]
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": KERNELSPEC["display_name"],
                                                  "language": "python"}), encoding="utf-8")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(folder), os.environ.get("JUPYTER_PATH")) if p)


def _run_all(names: list[str], check: bool, out: Path | None) -> int:
    failed = 0
    for name in names:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="flowmine-notebook-") as tmp:
            workdir = Path(tmp).resolve()
            nb = execute(NOTEBOOKS / name, workdir)
            found = problems(nb, workdir)
        nb = normalise(nb)
        nbformat.validate(nb)
        print(f"{name}: {'ok' if not found else 'FAILED'} in {time.perf_counter() - started:.1f} s")
        for line in found:
            print(f"  {line}")
        failed += bool(found)
        if out:
            out.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, out / name)
        if not check and not found:
            nbformat.write(nb, NOTEBOOKS / name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
