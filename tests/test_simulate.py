"""Tests of the simulator: determinism, canonical output, working hours, conformance and ground truth.

Ground truth is recomputed here from the raw event rows with code independent of
``flowmine.simulate._truth``: deviations are found by what they do to a case (a missing step, two
steps in the wrong order, a foreign step, one person on both four-eyes steps, a broken time limit).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from flowmine._schema import (
    ACTIVITY,
    CASE,
    COST,
    CURRENCY,
    QUALITY,
    RESOURCE,
    ROLE,
    START,
    TIMESTAMP,
    TIMESTAMP_TYPE,
)
from flowmine.processes import reference_net
from flowmine.simulate import PROCESSES, SimulationResult, simulate, write_log

NAMES = ("sales", "procurement", "production", "finance")
TZ = "Asia/Shanghai"


@pytest.fixture(scope="module")
def runs() -> dict[str, SimulationResult]:
    return {name: simulate(name, 1500, seed=11) for name in NAMES}


def sequences(events: pd.DataFrame) -> pd.Series:
    ordered = events.sort_values([CASE, TIMESTAMP], kind="stable")
    return ordered.groupby(CASE, sort=True)[ACTIVITY].agg(tuple)


def case_fitness(events: pd.DataFrame, process: str) -> pd.Series:
    """Alignment fitness per case, computed once per variant and mapped back to the cases."""
    import pm4py

    seqs = sequences(events)
    variants = list(dict.fromkeys(seqs))
    base = pd.Timestamp("2020-01-01", tz="UTC")
    rows = [
        # zero-padded ids: pm4py returns alignments in case-id order
        {CASE: f"v{i:06d}", ACTIVITY: a, TIMESTAMP: base + pd.Timedelta(minutes=j)}
        for i, v in enumerate(variants)
        for j, a in enumerate(v)
    ]
    net, im, fm = reference_net(process)
    with warnings.catch_warnings():
        # pm4py builds a numpy.matrix (PendingDeprecationWarning) inside a bare `except`: under
        # filterwarnings=error that would turn into "not an easy sound net".
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        aligned = pm4py.conformance_diagnostics_alignments(pd.DataFrame(rows), net, im, fm)
    fitness = {v: a["fitness"] for v, a in zip(variants, aligned, strict=True)}
    return pd.Series([fitness[s] for s in seqs], index=seqs.index)


def observed_deviations(events: pd.DataFrame, process: str) -> dict[str, set[str]]:
    """Cases showing each deviation kind, found from the raw rows only."""
    dev = PROCESSES[process].deviations
    ordered = events.sort_values([CASE, TIMESTAMP], kind="stable")
    has = ordered.groupby(CASE)[ACTIVITY].agg(set)
    first = ordered.groupby([CASE, ACTIVITY])[TIMESTAMP].min().unstack()
    out: dict[str, set[str]] = {}
    out["skip"] = set(has.index[[dev.skip[0] not in s for s in has]])
    a, b = dev.swap
    out["swap"] = set(first.index[(first[b] < first[a]).to_numpy()])
    out["insert"] = set(has.index[[dev.insert[0] in s for s in has]])
    if dev.four_eyes is not None:
        s1, s2 = dev.four_eyes
        r1 = ordered[ordered[ACTIVITY] == s1][[CASE, RESOURCE]]
        r2 = ordered[ordered[ACTIVITY] == s2][[CASE, RESOURCE]]
        out["four_eyes"] = set(r1.merge(r2, on=[CASE, RESOURCE])[CASE])
    if dev.late is not None:
        late = dev.late
        t0 = first[late.frm]
        nxt = ordered[ordered[ACTIVITY] == late.to].merge(t0.rename("t0").reset_index(), on=CASE)
        nxt = nxt[nxt[TIMESTAMP] > nxt["t0"]].groupby(CASE).agg(t1=(TIMESTAMP, "min"), t0=("t0", "first"))
        if late.unit == "wd":
            d0 = nxt["t0"].dt.tz_convert(TZ).dt.date.to_numpy().astype("datetime64[D]")
            d1 = nxt["t1"].dt.tz_convert(TZ).dt.date.to_numpy().astype("datetime64[D]")
            over = np.busday_count(d0, d1) > late.limit
        else:
            over = ((nxt["t1"] - nxt["t0"]) > pd.Timedelta(days=late.limit)).to_numpy()
        out["late"] = set(nxt.index[over])
    return out


def test_same_seed_gives_identical_frames_and_truth() -> None:
    one, two = simulate("procurement", 300, seed=5), simulate("procurement", 300, seed=5)
    pd.testing.assert_frame_equal(one.events, two.events)
    assert json.dumps(one.truth, sort_keys=True) == json.dumps(two.truth, sort_keys=True)
    other = simulate("procurement", 300, seed=6)
    assert not one.events[TIMESTAMP].equals(other.events[TIMESTAMP])


def test_replications_are_deterministic_and_numbered_uniquely() -> None:
    a = simulate("finance", 900, seed=3, chunk=300)
    b = simulate("finance", 900, seed=3, chunk=300, workers=2)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert a.events[CASE].nunique() == 900 == a.truth["cases"]
    assert a.truth["replications"] == 3


def test_events_use_canonical_columns_and_types(runs: dict[str, SimulationResult]) -> None:
    for name, run in runs.items():
        ev = run.events
        assert list(ev.columns[:9]) == [
            CASE,
            ACTIVITY,
            TIMESTAMP,
            START,
            RESOURCE,
            ROLE,
            COST,
            CURRENCY,
            QUALITY,
        ]
        assert str(ev[TIMESTAMP].dtype) == "datetime64[us, UTC]" == str(ev[START].dtype)
        assert (ev[START] < ev[TIMESTAMP]).all(), name
        assert (ev[CURRENCY] == "CNY").all() and (ev[COST] > 0).all()
        assert "case:amount" in ev.columns or name == "production"
        keys = list(zip(ev[CASE], ev[TIMESTAMP], strict=True))
        assert keys == sorted(keys), "sorted by case, then completion"
        quality = ev[ev[QUALITY].notna()]
        assert set(quality[ACTIVITY]) == set(PROCESSES[name].quality_steps)
        assert set(quality[QUALITY]) <= {"pass", "fail"}


def test_work_happens_in_working_hours_local_time() -> None:
    for name in NAMES:
        proc = PROCESSES[name]
        ev = simulate(name, 400, seed=2, change=False).events
        start = ev[START].dt.tz_convert(TZ)
        end = ev[TIMESTAMP].dt.tz_convert(TZ)
        for role_name, role in proc.roles.items():
            mask = (ev[ROLE] == role_name).to_numpy()
            cal = role.calendar
            hours = start[mask].dt.hour + start[mask].dt.minute / 60
            assert hours.between(cal.start_hour, cal.end_hour).all(), (name, role_name)
            assert start[mask].dt.day_of_week.isin(cal.weekdays).all(), (name, role_name)
            assert end[mask].dt.day_of_week.isin(cal.weekdays).all(), (name, role_name)


@pytest.mark.parametrize("name", NAMES)
def test_conforming_cases_fit_and_deviating_cases_do_not(runs: dict[str, SimulationResult], name: str) -> None:
    run = runs[name]
    fitness = case_fitness(run.events, name)
    control = {c for k, d in run.truth["deviations"].items() if d["control_flow"] for c in d["cases"]}
    deviating = fitness.index.isin(sorted(control))
    assert deviating.sum() == run.truth["nonconforming_cases"] > 0
    assert (fitness[~deviating] == 1.0).all()
    assert (fitness[deviating] < 1.0).all()


@pytest.mark.parametrize("name", NAMES)
def test_planted_deviations_are_found_in_the_raw_rows(runs: dict[str, SimulationResult], name: str) -> None:
    run = runs[name]
    found = observed_deviations(run.events, name)
    n = run.truth["cases"]
    assert set(found) == set(run.truth["deviations"])
    for kind, planted in run.truth["deviations"].items():
        assert found[kind] == set(planted["cases"]), kind
        rate = planted["planted_rate"]
        tolerance = 4 * np.sqrt(rate * (1 - rate) / n) + 1 / n
        assert abs(len(found[kind]) / n - rate) <= tolerance, (kind, len(found[kind]) / n, rate)


@pytest.mark.parametrize("name", NAMES)
def test_rework_quality_and_cost_per_step_match_truth(runs: dict[str, SimulationResult], name: str) -> None:
    run, truth = runs[name], runs[name].truth
    ev = run.events
    counts = ev.groupby([CASE, ACTIVITY]).size().unstack(fill_value=0)
    for step, expected in truth["rework"].items():
        with_step = (counts[step] >= 1).sum()
        assert round((counts[step] >= 2).sum() / with_step, 4) == expected["rate"]
    for step, expected in truth["quality"].items():
        outcome = ev.loc[ev[ACTIVITY] == step, QUALITY]
        assert round(float((outcome == "fail").mean()), 4) == expected["fail_rate"]
    per_step = ev.groupby(ACTIVITY)[COST].agg(["sum", "mean", "size"])
    for step, expected in truth["cost_per_step"].items():
        assert abs(per_step.loc[step, "sum"] - expected["total"]) < 0.01 * max(1.0, expected["instances"])
        assert per_step.loc[step, "size"] == expected["instances"]


def test_planted_bottleneck_has_the_largest_total_waiting() -> None:
    for name in NAMES:
        run = simulate(name, 2500, seed=21)
        ev = run.events.sort_values([CASE, TIMESTAMP], kind="stable")
        waiting = ev[START] - ev.groupby(CASE)[TIMESTAMP].shift(1)
        totals = waiting.groupby(ev[ACTIVITY]).sum().sort_values(ascending=False)
        assert totals.index[0] == run.truth["bottleneck"]["step"] == PROCESSES[name].bottleneck, totals.head(3)


def test_change_point_cuts_waiting_of_its_step() -> None:
    run = simulate("procurement", 2500, seed=4)
    cp = run.truth["change_point"]
    ev = run.events.sort_values([CASE, TIMESTAMP], kind="stable")
    prev = ev.groupby(CASE)[TIMESTAMP].shift(1)
    step = ev[ACTIVITY] == cp["step"]
    change = pd.Timestamp(cp["date"]).tz_localize(TZ).tz_convert("UTC")
    hours = (ev[START] - prev).dt.total_seconds() / 3600
    before = hours[step & (prev < change)]
    after = hours[step & (prev >= change)]
    assert round(before.mean(), 2) == cp["waiting_mean_before_hours"]
    assert round(after.mean(), 2) == cp["waiting_mean_after_hours"]
    assert after.mean() < 0.75 * before.mean()
    assert cp["added_resource"] in set(ev.loc[step & (prev >= change), RESOURCE])
    assert cp["added_resource"] not in set(ev.loc[step & (ev[START] < change), RESOURCE])


def test_rates_option_and_validation() -> None:
    clean = simulate("finance", 300, seed=1, rates={})
    assert clean.truth["nonconforming_cases"] == 0 and clean.truth["deviations"] == {}
    with pytest.raises(ValueError, match="'process' parameter of simulate must be one of"):
        simulate("hr", 10)
    with pytest.raises(ValueError, match="'cases'"):
        simulate("finance", 0)
    with pytest.raises(TypeError, match="unknown options"):
        simulate("finance", 10, colour="red")


def test_write_log_formats(tmp_path: Path) -> None:
    import pm4py

    run = simulate("production", 60, seed=9)
    csv_path = write_log(run, tmp_path / "p.csv")
    back = pd.read_csv(csv_path, dtype=str)
    assert len(back) == len(run.events) and back[TIMESTAMP].str.endswith("Z").all()
    parquet = write_log(run, tmp_path / "p.parquet")
    schema = pq.read_schema(parquet)
    assert schema.field(TIMESTAMP).type == TIMESTAMP_TYPE == schema.field(START).type
    xes = write_log(run, tmp_path / "p.xes.gz")
    log = pm4py.read_xes(str(xes), variant="iterparse", return_legacy_log_object=False)
    assert len(log) == 2 * len(run.events)
    lifecycle = log["lifecycle:transition"].value_counts().to_dict()
    assert lifecycle == {"start": len(run.events), "complete": len(run.events)}
    assert abs(log[COST].sum() - run.events[COST].sum()) < 0.01, "cost only on complete events"
    truth = json.loads((tmp_path / "p.truth.json").read_text(encoding="utf-8"))
    assert truth["cases"] == 60
    with pytest.raises(ValueError, match="extension"):
        write_log(run, tmp_path / "p.json")


def test_public_api_is_curated() -> None:
    import flowmine.processes
    import flowmine.simulate

    assert flowmine.simulate.__all__ == sorted(flowmine.simulate.__all__)
    assert flowmine.simulate.__all__ == ["PROCESSES", "SimulationResult", "simulate", "write_log"]
    assert not {n for n in flowmine.processes.__all__ if "simulat" in n.lower()}  # order: test_public_api
    assert sorted(PROCESSES) == sorted(NAMES)
