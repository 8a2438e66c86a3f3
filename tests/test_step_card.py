"""The step card (``flowmine.explain.step_card``): every number of its six elements on a tiny log
computed by hand, the controls and annotations on a stored, configured process, and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import flowmine
from flowmine.errors import OptionError
from flowmine.explain import SECTIONS, annotate, read_annotations, step_card
from tests.conftest import run_cli


def _t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def _tiny() -> pd.DataFrame:
    """Three cases. Review by ann/bob, waiting 1 h, 2 h and 3 h (c3 reviews twice: 3 h, then 1 h again),
    service 30 min each, cost 10 each; c2's first review fails."""
    rows = []

    def ev(case: str, act: str, start: str, end: str, who: str, cost: float | None = None,
           quality: str | None = None, amount: float = 0.0, region: str = "North") -> None:
        rows.append({"case:concept:name": case, "concept:name": act, "start_timestamp": _t(start),
                     "time:timestamp": _t(end), "org:resource": who, "cost:total": cost, "quality:outcome": quality,
                     "case:amount": amount, "case:region": region})

    ev("c1", "Submit", "2025-03-03 08:00", "2025-03-03 09:00", "eve", amount=100)
    ev("c1", "Review", "2025-03-03 10:00", "2025-03-03 10:30", "ann", 10.0, "pass", amount=100)
    ev("c1", "Pay", "2025-03-03 11:00", "2025-03-03 11:10", "cash", amount=100)
    ev("c2", "Submit", "2025-03-04 08:00", "2025-03-04 09:00", "eve", amount=200, region="South")
    ev("c2", "Review", "2025-03-04 11:00", "2025-03-04 11:30", "bob", 10.0, "fail", amount=200, region="South")
    ev("c2", "Archive", "2025-03-04 12:00", "2025-03-04 12:10", "bob", amount=200, region="South")
    ev("c3", "Submit", "2025-03-05 08:00", "2025-03-05 09:00", "eve", amount=300)
    ev("c3", "Review", "2025-03-05 12:00", "2025-03-05 12:30", "ann", 10.0, "pass", amount=300)
    ev("c3", "Review", "2025-03-05 13:30", "2025-03-05 14:00", "ann", 10.0, "pass", amount=300)
    ev("c3", "Pay", "2025-03-05 15:00", "2025-03-05 15:10", "cash", amount=300)
    return pd.DataFrame(rows)


