"""The shipped sample logs hold their ground truth, checked from the raw files.

Each file is read here with plain pandas/pm4py as its mapping describes (not with flowmine's
ingestion, which has its own tests), and every figure of the truth file is recomputed from
those rows: conformance of planted and clean cases, deviations, rule violations, bottleneck,
rework, cost per step and the change point.
"""

from __future__ import annotations

import csv
import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from flowmine._schema import ACTIVITY, CASE, COST, RESOURCE, START, TIMESTAMP, Reason
from flowmine.processes import check_rules, load_process
from flowmine.simulate import simulate
from flowmine.simulate.samples import SAMPLES, build_dirty
from tests.test_simulate import case_fitness, observed_deviations

ROOT = Path(__file__).resolve().parents[1] / "sample_logs"
TZ = "Asia/Shanghai"


def index() -> list[dict[str, str]]:
    return tomllib.loads((ROOT / "samples.toml").read_text(encoding="utf-8"))["log"]


def mapping_of(file: str) -> dict[str, Any]:
    entry = next(e for e in index() if e["file"] == file)
    return tomllib.loads((ROOT / entry["mapping"]).read_text(encoding="utf-8"))


def truth_of(file: str) -> dict[str, Any]:
    entry = next(e for e in index() if e["file"] == file)
    return json.loads((ROOT / entry["truth"]).read_text(encoding="utf-8"))


