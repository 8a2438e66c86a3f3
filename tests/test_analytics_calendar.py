"""Working-hours calendars: hand-computed business durations, numpy and SQL agreeing, metrics with calendar=."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from flowmine._schema import ACTIVITY, CASE, EVENT_ID, START, TIMESTAMP
from flowmine.analytics import (
    AnalyticsError,
    Calendar,
    business_duration,
    service_time,
    sojourn_time,
    throughput_time,
    waiting_time,
)
from flowmine.analytics._calendar import business_sql, business_us

H = 3600.0


def us(text: str) -> int:
    return pd.Timestamp(text, tz="UTC").value // 1000


# 2025-01-10 is a Friday; 2025-01-13 a Monday; 2025-01-15 a Wednesday
HAND = [  # start, end, hours in business time (Mon-Fri 09:00-17:00, holiday Wed 2025-01-15)
    ("2025-01-10 10:00", "2025-01-10 12:30", 2.5),  # inside one day
    ("2025-01-10 16:00", "2025-01-13 10:00", 2.0),  # over a weekend: Fri 1 h + Mon 1 h
    ("2025-01-10 07:00", "2025-01-10 08:00", 0.0),  # before opening
    ("2025-01-10 18:00", "2025-01-13 08:59", 0.0),  # closed all the way
    ("2025-01-11 12:00", "2025-01-12 12:00", 0.0),  # weekend only
    ("2025-01-14 16:00", "2025-01-16 10:00", 2.0),  # Tue 1 h, Wed holiday, Thu 1 h
    ("2025-01-13 09:00", "2025-01-20 09:00", 32.0),  # a week with a holiday: 4 days × 8 h
    ("2025-01-13 12:00", "2025-01-13 11:00", -1.0),  # end before start: negative
]


def test_hand_computed_business_durations():
    cal = Calendar(holidays=["2025-01-15"])
    start = np.array([us(s) for s, _, _ in HAND])
    end = np.array([us(e) for _, e, _ in HAND])
    np.testing.assert_allclose(business_duration(start, end, cal) / H, [h for _, _, h in HAND])


def test_offset_weekdays_and_missing():
    # local = UTC+8, working 08:30-12:00 on Saturdays only
    cal = Calendar(weekdays=(5,), start="08:30", end="12:00", utc_offset_h=8)
    got = business_duration([us("2025-01-11 00:00"), us("2025-01-10 00:00")],  # Sat 08:00 local → Sat 12:00 local
                            [us("2025-01-11 04:00"), np.iinfo(np.int64).min], cal)
    assert got[0] == pytest.approx(3.5 * H)
    assert np.isnan(got[1])
    assert np.isnan(business_duration(np.array([np.nan]), np.array([1.0]), cal)[0])


def test_sql_equals_numpy():
    cal = Calendar(weekdays=(0, 1, 2, 3, 5), start="08:15", end="18:45", holidays=["2025-01-15", "2025-01-18"],
                   utc_offset_h=-5)
    rng = np.random.default_rng(3)
    t = rng.integers(us("2024-12-20"), us("2025-02-10"), 2000)
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"t": t}))
    got = con.sql(f"SELECT {business_sql('t', cal)} AS f FROM t").fetchnumpy()["f"]
    np.testing.assert_array_equal(got, business_us(t, cal))
    assert con.sql(f"SELECT {business_sql('CAST(NULL AS BIGINT)', cal)}").fetchall() == [(None,)]


def test_invalid_calendar():
    with pytest.raises(AnalyticsError, match="after start"):
        Calendar(start="17:00", end="09:00")
    with pytest.raises(AnalyticsError, match="weekdays"):
        Calendar(weekdays=(7,))
    with pytest.raises(AnalyticsError, match="ISO date"):
        Calendar(holidays=["15/01/2025"]).holiday_days()


@pytest.fixture
def week_log() -> pd.DataFrame:
    """One case over a weekend: A Fri 15:00-16:00, B starts Mon 10:00, ends Mon 11:30."""
    return pd.DataFrame({
        CASE: ["c1", "c1"], ACTIVITY: ["A", "B"], EVENT_ID: [0, 1],
        START: pd.to_datetime(["2025-01-10 15:00", "2025-01-13 10:00"], utc=True),
        TIMESTAMP: pd.to_datetime(["2025-01-10 16:00", "2025-01-13 11:30"], utc=True),
    })


def test_metrics_with_calendar(week_log):
    cal = Calendar()
    wait = waiting_time(week_log, level="activity", calendar=cal).set_index("activity")
    assert wait.loc["B", "total_s"] == pytest.approx(2 * H)  # Fri 16-17 + Mon 09-10
    assert waiting_time(week_log, level="activity").set_index("activity").loc["B", "total_s"] == pytest.approx(
        66 * H)  # elapsed: Fri 16:00 → Mon 10:00
    serv = service_time(week_log, level="activity", calendar=cal).set_index("activity")
    assert serv.loc["B", "total_s"] == pytest.approx(1.5 * H)
    assert sojourn_time(week_log, level="log", calendar=cal)["total_s"].iloc[0] == pytest.approx(3.5 * H)
    tp = throughput_time(week_log, level="case", calendar=cal)
    assert tp["throughput_s"].iloc[0] == pytest.approx(4.5 * H)  # Fri 15-17 + Mon 09-11:30
    assert wait.loc["B", "share"] == pytest.approx(2 / 4.5)
    holiday = Calendar(holidays=["2025-01-13"])
    assert throughput_time(week_log, level="log", calendar=holiday)["total_s"].iloc[0] == pytest.approx(2 * H)
