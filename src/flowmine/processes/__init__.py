"""The documented processes: one definition folder each (configuration, reference model, rules).

A process is a folder ``<name>/`` with ``process.toml`` (reference model, calendar, EN/ZH labels,
rules, KPI targets), its ``model.bpmn``, optionally ``layout.toml`` (the grid the model is drawn
from: ``python -m flowmine.processes.models``) and ``initiatives/*.toml``. Four ship as package
data; the directories named by ``FLOWMINE_PROCESSES`` are searched first (:func:`search_path`).
:func:`load_process` reads one definition (raising every problem in it), :func:`configured` all of
them (the valid ones beside the problems of the others); :func:`reference_net` turns a BPMN model
into a pm4py Petri net; :func:`check_rules` is the reference implementation of the rule kinds;
:func:`read_diagram` reads a BPMN model's own diagram (shapes and routes) for drawing it.
The simulator and every face read these definitions; nothing here imports them.
"""

from __future__ import annotations

from typing import Any

from flowmine.processes._config import (
    Duration,
    Kpi,
    Problem,
    ProcessConfig,
    Rule,
    _rule,
    list_processes,
    load_process,
)
from flowmine.processes._configured import Configured, configured
from flowmine.processes._diagram import GATEWAYS, Diagram, Flow, Shape, read_diagram
from flowmine.processes._net import is_sound, reference_net
from flowmine.processes._rules import check_rules
from flowmine.processes._where import ENV, definition_folders, packaged_folder, search_path

__all__ = [
    "ENV",
    "GATEWAYS",
    "Configured",
    "Diagram",
    "Duration",
    "Flow",
    "Kpi",
    "Problem",
    "ProcessConfig",
    "Rule",
    "Shape",
    "check_rules",
    "configured",
    "definition_folders",
    "is_sound",
    "list_processes",
    "load_process",
    "packaged_folder",
    "parse_rule",
    "read_diagram",
    "reference_net",
    "search_path",
]


def parse_rule(raw: dict[str, Any], where: str, activities: dict[str, Any], problems: list[str]) -> Rule | None:
    """One ``[[rule]]`` table as a :class:`Rule`, the way a process configuration reads it.

    ``where`` names the table in messages; an activity not in ``activities`` is reported. Problems are
    appended to ``problems`` (all of them, not only the first) and None is returned for an unusable
    table. ``flowmine.conformance.read_rules`` reads a separate rules file with it.
    """
    return _rule(raw, where, activities, problems)
