"""Every case and event filter equals pm4py's corresponding filter on real public logs.

Each test reads a log from ``../shared/data`` with pm4py (its lxml parser), applies pm4py's filter and
flowmine's (:func:`filter_cases` / :func:`filter_events` on the same frame) and asserts that both keep
the same cases and the same number of events. The arguments are picked from the log itself (its most
frequent activities, edges and variants, its median times), so a filter that keeps everything or
nothing would not pass unnoticed: each test also asserts that the filter keeps some but not all.
Windows are chosen off the events' exact times, where flowmine's half-open ``[from, to)`` and pm4py's
inclusive bounds agree.
"""

from __future__ import annotations

import functools
import warnings
from collections import Counter

import pandas as pd
import pytest

from flowmine.analytics import CaseFilter, EventFilter, filter_cases, filter_events
from tests.conftest import shared_log

pm4py = pytest.importorskip("pm4py")

CASE, ACT, TS = "case:concept:name", "concept:name", "time:timestamp"
LOGS = ("roadtraffic100traces.xes", "08_receipt.xes.gz", "Sepsis Cases - Event Log.xes.gz", "helpdesk.xes.gz",
        "06_bpic2013_closed.xes.gz")


@functools.cache
def _read(name: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = pm4py.read_xes(str(shared_log(name)), variant="iterparse", return_legacy_log_object=False)
    return df.reset_index(drop=True)


def log(name: str) -> pd.DataFrame:
    """The log as pm4py reads it (a fresh copy: neither side may change it)."""
    return _read(name).copy()


def shape(df: pd.DataFrame) -> tuple[set[str], int]:
    return set(df[CASE].astype(str)), len(df)


def assert_same(theirs: pd.DataFrame, ours: pd.DataFrame, whole: pd.DataFrame) -> tuple[int, int]:
    """Assert equal kept cases and event counts, and that the filter is not trivial; (cases, events)."""
    (c1, n1), (c2, n2) = shape(theirs), shape(ours)
    assert c2 == c1
    assert n2 == n1
    assert 0 < len(c1) < whole[CASE].nunique() or 0 < n1 < len(whole)
    return len(c1), n1


def top_activities(df: pd.DataFrame, n: int) -> list[str]:
    return [str(a) for a in df[ACT].value_counts().index[:n]]


def top_edge(df: pd.DataFrame, rank: int = 0) -> tuple[str, str]:
    d = df.sort_values([CASE, TS], kind="stable")
    nxt = d.groupby(CASE)[ACT].shift(-1)
    pairs = Counter(zip(d[ACT][nxt.notna()], nxt[nxt.notna()], strict=True))
    return pairs.most_common(rank + 1)[rank][0]


def pm4py_variants(df: pd.DataFrame) -> list[tuple[str, ...]]:
    v = pm4py.get_variants(df)
    return [k for k, _ in sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))]


@pytest.mark.parametrize("name,k", [("Sepsis Cases - Event Log.xes.gz", 5), ("Sepsis Cases - Event Log.xes.gz", 40),
                                    ("helpdesk.xes.gz", 10), ("08_receipt.xes.gz", 7)])
def test_top_variants_equal_filter_variants_top_k(name: str, k: int) -> None:
    df = log(name)
    assert_same(pm4py.filter_variants_top_k(df, k), filter_cases(df, CaseFilter(top_variants=k)), df)


@pytest.mark.parametrize("name,share", [("helpdesk.xes.gz", 0.8), ("08_receipt.xes.gz", 0.9),
                                        ("Sepsis Cases - Event Log.xes.gz", 0.1)])
def test_variant_coverage_equals_the_cumulative_variants_percentage(name: str, share: float) -> None:
    from pm4py.algo.filtering.log.variants import variants_filter

    df = log(name)
    kept = variants_filter.filter_log_variants_percentage(pm4py.convert_to_event_log(df), share)
    # an event log keeps the case id on the trace: one row per event
    theirs = pd.DataFrame({CASE: [str(t.attributes["concept:name"]) for t in kept for _ in t]})
    assert_same(theirs, filter_cases(df, CaseFilter(variant_coverage=share)), df)


