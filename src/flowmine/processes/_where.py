"""Where process definitions are found: configured directories first, then the packaged ones.

A process is one folder ``<name>/`` holding ``process.toml`` (configuration, labels, rules, KPI
targets), the reference model it names (``model.bpmn``), optionally ``layout.toml`` (the grid the
model is drawn from) and ``initiatives/*.toml``. flowmine ships four such folders as package data
(``flowmine/processes/definitions/``, read through :mod:`importlib.resources`, so an installed wheel
has them). A user adds or overrides processes with the environment variable ``FLOWMINE_PROCESSES``:
directories of process folders, separated by ``os.pathsep`` (``:`` on Linux), searched in order
before the packaged ones; the first folder of a name wins.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

#: The environment variable naming directories of process folders (searched first).
ENV = "FLOWMINE_PROCESSES"
#: The file that makes a folder a process definition.
DEFINITION = "process.toml"


def packaged_folder() -> Path:
    """The folder of the process definitions shipped with flowmine (package data)."""
    return Path(str(resources.files("flowmine.processes").joinpath("definitions")))


def configured_folders() -> list[Path]:
    """The directories named by ``FLOWMINE_PROCESSES``, in order (empty entries skipped)."""
    raw = os.environ.get(ENV, "")
    return [Path(part).expanduser() for part in raw.split(os.pathsep) if part.strip()]


def search_path() -> list[Path]:
    """Every directory searched for process folders: the configured ones, then the packaged one."""
    return [*configured_folders(), packaged_folder()]


def candidates(folder: Path) -> list[Path]:
    """The sub-folders of ``folder`` that may be process definitions (hidden and ``_`` ones skipped)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def definition_folders() -> dict[str, Path]:
    """Process name → its definition folder, the first on :func:`search_path` for each name."""
    found: dict[str, Path] = {}
    for folder in search_path():
        for sub in candidates(folder):
            if (sub / DEFINITION).is_file():
                found.setdefault(sub.name, sub)
    return dict(sorted(found.items()))
