"""KPI monitoring: hand-computed control limits and run rules, the history, and `flowmine monitor` exit codes."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from flowmine.monitor import individuals_chart, kpi_periods, monitor, p_chart, read_history, run_rules
from flowmine.monitor._history import runs
from flowmine.processes import packaged_folder
from flowmine.store import Store

MODEL = packaged_folder() / "finance" / "model.bpmn"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``flowmine ARGS`` in a fresh process, with the monitor command imported (also before it is
    listed in ``flowmine.cli._register``)."""
    code = "import sys, flowmine.cli._monitor; from flowmine.cli import main; sys.argv[0] = 'flowmine'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


# --- control limits, computed by hand -------------------------------------------------------------
def test_individuals_limits_by_hand():
    c = individuals_chart([10, 12, 11, 13, 12, 30], baseline=5)
    # centre = (10+12+11+13+12)/5 = 11.6; moving ranges 2,1,2,1 -> 1.5; sigma = 1.5/1.128
    assert c.center == pytest.approx(11.6)
    assert c.sigma[0] == pytest.approx(1.5 / 1.128)
    assert c.ucl[0] == pytest.approx(11.6 + 3 * 1.5 / 1.128)  # 15.5894
    assert c.lcl[0] == pytest.approx(11.6 - 3 * 1.5 / 1.128)  # 7.6106
    assert c.baseline == 5
    assert [(h.rule, h.index, h.side) for h in c.hits] == [("WE1", 5, 1)]  # 30 is beyond 15.59


def test_p_chart_limits_by_hand():
    c = p_chart([5, 10, 3, 12], [100, 100, 50, 40], baseline=3)
    # p-bar = 18/250 = 0.072; for n=100 sigma = sqrt(.072*.928/100) = 0.025849
    assert c.center == pytest.approx(0.072)
    assert c.ucl[0] == pytest.approx(0.072 + 3 * math.sqrt(0.072 * 0.928 / 100))
    assert c.lcl[0] == 0.0  # 0.072 - 0.0775 < 0: clipped
    assert c.ucl[3] == pytest.approx(0.072 + 3 * math.sqrt(0.072 * 0.928 / 40))  # 0.1946
    assert c.values[3] == pytest.approx(0.3)
    assert [(h.rule, h.index) for h in c.hits] == [("WE1", 3)]


def test_run_rules_each_rule_on_small_series():
    assert [(h.rule, h.index) for h in run_rules([0, 3.2, 0, -3.5])] == [("WE1", 1), ("WE1", 3)]
    # 2 of 3 beyond 2 sigma on one side: hits where the second extreme point is
    assert [(h.rule, h.index, h.side) for h in run_rules([2.5, 0.0, -2.1, -2.4])] == [("WE2", 3, -1)]
    # 4 of 5 beyond 1 sigma, same side
    assert [(h.rule, h.index) for h in run_rules([1.5, 1.2, 0.3, 1.1, 1.9])] == [("WE3", 4)]
    # 8 on one side (alternating so that no trend forms), hit at the 8th and the 9th point
    eight = [0.5, 0.2, 0.6, 0.3, 0.7, 0.2, 0.5, 0.1, 0.4]
    assert [(h.rule, h.index) for h in run_rules(eight)] == [("WE4", 7), ("WE4", 8)]
    # 6 steadily increasing points, all within 1 sigma of the centre
    assert [(h.rule, h.index, h.side) for h in run_rules([-0.9, -0.6, -0.3, 0.0, 0.3, 0.6])] == [("TREND", 5, 1)]
    assert run_rules([0.5, -0.5] * 10) == []
    assert run_rules([float("nan"), 4.0]) == [run_rules([4.0])[0].__class__("WE1", 1, 1)]


def test_zero_sigma_baseline_flags_any_move():
    c = individuals_chart([5, 5, 5, 5, 6], baseline=4)
    assert c.sigma[0] == 0 and [(h.rule, h.index) for h in c.hits] == [("WE1", 4)]
    assert individuals_chart([5] * 9).hits == []


# --- a tiny deterministic store: every week two identical cases ------------------------------------
def _store(tmp_path: Path, weeks: int = 12, slow_last: bool = False) -> Store:
    rows = ["case;activity;time"]
    for w in range(weeks):
        monday = datetime(2025, 1, 6, 9) + timedelta(days=7 * w)
        # the last case of the log ends on the Tuesday of the last week, so the last week stays open
        hours = 30 if slow_last and w == weeks - 2 else 24
        for c in range(2):
            t0 = monday + timedelta(minutes=c)
            rows.append(f"W{w:02d}-{c};Submit expense claim;{t0:%Y-%m-%d %H:%M}")
            rows.append(f"W{w:02d}-{c};Finance review;{t0 + timedelta(hours=hours):%Y-%m-%d %H:%M}")
    src = tmp_path / "log.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    mapping = tmp_path / "log.mapping.toml"
    mapping.write_text('[columns]\ncase = "case"\nactivity = "activity"\ntimestamp = "time"\n'
                       '[timestamps]\nformat = "%Y-%m-%d %H:%M"\ntimezone = "UTC"\n[csv]\ndelimiter = ";"\n',
                       encoding="utf-8")
    st = Store(tmp_path / "store")
    st.ingest("tiny", [str(src)], mapping=mapping)
    return st