def test_every_number_of_the_card_on_a_tiny_log() -> None:
    card = step_card(_tiny(), "Review", timezone="UTC", with_deviations=False)
    assert (card.instances, card.cases, card.process) == (4, 3, None)
    # input: from Submit three times, from Review once (c3's second review)
    assert [(p["value"], p["count"]) for p in card.inputs["predecessors"]] == [("Submit", 3), ("Review", 1)]
    arrivals = card.inputs["arrivals"]["counts"]  # weekday x hour of the ready time
    assert arrivals[0][9] == 1 and arrivals[1][9] == 1 and arrivals[2][9] == 1 and arrivals[2][12] == 1
    assert sum(map(sum, arrivals)) == 4
    assert card.inputs["case_attributes"]["case:region"][0] == {"value": "North", "count": 2, "share": 2 / 3}
    # processing: waiting 1, 2, 3 and 1 h; service 30 min; cost 10 each
    p = card.processing
    assert p["time_basis"] == "waiting"
    assert p["waiting"]["count"] == 4 and p["waiting"]["median"] == 1.5 * 3600 and p["waiting"]["mean"] == 7 / 4 * 3600
    assert p["service"]["median"] == 1800.0
    assert p["cost"] == {"currency": None, "total": 40.0, "mean": 10.0, "median": 10.0, "instances_with_cost": 4}
    assert p["rework_rate"] == pytest.approx(1 / 3)  # c3 of three cases
    assert p["first_pass_yield"] == pytest.approx(1 / 3)  # c1 only: c2 failed, c3 repeated
    assert p["executions_per_case"] == pytest.approx(4 / 3)
    assert p["batching"]["share_in_batches"] == 0.0
    w = p["waiting_parts"]
    assert w["waiting_s"] == 7 * 3600 and w["unknown"] == {"off_calendar": "no_calendar"}
    # output: to Pay twice, Archive once, Review once; outcomes 3 pass, 1 fail
    assert sorted((s["value"], s["count"]) for s in card.outputs["successors"]) == [
        ("Archive", 1), ("Pay", 2), ("Review", 1)]
    assert {q["value"]: q["count"] for q in card.outputs["quality"]} == {"pass": 3, "fail": 1}
    # participants: ann 3 instances on 2 days, bob 1; handovers eve -> ann twice, eve -> bob, ann -> ann
    res = {r["resource"]: r for r in card.participants["resources"]}
    assert res["ann"]["instances"] == 3 and res["ann"]["per_active_day"] == 1.5 and res["bob"]["share"] == 0.25
    assert {h["value"]: h["count"] for h in card.participants["handovers_in"]} == {
        "eve → ann": 2, "eve → bob": 1, "ann → ann": 1}
    assert {h["value"]: h["count"] for h in card.participants["handovers_out"]} == {
        "ann → cash": 2, "bob → bob": 1, "ann → ann": 1}
    # control needs a configured process; environment: the monthly trend of the waiting
    assert card.controls["rules"] == [] and "no process configuration" in card.controls["note"]
    assert card.environment["trend"] == [{"month": "2025-03", "instances": 4, "median_s": 1.5 * 3600}]
    assert card.environment["deviation_factors"] is None and card.annotations == []
    assert list(card.to_dict())[4:] == list(SECTIONS)


def test_unknown_step_is_one_line() -> None:
    with pytest.raises(OptionError, match="no instance of step 'Nope'"):
        step_card(_tiny(), "Nope")


def test_pettitt_finds_a_shift_and_not_noise() -> None:
    import numpy as np

    from flowmine.explain._card import pettitt

    rng = np.random.default_rng(0)
    shifted = np.concatenate([rng.normal(10, 1, 200), rng.normal(7, 1, 200)])
    k, p = pettitt(shifted)
    assert 190 <= k <= 210 and p < 1e-10
    _, p_noise = pettitt(rng.normal(0, 1, 400))
    assert p_noise > 0.05


@pytest.fixture(scope="module")
def finance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = Path(__file__).resolve().parents[1] / "sample_logs"
    store = tmp_path_factory.mktemp("card") / "store"
    flowmine.Store(store).ingest("finance", [root / "finance_claims.csv"],
                                 mapping=root / "finance_claims.mapping.toml")
    return store


def test_controls_and_environment_on_a_configured_process(finance: Path) -> None:
    from flowmine.analytics import stored
    from flowmine.conformance import check

    report = check(finance, "finance", with_precision=False, with_impact=False)
    card = step_card(stored(finance, "finance"), "Finance review", report=report, lang="zh")
    rules = {r["id"]: r for r in card.controls["rules"]}
    assert set(rules) == {"pay_after_review_and_approval", "four_eyes_claim", "review_within_3wd"}
    by_rule = report.rules.set_index("rule")
    for rid, r in rules.items():
        assert r["violating_cases"] == int(by_rule.loc[rid, "violating_cases"])
        assert r["label"] == by_rule.loc[rid, "label_zh"]
    assert [k["id"] for k in card.controls["kpis"]] == ["review_rework_rate"]
    kpi = card.controls["kpis"][0]
    assert kpi["value"] == card.processing["rework_rate"] and kpi["met"] == (kpi["value"] <= 0.10)
    steps = report.steps.set_index("activity")
    assert card.controls["conformance"]["skipped"] == int(steps.loc["Finance review", "skipped"])
    assert [f["id"] for f in card.participants["four_eyes"]] == ["four_eyes_claim"]
    assert card.environment["measure"] == "waiting" and isinstance(card.environment["factors"], list)
    assert card.environment["deviation_factors"] is not None


