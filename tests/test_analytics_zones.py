"""Periods in a time zone (issue 19): a case's period is the one of its local start and end.

A BPI 2012-like case starts 2012-10-01 00:38 in Amsterdam (2012-09-30 22:38 UTC, summer time): in
Amsterdam's months it arrives in October, in UTC's in September. Hand-made three-case log.
"""

from __future__ import annotations

import pandas as pd
import pytest

from flowmine._schema import ACTIVITY, CASE, TIMESTAMP
from flowmine.analytics import flow, profile, throughput_time
from flowmine.analytics._common import local_us
from flowmine.errors import AnalyticsError

AMS = "Europe/Amsterdam"


@pytest.fixture
def log() -> pd.DataFrame:
    rows = [("late", "A", "2012-09-30 22:38"), ("late", "B", "2012-10-02 10:00"),  # 00:38 local on 1 October
            ("sep", "A", "2012-09-10 09:00"), ("sep", "B", "2012-09-11 09:00"),
            ("winter", "A", "2012-10-31 23:30"), ("winter", "B", "2012-11-01 00:10")]  # CET: 1 Nov 00:30 / 01:10
    return pd.DataFrame({CASE: [r[0] for r in rows], ACTIVITY: [r[1] for r in rows],
                         TIMESTAMP: pd.to_datetime([r[2] for r in rows], utc=True)})


def _months(periods: list[dict]) -> dict[str, tuple[int, int]]:
    return {str(r["period"])[:7]: (r["arrivals"], r["completions"]) for r in periods}


@pytest.mark.parametrize("engine", ["sql", "fast"])
def test_profile_periods_in_the_process_zone(log, engine):
    local = profile(log, by="month", tz=AMS, engine=engine)
    utc = profile(log, by="month", engine=engine)
    assert (local["tz"], utc["tz"]) == (AMS, "UTC")
    assert _months(local["periods"]) == {"2012-09": (1, 1), "2012-10": (1, 1), "2012-11": (1, 1)}
    assert _months(utc["periods"]) == {"2012-09": (2, 1), "2012-10": (1, 1), "2012-11": (0, 1)}
    first = pd.Timestamp(local["periods"][1]["period"])
    assert first == pd.Timestamp("2012-10-01 00:00", tz=AMS)  # local midnight, 2012-09-30 22:00 UTC


def test_flow_and_throughput_periods_in_a_zone(log):
    f = flow(log, by="month", tz=AMS)
    assert [str(p.date()) for p in f["period"]] == ["2012-09-01", "2012-10-01", "2012-11-01"]
    assert f["arrivals"].tolist() == [1, 1, 1] and str(f["period"].dt.tz) == AMS
    assert flow(log, by="month")["arrivals"].tolist() == [2, 1, 0]
    d = flow(log, by="day", tz=AMS)
    assert d.loc[d["period"] == pd.Timestamp("2012-10-01", tz=AMS), "arrivals"].tolist() == [1]
    t = throughput_time(log, level="period", by="month", tz=AMS)  # by completion: Sep, Oct, Nov
    assert (t["cases"].tolist(), [str(p.date()) for p in t["period"]]) == ([1, 1, 1], ["2012-09-01", "2012-10-01",
                                                                                        "2012-11-01"])


def test_local_us_follows_the_clock_changes():
    import duckdb

    def wall(utc: str, tz: str) -> str:
        us = pd.Timestamp(utc, tz="UTC").value // 1000
        return str(duckdb.sql(f"SELECT make_timestamp({local_us(str(us), tz)})").fetchall()[0][0])

    assert wall("2012-09-30 22:38", AMS) == "2012-10-01 00:38:00"  # CEST, +2
    assert wall("2012-10-28 00:59", AMS) == "2012-10-28 02:59:00"  # the last minute of summer time
    assert wall("2012-10-28 01:00", AMS) == "2012-10-28 02:00:00"  # CET, +1
    assert wall("2025-01-15 16:00", "Asia/Shanghai") == "2025-01-16 00:00:00"
    assert local_us("x", "UTC") == "x"


def test_an_unknown_zone_is_a_parameter_error(log):
    with pytest.raises(AnalyticsError, match="The 'tz' parameter of profile must be an IANA time zone"):
        profile(log, by="month", tz="Mars/Olympus")
    with pytest.raises(AnalyticsError, match="parameter of flow"):
        flow(log, tz="CEST")