def _utc(text: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(text, format=fmt).dt.tz_localize(TZ).dt.tz_convert("UTC")


def read_table(file: str) -> pd.DataFrame:
    """An event-table sample (CSV) read as its mapping says, with canonical column names."""
    m = mapping_of(file)
    raw = pd.read_csv(
        ROOT / file,
        dtype=str,
        keep_default_na=False,
        encoding=m["csv"]["encoding"],
        sep=m["csv"]["delimiter"],
    )
    cols = m["columns"]
    out = pd.DataFrame(
        {CASE: raw[cols["case"]], ACTIVITY: raw[cols["activity"]].replace(m.get("activities", {}))}
    )
    out[TIMESTAMP] = _utc(raw[cols["timestamp"]], m["timestamps"]["format"])
    out[START] = _utc(raw[cols["start_timestamp"]], m["timestamps"]["format"])
    out[RESOURCE] = raw[cols["resource"]]
    out[COST] = raw[cols["cost"]].str.replace(m["csv"]["decimal"], ".").astype(float)
    for name in m["attributes"]["case"]:
        out["case:" + name] = raw[name]
    if "amount" in raw:
        out["case:amount"] = raw["amount"].str.replace(m["csv"]["decimal"], ".").astype(float)
    return out


def read_xes(file: str) -> pd.DataFrame:
    """The XES sample: start and complete events paired per case and activity, in order."""
    import pm4py

    log = pm4py.read_xes(str(ROOT / file), variant="iterparse", return_legacy_log_object=False)
    log = log.sort_values([CASE, "time:timestamp"], kind="stable")
    done = log[log["lifecycle:transition"] == "complete"].copy()
    start = log[log["lifecycle:transition"] == "start"].copy()
    for part in (done, start):
        part["_k"] = part.groupby([CASE, ACTIVITY]).cumcount()
    merged = done.merge(
        start[[CASE, ACTIVITY, "_k", TIMESTAMP]].rename(columns={TIMESTAMP: START}),
        on=[CASE, ACTIVITY, "_k"],
        how="left",
    )
    return merged.drop(columns="_k").sort_values([CASE, TIMESTAMP], kind="stable").reset_index(drop=True)


def read_wide(file: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The wide sales table and the completion-only event log made from its milestone columns."""
    m = mapping_of(file)
    table = pd.read_excel(ROOT / file, sheet_name=m["excel"]["sheet"])
    long = table.melt(id_vars=["order_id"], value_vars=list(m["milestones"]), var_name="col", value_name="t")
    long = long.dropna(subset=["t"])
    events = pd.DataFrame(
        {
            CASE: long["order_id"],
            ACTIVITY: long["col"].map(m["milestones"]),
            TIMESTAMP: pd.DatetimeIndex(long["t"]).tz_localize(TZ).tz_convert("UTC"),
        }
    )
    return table, events.sort_values([CASE, TIMESTAMP], kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def logs() -> dict[str, pd.DataFrame]:
    return {
        "sales": read_wide("sales_orders.xlsx")[1],
        "procurement": read_table("procurement_events_gbk.csv"),
        "production": read_xes("production_mes.xes.gz"),
        "finance": read_table("finance_claims.csv"),
    }


FILES = {process: file for process, _, _, file in SAMPLES}


def test_index_lists_five_logs_under_20_mb() -> None:
    entries = index()
    assert [e["process"] for e in entries] == ["sales", "procurement", "production", "finance", "sales_dirty"]
    for e in entries:
        for key in ("file", "mapping", "truth"):
            assert (ROOT / e[key]).is_file(), e[key]
    assert sum(p.stat().st_size for p in ROOT.iterdir()) < 20 * 1024**2


@pytest.mark.parametrize("process", list(FILES))
def test_sample_sizes_and_cases(logs: dict[str, pd.DataFrame], process: str) -> None:
    truth = truth_of(FILES[process])
    events = logs[process]
    assert 2000 <= events[CASE].nunique() == truth["cases"] <= 10000
    expected = truth["export"]["visible_events"] if process == "sales" else truth["events"]
    assert len(events) == expected


@pytest.mark.parametrize("process", list(FILES))
def test_sample_conformance_and_deviations(logs: dict[str, pd.DataFrame], process: str) -> None:
    truth, events = truth_of(FILES[process]), logs[process]
    fitness = case_fitness(events, process)
    control = {c for d in truth["deviations"].values() if d["control_flow"] for c in d["cases"]}
    planted = fitness.index.isin(sorted(control))
    assert (fitness[~planted] == 1.0).all() and (fitness[planted] < 1.0).all()
    found = observed_deviations(events, process)
    for kind, spec in truth["deviations"].items():
        assert found[kind] == set(spec["cases"]), kind
        assert abs(len(found[kind]) / truth["cases"] - spec["planted_rate"]) < 0.01


@pytest.mark.parametrize("process", list(FILES))
def test_sample_rule_violations(logs: dict[str, pd.DataFrame], process: str) -> None:
    cfg = load_process(process)
    found = check_rules(logs[process], cfg.rules, cfg.calendar)
    assert found == truth_of(FILES[process])["rule_violations"]


@pytest.mark.parametrize("process", list(FILES))
def test_sample_bottleneck(logs: dict[str, pd.DataFrame], process: str) -> None:
    truth, ev = truth_of(FILES[process]), logs[process]
    prev = ev.groupby(CASE)[TIMESTAMP].shift(1)
    anchor = ev[START] if START in ev.columns else ev[TIMESTAMP]  # sojourn when there are no starts
    totals = (anchor - prev).groupby(ev[ACTIVITY]).sum().sort_values(ascending=False)
    assert totals.index[0] == truth["bottleneck"]["step"]
    assert totals.iloc[0] > 1.3 * totals.iloc[1]


@pytest.mark.parametrize("process", ["procurement", "production", "finance"])
def test_sample_rework_cost_and_change_point(logs: dict[str, pd.DataFrame], process: str) -> None:
    truth, ev = truth_of(FILES[process]), logs[process]
    counts = ev.groupby([CASE, ACTIVITY]).size().unstack(fill_value=0)
    for step, spec in truth["rework"].items():
        assert round((counts[step] >= 2).sum() / (counts[step] >= 1).sum(), 4) == spec["rate"]
    cost = ev.groupby(ACTIVITY)[COST].sum()
    for step, spec in truth["cost_per_step"].items():
        assert abs(cost[step] - spec["total"]) < 0.05
    cp = truth["change_point"]
    change = pd.Timestamp(cp["date"]).tz_localize(TZ).tz_convert("UTC")
    prev = ev.groupby(CASE)[TIMESTAMP].shift(1)
    hours = (ev[START] - prev).dt.total_seconds() / 3600
    step = ev[ACTIVITY] == cp["step"]
    assert round(hours[step & (prev < change)].mean(), 2) == cp["waiting_mean_before_hours"]
    assert round(hours[step & (prev >= change)].mean(), 2) == cp["waiting_mean_after_hours"]
    assert cp["waiting_mean_cut_share"] > 0.25


def test_sales_wide_table_counts_negotiation_rounds() -> None:
    table, _ = read_wide(FILES["sales"])
    truth = truth_of(FILES["sales"])
    assert round(float((table["negotiation_count"] >= 2).mean()), 4) == truth["rework"]["Negotiation"]["rate"]
    assert (table["negotiation_count"] >= 1).all()


def test_procurement_file_is_gbk_with_chinese_names() -> None:
    raw = (ROOT / FILES["procurement"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    header = raw.decode("gbk").splitlines()[0]
    assert header.startswith("采购单号,活动,开始时间,完成时间")
    acts = set(pd.read_csv(ROOT / FILES["procurement"], encoding="gbk", dtype=str)["活动"])
    assert acts == set(mapping_of(FILES["procurement"])["activities"])


def test_finance_file_uses_semicolons_decimal_comma_and_day_first_times() -> None:
    with open(ROOT / FILES["finance"], encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header, first = rows[0], rows[1]
    assert first[header.index("cost")].count(",") == 1 and "." not in first[header.index("amount")]
    assert pd.to_datetime(first[header.index("completed")], format="%d.%m.%Y %H:%M").year == 2025


def test_dirty_file_has_exactly_the_planted_problems(tmp_path: Path) -> None:
    truth = json.loads((ROOT / "dirty_orders.truth.json").read_text(encoding="utf-8"))
    with open(ROOT / "dirty_orders.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == truth["rows_read"] == 50
    planted = {q["row"]: q["reason"] for q in truth["quarantined"]}
    assert set(planted.values()) <= set(Reason.all()) and len(planted) == 6
    seen: set[tuple[str, ...]] = set()
    for number, row in enumerate(rows, start=2):
        problems = []
        if not row["order_id"]:
            problems.append(Reason.MISSING_CASE)
        if not row["activity"]:
            problems.append(Reason.MISSING_ACTIVITY)
        start = pd.to_datetime(row["start_time"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
        done = pd.to_datetime(row["complete_time"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
        if pd.isna(done):
            problems.append(Reason.INVALID_TIMESTAMP)
        elif done < start:
            problems.append(Reason.COMPLETE_BEFORE_START)
        try:
            float(row["cost"])
        except ValueError:
            problems.append(Reason.INVALID_NUMBER)
        key = tuple(row.values())
        if key in seen:
            problems.append(Reason.DUPLICATE_EVENT)
        seen.add(key)
        assert problems == ([planted[number]] if number in planted else []), number
    build_dirty(tmp_path)
    assert (tmp_path / "dirty_orders.csv").read_bytes() == (ROOT / "dirty_orders.csv").read_bytes()


def test_finance_sample_truth_is_reproducible() -> None:
    process, cases, seed, file = next(s for s in SAMPLES if s[0] == "finance")
    shipped = truth_of(file)
    fresh = json.loads(json.dumps(simulate(process, cases, seed=seed).truth))
    assert {k: v for k, v in shipped.items() if k not in ("export", "file")} == fresh
    assert np.isclose(shipped["cost_per_case_mean"], fresh["cost_per_case_mean"])
