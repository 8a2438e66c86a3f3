"""The cases behind each conformance number (``ConformanceReport.case_ids``, in ``flowmine check``'s JSON):
per step and deviation kind and per business rule, a capped sorted list of case ids and the full count,
which is the count the steps and rules tables show."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flowmine import Store
from flowmine.conformance import CASE_IDS_LIMIT, ConformanceReport, check

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


def _report(deviations: dict[str, list[str]], rules: dict[str, list[str]]) -> ConformanceReport:
    """A report holding only what ``case_ids`` reads (the per-case deviations and broken rules)."""
    return ConformanceReport(
        process="p", method="alignments", reference="m.bpmn", cases=len(deviations), variants=1, fitness=1.0,
        fitting_cases_share=1.0, average_case_fitness=1.0, precision=None, exact=True, fallback={}, labels=None,
        steps=pd.DataFrame(), rules=pd.DataFrame(), impact=pd.DataFrame(), case_fitness=pd.Series(dtype=float),
        case_deviations=deviations, case_rules=rules)  # type: ignore[arg-type]


def test_case_ids_by_hand():
    rep = _report({"c3": ["skipped: Approve"], "c1": ["inserted: Change", "skipped: Approve"], "c2": [],
                   "c4": ["out_of_order: Pay"]},
                  {"c3": ["four_eyes"], "c4": ["four_eyes", "pay_30d"]})
    assert rep.case_ids() == {
        "steps": {"Approve": {"skipped": {"ids": ["c1", "c3"], "total": 2}},
                  "Change": {"inserted": {"ids": ["c1"], "total": 1}},
                  "Pay": {"out_of_order": {"ids": ["c4"], "total": 1}}},
        "rules": {"four_eyes": {"ids": ["c3", "c4"], "total": 2}, "pay_30d": {"ids": ["c4"], "total": 1}}}
    capped = rep.case_ids(limit=1)
    assert capped["steps"]["Approve"]["skipped"] == {"ids": ["c1"], "total": 2}
    assert capped["rules"]["four_eyes"] == {"ids": ["c3"], "total": 2}


def test_an_activity_with_a_colon_keeps_its_name():
    rep = _report({"c1": ["skipped: Step: review"]}, {})
    assert rep.case_ids()["steps"] == {"Step: review": {"skipped": {"ids": ["c1"], "total": 1}}}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> ConformanceReport:
    st = Store(tmp_path_factory.mktemp("ids") / "store")
    st.ingest("procurement", [str(SAMPLES / "procurement_events_gbk.csv")],
              mapping=SAMPLES / "procurement_events_gbk.mapping.toml")
    return check(st, "procurement")


def test_the_lists_count_what_the_tables_count_on_the_procurement_sample(report):
    ids = report.to_dict()["case_ids"]
    assert ids == report.case_ids()
    steps = report.steps.set_index("activity")
    seen = 0
    for act, row in steps.iterrows():
        for kind in ("skipped", "inserted", "out_of_order"):
            n = int(row[f"cases_{kind}"])
            got = ids["steps"].get(act, {}).get(kind)
            assert (got is None) if n == 0 else (got["total"] == n and len(got["ids"]) == min(n, CASE_IDS_LIMIT))
            seen += n > 0
    assert seen >= 3  # PO approval skipped, Change order inserted, payment out of order
    for _, rule in report.rules.iterrows():
        n = int(rule["violating_cases"])
        got = ids["rules"].get(rule["rule"])
        assert (got is None) if n == 0 else got["total"] == n
    # the planted deviation: orders whose PO approval was skipped, the first ones listed in id order
    skipped = sorted(c for c, devs in report.case_deviations.items() if "skipped: PO approval" in devs)
    assert ids["steps"]["PO approval"]["skipped"]["ids"] == skipped[:CASE_IDS_LIMIT]
    assert ids["steps"]["PO approval"]["skipped"]["total"] == len(skipped) > CASE_IDS_LIMIT
