"""Rebuild ``models/<process>.bpmn`` from the hand-made layouts: ``python -m flowmine.processes.models``.

The files are committed; this module keeps them reproducible and in step with the simulator's
activity names (a test checks the committed files equal what it writes).
"""

from __future__ import annotations

import sys
from pathlib import Path

from flowmine.models import to_bpmn
from flowmine.processes._layouts import LAYOUTS


def bpmn_text(process: str) -> str:
    """The BPMN XML of a shipped process's reference model."""
    return to_bpmn(LAYOUTS[process]())


def write_models(folder: Path) -> list[Path]:
    """Write every reference model into ``folder`` (created if missing); return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in LAYOUTS:
        path = folder / f"{name}.bpmn"
        path.write_text(bpmn_text(name), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(__file__).resolve().parents[3] / "models"
    for path in write_models(folder):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