@pytest.mark.parametrize("name,share", [("helpdesk.xes.gz", 0.01), ("08_receipt.xes.gz", 0.05)])
def test_variant_min_share_equals_filter_variants_by_coverage_percentage(name: str, share: float) -> None:
    df = log(name)
    assert_same(pm4py.filter_variants_by_coverage_percentage(df, share),
         filter_cases(df, CaseFilter(variant_min_share=share)), df)


@pytest.mark.parametrize("retain", [True, False])
def test_variants_and_not_variants_equal_filter_variants(retain: bool) -> None:
    df = log("helpdesk.xes.gz")
    chosen = pm4py_variants(df)[1:4]
    names = [" → ".join(v) for v in chosen]
    ours = CaseFilter(variants=names) if retain else CaseFilter(not_variants=names)
    assert_same(pm4py.filter_variants(df, chosen, retain=retain), filter_cases(df, ours), df)


@pytest.mark.parametrize("name", ["helpdesk.xes.gz", "Sepsis Cases - Event Log.xes.gz"])
def test_case_size_equals_filter_case_size(name: str) -> None:
    df = log(name)
    sizes = df.groupby(CASE).size()
    lo, hi = int(sizes.quantile(0.25)), int(sizes.quantile(0.75))
    assert_same(pm4py.filter_case_size(df, lo, hi), filter_cases(df, CaseFilter(case_size=(lo, hi))), df)


@pytest.mark.parametrize("name", ["helpdesk.xes.gz", "08_receipt.xes.gz"])
def test_duration_equals_filter_case_performance(name: str) -> None:
    df = log(name)
    g = df.groupby(CASE)[TS]
    dur = (g.max() - g.min()).dt.total_seconds()
    lo, hi = float(dur.quantile(0.3)) + 0.5, float(dur.quantile(0.8)) + 0.5  # between whole seconds
    assert_same(pm4py.filter_case_performance(df, lo, hi), filter_cases(df, CaseFilter(duration_s=(lo, hi))), df)


def test_start_and_end_steps_equal_filter_start_and_end_activities() -> None:
    df = log("Sepsis Cases - Event Log.xes.gz")
    firsts = df.sort_values([CASE, TS], kind="stable").groupby(CASE)[ACT].first().value_counts().index[:2]
    lasts = df.sort_values([CASE, TS], kind="stable").groupby(CASE)[ACT].last().value_counts().index[:3]
    assert_same(pm4py.filter_start_activities(df, list(firsts)), filter_cases(df, CaseFilter(start_steps=list(firsts))),
         df)
    assert_same(pm4py.filter_end_activities(df, list(lasts)), filter_cases(df, CaseFilter(end_steps=list(lasts))), df)


@pytest.mark.parametrize("name,rank", [("Sepsis Cases - Event Log.xes.gz", 3), ("helpdesk.xes.gz", 2),
                                       ("08_receipt.xes.gz", 5)])
def test_directly_follows_equals_filter_directly_follows_relation(name: str, rank: int) -> None:
    df = log(name)
    a, b = top_edge(df, rank)
    assert_same(pm4py.filter_directly_follows_relation(df, [(a, b)]),
         filter_cases(df, CaseFilter(directly_follows=(a, b))), df)


@pytest.mark.parametrize(("name", "first", "then"), [("Sepsis Cases - Event Log.xes.gz", 4, 2),
                                                    ("helpdesk.xes.gz", 4, 2), ("helpdesk.xes.gz", 2, 4),
                                                    ("08_receipt.xes.gz", 3, 1)])
def test_follows_equals_filter_eventually_follows_relation(name: str, first: int, then: int) -> None:
    df = log(name)
    acts = top_activities(df, 6)
    a, b = acts[first], acts[then]
    assert_same(pm4py.filter_eventually_follows_relation(df, [(a, b)]),
                filter_cases(df, CaseFilter(follows=(a, b))), df)