def test_annotations_are_kept_in_the_store_folder_and_shown_on_the_card(finance: Path, tmp_path: Path) -> None:
    from flowmine.analytics import stored

    note = annotate(finance, "finance", "GM approval", "The GM signs on Mon/Wed/Fri afternoons.", author="李娜",
                    kind="interview", date="2025-06-03")
    assert note["author"] == "李娜"
    assert (finance / "annotations" / "finance.json").is_file()
    assert read_annotations(finance, "finance", "GM approval")[-1] == note
    card = step_card(stored(finance, "finance"), "GM approval", with_deviations=False)
    assert note in card.annotations
    with pytest.raises(OptionError, match="'kind' parameter of annotate"):
        annotate(finance, "finance", "GM approval", "x", author="a", kind="rumour")
    with pytest.raises(OptionError, match="YYYY-MM-DD"):
        annotate(finance, "finance", "GM approval", "x", author="a", date="03/06/2025")
    bad = tmp_path / "s"
    flowmine.Store(bad).ingest("finance", [Path(__file__).resolve().parents[1] / "sample_logs" / "finance_claims.csv"],
                               mapping=Path(__file__).resolve().parents[1] / "sample_logs" /
                               "finance_claims.mapping.toml")
    (bad / "annotations").mkdir()
    (bad / "annotations" / "finance.json").write_text("{broken", encoding="utf-8")
    r = run_cli("card", "--store", str(bad), "--process", "finance", "--step", "GM approval")
    assert r.returncode == 2 and "finance.json" in r.stderr and "Traceback" not in r.stderr


def test_cli_card_json_has_the_six_elements_and_annotate_adds_a_note(finance: Path, tmp_path: Path) -> None:
    r = run_cli("annotate", "--store", str(finance), "--process", "finance", "--step", "Cashier payment", "--text",
                "Payments wait for the weekly run.", "--author", "Wang", "--kind", "feedback", "--date", "2025-07-01")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "card.json"
    r = run_cli("card", "--store", str(finance), "--process", "finance", "--step", "Cashier payment", "--json",
                str(out))
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text(encoding="utf-8"))
    for key in ("inputs", "processing", "outputs", "controls", "participants", "environment", "annotations"):
        assert key in d
    assert d["annotations"][-1]["text"] == "Payments wait for the weekly run."
    text = run_cli("card", "--store", str(finance), "--process", "finance", "--step", "Cashier payment")
    assert text.returncode == 0 and "PROCESSING / 处理" in text.stdout and "ENVIRONMENT / 环境" in text.stdout


def test_the_report_has_a_card_per_key_step_with_the_api_s_numbers(finance: Path) -> None:
    import re

    from flowmine.analytics import profile, stored
    from flowmine.report import build_report

    page = build_report(finance, "finance", lang="zh")
    blob = re.search(r"<script type='application/json' id='flowmine-report-data'>(.*?)</script>", page, re.S)
    assert blob is not None
    cards = json.loads(blob.group(1).replace("<\\/", "</"))["cards"]
    top = [b["name"] for b in profile(stored(finance, "finance"))["bottlenecks"] if b["kind"] == "activity"][:3]
    assert [c["step"] for c in cards] == top
    api = step_card(stored(finance, "finance"), top[0], lang="zh").to_dict()
    assert cards[0]["processing"] == json.loads(json.dumps(api["processing"]))
    assert "关键环节：环节卡片" in page and "就绪时的星期" in page  # the factor named in Chinese


def test_the_first_step_of_a_case_has_no_waiting_and_its_card_explains_its_service_time() -> None:
    log = _tiny()
    with pytest.raises(OptionError, match="starts its cases"):
        from flowmine.explain import explain

        explain(log, step="Submit", measure="waiting", min_cases=2)
    card = step_card(log, "Submit", timezone="UTC", with_deviations=False)
    assert card.environment["measure"] == "service" and card.processing["waiting"]["count"] == 0
