"""Monitor, evaluate, improve: KPI history, control charts and before/after evaluation of initiatives.

The data-driven steps of the improvement cycle (set the goal → describe the current process → find the
key steps → design → plan → implement → **monitor and evaluate** → improve again):

* :func:`kpi_periods` / :func:`monitor`: every ``[[kpi]]`` of a process configuration per period, kept
  in ``STORE/monitor.duckdb`` (incremental, idempotent), judged against its target and its control
  chart (:func:`individuals_chart`, :func:`p_chart`, :func:`run_rules`);
* :func:`load_initiatives` / :func:`evaluate_initiative`: an improvement written in a TOML file,
  evaluated by comparing the period after its change date with the baseline before it;
* :func:`predict_initiative`: the initiative's ``[scenario]`` simulated on the data before its change
  date (``flowmine.simulation``), its predicted effect beside the achieved one.

``METRICS`` names the KPI measures a ``[[kpi]]`` may use, ``VERDICTS`` an evaluation's outcomes.
See ``docs/MONITOR.md``.

Examples
--------
>>> from flowmine.monitor import monitor
>>> monitor(STORE, "finance").exit_code  # STORE: a store's path; 1: a KPI is off target
1
"""

from flowmine.monitor._evaluate import VERDICTS, Evaluation, evaluate_initiative
from flowmine.monitor._figures import before_after_figure, control_chart_figure, figure_html
from flowmine.monitor._history import history_path
from flowmine.monitor._history import read as read_history
from flowmine.monitor._initiative import STEP_LABELS, Initiative, load_initiative, load_initiatives
from flowmine.monitor._kpi import METRICS, case_data, kpi_periods, on_target, target_value
from flowmine.monitor._monitor import KpiStatus, MonitorResult, control_chart, kpi_status, monitor, refresh_history
from flowmine.monitor._predict import Prediction, goal_value, predict_initiative
from flowmine.monitor._spc import RULES, ControlChart, RuleHit, individuals_chart, p_chart, run_rules

__all__ = [
    "METRICS",
    "RULES",
    "STEP_LABELS",
    "VERDICTS",
    "ControlChart",
    "Evaluation",
    "Initiative",
    "KpiStatus",
    "MonitorResult",
    "Prediction",
    "RuleHit",
    "before_after_figure",
    "case_data",
    "control_chart",
    "control_chart_figure",
    "evaluate_initiative",
    "figure_html",
    "goal_value",
    "history_path",
    "individuals_chart",
    "kpi_periods",
    "kpi_status",
    "load_initiative",
    "load_initiatives",
    "monitor",
    "on_target",
    "p_chart",
    "predict_initiative",
    "read_history",
    "refresh_history",
    "run_rules",
    "target_value",
]
