"""The metric registry: every metric declared once, with its levels, columns, column types and options.

Each :class:`Metric` names its function, the levels it computes (``level=`` or, for bottlenecks,
``kind=``) with the columns each level returns (the tuples the metric's own module selects, so the
columns exist once), the options whose values are a closed set, and where the performance profile
(and so its compiled engine, ``_fast``) carries the same numbers (:class:`InProfile`). Defaults are
read from the function's signature, never written twice. The type of a column is declared once for
every metric (``COLUMN_TYPES``: a column name means one thing, in one type, everywhere).

The contract test (``tests/test_analytics_contract.py``) is generated from ``METRICS``, as
scikit-learn's ``parametrize_with_checks`` generates its estimator checks: every metric × level on
every kind of log, and on the engines that compute it. ``COLUMNS`` (metric, level) → columns is
derived from the registry. Adding a metric: its function, its entry below, its row in
``docs/ANALYTICS.md`` (a test compares the table with the registry), its export in ``__init__``.

Examples
--------
>>> from flowmine.analytics import METRICS, metric
>>> metric("waiting_time").columns("activity")[:3]
('activity', 'instances', 'total_s')
>>> metric("bottlenecks").level_option, sorted(metric("bottlenecks").levels)
('kind', ['activity', 'both', 'edge'])
>>> metric("flow").defaults()["by"]
'week'
>>> len(METRICS) >= 16
True
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from flowmine.analytics._bottlenecks import COLUMNS_BY_KIND, SLOWEST_COLUMNS, SLOWEST_KINDS, bottlenecks, slowest_cases
from flowmine.analytics._cost import COST_COLUMNS, RATE_BY, cost
from flowmine.analytics._flow import EDGE_COLUMNS, FLOW_COLUMNS, VARIANT_COLUMNS, directly_follows, flow, variant_stats
from flowmine.analytics._log import AnalyticsError, LogLike
from flowmine.analytics._quality import QUALITY, REWORK, quality, rework
from flowmine.analytics._relations import INSTANCE_COLUMNS, instances
from flowmine.analytics._resources import HANDOVER, WORKLOAD, handovers, workload
from flowmine.analytics._time import (
    PERIODS,
    QUEUE,
    SERVICE,
    SOJOURN,
    THROUGHPUT,
    WAITING,
    queue_time,
    service_time,
    sojourn_time,
    throughput_time,
    waiting_time,
)

#: The type of every metric column, by name: ``int`` (int64 counts), ``float`` (float64: seconds,
#: shares, rates, amounts; NaN where unknown), ``text`` (names, ids, codes) or ``time`` (UTC timestamps).
COLUMN_TYPES: dict[str, str] = {
    **dict.fromkeys(("cases", "instances", "instances_unpriced", "count", "executions", "repeated_executions",
                     "steps_repeated", "checks", "failed", "cases_with_rework", "cases_with_failed_check",
                     "activities", "arrivals", "completions", "wip", "length", "rank", "event_id", "pos",
                     "repetition"), "int"),
    **dict.fromkeys(("total_s", "mean_s", "median_s", "p90_s", "min_s", "max_s", "share", "throughput_s",
                     "duration_total_s", "duration_mean_s", "duration_median_s", "duration_p90_s",
                     "duration_min_s", "duration_max_s", "throughput_mean_s", "throughput_median_s",
                     "throughput_p90_s", "waiting_total_s", "waiting_mean_s", "waiting_median_s", "waiting_p90_s",
                     "waiting_s", "ci_low_s", "ci_high_s", "cost_total", "cost_mean", "rework_cost", "rework_rate",
                     "defect_rate", "first_pass_yield", "loop_back_share", "service_total_s", "service_mean_s",
                     "cost", "service_s", "sojourn_s", "edge_s", "queue_s"), "float"),
    **dict.fromkeys(("case", "activity", "resource", "role", "variant", "source", "target", "kind", "name",
                     "basis", "currency", "prev_activity", "quality", "outcome"), "text"),
    **dict.fromkeys(("start", "end", "period", "complete", "enabling_complete", "ready"), "time"),
}


@dataclass(frozen=True)
class InProfile:
    """Where :func:`~flowmine.analytics.profile` carries a metric's numbers at one level: the profile's
    ``section`` (a list of rows, or ``""`` for its top-level fields), the metric columns that identify
    a row (``key``, fields of the same name in the profile), and (profile field, metric column) pairs
    (a dotted field reads a nested dict). The profile is computed by the SQL engine and by the compiled
    one, so these are the numbers both engines must give. ``every_row``: the section lists every row of
    the metric (bottlenecks lists only the top ones). ``options``: the metric's and the profile's shared
    options for the comparison (``by`` of the periods)."""

    level: str
    section: str
    key: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]
    every_row: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    """One metric: its function, levels (level → columns), closed-set options and profile fields.

    ``level_option`` is the parameter that picks the level (``"level"``, ``"kind"``), or None for a
    metric with one level whose function has no such parameter. ``options`` maps other parameters to
    their allowed values; ``needs`` names the parameters without a default (a bottleneck's ``name``)."""

    name: str
    function: Callable[..., pd.DataFrame]
    levels: Mapping[str, tuple[str, ...]]
    summary: str
    level_option: str | None = "level"
    options: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    needs: tuple[str, ...] = ()
    in_profile: tuple[InProfile, ...] = ()

    def columns(self, level: str) -> tuple[str, ...]:
        """The declared columns of ``level``, in order."""
        if level not in self.levels:
            raise AnalyticsError(f"The {self.level_option or 'level'!r} parameter of {self.name} must be one of "
                                 f"{set(self.levels)}. "
                                 f"Got {level!r} instead.")
        return self.levels[level]

    def types(self, level: str) -> dict[str, str]:
        """Column → declared type (``COLUMN_TYPES``) of ``level``."""
        return {c: COLUMN_TYPES[c] for c in self.columns(level)}

    def defaults(self) -> dict[str, Any]:
        """The function's parameters (except the log) with their defaults (read from its signature)."""
        params = list(inspect.signature(self.function).parameters.values())[1:]
        return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}

    def allowed(self) -> dict[str, tuple[Any, ...]]:
        """Every closed-set option with its allowed values, the level's option first."""
        out = {self.level_option: tuple(self.levels)} if self.level_option else {}
        return out | dict(self.options)

    def __call__(self, log: LogLike, level: str | None = None, **options: Any) -> pd.DataFrame:
        """Compute the metric at ``level`` (default: the function's default level)."""
        if level is not None:
            self.columns(level)
            if self.level_option:
                options[self.level_option] = level
        return self.function(log, **options)


