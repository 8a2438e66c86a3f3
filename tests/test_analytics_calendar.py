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


def test_profile_in_business_time(week_log):
    from flowmine.analytics import profile

    p = profile(week_log, calendar=Calendar())
    assert (p["time"], p["engine"]) == ("business", "sql")
    assert p["calendar"]["text"] == "Mon–Fri 09:00–17:00 (UTC), 0 holidays, 0 make-up workdays"
    # the holidays said are those within the log's span, not every year's of the calendar
    years = profile(week_log, calendar=Calendar(holidays=["2024-05-01", "2025-01-13", "2026-05-01"]))
    assert years["calendar"]["holidays"] == 1 and "1 holiday," in years["calendar"]["text"]
    assert p["throughput_time_s"]["median"] == pytest.approx(4.5 * H)  # Fri 15-17 + Mon 09-11:30
    acts = {a["activity"]: a for a in p["activities"]}
    assert acts["B"]["waiting_time_median_s"] == pytest.approx(2 * H)  # Fri 16-17 + Mon 09-10
    assert acts["B"]["service_time_median_s"] == pytest.approx(1.5 * H)
    ranked = {(b["kind"], b["name"]): b["waiting_total_s"] for b in p["bottlenecks"]}
    assert ranked[("activity", "B")] == pytest.approx(2 * H)
    elapsed = profile(week_log)
    assert elapsed["time"] == "elapsed" and "calendar" not in elapsed
    assert elapsed["throughput_time_s"]["median"] == pytest.approx(68.5 * H)  # Fri 15:00 → Mon 11:30
    with pytest.raises(AnalyticsError, match="elapsed time only"):
        profile(week_log, engine="fast", calendar=Calendar())


def test_profile_in_business_time_equals_the_metrics(week_log):
    """On a filtered sample log the profile's business-time figures are the metrics' own with calendar=."""
    from pathlib import Path

    from flowmine import Store
    from flowmine.analytics import CaseFilter, profile, stored

    samples = Path(__file__).resolve().parents[1] / "sample_logs"
    cal = Calendar(start="08:30", end="17:30", utc_offset_h=8, holidays=["2025-05-01", "2025-10-01"],
                   workdays=["2025-09-28"])
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        st = Store(Path(tmp) / "s")
        st.ingest("finance", [samples / "finance_claims.csv"], mapping=samples / "finance_claims.mapping.toml")
        log = stored(st, "finance").where(CaseFilter(top_variants=3))
        p = profile(log, calendar=cal)
        wait = waiting_time(log, level="activity", calendar=cal).set_index("activity")["median_s"]
        tp = throughput_time(log, level="log", calendar=cal).iloc[0]
        assert p["cases"] == int(tp["cases"]) and p["throughput_time_s"]["median"] == pytest.approx(tp["median_s"])
        for a in p["activities"]:
            want = wait.get(a["activity"])
            if want is None or want != want:
                assert a["waiting_time_median_s"] is None
            else:
                assert a["waiting_time_median_s"] == pytest.approx(want)
        assert p["throughput_time_s"]["median"] < profile(log)["throughput_time_s"]["median"]


def test_calendar_describe_in_both_languages():
    cal = Calendar(weekdays=(0, 1, 2, 3, 5), start="08:15", end="24:00", utc_offset_h=5.5,
                   holidays=["2025-01-15", "2025-01-18", "2025-01-19"], workdays=["2025-01-19", "2025-01-24"])
    d = cal.describe()
    # holidays on worked days: Wed 01-15 and Sat 01-18 (Sun 01-19 is not worked anyway); make-up days: Fri
    # 01-24 (Sun 01-19 is a holiday too, so it stays closed)
    assert (d["holidays"], d["workdays"]) == (2, 1)
    assert d["text"] == "Mon–Thu, Sat 08:15–24:00 (UTC+5.5), 2 holidays, 1 make-up workday"
    assert d["text_zh"] == "周一–周四、周六 08:15–24:00（UTC+5.5），节假日 2 天，调休工作日 1 天"


def test_a_zone_s_daylight_saving_switch_moves_the_working_hours():
    # Amsterdam switches to summer time on Sun 2025-03-30 at 01:00 UTC (+1 h -> +2 h)
    zone = Calendar(timezone="Europe/Amsterdam")
    fixed = Calendar(utc_offset_h=1)
    start, end = us("2025-03-28 15:00"), us("2025-03-31 08:00")  # Fri 16:00 CET -> Mon 10:00 CEST
    assert business_duration([start], [end], zone)[0] == pytest.approx(2 * H)  # Fri 16-17 + Mon 09-10 local
    assert business_duration([start], [end], fixed)[0] == pytest.approx(1 * H)  # Mon 08:00 +1 h: before opening
    span = zone.within(us("2025-01-01 00:00"), us("2025-12-31 00:00"))
    assert span.offsets()[1:] == [(us("2025-03-30 01:00"), 2 * 3_600_000_000),
                                  (us("2025-10-26 01:00"), 3_600_000_000)]
    assert span.describe()["text"] == "Mon–Fri 09:00–17:00 (Europe/Amsterdam), 0 holidays, 0 make-up workdays"
    with pytest.raises(AnalyticsError, match="not an IANA time zone"):
        Calendar(timezone="Europe/Atlantis")
    with pytest.raises(AnalyticsError, match="not both"):
        Calendar(timezone="Europe/Amsterdam", utc_offset_h=1)


def test_sql_equals_numpy_across_switches():
    rng = np.random.default_rng(3)
    cal = Calendar(timezone="America/New_York", start="07:30", end="19:00", holidays=["2024-11-28", "2025-07-04"])
    lo, hi = us("2024-01-01 00:00"), us("2026-01-01 00:00")
    t = np.sort(rng.integers(lo, hi, 400))
    t[::50] = [us(x) for x in ("2024-03-10 06:59", "2024-03-10 07:00", "2024-11-03 05:30", "2024-11-03 06:00",
                                "2025-03-09 07:00", "2025-03-09 12:00", "2025-11-02 06:00", "2025-11-02 13:00")]
    t = np.sort(t)
    spanned = cal.within(int(t.min()), int(t.max()))
    want = business_us(t, spanned)
    con = duckdb.connect()
    con.register("x", pd.DataFrame({"t": t}))
    got = con.sql(f"SELECT {business_sql('t', spanned)} AS f FROM x").df()["f"].to_numpy()
    np.testing.assert_array_equal(got, want)
    assert np.all(np.diff(want) >= 0)  # F never runs backwards
    np.testing.assert_array_equal(business_us(t, cal), want)  # numpy finds the span itself


def test_metrics_in_a_zone_with_dst(week_log):
    """The profile over a log that spans the switch: sql (through the engine's span) equals numpy."""
    from flowmine.analytics import profile

    log = week_log.assign(**{START: pd.to_datetime(["2025-03-28 14:00", "2025-03-31 08:30"], utc=True),
                             TIMESTAMP: pd.to_datetime(["2025-03-28 15:00", "2025-03-31 09:00"], utc=True)})
    cal = Calendar(timezone="Europe/Amsterdam")
    p = profile(log, calendar=cal)
    # A 15:00-16:00 local; B starts Mon 10:30 CEST, ends 11:00: throughput Fri 15-17 + Mon 09-11 = 4 h
    assert p["throughput_time_s"]["median"] == pytest.approx(4 * H)
    assert {a["activity"]: a["waiting_time_median_s"] for a in p["activities"]}["B"] == pytest.approx(2.5 * H)
