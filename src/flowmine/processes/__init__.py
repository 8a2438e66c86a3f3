"""The documented processes: one definition folder each (configuration, reference model, rules).

A process is a folder ``<name>/`` with ``process.toml`` (reference model, calendar, EN/ZH labels,
rules, KPI targets), its ``model.bpmn``, optionally ``layout.toml`` (the grid the model is drawn
from: ``python -m flowmine.processes.models``) and ``initiatives/*.toml``. Four ship as package
data; the directories named by ``FLOWMINE_PROCESSES`` are searched first (:func:`search_path`).
:func:`load_process` reads one definition (raising every problem in it), :func:`configured` all of
them (the valid ones beside the problems of the others); :func:`reference_net` turns a BPMN model
into a pm4py Petri net; :func:`check_rules` is the reference implementation of the rule kinds.
The simulator and every face read these definitions; nothing here imports them.
"""

from __future__ import annotations

from flowmine.processes._config import (
    Duration,
    Kpi,
    Problem,
    ProcessConfig,
    Rule,
    list_processes,
    load_process,
)
from flowmine.processes._configured import Configured, configured
from flowmine.processes._net import is_sound, reference_net
from flowmine.processes._rules import check_rules
from flowmine.processes._where import ENV, definition_folders, packaged_folder, search_path

__all__ = [
    "ENV",
    "Configured",
    "Duration",
    "Kpi",
    "Problem",
    "ProcessConfig",
    "Rule",
    "check_rules",
    "configured",
    "definition_folders",
    "is_sound",
    "list_processes",
    "load_process",
    "packaged_folder",
    "reference_net",
    "search_path",
]