def _instance_metric(name: str, function: Callable[..., pd.DataFrame], levels: Mapping[str, tuple[str, ...]],
                   summary: str, field_name: str) -> Metric:
    return Metric(name, function, levels, summary, in_profile=(
        InProfile("activity", "activities", ("activity",), ((field_name, "median_s"),)),))


_BOTTLENECK_FIELDS = (("rank", "rank"), ("waiting_total_s", "waiting_total_s"), ("share", "share"),
                      ("waiting_median_s", "waiting_median_s"), ("cases", "cases"))

#: Every metric, by name (sorted).
METRICS: dict[str, Metric] = {m.name: m for m in sorted((
    Metric("throughput_time", throughput_time, THROUGHPUT,
           "Throughput time (case duration): last completion minus first start.",
           options={"by": PERIODS},
           in_profile=(InProfile("log", "", (), (("cases", "cases"), ("throughput_time_s.median", "median_s"),
                                                 ("throughput_time_s.mean", "mean_s"),
                                                 ("throughput_time_s.p90", "p90_s"))),)),
    _instance_metric("service_time", service_time, SERVICE,
                   "Service time: completion minus start of an instance (unknown without a start).",
                   "service_time_median_s"),
    _instance_metric("waiting_time", waiting_time, WAITING,
                   "Waiting time: start minus the completion of the enabling instance.", "waiting_time_median_s"),
    _instance_metric("queue_time", queue_time, QUEUE,
                   "Queue time: start minus the ready (scheduled) time.", "queue_time_median_s"),
    _instance_metric("sojourn_time", sojourn_time, SOJOURN,
                   "Sojourn time: completion minus the previous completion in the case.", "sojourn_time_median_s"),
    Metric("directly_follows", directly_follows, {"edge": EDGE_COLUMNS},
           "Directly-follows edges A → B with their count and duration (pm4py's performance DFG).",
           in_profile=(InProfile("edge", "edges", ("source", "target"), (
               ("count", "count"), ("duration_mean_s", "duration_mean_s"),
               ("duration_median_s", "duration_median_s"), ("duration_p90_s", "duration_p90_s"))),)),
    Metric("variant_stats", variant_stats, {"variant": VARIANT_COLUMNS},
           "Variants (activity sequences) with their cases, share and throughput time."),
    Metric("flow", flow, {"period": FLOW_COLUMNS},
           "Arrivals, completions and work in progress per period, with the throughput-time trend.",
           level_option=None, options={"by": PERIODS},
           in_profile=(InProfile("period", "periods", ("period",), (
               ("arrivals", "arrivals"), ("completions", "completions"), ("wip", "wip"),
               ("throughput_time_median_s", "throughput_median_s")), options={"by": "week"}),)),
    Metric("bottlenecks", bottlenecks, COLUMNS_BY_KIND,
           "Steps and edges ranked by the total waiting time they add, with a bootstrap interval.",
           level_option="kind",
           in_profile=(InProfile("both", "bottlenecks", ("kind", "name"), _BOTTLENECK_FIELDS, every_row=False),)),
    Metric("slowest_cases", slowest_cases, {"case": SLOWEST_COLUMNS},
           "The cases that wait longest at one bottleneck (the drill-down of a bottlenecks row).",
           level_option=None, options={"kind": SLOWEST_KINDS}, needs=("name",)),
    Metric("cost", cost, COST_COLUMNS,
           "Cost per currency: the cost attribute, or a rate × service time; and the cost of rework.",
           options={"rate_by": RATE_BY}),
    Metric("rework", rework, REWORK,
           "Rework: executions of a step beyond the first in a case; rework rate of a step.",
           in_profile=(InProfile("activity", "activities", ("activity",),
                                 (("rework_rate", "rework_rate"), ("cases", "cases"))),)),
    Metric("quality", quality, QUALITY,
           "Defect (failed-check) rate, rework rate, first-pass yield and loop-back share."),
    Metric("workload", workload, WORKLOAD,
           "Workload per resource or role, or the resources' involvement per step."),
    Metric("handovers", handovers, HANDOVER,
           "Handover of work between resources (or roles) of consecutive instances."),
    Metric("instances", instances, {"instance": INSTANCE_COLUMNS},
           "One row per activity instance with its relations: what every metric groups.", level_option=None),
), key=lambda m: m.name)}

#: Declared output columns of every metric and level, derived from ``METRICS``.
COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {
    (m.name, level): cols for m in METRICS.values() for level, cols in m.levels.items()}


def metric(name: str) -> Metric:
    """The registered metric called ``name``."""
    if name not in METRICS:
        raise AnalyticsError(f"no metric {name!r}; the metrics are {sorted(METRICS)}")
    return METRICS[name]
