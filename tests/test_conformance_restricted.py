"""A filtered check after an unfiltered one restricts what the unfiltered check read from the events.

``check(store, process, filters=f)`` of a version whose unfiltered check ran in this process takes the kept
cases' variants, broken rules and figures from it (``_check._Basis``) instead of reading the events again;
the report must be exactly the one the events give (``_basis_of`` switched off), which
``tests/test_conformance_filters.py`` holds equal to the check of a store with only the kept cases.
"""

from __future__ import annotations

import pytest

import flowmine.conformance._check as C
from flowmine.analytics import CaseFilter, stored
from flowmine.conformance import check
from tests.test_conformance_filters import OFFICE, SPRING, _assert_same_report, _kept, _only
from tests.test_conformance_filters import store as _store_fixture

store = _store_fixture


def _direct(monkeypatch, *args, **kw):
    with monkeypatch.context() as m:
        m.setattr(C, "_basis_of", lambda *a: None)
        return check(*args, **kw)


def _restricted(monkeypatch, *args, **kw):
    used = []
    real = C._Basis.restricted
    with monkeypatch.context() as m:
        m.setattr(C._Basis, "restricted", lambda self, kept: used.append(len(kept)) or real(self, kept))
        report = check(*args, **kw)
    assert used, "the filtered check read the events instead of restricting the unfiltered check's basis"
    return report


def _same_dict(a, b):
    a, b = a.to_dict(), b.to_dict()
    a.pop("budget"), b.pop("budget")  # the alignment budget is calibrated per call (states per second)
    assert a == b


@pytest.fixture(scope="module")
def whole(store):
    return check(store, "finance")


def test_restricted_check_equals_the_direct_one(monkeypatch, store, whole):
    fitting, deviating = whole.conforming_cases()
    assert fitting and deviating
    for flt in (SPRING, OFFICE, CaseFilter(cases=deviating[:40]), CaseFilter(cases=fitting),
                CaseFilter(started=("2025-03-01", "2025-06-01"), attributes={"case:expense_type": ["Travel"]})):
        got = _restricted(monkeypatch, store, "finance", filters=flt)
        want = _direct(monkeypatch, store, "finance", filters=flt)
        assert 0 < got.cases < whole.cases
        _assert_same_report(got, want)
        _same_dict(got, want)
    lean = dict(with_precision=False, with_impact=False)
    _same_dict(_restricted(monkeypatch, store, "finance", filters=SPRING, **lean),
               _direct(monkeypatch, store, "finance", filters=SPRING, **lean))


def test_restricted_check_equals_the_check_of_the_kept_cases(monkeypatch, store, whole, tmp_path):
    kept = _kept(store.load("finance"), SPRING)
    got = _restricted(monkeypatch, store, "finance", filters=SPRING)
    want = check(_only(tmp_path, kept), "finance")
    assert got.cases == len(kept) and set(got.case_fitness.index) == kept
    _assert_same_report(got, want)


def test_one_case_is_its_own_row_of_the_whole_check(monkeypatch, store, whole):
    """Hand-checkable: a filter that keeps one case gives that case's fitness, deviations and rules."""
    _, deviating = whole.conforming_cases()
    case = next(c for c in deviating if whole.case_rules.get(c))
    got = _restricted(monkeypatch, store, "finance", filters=CaseFilter(cases=[case]))
    assert (got.cases, got.variants, got.fitting_cases_share) == (1, 1, 0.0)
    assert got.average_case_fitness == whole.case_fitness[case]
    assert got.case_deviations == {case: whole.case_deviations[case]}
    assert got.case_rules == {case: whole.case_rules[case]}
    broken = dict(zip(got.rules["rule"], got.rules["violating_cases"], strict=True))
    assert broken == {r: int(r in whole.case_rules[case]) for r in whole.rules["rule"]}


def test_no_kept_case(monkeypatch, store, whole):
    d = _restricted(monkeypatch, store, "finance", filters=CaseFilter(cases=["no such case"])).to_dict()
    assert d["cases"] == 0 and d["fitness"] is None and d["average_case_fitness"] is None


def test_another_rule_set_reads_the_events(store, whole):
    """A basis is used only with the rules, calendar and activities it was decided with."""
    key = next(k for k in C._BASES if k[0] == stored(store, "finance").path)
    b = C._BASES[key]
    assert b.rules  # finance has rules: a copy of them is another object
    assert C._basis_of(key, b.rules, b.calendar, b.activities) is b
    assert C._basis_of(key, tuple(list(b.rules)), b.calendar, b.activities) is None
    assert C._basis_of(key, b.rules, b.calendar, {**(b.activities or {})}) is None
