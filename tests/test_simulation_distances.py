"""The simulation literature's log distance measures (issue 18) equal the ``log-distance-measures``
package's on the same two logs: its figures, computed by ``scripts/ldm_reference.py`` in a venv of its own
(it pins pandas < 3), are stored beside the logs; where the package is importable, it is run here too."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from flowmine.analytics import instances
from flowmine.simulation import fidelity
from flowmine.simulation._distances import MEASURES, distances

DATA = Path(__file__).parent / "data" / "simulation"


def _read(name: str) -> pd.DataFrame:
    df = pd.read_csv(DATA / f"distances_{name}.csv", dtype={"org:resource": "str"})
    for col in ("start_timestamp", "time:timestamp"):
        df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601")
    return df


def test_each_measure_equals_the_package_s() -> None:
    reference = json.loads((DATA / "distances_reference.json").read_text("utf-8"))
    assert reference["package"] == "log-distance-measures 2.2.0"
    got = distances(instances(_read("log")), instances(_read("simulated")))
    assert set(got) == set(MEASURES)
    for name in MEASURES:
        assert got[name] == pytest.approx(reference[name], rel=1e-9, abs=1e-12), name
    # the logs were made to exercise the rules: the simulated one has Saturday instants the log lacks
    assert got["circadian"] > 23.0 / 7


def test_a_log_is_at_distance_zero_from_itself_and_fidelity_reports_the_measures() -> None:
    log = _read("log")
    same = distances(instances(log), instances(log))
    assert all(v == 0.0 for v in same.values())
    f = fidelity(log, _read("simulated"))
    assert f["distances"] == pytest.approx(distances(instances(log), instances(_read("simulated"))))


def test_the_package_itself_when_it_is_installed() -> None:
    pytest.importorskip("log_distance_measures", reason="log-distance-measures pins pandas < 3: its stored "
                        "figures are checked above")
    import importlib.util

    spec = importlib.util.spec_from_file_location("ldm_reference", DATA.parents[2] / "scripts" / "ldm_reference.py")
    assert spec is not None and spec.loader is not None
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    live = ref.figures(_read("log"), _read("simulated"))
    got = distances(instances(_read("log")), instances(_read("simulated")))
    assert all(got[k] == pytest.approx(live[k], rel=1e-9) for k in MEASURES)
