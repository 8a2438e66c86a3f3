"""The filter keys the shell added (has, df, dur_min/dur_max, start/end, tz), the date range, presets
and chips: URL round trips, forged values refused, and the API's case filter they become."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flowmine.analytics import CaseFilter, filter_cases
from flowmine.dashboard._state import Filters, Offer, parse, preset, with_changes

PROCESSES = ["finance", "sales"]
OFFER = Offer(activities=("Approve", "Check", "Pay", "Submit"), edges=("Check → Pay", "Submit → Check"),
              span=("2025-01-06", "2025-12-19"), zone="Asia/Shanghai", variants=("Submit → Check → Pay",),
              variant_cases={"Submit → Check → Pay": 12})


def offer_of(process: str) -> Offer:
    return OFFER if process == "finance" else Offer()


def test_new_keys_round_trip_through_the_url():
    q = ("?process=finance&from=2025-02-01&has=Check&has=Pay&df=Check+%E2%86%92+Pay&dur_min=3600&dur_max=86400.5"
         "&start=Submit&end=Pay&tz=UTC&lang=zh")
    f = parse(q, PROCESSES, offer_of)
    assert (f.has, f.df, f.dur_min, f.dur_max, f.first, f.last, f.tz, f.refused) == (
        ("Check", "Pay"), "Check → Pay", 3600.0, 86400.5, "Submit", "Pay", "UTC", ())
    assert f.query() == q
    assert parse(f.query(), PROCESSES, offer_of) == f
    assert f.filtered


@pytest.mark.parametrize("query, refused", [
    ("has=Delete", "has=Delete"), ("df=Pay+%E2%86%92+Submit", "df=Pay → Submit"),
    ("start=%3Cscript%3E", "start=<script>"), ("end=Nope", "end=Nope"), ("dur_min=-5", "dur_min=-5"),
    ("dur_max=nan", "dur_max=nan"), ("dur_min=1e300", "dur_min=1e300"),
    ("dur_min=abc", "dur_min=abc"), ("tz=Mars%2FOlympus", "tz=Mars/Olympus"), ("to=9999-12-31", "to=9999-12-31"),
    ("from=2023-12-31", "from=2023-12-31"), ("to=2026-01-01", "to=2026-01-01"), ("from=1-1-1", "from=1-1-1"),
])
def test_forged_or_out_of_range_values_are_refused(query, refused):
    f = parse("?process=finance&" + query, PROCESSES, offer_of)
    assert f.refused == (refused,)
    assert f == parse("?process=finance", PROCESSES, offer_of).__class__(process="finance", refused=(refused,))


def test_dates_keep_to_the_whole_years_of_the_data_and_to_sane_years_without_data():
    assert parse("?process=finance&from=2025-01-01&to=2025-12-31", PROCESSES, offer_of).refused == ()
    assert parse("?process=sales&to=9999-12-31", PROCESSES, offer_of).refused == ("to=9999-12-31",)  # no span
    assert parse("?process=sales&to=2199-12-31", PROCESSES, offer_of).end == "2199-12-31"


def test_a_longest_duration_shorter_than_the_shortest_is_refused():
    f = parse("?process=finance&dur_min=100&dur_max=10", PROCESSES, offer_of)
    assert (f.dur_min, f.dur_max, f.refused) == (100.0, None, ("dur_max=10",))
    with pytest.raises(ValueError):
        with_changes(Filters(process="finance"), PROCESSES, offer_of, dur_min=100.0, dur_max=10.0)


@pytest.mark.parametrize("bad", [{"has": ("Delete",)}, {"has": "Check"}, {"df": "Pay → Submit"}, {"first": 3},
                                 {"last": "Nope"}, {"dur_min": "1; DROP"}, {"dur_max": -1}, {"tz": "Mars/Olympus"},
                                 {"start": "9999-12-31"}, {"end": ["2025-01-01"]}, {"nonsense": 1}])
def test_control_changes_outside_the_offer_raise(bad):
    with pytest.raises(ValueError):
        with_changes(Filters(process="finance"), PROCESSES, offer_of, **bad)


def test_control_changes_inside_the_offer_are_kept_and_another_process_resets_them():
    f = with_changes(Filters(process="finance"), PROCESSES, offer_of, has=["Check"], df="Submit → Check",
                     first="Submit", last="Pay", dur_min=60, dur_max=None, tz="Europe/Berlin")
    assert (f.has, f.df, f.first, f.last, f.dur_min, f.tz) == (("Check",), "Submit → Check", "Submit", "Pay", 60.0,
                                                              "Europe/Berlin")
    g = with_changes(f, PROCESSES, offer_of, process="sales")
    assert not g.filtered and g.tz == "Europe/Berlin"


def test_the_cache_key_holds_every_filter_and_rebuilds_them():
    f = Filters(process="finance", start="2025-02-01", has=("Check",), df="Check → Pay", dur_min=1.0, dur_max=2.0,
                first="Submit", last="Pay", tz="UTC")
    assert Filters.from_key("finance", f.key()) == f
    keys = {replace_one(f, name).key() for name in ("start", "has", "df", "dur_min", "dur_max", "first", "last", "tz")}
    assert len(keys) == 8 and f.key() not in keys  # each one changes the key
    assert Filters(process="finance", tz="UTC").key() == Filters(process="finance").key()  # no dates: no zone


def replace_one(f: Filters, name: str) -> Filters:
    from dataclasses import replace

    other = {"start": "2025-03-01", "has": ("Pay",), "df": "Submit → Check", "dur_min": 5.0, "dur_max": 9.0,
             "first": "Check", "last": "Check", "tz": "Asia/Shanghai"}
    return replace(f, **{name: other[name]})


def test_presets_count_back_from_the_last_case_start():
    assert preset(OFFER, "30") == ("2025-11-20", "2025-12-19")
    assert preset(OFFER, "90") == ("2025-09-21", "2025-12-19")
    assert preset(OFFER, "year") == ("2025-01-06", "2025-12-19")  # not before the first case start
    assert preset(OFFER, "all") == (None, None)
    short = Offer(span=("2025-12-01", "2025-12-19"))
    assert preset(short, "90") == ("2025-12-01", "2025-12-19")


def test_chips_name_each_active_filter_and_remove_only_it():
    f = Filters(process="finance", start="2025-02-01", has=("Check", "Pay"), first="Submit", lang="zh", tz="UTC")
    chips = {(key, value): without for key, value, without in f.active()}
    assert set(chips) == {("from", "2025-02-01 – …"), ("has", "Check"), ("has", "Pay"), ("start", "Submit")}
    assert chips[("has", "Check")].has == ("Pay",) and chips[("has", "Check")].first == "Submit"
    assert f.cleared() == Filters(process="finance", lang="zh", tz="UTC")


LOG = pd.DataFrame({
    "case:concept:name": ["1", "1", "1", "2", "2", "2", "3", "3"],
    "concept:name": ["Submit", "Check", "Pay", "Submit", "Pay", "Check", "Submit", "Pay"],
    "time:timestamp": pd.to_datetime(["2025-01-01 00:00", "2025-01-01 01:00", "2025-01-01 02:00",
                                      "2025-01-02 00:00", "2025-01-02 05:00", "2025-01-02 06:00",
                                      "2025-01-03 00:00", "2025-01-03 00:30"], utc=True),
})


def kept(**conditions) -> list[str]:
    return sorted(filter_cases(LOG, CaseFilter(**conditions))["case:concept:name"].unique())


def test_directly_follows_is_the_next_step_and_follows_stays_eventually():
    assert kept(directly_follows=("Check", "Pay")) == ["1"]  # case 2 has Pay → Check, not Check → Pay
    assert kept(directly_follows=("Submit", "Pay")) == ["2", "3"]
    assert kept(follows=("Submit", "Pay")) == ["1", "2", "3"]  # eventually: case 1 too
    assert kept(contains=["Check"]) == ["1", "2"]
    assert kept(contains=["Check", "Pay"], end_steps=["Check"]) == ["2"]


def test_the_dashboard_filters_become_the_api_case_filter(tmp_path: Path):
    from flowmine import Store
    from flowmine.dashboard._data import case_filter

    src = tmp_path / "log.csv"
    src.write_text("case,activity,timestamp\nA,Start,2025-01-01 10:00\nA,End,2025-01-02 10:00\n", encoding="utf-8")
    store = Store(tmp_path / "store")
    store.ingest("p", [str(src)])
    f = Filters(process="p", start="2025-01-01", end="2025-01-01", has=("Start",), df="Start → End",
                dur_min=60.0, first="Start", last="End", tz="Asia/Shanghai")
    flt = case_filter(store, f)
    assert flt is not None
    lo, hi = flt.started
    assert (lo.isoformat(), hi.isoformat()) == ("2025-01-01T00:00:00+08:00", "2025-01-02T00:00:00+08:00")
    assert (flt.contains, flt.directly_follows, flt.duration_s, flt.start_steps, flt.end_steps) == (
        ["Start"], ("Start", "End"), (60.0, None), ["Start"], ["End"])
    utc = case_filter(store, Filters(process="p", start="2025-01-01"))  # an unconfigured process: UTC
    assert utc is not None and utc.started[0].isoformat() == "2025-01-01T00:00:00+00:00"


NUMERIC = Offer(numeric={"case:amount": (10.0, 500.0), "case:items": (1.0, 9.0)})


def numeric_of(process: str) -> Offer:
    return NUMERIC


def test_a_numeric_attribute_range_round_trips_and_is_checked_against_the_data():
    f = parse("?process=finance&num=case:amount&num_min=20&num_max=99.5", PROCESSES, numeric_of)
    assert (f.num, f.num_min, f.num_max, f.refused) == ("case:amount", 20.0, 99.5, ())
    assert parse(f.query(), PROCESSES, numeric_of) == f
    assert [k for k, _, _ in f.active()] == ["num"]
    for q, refused in (("num=case:secret&num_min=20", {"num=case:secret", "num_min=20"}),
                       ("num=case:amount&num_min=5", {"num_min=5"}),  # below the data's smallest value
                       ("num=case:amount&num_max=inf", {"num_max=inf"}),
                       ("num=case:amount&num_min=90&num_max=20", {"num_max=20"})):
        assert set(parse("?process=finance&" + q, PROCESSES, numeric_of).refused) == refused


def test_changing_the_numeric_attribute_opens_its_range():
    f = with_changes(Filters(process="finance"), PROCESSES, numeric_of, num="case:amount", num_min=400, num_max=None)
    g = with_changes(f, PROCESSES, numeric_of, num="case:items", num_min=400, num_max=None)  # the old bound
    assert (g.num, g.num_min, g.num_max) == ("case:items", None, None)
    with pytest.raises(ValueError):
        with_changes(g, PROCESSES, numeric_of, num_min=10)  # outside 1-9


def test_numeric_ranges_and_the_range_filter_of_the_api():
    from flowmine.analytics import numeric_ranges

    log = LOG.assign(**{"case:amount": [5.0, 5.0, 5.0, 50.0, 50.0, 50.0, 120.5, 120.5],
                        "case:region": ["E"] * 8})
    assert numeric_ranges(log) == {"case:amount": (5.0, 120.5)}  # text attributes are not ranges
    kept_ = sorted(filter_cases(log, CaseFilter(ranges={"case:amount": (50, None)}))["case:concept:name"].unique())
    assert kept_ == ["2", "3"]
    kept_ = sorted(filter_cases(log, CaseFilter(ranges={"case:amount": (None, 50)}))["case:concept:name"].unique())
    assert kept_ == ["1", "2"]
