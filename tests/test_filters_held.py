"""The new case filters keep the same cases on every path: a plain table, a filtered stored log (its
light case engine or its full engine), a held log (its remembered masks), and stacked filters; event
filters make a new log; a filter naming what the log lacks says so with the closest matches."""

from __future__ import annotations

from pathlib import Path

import pytest

import flowmine.analytics as fa
from flowmine.analytics import (
    CaseFilter,
    EventFilter,
    check_filter,
    filter_cases,
    filter_events,
    hold,
    release,
    stored,
)
from flowmine.errors import AnalyticsError
from flowmine.store import Store

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
CASE = "case:concept:name"


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    st = Store(tmp_path_factory.mktemp("filters") / "store")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    lg = stored(st, "finance")
    yield lg
    release(lg)


@pytest.fixture(scope="module")
def facts(log):
    """What the log has: its most frequent variants and activities, an edge, a rework step."""
    v = fa.variant_stats(log)
    inst = fa.instances(log)
    acts = inst["activity"].value_counts().index.tolist()
    reworked = inst[inst["repetition"] == 2]["activity"].value_counts().index.tolist()
    edges = inst.dropna(subset=["prev_activity"]).groupby(["prev_activity", "activity"]).size().sort_values()
    edge = edges.index[len(edges) // 2]
    gaps = inst[(inst["prev_activity"] == edge[0]) & (inst["activity"] == edge[1])]["edge_s"]
    return {"variants": v["variant"].tolist(), "acts": acts, "reworked": reworked, "edge": edge,
            "gap": float(gaps.median()), "table": fa.as_table(log, columns=None)}


def kinds(facts):
    a, b = facts["edge"]
    return [CaseFilter(contained=("2025-02-01", "2025-05-01")), CaseFilter(not_variants=facts["variants"][:1]),
            CaseFilter(top_variants=3), CaseFilter(variant_coverage=0.5), CaseFilter(variant_min_share=0.05),
            CaseFilter(not_contains=[facts["acts"][-1]]), CaseFilter(rework=facts["reworked"][:1]),
            CaseFilter(case_size=(6, 8)), CaseFilter(directly_follows=(a, b)),
            CaseFilter(directly_follows=(a, b), directly_follows_s=(0, facts["gap"])),
            CaseFilter(top_variants=4, started=("2025-03-01", "2025-06-01"))]


def expected(facts, *filters) -> list[str]:
    table = facts["table"]
    for flt in filters:
        table = filter_cases(table, flt)
    return sorted(set(table.column(CASE).to_pylist()))


def test_every_new_filter_keeps_the_same_cases_held_or_not(log, facts):
    from flowmine.analytics._held import kept_case_ids

    n = len(set(facts["table"].column(CASE).to_pylist()))
    for flt in kinds(facts):
        want = expected(facts, flt)
        release(log)
        assert sorted(kept_case_ids(log.where(flt)).to_pylist()) == want, flt
        assert sorted(fa.throughput_time(log.where(flt), level="case")["case"]) == want, flt
        hold(log)
        assert sorted(kept_case_ids(log.where(flt)).to_pylist()) == want, flt
        assert sorted(fa.throughput_time(log.where(flt), level="case")["case"]) == want, flt
        assert 0 < len(want) < n, flt  # each filter filters


def test_a_relative_filter_after_another_counts_the_variants_of_the_cases_kept_before(log, facts):
    from flowmine.analytics._held import kept_case_ids

    first = facts["variants"][0]
    rest, top = CaseFilter(not_variants=[first]), CaseFilter(top_variants=1)
    want = expected(facts, rest, top)  # the second most frequent variant
    assert want and not expected(facts, CaseFilter(not_variants=[first], top_variants=1))  # in one filter: none
    for held in (False, True):
        release(log)
        if held:
            hold(log)
        assert sorted(kept_case_ids(log.where(rest, top)).to_pylist()) == want
        assert fa.throughput_time(log.where(rest, top))["cases"][0] == len(want)


def test_the_profile_of_a_filtered_log_counts_its_cases(log, facts):
    flt = CaseFilter(top_variants=3, not_contains=[facts["acts"][-1]])
    want = expected(facts, flt)
    for engine in ("sql", "fast"):
        assert fa.profile(log.where(flt), engine=engine)["cases"] == len(want)


def test_event_filters_make_a_new_log(log, facts):
    drop = facts["acts"][0]
    kept = filter_events(log, EventFilter(drop_activities=[drop]))
    assert drop not in set(kept.column("concept:name").to_pylist())
    assert kept.num_rows == facts["table"].num_rows - sum(a == drop for a in facts["table"].column("concept:name")
                                                         .to_pylist())
    # a stored log's case filters first, then its events
    top = log.where(CaseFilter(top_variants=1))
    only = filter_events(top, activities=[facts["acts"][1]])
    assert set(only.column(CASE).to_pylist()) <= set(expected(facts, CaseFilter(top_variants=1)))
    assert fa.throughput_time(only)["cases"][0] == len(set(only.column(CASE).to_pylist())) > 0


def test_unknown_names_are_errors_with_the_closest_matches(log, facts):
    act = facts["acts"][0]
    with pytest.raises(AnalyticsError, match=rf"no activity '{act[:-1]}'; closest: '{act}'"):
        check_filter(log, CaseFilter(contains=[act[:-1]]))
    with pytest.raises(AnalyticsError, match=r"follows: the log has no activity 'Nope'"):
        check_filter(log, CaseFilter(follows=(act, "Nope")))
    variant = facts["variants"][0]
    with pytest.raises(AnalyticsError, match="no variant"):
        check_filter(log, CaseFilter(variants=[variant.replace(" → ", " -> ")]))
    attr = next(c for c in facts["table"].column_names if c.startswith("case:") and c != CASE)
    with pytest.raises(AnalyticsError, match=rf"no column '{attr[5:]}'; closest: '{attr}'"):
        check_filter(log, CaseFilter(attributes={attr[5:]: ["x"]}))
    with pytest.raises(AnalyticsError, match=rf"no activity '{act.upper()}'; closest: '{act}'"):
        filter_events(log, activities=[act.upper()])
    check_filter(log, CaseFilter(contains=[act], variants=[variant]))  # known names: no error


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"top_variants": 0}, "top_variants"), ({"variant_coverage": 1.5}, "variant_coverage"),
    ({"case_size": (5, 2)}, "case_size: min 5 is above max 2"), ({"contained": ("March", None)}, "ISO date"),
    ({"directly_follows_s": (1, 2)}, "give the edge too"), ({"follows": ("A",)}, "expected \\(A, B\\)")])