def _config(tmp_path: Path, median: str, sla_target: float, name: str = "tiny.toml") -> Path:
    path = tmp_path / name
    path.write_text(f"""
[process]
name = "tiny"
label_en = "Tiny"
label_zh = "小"
reference_model = "{MODEL.as_posix()}"
[activities]
"Submit expense claim" = {{ zh = "提交报销" }}
"Finance review" = {{ zh = "财务审核" }}
[[kpi]]
id = "median_tt"
label_en = "Median throughput time"
label_zh = "通过时间中位数"
metric = "throughput_time"
statistic = "median"
target = "{median}"
direction = "lower"
period = "week"
[[kpi]]
id = "review_rework"
label_en = "Rework at review"
label_zh = "审核返工"
metric = "rework_rate"
step = "Finance review"
target = 0.1
direction = "lower"
period = "week"
[[kpi]]
id = "within_sla"
label_en = "Within 2 days"
label_zh = "两天内"
metric = "share_within_sla"
sla = "2d"
target = {sla_target}
direction = "higher"
period = "week"
""", encoding="utf-8")
    return path


def test_kpi_values_per_period_and_history_idempotent(tmp_path):
    st = _store(tmp_path)
    cfg = _config(tmp_path, "2d", 0.9)
    first = monitor(st, "tiny", config=cfg)
    assert first.exit_code == 0 and all(s.status == "ok" for s in first.statuses)
    tt = next(s for s in first.statuses if s.kpi.id == "median_tt")
    assert tt.value == 86400.0 and tt.target == 2 * 86400.0
    assert len(tt.periods) == 11  # the 12th week is still open at the log's last completion
    hist = read_history(st.path, "tiny")
    assert len(hist) == 36 and set(hist["version"]) == {1}
    assert first.history["tiny"] == {"version": 1, "recomputed": True, "inserted": 36, "updated": 0}
    again = monitor(st, "tiny", config=cfg)
    assert again.history["tiny"]["recomputed"] is False
    assert read_history(st.path, "tiny").drop(columns="updated_at").equals(hist.drop(columns="updated_at"))
    assert len(runs(st.path, "tiny")) == 1


def test_history_is_incremental_on_a_new_extract(tmp_path):
    st = _store(tmp_path)
    cfg = _config(tmp_path, "2d", 0.9)
    monitor(st, "tiny", config=cfg)
    extra = tmp_path / "more.csv"
    extra.write_text("case;activity;time\nW11-9;Submit expense claim;2025-03-24 10:00\n"
                     "W11-9;Finance review;2025-03-27 10:00\n", encoding="utf-8")
    st.ingest("tiny", [str(extra)], mapping=tmp_path / "log.mapping.toml")
    res = monitor(st, "tiny", config=cfg)
    # only week 12 (2025-03-24) changed: 3 cases instead of 2 for each KPI (its median of 24, 24, 72 h
    # stays 24 h); the 33 other rows keep the version that wrote them
    assert res.history["tiny"] == {"version": 2, "recomputed": True, "inserted": 0, "updated": 3}
    hist = read_history(st.path, "tiny")
    changed = hist[hist["version"] == 2]
    assert set(changed["kpi"]) == {"within_sla", "median_tt", "review_rework"} and set(hist["first_version"]) == {1}
    assert changed.set_index("kpi").loc["median_tt", "value"] == 86400.0
    assert {str(p.date()) for p in changed["period"]} == {"2025-03-24"}
    assert changed.set_index("kpi").loc["within_sla", "value"] == pytest.approx(2 / 3)


def test_kpi_periods_marks_the_open_period(tmp_path):
    from flowmine.monitor import case_data
    from flowmine.processes import load_process

    st = _store(tmp_path, weeks=3)
    cfg = load_process(_config(tmp_path, "2d", 0.9))
    frame = kpi_periods(case_data(st, "tiny", cfg, cfg.kpis), cfg)
    tt = frame[frame.kpi == "median_tt"]
    assert tt["complete"].tolist() == [True, True, False]  # the log ends on Tuesday of week 3
    assert tt["cases"].tolist() == [2, 2, 2]


def test_cli_monitor_exit_codes(tmp_path):
    st = _store(tmp_path)
    ok = _config(tmp_path, "2d", 0.9, "pass.toml")
    res = run_cli("monitor", "--store", str(st.path), "--process", "tiny", "--config", str(ok),
                  "--json", str(tmp_path / "m.json"), "--junit", str(tmp_path / "m.xml"))
    assert res.returncode == 0, res.stderr + res.stdout
    data = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert data["breaches"] == 0 and [k["status"] for k in data["kpis"]] == ["ok"] * 3
    suite = ET.parse(tmp_path / "m.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "3" and suite.get("failures") == "0"

    bad = _config(tmp_path, "12h", 0.9, "fail.toml")
    res = run_cli("monitor", "--store", str(st.path), "--process", "tiny", "--config", str(bad),
                  "--junit", str(tmp_path / "f.xml"))
    assert res.returncode == 1, res.stderr
    assert "OFF_TARGET" in res.stdout and "median_tt" in res.stdout
    failures = ET.parse(tmp_path / "f.xml").getroot().findall(".//failure")
    assert [f.get("type") for f in failures] == ["off_target"]

    res = run_cli("monitor", "--store", str(tmp_path / "nowhere"), "--process", "tiny")
    assert res.returncode == 2 and res.stderr.startswith("error:")


def test_monitor_out_of_control_is_a_breach(tmp_path):
    st = _store(tmp_path, weeks=12, slow_last=True)  # week 11, the last complete one, takes 30 h
    res = monitor(st, "tiny", config=_config(tmp_path, "3d", 0.5))
    tt = next(s for s in res.statuses if s.kpi.id == "median_tt")
    assert tt.on_target and not tt.in_control and tt.status == "out_of_control"
    assert [(h["rule"], h["side"], h["favourable"]) for h in tt.signals] == [("WE1", "above", False)]
    assert res.exit_code == 1
