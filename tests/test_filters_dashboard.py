"""The dashboard's URL state carries the new case filters (not, rework, top, size_min/size_max): URL
round trips, values outside the offer refused, chips that remove one filter, and the API's case filter
they become, with the numbers of the public API on a stored log."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from flowmine.analytics import CaseFilter, count_cases, stored
from flowmine.dashboard._state import Filters, Offer, parse, with_changes
from flowmine.store import Store

PROCESSES = ["finance", "sales"]
OFFER = Offer(activities=("Approve", "Check", "Pay", "Submit"), variants=("Submit → Check → Pay", "Submit → Pay"),
              variant_cases={"Submit → Check → Pay": 12, "Submit → Pay": 3})
SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


def offer_of(process: str) -> Offer:
    return OFFER if process == "finance" else Offer()


def test_the_new_keys_round_trip_through_the_url():
    q = "?process=finance&not=Approve&not=Check&rework=Check&top=2&size_min=3&size_max=40&lang=zh"
    f = parse(q, PROCESSES, offer_of)
    assert (f.not_has, f.rework, f.top, f.size_min, f.size_max, f.refused) == (("Approve", "Check"), "Check", 2, 3,
                                                                              40, ())
    assert f.query() == q and parse(f.query(), PROCESSES, offer_of) == f and f.filtered
    assert Filters.from_key("finance", f.key()) == replace(f, lang="en")  # the key holds no language


@pytest.mark.parametrize(("query", "refused"), [
    ("not=Delete", "not=Delete"), ("rework=Nope", "rework=Nope"), ("top=3", "top=3"), ("top=0", "top=0"),
    ("top=1.5", "top=1.5"), ("size_min=-1", "size_min=-1"), ("size_max=abc", "size_max=abc"),
    ("size_min=1e9", "size_min=1e9")])
def test_values_outside_the_offer_are_refused(query: str, refused: str):
    f = parse("?process=finance&" + query, PROCESSES, offer_of)
    assert f.refused == (refused,)
    assert not f.filtered


def test_a_smallest_size_above_the_largest_is_refused():
    f = parse("?process=finance&size_min=9&size_max=2", PROCESSES, offer_of)
    assert (f.size_min, f.size_max, f.refused) == (9, None, ("size_max=2",))
    with pytest.raises(ValueError):
        with_changes(Filters(process="finance"), PROCESSES, offer_of, size_min=9, size_max=2)
    g = with_changes(Filters(process="finance"), PROCESSES, offer_of, not_has=["Pay"], top=1, rework="Check")
    assert (g.not_has, g.top, g.rework) == (("Pay",), 1, "Check")


def test_chips_name_each_new_filter_and_remove_only_it():
    f = Filters(process="finance", not_has=("Approve", "Check"), rework="Pay", top=2, size_min=3)
    chips = {(key, value): without for key, value, without in f.active()}
    assert set(chips) == {("not", "Approve"), ("not", "Check"), ("rework", "Pay"), ("top", "2"), ("size", "3 – …")}
    assert chips[("not", "Approve")].not_has == ("Check",) and chips[("not", "Approve")].top == 2
    assert chips[("size", "3 – …")].size_min is None and chips[("top", "2")].top is None


def test_the_chips_read_in_both_languages():
    from flowmine.dashboard._shell import chips

    f = Filters(process="finance", not_has=("Check",), rework="Pay", top=2, size_min=3, size_max=9)
    for lang, words in (("en", ("without Check", "Pay repeated", "top 2 variants", "3 – 9 events")),
                        ("zh", ("不含 Check", "Pay 返工", "前 2 个变体", "3 – 9 个事件"))):
        links = chips("/", Filters(**{**f.__dict__, "lang": lang}), str)
        texts = [str(c.children) for c in links]
        for w in words:
            assert any(w in x for x in texts), (w, texts)


def test_the_dashboard_filters_keep_the_cases_the_api_keeps(tmp_path: Path):
    from flowmine.dashboard._data import case_filter, offer

    store = Store(tmp_path / "store")
    store.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    off = offer(store, "finance")
    q = "?process=finance&not=Urgent+payment+request&rework=Finance+review&top=4&size_min=6"
    f = parse(q, ["finance"], lambda p: off)
    assert f.refused == ()
    flt = case_filter(store, f)
    want = CaseFilter(not_contains=["Urgent payment request"], rework=["Finance review"], top_variants=4,
                      case_size=(6, None))
    assert flt == want
    n = count_cases(stored(store, "finance").where(flt))
    assert 0 < n < 6000


def test_the_time_frame_mode_round_trips_is_checked_and_named_on_its_chip():
    from flowmine.dashboard._shell import chips

    span = Offer(span=("2025-01-01", "2025-06-30"))
    f = parse("?process=sales&from=2025-03-01&to=2025-03-31&frame=active", PROCESSES, lambda p: span)
    assert (f.frame, f.refused) == ("active", ())
    assert "frame=active" in f.query() and parse(f.query(), PROCESSES, lambda p: span) == f
    bad = parse("?process=sales&from=2025-03-01&frame=../../etc", PROCESSES, lambda p: span)
    assert (bad.frame, bad.refused) == (None, ("frame=../../etc",))
    with pytest.raises(ValueError):
        with_changes(f, PROCESSES, lambda p: span, frame="during")
    # without dates the mode changes no number: it is no part of the cache key then
    assert replace(f, start=None, end=None).key() == replace(f, start=None, end=None, frame=None).key()
    assert f.key() != replace(f, frame=None).key()
    for lang, word in (("en", "Active in 2025-03-01 – 2025-03-31"), ("zh", "进行于 2025-03-01 – 2025-03-31")):
        texts = [str(c.children) for c in chips("/", replace(f, lang=lang), str)]
        assert any(word in x for x in texts), texts
    removed = next(c for c in chips("/", f, str) if "2025-03-01" in str(c.children))
    assert "frame" not in removed.href and "from" not in removed.href


@pytest.mark.parametrize("frame", ["started", "completed", "active", "contained"])
def test_each_time_frame_mode_keeps_the_cases_the_api_keeps(tmp_path_factory, frame: str):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from flowmine.dashboard._data import case_filter, offer

    store = _finance(tmp_path_factory)
    off = offer(store, "finance")
    f = parse(f"?process=finance&from=2025-03-01&to=2025-03-31&frame={frame}", ["finance"], lambda p: off)
    assert f.refused == ()
    zone = ZoneInfo(off.zone)
    window = (dt.datetime(2025, 3, 1, tzinfo=zone), dt.datetime(2025, 4, 1, tzinfo=zone))
    flt = case_filter(store, f)
    assert flt == CaseFilter(**{frame: window})
    counts[frame] = count_cases(stored(store, "finance").where(flt))
    assert 0 < counts[frame] < 6000
    if len(counts) == 4:  # contained within started and within completed, both within active
        assert counts["contained"] <= min(counts["started"], counts["completed"])
        assert max(counts["started"], counts["completed"]) <= counts["active"]
        assert counts["contained"] < counts["active"]


counts: dict[str, int] = {}


def _finance(factory: pytest.TempPathFactory) -> Store:
    path = factory.getbasetemp() / "frame-store"
    if not path.exists():
        Store(path).ingest("finance", [str(SAMPLES / "finance_claims.csv")],
                           mapping=SAMPLES / "finance_claims.mapping.toml")
    return Store(path, create=False)
