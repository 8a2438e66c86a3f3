"""What-if simulation (issue 18): the flow and the durations by the case's state, the steps it has done
(``flowmine.simulation._states``), on hand-computed logs: parallel branches that a flow by the last two
steps cuts short, a rework loop taken a fixed number of times, a step whose time depends on a step done
earlier; scenarios on a model with states, both engines and the model file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flowmine.simulation import (
    END,
    SimulationModel,
    State,
    StateDuration,
    apply,
    discover,
    scenario_from_dict,
    simulate,
)
from tests.test_simulation import _sojourn_log


def _variants(sim: pd.DataFrame) -> pd.Series:
    return sim.groupby("case:concept:name")["concept:name"].agg(" ".join)


def _state(model: SimulationModel, step: str, done: list[str], counted: bool = False) -> State:
    (found,) = [s for s in model.states if s.step == step and s.done == done and s.counted == counted]
    return found


#: Two parallel branches, B1 then B2, and C, in two orders: after B2 (from B1) half the cases go on to C
#: and half end; which is which only the steps done say.
PARALLEL = _sojourn_log([(f"p{i}", [("S", 1), ("B1", 1), ("B2", 1), ("C", 1)]) for i in range(40)]
                        + [(f"q{i}", [("S", 1), ("C", 1), ("B1", 1), ("B2", 1)]) for i in range(40)])


def test_parallel_branches_are_finished_by_the_steps_done() -> None:
    model = discover(PARALLEL)
    assert model.history["B1"]["B2"] == {"C": 0.5, END: 0.5}  # what the last two steps say
    assert _state(model, "B2", ["B1", "B2", "S"]).flow == {"C": 1.0}
    assert _state(model, "B2", ["B1", "B2", "C", "S"]).flow == {END: 1.0}
    assert _state(model, "B2", ["B1", "B2", "S"]).moves == 40
    variants = _variants(simulate(model, seed=3, weeks=4))
    # a flow by the last two steps would also end cases at "S B1 B2" and send others from B2 to C twice
    assert set(variants) == {"S B1 B2 C", "S C B1 B2"} and len(variants) > 100


#: A rework loop taken exactly twice; the second A waits 2 hours, the third 10: the set of steps done is
#: {A, B} before both, the steps counted tell them apart.
LOOP = _sojourn_log([(f"l{i}", [("A", 1), ("B", 1), ("A", 2), ("B", 1), ("A", 10), ("C", 1)]) for i in range(60)])


def test_a_loop_taken_twice_is_counted_in_the_flow_and_the_durations() -> None:
    model = discover(LOOP)
    assert _state(model, "A", ["A", "B"]).flow == {"B": 0.5, "C": 0.5}  # the set mixes the two passes
    assert _state(model, "A", ["A", "A", "B"], counted=True).flow == {"B": 1.0}
    assert _state(model, "A", ["A", "A", "A", "B", "B"], counted=True).flow == {"C": 1.0}
    assert _state(model, "A", ["A"]).flow == {"B": 1.0}
    assert not [s for s in model.states if s.counted and s.done == ["A"]]  # all of its set's moves: not kept
    a = {(tuple(x.done), x.counted): x for x in model.steps["A"].states}
    assert a[("A", "B"), False].duration.family == "empirical"  # 2 and 10 hours mixed
    assert a[("A", "B"), True].duration.scale == 7200.0 and a[("A", "A", "B", "B"), True].duration.scale == 36000.0
    sim = simulate(model, seed=5, weeks=4)
    assert set(_variants(sim)) == {"A B A B A C"}
    gap = sim.groupby("case:concept:name")["time:timestamp"].diff().dt.total_seconds().div(3600)
    steps = sim.groupby("case:concept:name").cumcount()
    assert set(gap[steps == 2].round(6)) == {2.0} and set(gap[steps == 4].round(6)) == {10.0}


#: A test after X takes an hour for the cases that were not admitted (M), a day for those that were: the
#: step before it is X in both.
ADMITTED = _sojourn_log([(f"e{i}", [("R", 1), ("X", 1), ("T", 1)]) for i in range(40)]
                        + [(f"w{i}", [("R", 1), ("M", 1), ("X", 1), ("T", 24)]) for i in range(40)])


def test_a_step_s_time_depends_on_a_step_done_earlier() -> None:
    model = discover(ADMITTED)
    t = {tuple(x.done): x for x in model.steps["T"].states}
    assert set(t) == {("R", "X"), ("M", "R", "X")} and t["R", "X"].previous == "X"
    assert t["R", "X"].last is not None and t["R", "X"].last.scale == 3600.0  # T is always the last step
    assert t["M", "R", "X"].last is not None and t["M", "R", "X"].last.scale == 86400.0
    assert t["R", "X"].instances == 40
    sim = simulate(model, seed=1, weeks=4)
    took = sim.groupby("case:concept:name")["time:timestamp"].agg(lambda s: (s.iloc[-1] - s.iloc[-2]).total_seconds())
    variants = _variants(sim)
    assert set(took[variants == "R X T"].round(3)) == {3600.0}
    assert set(took[variants == "R M X T"].round(3)) == {86400.0}
    slower = apply(model, scenario_from_dict({"change": [{"kind": "service_time", "step": "T", "factor": 0.5}]}, "t"))
    t2 = {tuple(x.done): x for x in slower.steps["T"].states}
    assert t2["M", "R", "X"].last is not None and t2["M", "R", "X"].last.scale == 43200.0


def test_remove_and_reroute_hold_for_every_state() -> None:
    model = discover(PARALLEL)
    gone = apply(model, scenario_from_dict({"change": [{"kind": "remove_step", "step": "C"}]}, "t"))
    assert all("C" not in s.done and "C" not in s.flow for s in gone.states)
    assert _state(gone, "B2", ["B1", "B2", "S"]).flow == {END: 1.0}
    assert set(_variants(simulate(gone, seed=2, weeks=4))) == {"S B1 B2"}
    rr = apply(model, scenario_from_dict({"change": [{"kind": "reroute", "after": "B2", "to": {"C": 1}}]}, "t"))
    assert not [s for s in rr.states if s.step == "B2"]
    assert "S C B1 B2 C" in set(_variants(simulate(rr, seed=2, weeks=4)))
    auto = apply(discover(ADMITTED), scenario_from_dict({"change": [{"kind": "automate_step", "step": "T"}]}, "t"))
    assert auto.steps["T"].states == [] and auto.steps["T"].last == {}
    took = simulate(auto, seed=1, weeks=2).groupby("case:concept:name")["time:timestamp"].agg(
        lambda s: (s.iloc[-1] - s.iloc[-2]).total_seconds())
    assert set(took.round(3)) == {0.0}  # an automated step takes no time, from whatever state


def test_states_give_the_same_log_on_both_engines_and_survive_the_model_file(tmp_path: Path) -> None:
    for log in (PARALLEL, LOOP, ADMITTED, SITTING):
        model = discover(log)
        assert model.states
        heap, simpy = (simulate(model, seed=7, weeks=2, engine=e) for e in ("heap", "simpy"))
        pd.testing.assert_frame_equal(heap, simpy)
        pd.testing.assert_frame_equal(heap, simulate(model, seed=7, weeks=2))  # one seed, one log
        back = SimulationModel.load(model.save(tmp_path / "m.json"))
        assert back.to_dict() == model.to_dict()
        assert isinstance(back.states[0], State)
        assert all(isinstance(x, StateDuration) for st in back.steps.values() for x in st.states)
        pd.testing.assert_frame_equal(simulate(back, seed=7, weeks=2), heap)


def test_without_states_the_flow_falls_back_to_the_history() -> None:
    """A state with fewer than 30 moves is not kept: the history decides."""
    small = _sojourn_log([(f"p{i}", [("S", 1), ("B1", 1), ("B2", 1), ("C", 1)]) for i in range(20)]
                         + [(f"q{i}", [("S", 1), ("C", 1), ("B1", 1), ("B2", 1)]) for i in range(20)])
    model = discover(small)
    assert not [s for s in model.states if s.step == "B2"]
    assert model.history["B1"]["B2"] == pytest.approx({"C": 0.5, END: 0.5})


#: Cases done in one sitting (a minute a step) and cases that wait a day once, before B or before C: the
#: sojourn of C after B is a minute or a day whatever the steps done; whether the case has waited says which.
SITTING = _sojourn_log([(f"s{i}", [("A", 1), ("B", 1 / 60), ("C", 1 / 60)]) for i in range(40)]
                       + [(f"b{i}", [("A", 1), ("B", 24), ("C", 1 / 60)]) for i in range(40)]
                       + [(f"c{i}", [("A", 1), ("B", 1 / 60), ("C", 24)]) for i in range(40)])


def test_a_case_that_has_waited_does_not_wait_again_and_one_sitting_stays_one() -> None:
    model = discover(SITTING)
    assert model.long_sojourn == pytest.approx((60 * 86400) ** 0.5)  # halfway between a minute and a day
    c = {x.waited: x for x in model.steps["C"].states if x.previous == "B"}
    assert c[True].instances == 40 and c[True].duration.scale == 60.0  # waited before B: C takes a minute
    assert c[False].instances == 80 and c[False].duration.family == "empirical"  # a minute or a day
    assert c[None].instances == 120
    sim = simulate(model, seed=4, weeks=6)
    took = sim.groupby("case:concept:name")["time:timestamp"].agg(lambda s: (s.max() - s.min()).total_seconds())
    waits = sim.groupby("case:concept:name")["time:timestamp"].agg(lambda s: int((s.diff().dt.total_seconds()
                                                                                  > model.long_sojourn).sum()))
    # by the sojourns alone, a ninth of the cases would wait twice (a day before B and one before C)
    assert len(took) > 300 and waits.max() == 1
    assert abs((waits == 0).mean() - 1 / 3) < 0.06  # the cases done in one sitting: a third, as in the log
    slower = apply(model, scenario_from_dict({"change": [{"kind": "service_time", "step": "C", "factor": 2}]}, "t"))
    assert {x.waited: x.duration.scale for x in slower.steps["C"].states if x.previous == "B"}[True] == 120.0
    gone = apply(model, scenario_from_dict({"change": [{"kind": "remove_step", "step": "B"}]}, "t"))
    assert gone.steps["C"].states == []  # every state of C came from B


def test_without_a_class_done_in_one_sitting_no_wait_is_read() -> None:
    """Every case waits a day once: the sojourns are of two kinds, but no case is done in one sitting."""
    log = _sojourn_log([(f"b{i}", [("A", 1), ("B", 24), ("C", 1 / 60)]) for i in range(40)]
                       + [(f"c{i}", [("A", 1), ("B", 1 / 60), ("C", 24)]) for i in range(40)])
    model = discover(log)
    assert model.long_sojourn is None
    assert all(x.waited is None for st in model.steps.values() for x in st.states)