def test_directly_follows_s_equals_filter_paths_performance() -> None:
    df = log("helpdesk.xes.gz")
    a, b = top_edge(df, 0)
    lo, hi = 60.5, 30 * 86400.5
    assert_same(pm4py.filter_paths_performance(df, (a, b), lo, hi),
         filter_cases(df, CaseFilter(directly_follows=(a, b), directly_follows_s=(lo, hi))), df)


def _window(df: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """A window over the middle of the log, its bounds at 00:00:00.5 UTC (no event is exactly on one)."""
    t = df[TS]
    lo = (t.quantile(0.3)).floor("D") + pd.Timedelta(milliseconds=500)
    hi = (t.quantile(0.6)).floor("D") + pd.Timedelta(milliseconds=500)
    assert not t.isin([lo, hi]).any()
    return lo, hi


@pytest.mark.parametrize("mode,field", [("traces_contained", "contained"), ("traces_intersecting", "active"),
                                        ("traces_starting_in", "started"), ("traces_completing_in", "completed")])
@pytest.mark.parametrize("name", ["helpdesk.xes.gz", "08_receipt.xes.gz"])
def test_windows_equal_filter_time_range(name: str, mode: str, field: str) -> None:
    df = log(name)
    lo, hi = _window(df)
    ours = CaseFilter(**{field: (lo.isoformat(), hi.isoformat())})  # as text, as a user gives it
    assert_same(pm4py.filter_time_range(df, lo.to_pydatetime(), hi.to_pydatetime(), mode=mode),
                filter_cases(df, ours), df)


@pytest.mark.parametrize("name", ["helpdesk.xes.gz", "Sepsis Cases - Event Log.xes.gz"])
def test_trim_equals_filter_time_range_events(name: str) -> None:
    df = log(name)
    lo, hi = _window(df)
    assert_same(pm4py.filter_time_range(df, lo.to_pydatetime(), hi.to_pydatetime(), mode="events"),
         filter_events(df, EventFilter(trim=(lo.isoformat(), hi.isoformat()))), df)


@pytest.mark.parametrize("retain", [True, False])
def test_contains_and_not_contains_equal_filter_event_attribute_values_on_cases(retain: bool) -> None:
    df = log("Sepsis Cases - Event Log.xes.gz")
    acts = top_activities(df, 12)[8:10]
    theirs = pm4py.filter_event_attribute_values(df, ACT, acts, level="case", retain=retain)
    if retain:  # pm4py keeps cases with any of them; contains asks for each: one activity, then the AND of two
        assert_same(pm4py.filter_event_attribute_values(df, ACT, acts[:1], level="case"),
             filter_cases(df, CaseFilter(contains=acts[:1])), df)
        both = pm4py.filter_event_attribute_values(theirs, ACT, acts[:1], level="case")
        both = pm4py.filter_event_attribute_values(both, ACT, acts[1:], level="case")
        assert_same(both, filter_cases(df, CaseFilter(contains=acts)), df)
    else:
        assert_same(theirs, filter_cases(df, CaseFilter(not_contains=acts)), df)


@pytest.mark.parametrize("retain", [True, False])
def test_keep_and_drop_activities_equal_filter_event_attribute_values_on_events(retain: bool) -> None:
    df = log("08_receipt.xes.gz")
    acts = top_activities(df, 5)[1:4]
    ours = EventFilter(activities=acts) if retain else EventFilter(drop_activities=acts)
    assert_same(pm4py.filter_event_attribute_values(df, ACT, acts, level="event", retain=retain),
         filter_events(df, ours), df)


def test_lifecycle_equals_filter_event_attribute_values_on_lifecycle() -> None:
    df = log("06_bpic2013_closed.xes.gz")
    keep = ["In Progress", "Closed"]
    assert_same(pm4py.filter_event_attribute_values(df, "lifecycle:transition", keep, level="event"),
         filter_events(df, EventFilter(lifecycle=keep)), df)


def test_event_attributes_equal_filter_event_attribute_values_on_events() -> None:
    df = log("06_bpic2013_closed.xes.gz")
    keep = [str(v) for v in df["org:group"].value_counts().index[:2]]
    assert_same(pm4py.filter_event_attribute_values(df, "org:group", keep, level="event"),
         filter_events(df, EventFilter(attributes={"org:group": keep})), df)


@pytest.mark.parametrize("name", ["Sepsis Cases - Event Log.xes.gz", "08_receipt.xes.gz"])
def test_rework_equals_filter_activities_rework(name: str) -> None:
    df = log(name)
    per_case = df.groupby([CASE, ACT]).size()
    repeated = per_case[per_case >= 2].reset_index()[ACT].value_counts().index[0]
    assert_same(pm4py.filter_activities_rework(df, repeated, 2), filter_cases(df, CaseFilter(rework=[repeated])), df)


def test_attributes_equal_filter_trace_attribute_values() -> None:
    df = log("08_receipt.xes.gz")
    values = [str(v) for v in df.groupby(CASE)["case:channel"].first().value_counts().index[1:3]]
    assert_same(pm4py.filter_trace_attribute_values(df, "case:channel", values),
         filter_cases(df, CaseFilter(attributes={"case:channel": values})), df)


def test_ranges_equal_the_numeric_attribute_filter() -> None:
    from pm4py.algo.filtering.pandas.attributes import attributes_filter

    df = log("Sepsis Cases - Event Log.xes.gz")
    theirs = attributes_filter.apply_numeric(df, 60, 80, parameters={
        attributes_filter.Parameters.ATTRIBUTE_KEY: "Age", attributes_filter.Parameters.CASE_ID_KEY: CASE})
    assert_same(theirs, filter_cases(df, CaseFilter(ranges={"Age": (60, 80)})), df)


def test_the_filters_of_a_case_filter_are_anded_like_pm4py_chained() -> None:
    df = log("helpdesk.xes.gz")
    a, b = top_edge(df, 1)
    theirs = pm4py.filter_case_size(pm4py.filter_directly_follows_relation(df, [(a, b)]), 3, 6)
    theirs = pm4py.filter_variants_top_k(theirs, 1000)  # every variant: chaining keeps its input
    assert_same(theirs, filter_cases(df, CaseFilter(directly_follows=(a, b), case_size=(3, 6))), df)


# --- the same through a store: ingested, stored, held ---------------------------------------------------

@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory):
    from flowmine.analytics import release
    from flowmine.store import Store

    st = Store(tmp_path_factory.mktemp("real") / "store")
    for process, name in (("sepsis", "Sepsis Cases - Event Log.xes.gz"), ("bpic", "06_bpic2013_closed.xes.gz")):
        st.ingest(process, [str(shared_log(name))])
    yield st
    release()


