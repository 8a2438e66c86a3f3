"""Performance analytics per step: time, bottlenecks, cost, quality, resources, flow and variants.

Metrics are nouns with a ``level=`` argument (bupaR style) and return tidy pandas frames with
documented, stable columns (``COLUMNS`` declares them; durations are float seconds, ``_s``). Every
metric takes a log: a canonical DataFrame or Arrow table, or ``stored(store, process)`` to read a
store's Parquet in place. The per-event work runs in DuckDB (``_sql``: portable SQL, in the canonical
order of activity instances: start, else completion, else ready time; then completion, event_id);
the profile behind ``flowmine perf`` also has a compiled single-pass engine (``_fast``) kept
identical by a contract test. Definitions: ``docs/ANALYTICS.md`` and the glossary.

Examples
--------
>>> from flowmine.analytics import bottlenecks, stored, throughput_time
>>> fin = stored("/tmp/demo-store", "finance")  # doctest: +SKIP
>>> throughput_time(fin)  # doctest: +SKIP
>>> bottlenecks(fin, kind="activity").head()  # doctest: +SKIP
"""

from flowmine.analytics._bottlenecks import bottlenecks, slowest_cases
from flowmine.analytics._calendar import Calendar, business_duration
from flowmine.analytics._cases import attribute_values, case_costs, case_timeline, cost_per_case, thin_periods
from flowmine.analytics._common import COLUMNS
from flowmine.analytics._cost import cost
from flowmine.analytics._figures import bottleneck_chart, throughput_histogram, trend_chart
from flowmine.analytics._filters import CaseFilter, filter_cases
from flowmine.analytics._flow import directly_follows, flow, variant_stats
from flowmine.analytics._held import hold, release
from flowmine.analytics._log import AnalyticsError, LogLike, StoredLog, stored
from flowmine.analytics._prepare import prepare
from flowmine.analytics._profile import profile
from flowmine.analytics._quality import quality, rework
from flowmine.analytics._relations import instances
from flowmine.analytics._resources import handovers, workload
from flowmine.analytics._time import queue_time, service_time, sojourn_time, throughput_time, waiting_time

__all__ = [
    "COLUMNS",
    "AnalyticsError",
    "Calendar",
    "CaseFilter",
    "LogLike",
    "StoredLog",
    "attribute_values",
    "bottleneck_chart",
    "bottlenecks",
    "business_duration",
    "case_costs",
    "case_timeline",
    "cost",
    "cost_per_case",
    "directly_follows",
    "filter_cases",
    "flow",
    "handovers",
    "hold",
    "instances",
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
    "thin_periods",
    "throughput_histogram",
    "throughput_time",
    "trend_chart",
    "variant_stats",
    "waiting_time",
    "workload",
]
