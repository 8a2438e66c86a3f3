"""Mechanism tests of the what-if simulation (issue 18): a log with one known change planted at a date
(tests/_planted_change.py: a check that takes half as long, a third checker, a second weekly approval
round), the initiative that describes it as a ``[scenario]``, calibrated on the cases before the date, and
the before/after evaluation of the same log (``flowmine initiative``'s achieved effect).

Each test asserts what the issue asks: the predicted relative change of the goal lies within 25 % of the
achieved one, and the achieved change lies inside the prediction's interval. The interval is the
**prediction interval** of ``flowmine.monitor.predict_initiative`` (where the evaluation of periods of
the evaluated sizes should find the change if the model is right), not the confidence interval of the
predicted mean: that one only says how well the replications pin the model's expectation down (±0.5 to ±8
points here) while one before/after evaluation of 20 + 20 weeks moves by about ±10 points from seed to
seed, so the achieved change fell outside it on 3 (capacity, service) and 6 (calendar) of 10 seeds.

The logs are 40 weeks of arrivals (about 3,200 claims), changed at week 20; 8 replications. Run offline
on generator seeds 1-10 (``pytest`` uses seed 1, the first): the pass counts are in each test's
docstring. Where one fails, it is the 25 %: the achieved change of one 40-week log moves by about ±10
points from seed to seed around what the model predicts, and a quarter of a -40 % change is 10 points.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import flowmine
from flowmine.monitor import evaluate_initiative, load_initiative, predict_initiative
from tests._planted_change import SCENARIOS, change_date, planted_log

RUNS = 8


def _predicted(tmp_path: Path, change: str, seed: int) -> dict[str, Any]:
    """The initiative JSON's ``predicted_effect`` for the planted ``change`` (generator ``seed``)."""
    src = tmp_path / "claims.parquet"
    planted_log(change, seed).to_parquet(src)
    st = flowmine.Store(tmp_path / "store")
    st.ingest("claims", [str(src)])
    sc = SCENARIOS[change]
    changes = "".join("[[scenario.change]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in c.items())
                      for c in sc["change"])
    path = tmp_path / f"{change}.toml"
    path.write_text(f'[initiative]\nid = "{change}"\nname_en = "planted: {change}"\nowner = "test"\n'
                    f'process = "claims"\nchange_date = "{change_date()}"\ntimezone = "UTC"\n'
                    f'[goal]\nmetric = "{sc["metric"]}"\nstep = "{sc["step"]}"\nstatistic = "mean"\n'
                    f'direction = "lower"\ntarget_change = -0.1\n[scenario]\nname = "{change}"\n{changes}',
                    encoding="utf-8")
    ini = load_initiative(path)
    achieved = evaluate_initiative(st, ini)
    return predict_initiative(st, ini, runs=RUNS, workers=1, achieved=achieved).to_dict()


def _check(d: dict[str, Any]) -> None:
    lo, hi = d["prediction_interval"]
    assert d["fidelity_acceptable"], d["fidelity_problems"]
    assert d["relative"]["value"] < 0 and d["achieved_relative"] < 0
    assert lo <= d["achieved_relative"] <= hi, d
    assert d["achieved_within_prediction_interval"] is True and d["distance_to_prediction_interval"] == 0.0
    assert abs(d["gap"]) <= 0.25 * abs(d["achieved_relative"]), d
    assert d["within_25pct"] is True


def test_a_check_that_takes_half_as_long(tmp_path: Path) -> None:
    """``service_time`` Check x 0.5, goal: the mean wait before Check (queueing and the customer's
    documents; about 4.5 h before the change). Offline, seeds 1-10: 8 pass; the predicted change was
    -32.6 % ... -52.2 %, the achieved -29.8 % ... -52.3 %, inside the prediction interval for all ten; the
    two that fail are 25 % apart only: seed 4 (achieved -29.8 %, predicted -37.7 %: 7.9 points, 7.5
    allowed) and seed 9 (-52.3 %, -32.6 %). Seed 1: achieved -35.2 %, predicted -37.3 %."""
    _check(_predicted(tmp_path, "service", 1))


def test_a_third_checker(tmp_path: Path) -> None:
    """``capacity`` Check +1, goal: the mean wait before Check. Offline, seeds 1-10: 8 pass (gaps of 0.3 to
    7.2 points); seed 9 fails the 25 % (achieved -48.5 %, predicted -29.7 %, inside the prediction
    interval) and seed 10 both (the achieved change is only -7.6 % there, outside the interval -48.6 % ...
    -21.0 %: one evaluation's noise). Seed 1: achieved -37.9 %, predicted -34.8 %."""
    _check(_predicted(tmp_path, "capacity", 1))


def test_a_second_weekly_approval_round(tmp_path: Path) -> None:
    """``calendar`` Approve + Thursday 14:00-17:00 (the approver approved on Tuesday mornings only), goal:
    the mean wait before Approve (about 4 days before, 1.4 after). Offline, seeds 1-10: all pass, within
    1.8 points (allowed: 16); the prediction interval is about ±3 points wide. Seed 1: -64.2 % both."""
    _check(_predicted(tmp_path, "calendar", 1))


@pytest.mark.parametrize("change", sorted(SCENARIOS))
def test_the_planted_change_is_in_the_log_from_its_date_on(change: str) -> None:
    """Ground truth of the generator: before the date the log has two checkers and one approval round;
    from it on the planted change shows (a third checker, Thursday approvals, checks half as long)."""
    import pandas as pd

    log = planted_log(change, 1, weeks=8, change_week=4)
    at = pd.Timestamp(change_date(4), tz="UTC")
    after = log["start_timestamp"] >= at
    assert ("checker 3" in set(log.loc[after, "org:resource"])) == (change == "capacity")
    assert "checker 3" not in set(log.loc[~after, "org:resource"])
    thursday = log["concept:name"].eq("Approve") & log["start_timestamp"].dt.day_of_week.eq(3)
    assert not (thursday & ~after).any() and (thursday & after).any() == (change == "calendar")
    service = (log["time:timestamp"] - log["start_timestamp"]).dt.total_seconds()
    day = log["concept:name"].eq("Check") & (service < 8 * 3600)  # leave out the checks a night interrupts
    ratio = service[day & after].mean() / service[day & ~after].mean()
    assert ratio == pytest.approx(0.5 if change == "service" else 1.0, rel=0.15)
