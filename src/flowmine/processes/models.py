"""Redraw the reference models from their layouts: ``python -m flowmine.processes.models [FOLDER]``.

Each definition with a ``layout.toml`` gets its ``model.bpmn`` rewritten beside it (or, with
FOLDER, ``FOLDER/<process>.bpmn``). The files are committed; this module keeps them reproducible
and in step with the activity names and labels of ``process.toml`` (a test checks the committed
files equal what it writes).
"""

from __future__ import annotations

import sys
from pathlib import Path

from flowmine.errors import InputError
from flowmine.models import to_bpmn
from flowmine.processes._config import ProcessConfig, definition_path, read_definition
from flowmine.processes._layouts import LAYOUT, read_layout
from flowmine.processes._where import definition_folders


def _definition(process: str) -> ProcessConfig:
    """The definition of ``process``, checked but for its reference model (which is drawn from it)."""
    path = definition_path(process)
    if path is None:
        raise InputError(process, f"no process configuration; known: {list(definition_folders())}")
    cfg, problems = read_definition(path, process, model_required=False)
    if cfg is None:
        raise InputError(str(path), "; ".join(str(p) for p in problems))
    return cfg


def bpmn_text(process: str) -> str:
    """The BPMN XML of a process's reference model, drawn from its layout."""
    return to_bpmn(read_layout(_definition(process)))


def drawn() -> list[str]:
    """The processes whose definition has a layout."""
    return [name for name, folder in definition_folders().items() if (folder / LAYOUT).is_file()]


def write_models(folder: Path | None = None) -> list[Path]:
    """Write every drawn reference model (into ``folder`` when given, created if missing); return the paths."""
    paths = []
    for name in drawn():
        cfg = _definition(name)
        if folder is None:
            path = cfg.reference_model
        else:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{name}.bpmn"
        path.write_text(to_bpmn(read_layout(cfg)), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    for path in write_models(Path(args[0]) if args else None):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
