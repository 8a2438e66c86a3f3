"""Official calendars: China's (holidays and make-up workdays, chinesecalendar) and countries' (holidays),
hand-computed business hours, numpy and SQL agreeing with make-up days, metrics with calendar=."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from flowmine._schema import ACTIVITY, CASE, EVENT_ID, START, TIMESTAMP
from flowmine.analytics import AnalyticsError, Calendar, business_duration, throughput_time, waiting_time
from flowmine.analytics._calendar import business_sql, business_us

H = 3600.0


def us(text: str, tz: str = "Asia/Shanghai") -> int:
    return pd.Timestamp(text, tz=tz).value // 1000


@pytest.fixture
def cn() -> Calendar:
    """China 2025, Monday to Friday 09:00-18:00 (9 h) at UTC+8."""
    return Calendar.official("CN", years=[2025], start="09:00", end="18:00", utc_offset_h=8)


def test_chinese_spring_festival_2025(cn):
    # Spring Festival 2025: closed Tue 28 Jan .. Tue 4 Feb; make-up workdays Sun 26 Jan and Sat 8 Feb.
    # Fri 24 Jan 17:00 → Mon 10 Feb 10:00 (local): Fri 1 h + Sun 26 (make-up) 9 h + Mon 27 9 h
    # + Tue 28 .. Tue 4 closed 0 + Wed 5, Thu 6, Fri 7 27 h + Sat 8 (make-up) 9 h + Mon 10 1 h = 56 h.
    got = business_duration([us("2025-01-24 17:00")], [us("2025-02-10 10:00")], cn)
    assert got[0] == 56 * H
    # the make-up Saturday alone is a full working day; the festival's Wednesday is none
    assert business_duration([us("2025-02-08 00:00")], [us("2025-02-09 00:00")], cn)[0] == 9 * H
    assert business_duration([us("2025-01-29 00:00")], [us("2025-01-30 00:00")], cn)[0] == 0.0
    # without the official calendar: 10 full weekdays + 2 h = 92 h (= 56 + 6 closed weekdays - 2 make-up days, 9 h each)
    plain = Calendar(start="09:00", end="18:00", utc_offset_h=8)
    assert business_duration([us("2025-01-24 17:00")], [us("2025-02-10 10:00")], plain)[0] == 92 * H


def test_chinese_calendar_with_own_closed_days_and_workdays():
    cal = Calendar.official("CN", years=[2025], start="09:00", end="18:00", utc_offset_h=8,
                            holidays=["2025-02-07", "2025-02-08"], workdays=["2025-02-09"])
    # as above, minus Fri 7 Feb and the make-up Sat 8 Feb (the company closes), plus Sun 9 Feb (it works)
    assert business_duration([us("2025-01-24 17:00")], [us("2025-02-10 10:00")], cal)[0] == (56 - 9 - 9 + 9) * H


def test_country_calendar_germany():
    # Germany 2025 (holidays package): Good Friday 18 Apr and Easter Monday 21 Apr; CEST = UTC+2.
    de = Calendar.official("DE", years=[2025], utc_offset_h=2)
    assert de.workdays == ()
    start, end = [us("2025-04-17 16:00", "Europe/Berlin")], [us("2025-04-22 10:00", "Europe/Berlin")]
    assert business_duration(start, end, de)[0] == 2 * H  # Thu 16-17 + Tue 09-10
    own = Calendar.official("DE", years=[2025], utc_offset_h=2, holidays=["2025-04-22"])
    assert business_duration(start, end, own)[0] == 1 * H


def test_unknown_official_calendar():
    with pytest.raises(AnalyticsError, match="not a country code"):
        Calendar.official("XX", years=[2025])
    with pytest.raises(AnalyticsError, match="chinesecalendar knows the years"):
        Calendar.official("CN", years=[1999])
    with pytest.raises(AnalyticsError, match="workday '2025-02-30' is not an ISO date"):
        Calendar(workdays=["2025-02-30"]).workday_days()


def test_sql_equals_numpy_with_workdays(cn):
    rng = np.random.default_rng(7)
    t = rng.integers(us("2025-01-01"), us("2025-03-01"), 3000)
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"t": t}))
    got = con.sql(f"SELECT {business_sql('t', cn)} AS f FROM t").fetchnumpy()["f"]
    np.testing.assert_array_equal(got, business_us(t, cn))


@pytest.fixture
def festival_log() -> pd.DataFrame:
    """c1: A Fri 24 Jan 16:00-17:00 (local), B Mon 10 Feb 10:00-11:00; c2: A on the make-up Sat 8 Feb 09:00-12:00."""
    local = ["2025-01-24 16:00", "2025-02-10 10:00", "2025-02-08 09:00"]
    done = ["2025-01-24 17:00", "2025-02-10 11:00", "2025-02-08 12:00"]
    return pd.DataFrame({
        CASE: ["c1", "c1", "c2"], ACTIVITY: ["A", "B", "A"], EVENT_ID: [0, 1, 2],
        START: pd.to_datetime(local).tz_localize("Asia/Shanghai").tz_convert("UTC"),
        TIMESTAMP: pd.to_datetime(done).tz_localize("Asia/Shanghai").tz_convert("UTC"),
    })


def test_metrics_with_chinese_calendar(festival_log, cn):
    wait = waiting_time(festival_log, level="activity", calendar=cn).set_index("activity")
    assert wait.loc["B", "total_s"] == pytest.approx(56 * H)  # A's end → B's start, as hand-computed above
    assert waiting_time(festival_log, level="activity").set_index("activity").loc["B", "total_s"] == pytest.approx(
        (17 * 24 - 7) * H)  # elapsed: Fri 24 Jan 17:00 → Mon 10 Feb 10:00
    tp = throughput_time(festival_log, level="case", calendar=cn).set_index("case")["throughput_s"]
    assert tp["c1"] == pytest.approx(58 * H)  # 1 h of A + 56 h + 1 h of B
    assert tp["c2"] == pytest.approx(3 * H)  # the make-up Saturday counts


def test_sql_equals_numpy_over_all_chinese_years():
    cal = Calendar.official("CN", years=range(2004, 2027), utc_offset_h=8)
    rng = np.random.default_rng(11)
    t = rng.integers(us("2003-12-01"), us("2027-01-31"), 5000)
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"t": t}))
    got = con.sql(f"SELECT {business_sql('t', cal)} AS f FROM t").fetchnumpy()["f"]
    np.testing.assert_array_equal(got, business_us(t, cal))


def test_metrics_with_all_official_years_equal_one_year(festival_log, cn):
    every = Calendar.official("CN", years=range(2004, 2027), start="09:00", end="18:00", utc_offset_h=8)
    for metric, level in ((waiting_time, "activity"), (throughput_time, "case")):
        pd.testing.assert_frame_equal(metric(festival_log, level=level, calendar=every),
                                      metric(festival_log, level=level, calendar=cn))
    narrowed = every.within(us("2025-01-24 00:00"), us("2025-02-10 23:00"))
    assert sorted(d.isoformat() for d in narrowed.workdays) == ["2025-01-26", "2025-02-08"]
