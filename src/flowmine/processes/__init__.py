"""The four documented processes: configuration, reference models and business rules.

:func:`load_process` reads ``dashboards/<process>.toml`` (reference model, calendar, EN/ZH
labels, rules, KPI targets); :func:`reference_net` turns the BPMN model into a pm4py Petri net;
:func:`check_rules` is the reference implementation of the rule kinds. The models themselves are
rebuilt from hand-made layouts by ``python -m flowmine.processes.models``.
"""

from __future__ import annotations

from typing import Any

from flowmine.processes._config import (
    Duration,
    Kpi,
    ProcessConfig,
    Rule,
    _rule,
    configured,
    list_processes,
    load_process,
)
from flowmine.processes._net import is_sound, reference_net
from flowmine.processes._rules import check_rules

__all__ = [
    "Duration",
    "Kpi",
    "ProcessConfig",
    "Rule",
    "check_rules",
    "configured",
    "is_sound",
    "list_processes",
    "load_process",
    "parse_rule",
    "reference_net",
]


def parse_rule(raw: dict[str, Any], where: str, activities: dict[str, Any], problems: list[str]) -> Rule | None:
    """One ``[[rule]]`` table as a :class:`Rule`, the way a process configuration reads it.

    ``where`` names the table in messages; an activity not in ``activities`` is reported. Problems are
    appended to ``problems`` (all of them, not only the first) and None is returned for an unusable
    table. ``flowmine.conformance.read_rules`` reads a separate rules file with it.
    """
    return _rule(raw, where, activities, problems)
