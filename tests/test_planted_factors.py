"""Ground truth: the influencing factors planted in the sample logs are recovered by ``flowmine.explain``,
first for their step, with the planted excess inside the excess interval (a categorical factor) or the
planted threshold inside the top bin (a numeric one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import flowmine
from flowmine.analytics import stored
from flowmine.explain import explain

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("planted") / "store"
    st = flowmine.Store(path)
    st.ingest("finance", [SAMPLES / "finance_claims.csv"], mapping=SAMPLES / "finance_claims.mapping.toml")
    st.ingest("procurement", [SAMPLES / "procurement_events_gbk.csv"],
              mapping=SAMPLES / "procurement_events_gbk.mapping.toml")
    st.ingest("production", [SAMPLES / "production_mes.xes.gz"], mapping=SAMPLES / "production_mes.mapping.toml")
    return path


def _truth(name: str, step: str) -> dict:
    factors = json.loads((SAMPLES / f"{name}.truth.json").read_text(encoding="utf-8"))["factors"]
    return next(f for f in factors if f["step"] == step)


def test_the_truth_lists_the_planted_factors() -> None:
    for name, steps in (("finance_claims", {"Finance review", "Cashier payment"}),
                        ("procurement_events_gbk", {"Goods receipt"}), ("production_mes", {"Packing and shipping"})):
        factors = json.loads((SAMPLES / f"{name}.truth.json").read_text(encoding="utf-8"))["factors"]
        assert {f["step"] for f in factors} == steps
        assert all(f["cases"] > 100 and f["planted_extra_s_total"] > 0 for f in factors)


def test_a_department_s_inbox_delay_at_finance_review_is_found_first_with_its_excess(store: Path) -> None:
    truth = _truth("finance_claims", "Finance review")
    top = explain(stored(store, "finance"), step="Finance review").findings.iloc[0]
    assert (top["attribute"], top["value"]) == (truth["attribute"], truth["value"])
    assert top["cases"] == truth["cases"]
    assert top["excess_low"] <= truth["planted_extra_s_total"] <= top["excess_high"]


def test_large_payments_waiting_for_a_second_signature_are_found_first_in_the_bin_of_the_threshold(
        store: Path) -> None:
    truth = _truth("finance_claims", "Cashier payment")
    result = explain(stored(store, "finance"), step="Cashier payment")
    top = result.findings.iloc[0]
    assert top["attribute"] == truth["attribute"]
    edges = result.bins["case:amount"]
    assert top["value"].startswith("[") and edges[-2] <= truth["threshold"]["value"] <= edges[-1]  # the top bin
    assert top["ci_low"] > 1.5  # at least half as long again, with 95 % confidence


def test_one_supplier_s_late_deliveries_at_goods_receipt_are_found_first_with_their_excess(store: Path) -> None:
    truth = _truth("procurement_events_gbk", "Goods receipt")
    top = explain(stored(store, "procurement"), step="Goods receipt").findings.iloc[0]
    # the GBK export names the supplier column in Chinese: the stored attribute is case:供应商
    assert (top["attribute"], top["value"]) == ("case:供应商", truth["value"])
    assert top["cases"] == truth["cases"]
    assert top["ci_low"] > 1.0
    assert top["excess_low"] <= truth["planted_extra_s_total"] <= top["excess_high"]


def test_a_packer_who_batches_for_the_carrier_is_found_first_and_the_batching_part_of_the_wait_is_theirs(
        store: Path) -> None:
    truth = _truth("production_mes", "Packing and shipping")
    assert truth["kind"] == "batch"
    result = explain(stored(store, "production"), step="Packing and shipping")
    top = result.findings.iloc[0]
    assert (top["attribute"], top["value"]) == ("org:resource", truth["value"])
    assert top["cases"] == truth["cases"]
    assert top["excess_low"] <= truth["planted_extra_s_total"] <= top["excess_high"]
    # the batches themselves are a finding too: instances finished together by one resource
    batches = result.findings[result.findings["attribute"] == "batch size"].set_index("value")
    assert {"2-3", "4-9"} <= set(batches.index)
    assert (batches.loc[["2-3", "4-9"], "median_with"] > top["median_with"] * 0.8).all()
    assert result.waiting_parts["batching_share"] > 0.25  # a third of the step's waiting is waiting for the run
    from flowmine.analytics import instances
    from flowmine.explain._waiting import waiting_parts

    inst = instances(stored(store, "production"))
    at = (inst["activity"] == "Packing and shipping").to_numpy()
    frame, _ = waiting_parts(inst, at, None)
    by = frame.assign(resource=inst.loc[at & inst["waiting_s"].notna().to_numpy(), "resource"].to_numpy())
    share = by.groupby("resource")["batching"].sum() / by["batching"].sum()
    assert share[truth["value"]] > 0.99  # and it is the batcher's


def test_an_initiative_at_the_planted_step_is_split_by_the_planted_factor(store: Path) -> None:
    import dataclasses

    from flowmine.explain import initiative_context
    from flowmine.monitor import evaluate_initiative, load_initiatives

    base = load_initiatives(process="finance")[0]
    ini = dataclasses.replace(base, id="review_inbox", step="Finance review", metric="waiting_time", stratify=None)
    ctx = initiative_context(store, ini)
    assert ctx.step == "Finance review" and ctx.measure == "waiting"
    assert ctx.baseline["started"][1] == ini.change_date.isoformat()
    assert (ctx.factors[0]["attribute"], ctx.factors[0]["value"]) == ("case:department", "R&D")
    rec = ctx.record("zh")
    assert rec["influencing_factors"][0].startswith("department = R&D")
    sides = {s["value"]: s["evaluation"] for s in ctx.split}
    assert set(sides) == {"R&D", "(rest)"}
    whole = evaluate_initiative(store, ini)
    assert sides["R&D"]["n_before"] + sides["(rest)"]["n_before"] == whole.n_before  # the two sides partition
    assert sides["R&D"]["n_after"] + sides["(rest)"]["n_after"] == whole.n_after
    # the GM initiative's top factors are the GM's weekdays: no case attribute to split by, and it says so
    assert initiative_context(store, base).split == [] and "cannot be split" in initiative_context(
        store, base).split_note