def _stored_cases(st, process: str, flt: CaseFilter) -> tuple[set[str], int]:
    from flowmine.analytics import as_table, hold, release, stored

    out = []
    for held in (False, True):
        release()
        log = stored(st, process)
        if held:
            hold(log)
        table = as_table(log.where(flt), columns=[CASE, ACT, TS])
        out.append((set(table.column(CASE).to_pylist()), table.num_rows))
    assert out[0] == out[1]  # held or not
    return out[0]


@pytest.mark.parametrize("make", ["top", "coverage", "size", "rework", "df", "ef", "not_activity", "end"])
def test_a_stored_and_held_real_log_keeps_what_pm4py_keeps(real_store, make: str) -> None:
    df = log("Sepsis Cases - Event Log.xes.gz")
    acts = top_activities(df, 8)
    rare = top_activities(df, 12)[8:10]
    a, b = top_edge(df, 3)
    lasts = df.sort_values([CASE, TS], kind="stable").groupby(CASE)[ACT].last().value_counts().index[:2].tolist()
    theirs, flt = {
        "top": (lambda: pm4py.filter_variants_top_k(df, 30), CaseFilter(top_variants=30)),
        "coverage": (lambda: pm4py.filter_variants_by_coverage_percentage(df, 0.005),
                     CaseFilter(variant_min_share=0.005)),
        "size": (lambda: pm4py.filter_case_size(df, 10, 20), CaseFilter(case_size=(10, 20))),
        "rework": (lambda: pm4py.filter_activities_rework(df, acts[1], 3), None),
        "df": (lambda: pm4py.filter_directly_follows_relation(df, [(a, b)]), CaseFilter(directly_follows=(a, b))),
        "ef": (lambda: pm4py.filter_eventually_follows_relation(df, [(acts[5], acts[0])]),
               CaseFilter(follows=(acts[5], acts[0]))),
        "not_activity": (lambda: pm4py.filter_event_attribute_values(df, ACT, rare, level="case", retain=False),
                         CaseFilter(not_contains=rare)),
        "end": (lambda: pm4py.filter_end_activities(df, lasts), CaseFilter(end_steps=lasts)),
    }[make]
    if flt is None:  # rework at least twice: pm4py's default, here min_occurrences=2
        theirs, flt = (lambda: pm4py.filter_activities_rework(df, acts[1], 2)), CaseFilter(rework=[acts[1]])
    want = shape(theirs())
    assert _stored_cases(real_store, "sepsis", flt) == want
    assert 0 < len(want[0]) < df[CASE].nunique()


