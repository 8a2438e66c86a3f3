"""Batching in the simulation model (issue 18): who batches a step, the share, the run times and the
runs' length are read off the log; the run holds batched instances for the next run; a scenario changes
the run times or stops the batching; and on the production sample, whose planted packer packs 30 % of
the orders for the 14:00 carrier pick-up, the batching is found as planted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flowmine.errors import UnusableInputError
from flowmine.simulation import (
    END,
    START,
    Batch,
    Distribution,
    Pool,
    SimulationModel,
    StepModel,
    apply,
    discover,
    scenario_from_dict,
    simulate,
)

TZ = "Asia/Shanghai"
WEEKDAYS_9_17 = [d * 24 + h for d in range(5) for h in range(9, 17)]
DAILY_14 = [d * 24 + 14.0 for d in range(5)]


def _model(share: float = 0.3, at: list[float] | None = None) -> SimulationModel:
    """Orders are prepared (no pool, a minute) and packed by two packers (20 minutes each) or, a share of
    them, by the batcher at a daily run (an hour)."""
    prepare = StepModel("Prepare", None, Distribution("fixed", scale=60.0))
    pack = StepModel("Pack", "packers", Distribution("fixed", scale=1200.0),
                     batch=Batch(["carl"], share, DAILY_14 if at is None else at, Distribution("fixed", scale=3600.0)))
    return SimulationModel(
        process=None, timezone=TZ, start="2025-03-03T00:00:00+08:00", weeks=8.0,
        arrivals=[0.5 if h in WEEKDAYS_9_17 else 0.0 for h in range(168)],
        flow={START: {"Prepare": 1.0}, "Prepare": {"Pack": 1.0}, "Pack": {END: 1.0}},
        steps={"Prepare": prepare, "Pack": pack}, pools={"packers": Pool("packers", ["ann", "bob"], WEEKDAYS_9_17)})


def _packs(sim: pd.DataFrame) -> pd.DataFrame:
    out = sim[sim["concept:name"] == "Pack"].copy()
    out["local"] = out["start_timestamp"].dt.tz_convert(TZ)
    return out


def test_batched_instances_wait_for_the_run_and_complete_with_it() -> None:
    sim = simulate(_model(), seed=1)
    packs = _packs(sim)
    by_carl = packs[packs["org:resource"] == "carl"]
    assert 0.25 < len(by_carl) / len(packs) < 0.35  # the share
    assert (by_carl["local"].dt.hour == 14).all() and (by_carl["local"].dt.minute == 0).all()
    assert by_carl["local"].dt.day_of_week.lt(5).all()
    runs = by_carl.groupby("start_timestamp")
    assert runs.size().max() > 1  # several orders in one run
    assert (runs["time:timestamp"].nunique() == 1).all()  # a run's orders complete together
    assert ((by_carl["time:timestamp"] - by_carl["start_timestamp"]) == pd.Timedelta(hours=1)).all()
    assert "carl" not in set(packs.loc[packs["org:resource"] != "carl", "org:resource"])


def test_discovery_reads_the_batcher_the_share_the_run_times_and_the_run_length() -> None:
    log = simulate(_model(), seed=2).drop(columns=["cost"], errors="ignore")
    m = discover(log, timezone=TZ)
    b = m.steps["Pack"].batch
    assert b is not None and b.resources == ["carl"]
    assert b.share == pytest.approx(0.3, abs=0.05)
    assert b.at == pytest.approx(DAILY_14)
    assert b.duration.mean() == pytest.approx(3600.0, rel=0.01) and b.runs >= 25
    assert m.pools["Pack"].members == ["ann", "bob"]  # the batcher does nothing else: not capacity
    assert m.steps["Pack"].service.mean() == pytest.approx(1200.0, rel=0.01)  # the others' work only
    assert m.steps["Pack"].delay is None or m.steps["Pack"].delay.mean() < 600.0  # the run's wait is batching
    assert SimulationModel.from_dict(m.to_dict()) == m
    # as-is: the simulated log batches the same way
    again = _packs(simulate(m, seed=3))
    carl = again[again["org:resource"] == "carl"]
    assert 0.2 < len(carl) / len(again) < 0.4 and (carl["local"].dt.hour == 14).all()


def test_no_batching_without_runs_and_a_batch_at_no_fixed_time_is_said() -> None:
    plain = simulate(_model(share=0.0), seed=4).drop(columns=["cost"], errors="ignore")
    assert discover(plain, timezone=TZ).steps["Pack"].batch is None
    # the batcher's runs moved each to a random moment of its day: batches, but at no recurring time
    log = simulate(_model(share=0.6), seed=5).drop(columns=["cost"], errors="ignore")
    carl = log["org:resource"] == "carl"
    runs = log.loc[carl, "start_timestamp"]
    codes, uniq = pd.factorize(runs)
    shift = pd.to_timedelta(np.random.default_rng(0).integers(-5 * 3600, 2 * 3600, len(uniq)), unit="s")
    for col in ("start_timestamp", "time:timestamp"):
        log.loc[carl, col] = log.loc[carl, col] + shift[codes]
    m = discover(log, timezone=TZ)
    assert m.steps["Pack"].batch is None
    assert any(n.startswith("Pack: runs by carl start at no fixed time") for n in m.notes)


def test_a_scenario_adds_a_run_or_stops_the_batching() -> None:
    m = _model()
    m.pools["packers"].members = ["ann", "bob"]
    doc = {"change": [{"kind": "batch", "step": "Pack", "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri"],
                       "times": ["10:00"], "add": True}]}
    twice = apply(m, scenario_from_dict(doc, "s.toml"))
    assert twice.steps["Pack"].batch is not None
    assert twice.steps["Pack"].batch.at == sorted([*DAILY_14, *[d * 24 + 10.0 for d in range(5)]])
    for name, model in (("once", m), ("twice", twice)):
        packs = _packs(simulate(model, seed=6))
        hours = set(packs.loc[packs["org:resource"] == "carl", "local"].dt.hour)
        assert hours == ({14} if name == "once" else {10, 14})
    stop = apply(m, scenario_from_dict({"change": [{"kind": "batch", "step": "Pack", "share": 0}]}, "s.toml"))
    assert stop.steps["Pack"].batch is not None and stop.steps["Pack"].batch.share == 0.0
    assert "carl" in stop.pools["packers"].members  # the batcher packs the other orders again
    packs = _packs(simulate(stop, seed=6))
    carl = packs[packs["org:resource"] == "carl"]
    assert len(carl) > 0 and carl["start_timestamp"].is_unique  # one order at a time, in the pool
    with pytest.raises(UnusableInputError, match="a step the model batches"):
        apply(m, scenario_from_dict({"change": [{"kind": "batch", "step": "Prepare", "share": 0}]}, "s.toml"))
    with pytest.raises(UnusableInputError, match="share"):
        apply(m, scenario_from_dict({"change": [{"kind": "batch", "step": "Pack", "share": 2}]}, "s.toml"))


def test_the_production_sample_s_planted_batch_is_found(tmp_path: Path) -> None:
    import tomllib

    import flowmine
    from flowmine.analytics import stored

    samples = Path(__file__).resolve().parents[1] / "sample_logs"
    entry = next(e for e in tomllib.loads((samples / "samples.toml").read_text("utf-8"))["log"]
                 if e["process"] == "production")
    st = flowmine.Store(tmp_path / "store")
    st.ingest("production", [str(samples / entry["file"])], mapping=samples / entry["mapping"])
    m = discover(stored(st, "production"))
    b = m.steps["Packing and shipping"].batch
    assert b is not None and len(b.resources) == 1  # one packer
    assert b.share == pytest.approx(0.3, abs=0.03)  # 30 % planted
    assert b.at == pytest.approx([d * 24 + 14.0 for d in range(6)])  # the 14:00 pick-up, Monday to Saturday
    assert b.resources[0] not in m.pools[str(m.steps["Packing and shipping"].pool)].members
    assert all(m.steps[s].batch is None for s in m.steps if s != "Packing and shipping")  # nothing else batches


def test_the_own_event_loop_gives_simpy_s_log_with_batches_and_closed_days() -> None:
    m = _model()
    m.closed_days, m.open_days, m.closed_arrivals = ["2025-03-12", "2025-03-13"], ["2025-03-15"], 0.3
    for model in (m, _model(share=0.0)):
        heap, simpy = (simulate(model, seed=8, engine=e) for e in ("heap", "simpy"))
        pd.testing.assert_frame_equal(heap, simpy)
        assert len(heap) > 100
    days = set(_packs(simulate(m, seed=8))["local"].dt.date.astype(str))
    assert {"2025-03-11", "2025-03-14"} <= days and not days & {"2025-03-12", "2025-03-13"}  # closed: no packing


def test_a_step_of_a_log_without_starts_done_in_rounds_waits_for_them() -> None:
    """Without start times, a step whose completions keep to a few hours of the week (a director signing on
    Monday and Thursday mornings) is modelled as rounds: it waits for those hours, and a ``calendar`` change
    adds a round."""
    from flowmine.simulation._discover import _rounds

    rng = np.random.default_rng(0)
    rows = []
    for i in range(300):
        ready = pd.Timestamp("2025-03-03 09:00", tz=TZ) + pd.Timedelta(hours=float(rng.uniform(0, 24 * 7 * 6)))
        rows.append((f"c{i}", "Negotiate", ready))
        t = ready + pd.Timedelta(minutes=30)
        while not (t.day_of_week in (0, 3) and 9 <= t.hour < 13):  # the next Monday or Thursday morning
            t = (t + pd.Timedelta(hours=1)).floor("h")
        rows.append((f"c{i}", "Sign", t + pd.Timedelta(minutes=float(rng.uniform(5, 40)))))
    log = pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "time:timestamp"])
    m = discover(log, timezone=TZ)
    rounds = [d * 24 + h for d in (0, 3) for h in range(9, 13)]
    hours = m.pools["Sign"].hours
    assert m.pools["Sign"].members == ["(round)"] and {9, 81} <= set(hours) <= set(rounds)
    assert "Negotiate" not in m.pools
    assert _rounds(instances_of(log), TZ, ()) == {"Sign": hours}
    sim = simulate(m, seed=1)
    signed = sim.loc[sim["concept:name"] == "Sign", "time:timestamp"].dt.tz_convert(TZ)
    assert (signed.dt.day_of_week * 24 + signed.dt.hour).isin(hours).all()
    more = apply(m, scenario_from_dict({"change": [{"kind": "calendar", "step": "Sign", "weekdays": ["Tue"],
                                                    "hours": ["09:00", "13:00"], "add": True}]}, "s.toml"))
    again = simulate(more, seed=1)
    days = again.loc[again["concept:name"] == "Sign", "time:timestamp"].dt.tz_convert(TZ).dt.day_of_week
    assert set(days) == {0, 1, 3}


def test_a_round_does_its_instances_one_at_a_time() -> None:
    """Three contracts a week, ready on Tuesday, Wednesday and Friday, signed the next Monday at 9:10, 9:20
    and 9:30: one after another, ten minutes each. Their times from ready to signing in the round's hours
    are 10, 20 and 30 minutes; from the later of ready and the previous signature, 10 each, and the run's
    queue makes the rest (a second signer halves it)."""
    rows = []
    monday = pd.Timestamp("2025-03-03", tz=TZ)
    for w in range(20):
        week = monday + pd.Timedelta(weeks=w)
        for k, ready in enumerate((pd.Timedelta(days=1, hours=10), pd.Timedelta(days=2, hours=11),
                                   pd.Timedelta(days=4, hours=15))):
            case = f"c{w:02d}{k}"
            rows.append((case, "Negotiate", week + ready))
            rows.append((case, "Sign", week + pd.Timedelta(days=7, hours=9, minutes=10 * (k + 1))))
    log = pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "time:timestamp"])
    m = discover(log, timezone=TZ)
    sign = m.steps["Sign"]
    assert m.pools["Sign"].hours == [9] and m.pools["Sign"].members == ["(round)"]
    assert sign.service.family == "fixed" and sign.service.scale == 600.0
    sim = simulate(m, seed=3, weeks=30)
    signed = sim.loc[sim["concept:name"] == "Sign", "time:timestamp"].dt.tz_convert(TZ).sort_values()
    gaps = signed.diff().dt.total_seconds().round(3)
    same_round = signed.dt.date.eq(signed.dt.date.shift())
    assert len(signed) > 50 and set(gaps[same_round]) == {600.0}  # one after another, ten minutes apart
    two = simulate(apply(m, scenario_from_dict({"change": [{"kind": "capacity", "step": "Sign", "add": 1}]}, "t")),
                   seed=3, weeks=30)
    signed2 = two.loc[two["concept:name"] == "Sign", "time:timestamp"].dt.tz_convert(TZ).sort_values()
    assert signed2.diff().dt.total_seconds().round(3).eq(0.0).sum() > 10  # two at a time


def instances_of(log: pd.DataFrame) -> pd.DataFrame:
    from flowmine.analytics import instances

    return instances(log)
