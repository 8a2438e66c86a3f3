"""The four documented processes: configuration, reference models and business rules.

:func:`load_process` reads ``dashboards/<process>.toml`` (reference model, calendar, EN/ZH
labels, rules, KPI targets); :func:`reference_net` turns the BPMN model into a pm4py Petri net;
:func:`check_rules` is the reference implementation of the rule kinds. The models themselves are
rebuilt from hand-made layouts by ``python -m flowmine.processes.models``.
"""

from __future__ import annotations

from flowmine.processes._config import (
    Duration,
    Kpi,
    ProcessConfig,
    Rule,
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
    "reference_net",
]
