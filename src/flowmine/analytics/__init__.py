"""Performance analytics per step: time, bottlenecks, cost, quality, resources, flow and variants.

Metrics are nouns with a ``level=`` argument (bupaR style) and return tidy pandas frames with
documented, stable columns (the registry ``METRICS`` declares each metric's levels, columns and
options once; ``metric(name)`` looks one up; durations are float seconds, ``_s``). Every
metric takes a log (``LogLike``): a canonical DataFrame or Arrow table, or ``stored(store, process)`` to read a
store's Parquet in place. The per-event work runs in DuckDB (``_sql``: portable SQL, in the canonical
order of activity instances: start, else completion, else ready time; then completion, event_id);
the profile behind ``flowmine perf`` also has a compiled single-pass engine (``_fast``) kept
identical by a contract test. Definitions: ``docs/ANALYTICS.md`` and the glossary.

Examples
--------
>>> from flowmine.analytics import bottlenecks, stored, throughput_time
>>> fin = stored(STORE, "finance")  # STORE: a store's path, e.g. "build/store"
>>> throughput_time(fin)["cases"].tolist()
[6000]
>>> bottlenecks(fin, kind="activity")["name"].iloc[0]
'GM approval'

For the packages above it (engines, discovery, conformance) the door also opens onto the SQL layer:
``Engine`` (the DuckDB engine every metric runs on), the hook ``OPENER`` (a ``ContextVar`` holding
the opener of another engine for a block, as ``flowmine.engines.use_spark`` sets it) and
:func:`register_engine` (a named engine for ``profile(engine=...)``), ``CORE_COLUMNS`` (the columns
metrics read), :func:`as_table`, the canonical relations' SQL (:func:`instances_sql`,
:func:`cases_sql`, :func:`log_order`, :func:`edge_sql`, :func:`variants_sql` and :class:`Variants`),
:func:`scratch` and :func:`q`, :func:`held_engine`, business time on an engine's relations
(:func:`in_business_time`, and :func:`business_sql` for a duration derived from them), and the compiled map pass
(:func:`fast_path_available`, :func:`map_frames`; loaded on first use, so
importing analytics does not load numba). An engine plugs in through the hook; analytics never imports one.
"""

from typing import TYPE_CHECKING, Any

from flowmine.analytics._bottlenecks import bottlenecks, slowest_cases
from flowmine.analytics._calendar import Calendar, business_duration, business_sql
from flowmine.analytics._case_table import CASE_TABLE_COLUMNS, case_table, case_waits
from flowmine.analytics._cases import (
    attribute_values,
    case_costs,
    case_timeline,
    cost_per_case,
    numeric_ranges,
    thin_periods,
)
from flowmine.analytics._common import in_business_time
from flowmine.analytics._cost import cost
from flowmine.analytics._events import EventFilter
from flowmine.analytics._figures import bottleneck_chart, throughput_histogram, trend_chart
from flowmine.analytics._filters import CaseFilter
from flowmine.analytics._flow import directly_follows, edge_sql, flow, variant_stats
from flowmine.analytics._held import held_engine, hold, kept_case_ids, release
from flowmine.analytics._log import CORE_COLUMNS, LogLike, StoredLog, stored
from flowmine.analytics._prepare import prepare
from flowmine.analytics._profile import profile
from flowmine.analytics._quality import quality, rework
from flowmine.analytics._registry import COLUMN_TYPES, COLUMNS, METRICS, InProfile, Metric, metric
from flowmine.analytics._relations import instances, ready_times, to_micros
from flowmine.analytics._resources import busy_intervals, busy_seconds, busy_spans, handovers, workload
from flowmine.analytics._sql import OPENER, Engine, cases_sql, instances_sql, log_order, q, register_engine, scratch
from flowmine.analytics._table import as_table, check_filter, count_cases, filter_cases, filter_events
from flowmine.analytics._time import queue_time, service_time, sojourn_time, throughput_time, waiting_time
from flowmine.analytics._variants import Variants, variants_in_order, variants_sql
from flowmine.errors import AnalyticsError, TooManyActivitiesError

if TYPE_CHECKING:
    from flowmine.analytics._fast import available as fast_path_available
    from flowmine.analytics._fast import map_frames

#: Names served from the compiled module on first use (importing it loads numba).
_LAZY = {"fast_path_available": "available", "map_frames": "map_frames"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from flowmine.analytics import _fast

        return getattr(_fast, _LAZY[name])
    raise AttributeError(f"module 'flowmine.analytics' has no attribute {name!r}")


__all__ = [
    "CASE_TABLE_COLUMNS",
    "COLUMNS",
    "COLUMN_TYPES",
    "CORE_COLUMNS",
    "METRICS",
    "OPENER",
    "AnalyticsError",
    "Calendar",
    "CaseFilter",
    "Engine",
    "EventFilter",
    "InProfile",
    "LogLike",
    "Metric",
    "StoredLog",
    "TooManyActivitiesError",
    "Variants",
    "as_table",
    "attribute_values",
    "bottleneck_chart",
    "bottlenecks",
    "business_duration",
    "business_sql",
    "busy_intervals",
    "busy_seconds",
    "busy_spans",
    "case_costs",
    "case_table",
    "case_timeline",
    "case_waits",
    "cases_sql",
    "check_filter",
    "cost",
    "cost_per_case",
    "count_cases",
    "directly_follows",
    "edge_sql",
    "fast_path_available",
    "filter_cases",
    "filter_events",
    "flow",
    "handovers",
    "held_engine",
    "hold",
    "in_business_time",
    "instances",
    "instances_sql",
    "kept_case_ids",
    "log_order",
    "map_frames",
    "metric",
    "numeric_ranges",
    "prepare",
    "profile",
    "q",
    "quality",
    "queue_time",
    "ready_times",
    "register_engine",
    "release",
    "rework",
    "scratch",
    "service_time",
    "slowest_cases",
    "sojourn_time",
    "stored",
    "thin_periods",
    "throughput_histogram",
    "throughput_time",
    "to_micros",
    "trend_chart",
    "variant_stats",
    "variants_in_order",
    "variants_sql",
    "waiting_time",
    "workload",
]
