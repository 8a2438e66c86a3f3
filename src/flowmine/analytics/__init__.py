"""Performance analytics per step: time, bottlenecks, cost, quality, resources, flow and variants.

Metrics are nouns with a ``level=`` argument (bupaR style) and return tidy pandas frames with
documented, stable columns (the registry ``METRICS`` declares each metric's levels, columns and
options once; ``metric(name)`` looks one up; durations are float seconds, ``_s``). Every
metric takes a log: a canonical DataFrame or Arrow table, or ``stored(store, process)`` to read a
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
"""

from flowmine.analytics._bottlenecks import bottlenecks, slowest_cases
from flowmine.analytics._calendar import Calendar, business_duration
from flowmine.analytics._cost import cost
from flowmine.analytics._figures import bottleneck_chart, throughput_histogram, trend_chart
from flowmine.analytics._filters import CaseFilter, filter_cases
from flowmine.analytics._flow import directly_follows, flow, variants
from flowmine.analytics._held import hold, release
from flowmine.analytics._log import AnalyticsError, LogLike, StoredLog, stored
from flowmine.analytics._prepare import prepare
from flowmine.analytics._profile import profile
from flowmine.analytics._quality import quality, rework
from flowmine.analytics._registry import COLUMN_TYPES, COLUMNS, METRICS, InProfile, Metric, metric
from flowmine.analytics._relations import instances
from flowmine.analytics._resources import handovers, workload
from flowmine.analytics._time import queue_time, service_time, sojourn_time, throughput_time, waiting_time

__all__ = [
    "COLUMNS",
    "COLUMN_TYPES",
    "METRICS",
    "AnalyticsError",
    "Calendar",
    "CaseFilter",
    "InProfile",
    "LogLike",
    "Metric",
    "StoredLog",
    "bottleneck_chart",
    "bottlenecks",
    "business_duration",
    "cost",
    "directly_follows",
    "filter_cases",
    "flow",
    "handovers",
    "hold",
    "instances",
    "metric",
    "prepare",
    "profile",
    "quality",
    "queue_time",
    "release",
    "rework",
    "service_time",
    "slowest_cases",
    "sojourn_time",
    "stored",
    "throughput_histogram",
    "throughput_time",
    "trend_chart",
    "variants",
    "waiting_time",
    "workload",
]
