"""The process calendar's closed days and make-up workdays in the simulation model (issue 18): the run
shuts a pool on closed days and opens it on make-up workdays, cases arrive at the model's share on
closed days, and discovery reads the days from the calendar, the pools' keeping of them and the arrival
share from the log, and counts working time without the closed days."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flowmine.analytics import Calendar
from flowmine.simulation import (
    END,
    START,
    Distribution,
    Pool,
    SimulationModel,
    StepModel,
    discover,
    fidelity,
    simulate,
)
from flowmine.simulation._days import day_numbers, makeup_hours, next_day_open, worked_correction
from flowmine.simulation._discover import _working_seconds
from flowmine.simulation._run import _DayHours, _Hours

TZ = "Asia/Shanghai"
GOLDEN_WEEK = [f"2025-10-0{d}" for d in range(1, 8)]  # Wed 1 October to Tue 7 October
MAKEUP = ["2025-09-28", "2025-10-11"]  # a Sunday and a Saturday worked instead
WEEKDAYS_9_17 = [d * 24 + h for d in range(5) for h in range(9, 17)]


def _model(pool_hours: list[int], keeps: bool = True, closed_arrivals: float = 1.0, weeks: float = 6.0,
           service: Distribution | None = None) -> SimulationModel:
    """A case is submitted (no pool: when it arrives, a minute) and reviewed by two clerks; a case arrives
    every hour of the week (rate 1)."""
    submit = StepModel("Submit", None, Distribution("fixed", scale=60.0))
    review = StepModel("Review", "clerks", service or Distribution("fixed", scale=600.0))
    return SimulationModel(
        process=None, timezone=TZ, start="2025-09-15T00:00:00+08:00", weeks=weeks, arrivals=[1.0] * 168,
        flow={START: {"Submit": 1.0}, "Submit": {"Review": 1.0}, "Review": {END: 1.0}},
        steps={"Submit": submit, "Review": review},
        pools={"clerks": Pool("clerks", ["ann", "bob"], pool_hours, calendar=keeps)},
        closed_days=list(GOLDEN_WEEK), open_days=list(MAKEUP), closed_arrivals=closed_arrivals)


def _local_days(sim: pd.DataFrame, step: str = "Review") -> pd.Series:
    """The local days on which the instances of ``step`` started."""
    return sim.loc[sim["concept:name"] == step, "start_timestamp"].dt.tz_convert(TZ).dt.date.astype(str)


def _throughput(sim: pd.DataFrame) -> pd.Series:
    g = sim.groupby("case:concept:name")
    return g["time:timestamp"].max() - g["start_timestamp"].min()


def test_a_pool_that_keeps_the_calendar_rests_on_closed_days_and_works_make_up_days() -> None:
    sim = simulate(_model(WEEKDAYS_9_17), seed=1, warmup_weeks=1)
    worked = _local_days(sim).value_counts()
    assert all(worked.get(d, 0) == 0 for d in GOLDEN_WEEK)  # the Saturday and Sunday of it too
    assert worked.get("2025-09-28", 0) > 0 and worked.get("2025-10-11", 0) > 0  # make-up Sunday, Saturday
    assert worked.get("2025-10-12", 0) == 0 and worked.get("2025-10-08", 0) > 0  # a plain Sunday; back on Wed
    review = sim[sim["concept:name"] == "Review"]
    hours = review["start_timestamp"].dt.tz_convert(TZ).dt.hour[_local_days(sim) == "2025-10-11"]
    assert hours.between(9, 16).all()  # the make-up day worked in the weekday hours
    assert _throughput(sim).max() > pd.Timedelta(days=7)  # a case submitted on 30 September waits to the 8th


def test_a_pool_that_works_through_the_calendar_ignores_its_days() -> None:
    sim = simulate(_model(WEEKDAYS_9_17, keeps=False), seed=1, warmup_weeks=1)
    worked = _local_days(sim).value_counts()
    assert worked.get("2025-10-01", 0) > 0 and worked.get("2025-10-06", 0) > 0
    assert worked.get("2025-09-28", 0) == 0 and worked.get("2025-10-11", 0) == 0  # weekends as usual
    assert _throughput(sim).max() < pd.Timedelta(days=3)  # at most a weekend's wait


def test_a_pool_of_one_weekday_does_not_come_in_on_a_make_up_day() -> None:
    wednesdays = [2 * 24 + h for h in range(9, 17)]
    assert makeup_hours(wednesdays) == [] and makeup_hours(WEEKDAYS_9_17) == list(range(9, 17))
    sim = simulate(_model(wednesdays), seed=2, warmup_weeks=1)
    days = set(_local_days(sim))
    assert not days & set(MAKEUP) and "2025-10-01" not in days and "2025-10-08" in days


def test_cases_arrive_on_closed_days_at_the_model_s_share() -> None:
    # Submit has no pool: it starts when its case arrives, so its starts are the arrivals
    none = simulate(_model(WEEKDAYS_9_17, closed_arrivals=0.0), seed=3, warmup_weeks=1)
    assert not set(_local_days(none, "Submit")) & set(GOLDEN_WEEK)
    half = simulate(_model(WEEKDAYS_9_17, closed_arrivals=0.5), seed=3, warmup_weeks=1)
    on = _local_days(half, "Submit").isin(GOLDEN_WEEK).sum()
    assert 0.5 * 24 * 7 * 0.7 < on < 0.5 * 24 * 7 * 1.3  # Poisson: 84 expected
    full = simulate(_model(WEEKDAYS_9_17), seed=3, warmup_weeks=1)
    assert _local_days(full, "Submit").isin(GOLDEN_WEEK).sum() > on


def test_the_day_table_of_the_run_shuts_and_opens_whole_days() -> None:
    pool = Pool("p", ["x"], WEEKDAYS_9_17)
    h = _DayHours(pool, closed=[2], makeup=[5])  # the run's days: 0 = a Monday; Wednesday shut, Saturday worked
    weekly = _Hours(pool)
    assert h.open_at(9 * 3600.0) == weekly.open_at(9 * 3600.0) == 9 * 3600.0
    assert h.open_at(2 * 86400 + 10 * 3600.0) == 3 * 86400 + 9 * 3600.0  # Wednesday -> Thursday 09:00
    assert h.open_at(5 * 86400 + 8 * 3600.0) == 5 * 86400 + 9 * 3600.0  # make-up Saturday 09:00
    assert h.open_at(6 * 86400.0) == 7 * 86400 + 9 * 3600.0  # Sunday -> Monday
    assert h.add_work(1 * 86400 + 16.5 * 3600.0, 3600.0) == 3 * 86400 + 9.5 * 3600.0  # half Tue, half Thu
    far = 30 * 86400 + 10 * 3600.0  # past the table: the week's hours
    assert h.open_at(far) == weekly.open_at(far)


def test_working_time_leaves_out_closed_days_and_counts_make_up_days() -> None:
    closed, makeup = day_numbers(GOLDEN_WEEK), day_numbers(MAKEUP)

    def hours(start: str, end: str) -> float:
        s = pd.Series([pd.Timestamp(start, tz=TZ)])
        e = pd.Series([pd.Timestamp(end, tz=TZ)])
        return float(_working_seconds(s, e, WEEKDAYS_9_17, TZ, closed, makeup)[0]) / 3600.0

    assert hours("2025-09-30 16:00", "2025-10-08 10:00") == pytest.approx(2.0)  # Tue 16-17, Wed 8th 9-10
    assert hours("2025-09-26 16:00", "2025-09-29 10:00") == pytest.approx(10.0)  # Fri 1 h, make-up Sun 8 h, Mon 1 h
    assert hours("2025-09-26 16:00", "2025-09-28 12:30") == pytest.approx(4.5)  # to the make-up day's middle
    assert hours("2025-10-02 10:00", "2025-10-02 12:00") == 0.0  # inside a closed day
    plain = float(_working_seconds(pd.Series([pd.Timestamp("2025-09-30 16:00", tz=TZ)]),
                                   pd.Series([pd.Timestamp("2025-10-08 10:00", tz=TZ)]), WEEKDAYS_9_17, TZ)[0])
    assert plain / 3600.0 == pytest.approx(2.0 + 5 * 8.0)  # without the calendar: five weekdays between
    assert np.isnan(worked_correction(np.array([np.nan]), WEEKDAYS_9_17, closed, makeup)[0])


def test_next_day_open_skips_a_run_of_closed_days() -> None:
    out = next_day_open(np.array([1, 2, 3, 4, 9, 10]), [2, 3, 4, 10, 11])
    assert out.tolist() == [1, 5, 5, 5, 9, 12]


def _as_log(sim: pd.DataFrame) -> pd.DataFrame:
    return sim.drop(columns=["cost"], errors="ignore")


def test_discovery_reads_the_days_their_keeping_and_the_arrivals_on_them() -> None:
    service = Distribution("lognorm", shape=0.4, scale=1800.0)
    truth = _model(WEEKDAYS_9_17, closed_arrivals=0.2, weeks=10.0, service=service)
    truth.pools["clerks"].members = ["ann", "bob", "cy", "di"]
    log = _as_log(simulate(truth, seed=5, warmup_weeks=2))
    cal = Calendar(holidays=GOLDEN_WEEK, workdays=MAKEUP, timezone=TZ)
    m = discover(log, timezone=TZ, calendar=cal)
    assert m.closed_days == GOLDEN_WEEK and m.open_days == MAKEUP
    assert set(m.pools) == {"Review"} and m.pools["Review"].calendar is True
    assert 0.1 < m.closed_arrivals < 0.32  # 0.2 planted: 34 cases expected in the closed week
    assert np.mean(m.arrivals) == pytest.approx(1.0, rel=0.1)  # the open days' rate, not diluted
    assert m.steps["Review"].service.mean() == pytest.approx(service.mean(), rel=0.1)
    # the model file keeps the days
    assert SimulationModel.from_dict(m.to_dict()) == m
    # without the calendar: no days, and the closed week dilutes the rates
    plain = discover(log, timezone=TZ)
    assert plain.closed_days == [] and plain.closed_arrivals == 1.0
    assert np.mean(plain.arrivals) < np.mean(m.arrivals)


def test_a_pool_seen_working_through_the_closed_days_is_modelled_so() -> None:
    truth = _model(WEEKDAYS_9_17, keeps=False, weeks=8.0)
    log = _as_log(simulate(truth, seed=6, warmup_weeks=1))
    m = discover(log, timezone=TZ, calendar=Calendar(holidays=GOLDEN_WEEK, timezone=TZ))
    assert m.pools["Review"].calendar is False and m.closed_arrivals == pytest.approx(1.0, rel=0.25)


def test_the_model_keeps_the_calendar_s_days_and_the_simulated_log_follows_them(tmp_path: Path) -> None:
    truth = _model(WEEKDAYS_9_17, closed_arrivals=0.0, weeks=10.0)
    log = _as_log(simulate(truth, seed=7, warmup_weeks=2))
    cal = Calendar.official("CN", years=[2025], timezone=TZ)
    m = discover(log, timezone=TZ, calendar=cal)
    assert {"2025-10-01", "2025-10-08"} <= set(m.closed_days) and "2025-10-11" in m.open_days
    assert 0.0 < m.closed_arrivals < 0.2  # none on 1-7 October; the 8th, closed in the official calendar, is not
    again = simulate(SimulationModel.load(m.save(tmp_path / "m.json")), seed=1)
    assert not set(_local_days(again)) & {"2025-10-01", "2025-10-02", "2025-10-03"}


def test_with_the_calendar_s_days_the_as_is_model_reproduces_the_holiday_s_waits() -> None:
    service = Distribution("lognorm", shape=0.4, scale=1800.0)
    truth = _model(WEEKDAYS_9_17, closed_arrivals=0.2, weeks=10.0, service=service)
    truth.pools["clerks"].members = ["ann", "bob", "cy", "di"]
    log = _as_log(simulate(truth, seed=5, warmup_weeks=2))
    kept = discover(log, timezone=TZ, calendar=Calendar(holidays=GOLDEN_WEEK, workdays=MAKEUP, timezone=TZ))
    plain = discover(log, timezone=TZ)
    # without the days, the closed week's waits and the make-up days' work are read as waiting nobody's
    # work explains (extraneous delays of days) and as Saturday hours; with them, only the log's first
    # day keeps some (the clerks were busy with cases from before the log began, which it does not hold)
    kept_delay, plain_delay = kept.steps["Review"].delay, plain.steps["Review"].delay
    assert kept_delay is not None and plain_delay is not None
    assert plain_delay.mean() > 10 * kept_delay.mean() and plain_delay.quantiles[-1] > 5 * 86400
    assert not {h for h in plain.pools["Review"].hours if h >= 120} <= set(kept.pools["Review"].hours)

    def measures(m: SimulationModel) -> tuple[float, float]:
        runs = [fidelity(log, simulate(m, seed=s, warmup_weeks=2)) for s in range(20, 24)]
        return (float(np.mean([r["throughput_p90_s"]["relative_error"] for r in runs])),
                float(np.mean([r["throughput_emd_hours"] for r in runs])))

    (p90_kept, emd_kept), (p90_plain, emd_plain) = measures(kept), measures(plain)
    assert abs(p90_kept) < 0.1 and abs(p90_kept) < abs(p90_plain) and emd_kept < emd_plain
