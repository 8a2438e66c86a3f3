"""Every process defined on the search path, with every problem of every definition beside them.

The long-running faces (the dashboard, repeated checks) must not fail over one broken
configuration, and must not hide it either: :func:`configured` reads each definition folder (again
only when its ``process.toml`` changes, ``flowmine._remember``), keeps the processes that are valid
and returns the problems of the others, so a page can start with the good processes and show what
is wrong; :meth:`Configured.require` turns a process's problems into the one-line
:class:`~flowmine.errors.InputError` the CLI prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import overload

from flowmine._remember import remembered
from flowmine.processes._config import Problem, ProcessConfig, read_definition
from flowmine.processes._where import DEFINITION, ENV, candidates, configured_folders, search_path


@dataclass(frozen=True)
class Configured:
    """The valid process definitions by name, and the problems of the invalid ones (file order)."""

    processes: dict[str, ProcessConfig]
    problems: tuple[Problem, ...]

    def get(self, process: str | None) -> ProcessConfig | None:
        """The configuration of ``process``, or None when it has none or an invalid one."""
        return self.processes.get(process) if process is not None else None

    def problems_of(self, process: str) -> tuple[Problem, ...]:
        """The problems of the definition folder named ``process`` (none when it is valid or unknown)."""
        return tuple(p for p in self.problems if Path(p.file).parent.name == process)


def _read(folder: Path) -> tuple[ProcessConfig | None, tuple[Problem, ...]]:
    cfg, problems = read_definition(folder / DEFINITION, folder.name)
    return cfg, tuple(problems)


def _one(process: str) -> ProcessConfig | None:
    if not process or process.startswith((".", "_")) or "/" in process or "\\" in process:
        return None
    for folder in search_path():
        sub = folder / process
        if (sub / DEFINITION).is_file():
            cfg, _ = remembered("process definition", sub / DEFINITION, partial(_read, sub))
            return cfg
    return None


@overload
def configured() -> Configured: ...


@overload
def configured(process: str) -> ProcessConfig | None: ...


def configured(process: str | None = None) -> Configured | ProcessConfig | None:
    """Every process definition on the search path (``FLOWMINE_PROCESSES``, then the packaged ones),
    checked: the valid ones by name and the problems of all the others. ``configured(name)`` is
    ``configured().get(name)``: one process's configuration, or None when it has none or an invalid one.

    A name defined in several directories is read from the first (a configured directory overrides
    a packaged process). A configured directory that does not exist, and a folder in it without a
    ``process.toml``, are problems too.

    Examples
    --------
    >>> from flowmine.processes import configured
    >>> found = configured()
    >>> sorted(found.processes)[:2], found.get("finance").label_zh
    (['finance', 'procurement'], '财务')
    """
    if process is not None:  # one folder looked up, not all of them read: the dashboard asks on every page
        return _one(process)
    processes: dict[str, ProcessConfig] = {}
    problems: list[Problem] = []
    seen: set[str] = set()
    configured_dirs = configured_folders()
    for folder in configured_dirs:
        if not folder.is_dir():
            problems.append(Problem(str(folder), ENV, "a directory of process folders", "no such directory"))
    for folder in search_path():
        for sub in candidates(folder):
            path = sub / DEFINITION
            if not path.is_file():
                if folder in configured_dirs:
                    problems.append(Problem(str(sub), "(folder)", f"a process folder with a {DEFINITION}", "none"))
                continue
            if sub.name in seen:
                continue
            seen.add(sub.name)
            cfg, found = remembered("process definition", path, partial(_read, sub))
            problems += found
            if cfg is not None:
                processes[sub.name] = cfg
    return Configured(dict(sorted(processes.items())), tuple(problems))
