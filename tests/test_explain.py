"""Influencing factors (``flowmine.explain``): hand-computed numbers on tiny logs, the statistics against
scipy and brute force, the false discovery rate on random attributes, and the command line."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import flowmine
from flowmine.errors import OptionError
from flowmine.explain import FACTOR_COLUMNS, _stats, explain
from tests.conftest import run_cli

T0 = pd.Timestamp("2025-03-03 09:00", tz="UTC")  # a Monday


def _log(waits: dict[str, float], attrs: dict[str, dict[str, object]], service: float = 600.0,
         reviewers: int = 2) -> pd.DataFrame:
    """Per case: Submit (09:00, 10 minutes), then Review, which starts ``waits[case]`` seconds after the
    submission completed and takes ``service`` seconds; case attributes as given. Cases start an hour apart."""
    rows = []
    for i, (case, wait) in enumerate(waits.items()):
        t = T0 + pd.Timedelta(hours=i)
        done = t + pd.Timedelta(minutes=10)
        start = done + pd.Timedelta(seconds=wait)
        base = {"case:concept:name": case, **{f"case:{k}": v for k, v in attrs[case].items()}}
        rows.append({**base, "concept:name": "Submit", "start_timestamp": t, "time:timestamp": done,
                     "org:resource": "clerk", "cost:total": 10.0})
        rows.append({**base, "concept:name": "Review", "start_timestamp": start,
                     "time:timestamp": start + pd.Timedelta(seconds=service), "org:resource": f"r{i % reviewers}",
                     "cost:total": 20.0})
    return pd.DataFrame(rows)


def _row(result, attribute: str, value: str) -> pd.Series:
    f = result.factors
    hit = f[(f["attribute"] == attribute) & (f["value"] == value)]
    assert len(hit) == 1, f"{attribute}={value} not tested: {f[['attribute', 'value']].values.tolist()}"
    return hit.iloc[0]


def test_medians_effect_excess_and_p_value_are_the_hand_computed_ones() -> None:
    # dept A waits 100, 200, 300, 400 s; dept B waits 10, 20, 30, 40 s
    waits = {f"c{i}": w for i, w in enumerate([100, 200, 300, 400, 10, 20, 30, 40])}
    attrs = {f"c{i}": {"dept": "A" if i < 4 else "B"} for i in range(8)}
    result = explain(_log(waits, attrs), step="Review", measure="waiting", min_cases=2, timezone="UTC",
                     interactions=False)
    assert result.units == 8 and result.cases == 8 and result.unit == "s" and result.statistic == "median"
    a = _row(result, "case:dept", "A")
    assert (a["cases"], a["median_with"], a["median_without"]) == (4, 250.0, 25.0)
    assert a["effect_ratio"] == pytest.approx(10.0)
    assert a["excess"] == pytest.approx((100 + 200 + 300 + 400) - 4 * 25.0)  # 900 s above the rest's mean
    expected_p = stats.mannwhitneyu([100, 200, 300, 400], [10, 20, 30, 40], method="asymptotic").pvalue
    assert a["p_value"] == pytest.approx(expected_p)
    b = _row(result, "case:dept", "B")
    assert b["excess"] == pytest.approx(100 - 4 * 250.0)
    # every value tested is in the table, ranked by excess, and the q-values are Benjamini-Hochberg's
    assert list(result.factors.columns) == list(FACTOR_COLUMNS)
    assert result.factors["excess"].is_monotonic_decreasing
    assert np.allclose(result.factors["q_value"],
                       stats.false_discovery_control(result.factors["p_value"], method="bh"))


def test_a_clear_factor_is_a_finding_with_its_interval_and_small_groups_never_are() -> None:
    rng = np.random.default_rng(3)
    waits, attrs = {}, {}
    for i in range(200):
        dept = "Slow" if i % 4 == 0 else "Fast"
        tiny = "yes" if i % 20 == 0 else "no"  # 10 cases: below min_cases, never a finding however slow
        wait = rng.lognormal(np.log(3600 * (3.0 if dept == "Slow" else 1.0)), 0.3) * (5 if tiny == "yes" else 1)
        waits[f"c{i:03d}"] = wait
        attrs[f"c{i:03d}"] = {"dept": dept, "tiny": tiny}
    result = explain(_log(waits, attrs), step="Review", timezone="UTC", n_boot=2000)
    top = result.findings.iloc[0]
    assert (top["attribute"], top["value"]) == ("case:dept", "Slow")
    assert top["ci_low"] < 3.0 < top["ci_high"] and top["ci_low"] > 2.0  # the planted ratio, bounded
    assert top["excess_low"] < top["excess"] < top["excess_high"]
    assert not (result.factors["attribute"] == "case:tiny").any()
    assert result.measure == "waiting"  # the default where the log has start timestamps


def test_two_attributes_that_always_go_together_are_one_group() -> None:
    waits = {f"c{i:02d}": (2000.0 if i % 2 else 100.0) + i for i in range(80)}
    attrs = {f"c{i:02d}": {"region": "North" if i % 2 else "South", "office": "N1" if i % 2 else "S1"}
             for i in range(80)}
    result = explain(_log(waits, attrs, reviewers=3), step="Review", timezone="UTC", min_cases=10)
    top = result.findings.iloc[0]
    grouped = {(top["attribute"], top["value"])} | {(g["attribute"], g["value"]) for g in top["same_cases_as"]}
    assert grouped == {("case:region", "North"), ("case:office", "N1")}
    assert len(result.findings[result.findings["value"].isin(["North", "N1"])]) == 1


def test_second_level_split_within_the_top_factor() -> None:
    rng = np.random.default_rng(5)
    waits, attrs = {}, {}
    for i in range(400):
        region = "North" if i % 2 else "South"
        size = "large" if (i // 2) % 2 else "small"
        slow = 3.0 if region == "North" else 1.0
        slow *= 4.0 if (region == "North" and size == "large") else 1.0  # only within North
        waits[f"c{i:03d}"] = rng.lognormal(np.log(600 * slow), 0.2)
        attrs[f"c{i:03d}"] = {"region": region, "size": size}
    result = explain(_log(waits, attrs), step="Review", timezone="UTC")
    top = result.findings.iloc[0]
    assert (top["attribute"], top["value"]) == ("case:region", "North")
    inner = result.interactions
    large = inner[(inner["attribute"] == "case:size") & (inner["value"] == "large")]
    assert len(large) == 1 and large.iloc[0]["ci_low"] > 2.5  # ~4x within North
    assert large.iloc[0]["cases"] == 100


def test_numeric_attributes_are_binned_by_quantiles_with_their_edges() -> None:
    waits = {f"c{i:02d}": float(100 + i) for i in range(40)}
    attrs = {f"c{i:02d}": {"amount": float(i * 10)} for i in range(40)}
    result = explain(_log(waits, attrs), step="Review", timezone="UTC", min_cases=5, bins=4)
    assert result.bins["case:amount"] == pytest.approx([0.0, 97.5, 195.0, 292.5, 390.0])
    values = set(result.factors.loc[result.factors["attribute"] == "case:amount", "value"])
    assert values == {"[0, 97.5)", "[97.5, 195)", "[195, 292.5)", "[292.5, 390]"}


def test_weekday_hour_work_in_progress_and_batch_size_factors() -> None:
    # ten cases become ready at once (same minute) and are reviewed by one person in one batch
    rows = []
    for i in range(10):
        t = T0 + pd.Timedelta(minutes=i)
        rows += [{"case:concept:name": f"c{i}", "concept:name": "Submit", "start_timestamp": t,
                  "time:timestamp": T0 + pd.Timedelta(minutes=30), "org:resource": "x"},
                 {"case:concept:name": f"c{i}", "concept:name": "Review",
                  "start_timestamp": T0 + pd.Timedelta(hours=2), "time:timestamp": T0 + pd.Timedelta(hours=3),
                  "org:resource": "batcher"}]
    from flowmine.analytics import instances
    from flowmine.explain._units import step_units

    log = pd.DataFrame(rows)
    inst = instances(log)
    units = step_units(inst, log, inst["activity"] == "Review", "waiting_s", measure="waiting", tz="Asia/Shanghai",
                       bins=4)
    by = {f.name: f.labels for f in units.factors}
    assert set(by["batch size"]) == {"10+"}
    assert set(by["ready weekday"]) == {"Mon"} and set(by["ready hour"]) == {"17:00"}  # 09:30 UTC in Shanghai
    assert set(by["work in progress"]) == {"9"}  # the nine others, ready at the same moment
    assert set(by["variant so far"]) == {"Submit"}


def test_rates_for_rework_use_fisher_and_count_excess_cases() -> None:
    rows = []
    for i in range(60):
        dept = "A" if i < 30 else "B"
        t = T0 + pd.Timedelta(hours=i)
        reviews = 2 if (dept == "A" and i % 2 == 0) or (dept == "B" and i % 10 == 0) else 1  # 15/30 vs 3/30
        acts = ["Submit"] + ["Review"] * reviews
        for k, act in enumerate(acts):
            rows.append({"case:concept:name": f"c{i:02d}", "case:dept": dept, "concept:name": act,
                         "time:timestamp": t + pd.Timedelta(minutes=10 * (k + 1))})
    result = explain(pd.DataFrame(rows), step="Review", measure="rework", min_cases=10, timezone="UTC")
    a = _row(result, "case:dept", "A")
    assert result.statistic == "rate" and result.unit == "cases"
    assert (a["median_with"], a["median_without"]) == (0.5, 0.1)
    assert a["effect_ratio"] == pytest.approx(5.0)
    assert a["excess"] == pytest.approx(15 - 30 * 0.1)
    assert a["p_value"] == pytest.approx(stats.fisher_exact([[15, 15], [3, 27]]).pvalue)


def test_the_exact_bootstrap_distribution_of_the_median_is_the_enumerated_one() -> None:
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    k = (x.size + 1) // 2
    counts: dict[float, int] = {}
    for draw in itertools.product(range(x.size), repeat=x.size):  # every one of the 3,125 resamples
        m = float(np.sort(x[list(draw)])[k - 1])
        counts[m] = counts.get(m, 0) + 1
    exact = {v: c / x.size ** x.size for v, c in counts.items()}
    draws = _stats.median_draws(x, 200_000, np.random.default_rng(1))
    for v, p in exact.items():
        assert (draws == v).mean() == pytest.approx(p, abs=0.005)


def test_rank_test_equals_scipy_with_ties() -> None:
    rng = np.random.default_rng(2)
    x = rng.integers(0, 6, 300).astype(float)  # many ties
    masks = rng.random((4, 300)) < 0.3
    got = _stats.rank_test(x, masks)
    for m, p in zip(masks, got, strict=True):
        assert p == pytest.approx(stats.mannwhitneyu(x[m], x[~m], method="asymptotic").pvalue)


def test_random_attributes_yield_no_finding_at_the_nominal_rate() -> None:
    """Under the null (attributes drawn independently of the waiting, with rework making several
    instances per case), BH at q <= 0.05 gives a run with any finding in about 5 % of the runs."""
    runs, with_findings = 60, 0
    for seed in range(runs):
        rng = np.random.default_rng(100 + seed)
        rows = []
        for i in range(240):
            t = T0 + pd.Timedelta(minutes=int(rng.integers(0, 60 * 24 * 60)))
            attrs = {"case:colour": str(rng.choice(["red", "green", "blue"])),
                     "case:size": float(rng.lognormal(3, 1)), "case:team": str(rng.choice(list("ABCDE")))}
            rows.append({"case:concept:name": f"c{i}", **attrs, "concept:name": "Submit", "start_timestamp": t,
                         "time:timestamp": t + pd.Timedelta(minutes=5), "org:resource": "s"})
            done = t + pd.Timedelta(minutes=5)
            for _ in range(1 + int(rng.random() < 0.2)):
                start = done + pd.Timedelta(seconds=float(rng.lognormal(8, 1)))
                done = start + pd.Timedelta(minutes=10)
                rows.append({"case:concept:name": f"c{i}", **attrs, "concept:name": "Review", "start_timestamp": start,
                             "time:timestamp": done, "org:resource": str(rng.choice(["u1", "u2", "u3"]))})
        result = explain(pd.DataFrame(rows), step="Review", timezone="UTC", n_boot=100, interactions=False,
                         min_cases=20)
        case_attrs = result.findings[result.findings["kind"] == "case attribute"]
        with_findings += int(len(case_attrs) > 0)
    # binomial(60, 0.05): P(X >= 9) < 0.01
    assert with_findings <= 8, f"{with_findings} of {runs} null runs had a finding"


def test_options_are_checked_with_one_line_messages() -> None:
    waits = {f"c{i}": float(i) for i in range(6)}
    log = _log(waits, {c: {"dept": "A"} for c in waits})
    with pytest.raises(OptionError, match="no instance of step 'Nope'"):
        explain(log, step="Nope")
    with pytest.raises(OptionError, match="must be one of"):
        explain(log, step="Review", measure="throughput")
    with pytest.raises(OptionError, match="expected 'A -> B'"):
        explain(log, edge="Submit")
    no_starts = log.drop(columns=["start_timestamp"])
    with pytest.raises(OptionError, match="no start timestamps"):
        explain(no_starts, step="Review", measure="waiting")
    assert explain(no_starts, step="Review", min_cases=2).measure == "sojourn"  # the default without starts


@pytest.fixture(scope="module")
def finance_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = Path(__file__).resolve().parents[1] / "sample_logs"
    store = tmp_path_factory.mktemp("explain") / "store"
    flowmine.Store(store).ingest("finance", [root / "finance_claims.csv"],
                                 mapping=root / "finance_claims.mapping.toml")
    return store


def test_cli_json_holds_the_documented_keys(finance_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.json"
    r = run_cli("explain", "--store", str(finance_store), "--process", "finance", "--step", "GM approval",
                "--json", str(out))
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["step"] == "GM approval" and d["measure"] == "waiting" and d["cases"] > 1000
    assert d["factors"], "the GM's three working afternoons make the ready weekday a finding"
    f = d["factors"][0]
    for key in ("attribute", "value", "cases", "median_with", "median_without", "effect_ratio", "ci", "p_value",
                "q_value", "excess", "unit"):
        assert key in f
    assert f["unit"] == "s" and len(f["ci"]) == 2 and f["q_value"] <= 0.05
    excess = [x["excess"] for x in d["factors"]]
    assert excess == sorted(excess, reverse=True)
    table = run_cli("explain", "--store", str(finance_store), "--process", "finance", "--edge",
                    "Finance review -> GM approval", "--started", "2025-03-01,")
    assert table.returncode == 0 and "Finance review -> GM approval" in table.stdout


def test_cli_user_errors_are_one_line_exit_2(finance_store: Path) -> None:
    r = run_cli("explain", "--store", str(finance_store), "--process", "finance", "--step", "Nope")
    assert r.returncode == 2 and r.stderr.startswith("error: --step: no instance of step 'Nope'")
    r = run_cli("explain", "--store", str(finance_store), "--process", "finance", "--case", "--step", "x")
    assert r.returncode == 2 and "--case" in r.stderr
    r = run_cli("explain", "--store", str(finance_store), "--process", "finance", "--measure", "speed")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_deviation_of_a_step_is_the_check_s_per_case_deviations(finance_store: Path) -> None:
    from flowmine.analytics import stored
    from flowmine.conformance import check

    result = explain(stored(finance_store, "finance"), step="GM approval", measure="deviation", n_boot=200)
    report = check(finance_store, "finance", with_precision=False, with_impact=False)
    ids = report.case_ids(limit=10**9)["steps"]["GM approval"]
    at_step = set().union(*(set(v["ids"]) for v in ids.values()))
    assert result.cases == report.cases and result.statistic == "rate"
    # a case deviates at the step when a move of it deviates or it breaks a rule naming the step
    broken = {c for c, rules in report.case_rules.items() if "pay_after_review_and_approval" in rules}
    total = result.factors.iloc[0]
    rate_with, rate_without, cases = total["median_with"], total["median_without"], total["cases"]
    overall = (rate_with * cases + rate_without * (result.cases - cases)) / result.cases
    assert overall == pytest.approx(len(at_step | broken) / result.cases)


def test_waiting_parts_off_calendar_batching_busy_and_other_add_up() -> None:
    from flowmine.analytics import Calendar, instances
    from flowmine.explain._waiting import waiting_parts

    def at(text: str) -> pd.Timestamp:
        return pd.Timestamp(f"2025-03-03 {text}", tz="UTC") if len(text) == 5 else pd.Timestamp(text, tz="UTC")

    def case(cid: str, ready: str, start: str, end: str, who: str) -> list[dict[str, object]]:
        return [{"case:concept:name": cid, "concept:name": "Submit",
                 "start_timestamp": at(ready) - pd.Timedelta("5min"), "time:timestamp": at(ready), "org:resource": "x"},
                {"case:concept:name": cid, "concept:name": "Review", "start_timestamp": at(start),
                 "time:timestamp": at(end), "org:resource": who}]

    rows = [*case("busy", "09:30", "12:00", "12:30", "r"),  # r works elsewhere 10:00-11:00
            {"case:concept:name": "other", "concept:name": "Other", "start_timestamp": at("10:00"),
             "time:timestamp": at("11:00"), "org:resource": "r"},
            *case("b1", "10:00", "14:00", "14:30", "b"), *case("b2", "13:00", "14:00", "14:30", "b"),  # one batch
            *case("night", "16:00", "2025-03-04 10:00", "2025-03-04 10:30", "n")]  # Mon 16:00 -> Tue 10:00
    inst = instances(pd.DataFrame(rows))
    frame, summary = waiting_parts(inst, (inst["activity"] == "Review").to_numpy(), Calendar(start="09:00",
                                                                                               end="17:00"))
    got = frame.set_index("case")[["waiting_s", "off_calendar", "batching", "resource_busy", "other"]] / 3600
    assert got.loc["busy"].tolist() == [2.5, 0.0, 0.0, 1.0, 1.5]
    assert got.loc["b1"].tolist() == [4.0, 0.0, 4.0, 0.0, 0.0]  # until b2 was ready, then until the run
    assert got.loc["b2"].tolist() == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert got.loc["night"].tolist() == [18.0, 16.0, 0.0, 0.0, 2.0]
    assert summary["waiting_s"] == pytest.approx(25.5 * 3600) and summary["unknown"] == {}
    assert sum(summary[f"{p}_share"] for p in ("off_calendar", "batching", "resource_busy", "other")) == (
        pytest.approx(1.0))
    _, without = waiting_parts(inst, (inst["activity"] == "Review").to_numpy(), None)
    assert without["off_calendar_s"] is None and without["unknown"] == {"off_calendar": "no_calendar"}
