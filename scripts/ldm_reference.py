"""The reference figures of ``tests/test_simulation_distances.py``: the log-distance-measures package's
measures between two logs, printed as JSON.

log-distance-measures 2.2.0 pins pandas < 3, which flowmine's own environment cannot hold, so it runs in a
venv of its own (not part of CI; nothing here is imported by flowmine)::

    python -m venv /some/where/ldm && /some/where/ldm/bin/pip install log-distance-measures==2.2.0
    /some/where/ldm/bin/python scripts/ldm_reference.py tests/data/simulation/distances_log.csv \\
        tests/data/simulation/distances_simulated.csv > tests/data/simulation/distances_reference.json
"""

from __future__ import annotations

import datetime
import json
import sys
from importlib.metadata import version

import pandas as pd
from log_distance_measures.absolute_event_distribution import absolute_event_distribution_distance
from log_distance_measures.case_arrival_distribution import case_arrival_distribution_distance
from log_distance_measures.circadian_event_distribution import circadian_event_distribution_distance
from log_distance_measures.config import EventLogIDs
from log_distance_measures.cycle_time_distribution import cycle_time_distribution_distance
from log_distance_measures.n_gram_distribution import n_gram_distribution_distance
from log_distance_measures.relative_event_distribution import relative_event_distribution_distance

IDS = EventLogIDs(case="case:concept:name", activity="concept:name", start_time="start_timestamp",
                  end_time="time:timestamp", resource="org:resource")


def read(path: str) -> pd.DataFrame:
    df = pd.read_csv(path)
    for col in (IDS.start_time, IDS.end_time):
        df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601")
    return df


def figures(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, object]:
    """The package's measures between logs ``a`` and ``b``."""
    return {
        "package": f"log-distance-measures {version('log-distance-measures')}",
        "ngram_3": n_gram_distribution_distance(a, IDS, b, IDS, n=3),
        "absolute": absolute_event_distribution_distance(a, IDS, b, IDS),
        "arrival": case_arrival_distribution_distance(a, IDS, b, IDS),
        "circadian": circadian_event_distribution_distance(a, IDS, b, IDS),
        "relative": relative_event_distribution_distance(a, IDS, b, IDS),
        "cycle_time": cycle_time_distribution_distance(a, IDS, b, IDS, bin_size=datetime.timedelta(hours=1)),
    }


def main() -> None:
    json.dump(figures(read(sys.argv[1]), read(sys.argv[2])), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
