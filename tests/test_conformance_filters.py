"""A filtered check is the check of a store that holds only the kept cases.

``check(store, process, filters=f)`` must give exactly what ``check`` gives on a store into which only
the cases that pass ``f`` were ingested (the same sample rows, filtered before ingestion): fitness,
precision, variants, steps, rules, per-case results and the impact table, bootstrap intervals included.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from flowmine import Store
from flowmine._schema import CASE, START, TIMESTAMP
from flowmine.analytics import CaseFilter, stored
from flowmine.conformance import ConformanceReport, check
from flowmine.discovery import collect_variants

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
MAPPING = SAMPLES / "finance_claims.mapping.toml"
SPRING = CaseFilter(started=("2025-03-01", "2025-06-01"))
OFFICE = CaseFilter(attributes={"case:expense_type": ["Office supplies", "Travel"]})


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    st = Store(tmp_path_factory.mktemp("filters") / "all")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=MAPPING)
    return st


def _kept(events: pd.DataFrame, flt: CaseFilter) -> set[str]:
    """The cases a filter keeps, computed here with pandas from its definition."""
    if flt.started is not None:
        lo, hi = (pd.Timestamp(x, tz="UTC") for x in flt.started)
        first = events[START].fillna(events[TIMESTAMP]).groupby(events[CASE]).min()
        return set(first[(first >= lo) & (first < hi)].index)
    ((column, allowed),) = flt.attributes.items()
    return set(events.loc[events[column].isin(allowed), CASE])


def _only(tmp_path: Path, cases: set[str]) -> Store:
    """A store holding only ``cases``: the sample's rows of those cases, ingested as usual."""
    src = tmp_path / "finance_subset.csv"
    with (SAMPLES / "finance_claims.csv").open(encoding="utf-8", newline="") as fh, \
            src.open("w", encoding="utf-8", newline="") as out:
        reader, writer = csv.reader(fh, delimiter=";"), csv.writer(out, delimiter=";")
        writer.writerow(next(reader))
        writer.writerows(row for row in reader if row[0] in cases)
    st = Store(tmp_path / "subset")
    st.ingest("finance", [str(src)], mapping=MAPPING)
    return st


def _assert_same_report(got: ConformanceReport, want: ConformanceReport) -> None:
    a, b = got.to_dict(), want.to_dict()
    for key in ("cases", "variants", "fitness", "fitting_cases_share", "average_case_fitness", "precision",
                "exact", "fallback", "labels", "steps", "rules", "impact"):
        assert a[key] == b[key], key
    assert got.case_fitness.equals(want.case_fitness)
    assert got.case_deviations == want.case_deviations
    assert got.case_rules == want.case_rules


@pytest.mark.parametrize("flt", [SPRING, OFFICE], ids=["started", "attribute"])
def test_filtered_check_equals_the_check_of_the_kept_cases(store, tmp_path, flt):
    events = store.load("finance")
    kept = _kept(events, flt)
    assert 0 < len(kept) < events[CASE].nunique()
    got = check(store, "finance", filters=flt)
    subset = _only(tmp_path, kept)
    want = check(subset, "finance")
    assert got.cases == want.cases == len(kept)
    assert set(got.case_fitness.index) == kept
    assert want.rules["violating_cases"].sum() > 0 and len(want.impact) > 1
    _assert_same_report(got, want)
    assert got.filters == flt and want.filters is None
    assert got.to_dict()["filters"] == ({"started": ["2025-03-01", "2025-06-01"]} if flt is SPRING
                                        else {"attributes": {"case:expense_type": ["Office supplies", "Travel"]}})
    assert want.to_dict()["filters"] is None
    # variants of a filtered stored log: the same as those of the store holding the kept cases
    v = collect_variants(stored(store, "finance").where(flt))
    w = collect_variants(subset, "finance")
    assert (v.traces, v.counts.tolist(), v.cases) == (w.traces, w.counts.tolist(), w.cases)


def test_empty_filter_is_the_whole_log(store):
    whole = check(store, "finance", with_precision=False)
    _assert_same_report(check(store, "finance", with_precision=False, filters=CaseFilter()), whole)
    assert whole.to_dict()["filters"] is None


def test_a_filter_that_keeps_no_case_gives_undefined_figures(store):
    report = check(store, "finance", filters=CaseFilter(cases=["no such case"]))
    d = report.to_dict()
    assert d["cases"] == 0 and d["fitness"] is None and d["average_case_fitness"] is None


def test_rule_violation_rate_is_the_share_of_cases_breaking_any_rule(store):
    report = check(store, "finance")
    breaking = {c for c, rules in report.case_rules.items() if rules}
    per_rule = report.rules["violating_cases"]
    assert 0 < len(breaking) < report.cases
    assert per_rule.max() <= len(breaking) <= per_rule.sum()
    assert report.to_dict()["rule_violation_rate"] == pytest.approx(len(breaking) / report.cases)


def test_variants_given_must_cover_the_checked_cases(store):
    from flowmine.discovery import collect_variants

    with pytest.raises(ValueError, match="same \\(filtered\\) log"):
        check(store, "finance", filters=CaseFilter(cases=["no such case"]),
              variants_of_log=collect_variants(store, "finance"))
    a = check(store, "finance", variants_of_log=collect_variants(store, "finance")).to_dict()
    b = check(store, "finance").to_dict()
    a.pop("budget"), b.pop("budget")  # the alignment budget is calibrated per call (states per second)
    assert a == b