def test_the_lifecycle_flag_on_a_stored_real_log_equals_pm4py(real_store, tmp_path) -> None:
    """BPIC 2013's lifecycle values are outside the XES standard model: ingestion keeps them as plain
    events with their ``lifecycle:transition``, so ``--lifecycle`` filters them as pm4py does."""
    from tests.conftest import run_cli

    df = log("06_bpic2013_closed.xes.gz")
    keep = ["Closed", "Wait"]
    theirs = pm4py.filter_event_attribute_values(df, "lifecycle:transition", keep, level="event")
    out = tmp_path / "kept.csv"
    r = run_cli("export", "--store", str(real_store.path), "--process", "bpic", "--out", str(out),
                *[x for k in keep for x in ("--lifecycle", k)])
    assert r.returncode == 0, r.stderr
    got = pd.read_csv(out, dtype=str)
    assert (set(got[CASE]), len(got)) == shape(theirs)
    assert 0 < len(got) < len(df)


@pytest.mark.parametrize("name,first,then", [("Sepsis Cases - Event Log.xes.gz", "ER Triage", "CRP"),
                                             ("helpdesk.xes.gz", "Assign seriousness", "Resolve ticket")])
def test_between_equals_filter_between_on_cases_with_one_of_each(name: str, first: str, then: str) -> None:
    """pm4py's filter_between cuts a case into one sub-case (``id##@@k``) per stretch; on the cases with one
    ``first`` and one ``then`` after it, the stretch is what ``between`` keeps of the case."""
    whole = log(name)
    acts = whole.groupby(CASE)[ACT]
    n_first = acts.apply(lambda s: int((s == first).sum()))
    n_then = acts.apply(lambda s: int((s == then).sum()))
    one = set(n_first.index[(n_first == 1) & (n_then == 1)])
    df = whole[whole[CASE].isin(one)].reset_index(drop=True)
    theirs = pm4py.filter_between(df, first, then)
    theirs = theirs.assign(**{CASE: theirs[CASE].str.replace(r"##@@\d+$", "", regex=True)})
    ours = filter_events(df, EventFilter(between=(first, then)))
    assert len(set(ours[CASE])) > 50  # enough cases for the comparison to mean something
    assert_same(theirs, ours, df)
    assert Counter(ours[ACT]) == Counter(theirs[ACT])