def test_options_are_validated_when_the_filter_is_made(kwargs, message):
    with pytest.raises(AnalyticsError, match=message):
        CaseFilter(**kwargs)


def test_event_filter_options_are_validated():
    with pytest.raises(AnalyticsError, match="ISO date"):
        EventFilter(trim=("soon", None))
    assert EventFilter().is_empty() and not EventFilter(activities=[]).is_empty()


def test_empty_lists_keep_nothing_when_they_allow_and_everything_when_they_forbid(log, facts):
    n = len(set(facts["table"].column(CASE).to_pylist()))
    assert fa.count_cases(log.where(CaseFilter(variants=[]))) == 0
    assert fa.count_cases(log.where(CaseFilter(contains=[], not_variants=[], not_contains=[]))) == n
    assert filter_events(log, EventFilter(drop_activities=[])).num_rows == facts["table"].num_rows
    assert filter_events(log, EventFilter(activities=[])).num_rows == 0


def test_a_range_on_a_text_column_is_refused_in_one_line(log):
    import pandas as pd

    frame = pd.DataFrame({CASE: ["1", "2"], "concept:name": ["a", "b"], "n": [1, 2], "mixed": [1.5, "x"],
                          "time:timestamp": pd.to_datetime(["2025-01-01", "2025-01-02"], utc=True)})
    check_filter(frame, CaseFilter(ranges={"n": (1, None)}))  # numbers: fine
    with pytest.raises(AnalyticsError, match="the column 'mixed' holds string, not numbers"):
        check_filter(frame, CaseFilter(ranges={"mixed": (1, None)}))
    with pytest.raises(AnalyticsError, match="the column 'case:department' holds string, not numbers"):
        check_filter(log, CaseFilter(ranges={"case:department": (1, None)}))


def test_a_case_list_filter_is_keyed_by_its_content_a_tuple_remembered_a_list_never():
    """The held masks are keyed by a digest of the filter's case ids: a tuple's digest is remembered (the
    same object asked again), a list's is computed afresh, so a list changed in place gets a new key."""
    from flowmine.analytics import _held

    ids = tuple(f"C{i}" for i in range(1000))
    first = _held._digest(ids)
    assert id(ids) in _held._DIGESTS and _held._digest(ids) == first
    assert _held._digest(tuple(ids)) == first  # an equal tuple: the same digest
    listed = list(ids)
    assert _held._digest(listed) != first  # repr of a list differs from a tuple's
    before = _held._digest(listed)
    listed.append("C1000")
    assert _held._digest(listed) != before and id(listed) not in _held._DIGESTS
