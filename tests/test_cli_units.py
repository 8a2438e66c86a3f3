"""``--unit`` and ``--tz`` (issue 19): durations in the unit that fits each value or a chosen one, and
periods in the process's time zone; a wrong value is one ``error:`` line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowmine import Store
from flowmine.cli import _register, app
from flowmine.cli._perf import format_profile

CSV = """case,activity,time
late,A,2012-10-01 00:38
late,B,2012-10-02 12:00
sep,A,2012-09-10 09:00
sep,B,2012-09-10 09:01
"""
MAPPING = """[columns]
case = "case"
activity = "activity"
timestamp = "time"

[timestamps]
format = "%Y-%m-%d %H:%M"
timezone = "Europe/Amsterdam"
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("units")
    (folder / "bpi.csv").write_text(CSV, encoding="utf-8")
    (folder / "bpi.mapping.toml").write_text(MAPPING, encoding="utf-8")
    report = Store(folder / "store").ingest("bpi12", [folder / "bpi.csv"], mapping=folder / "bpi.mapping.toml")
    assert report.version is not None and not report.errors
    return folder / "store"


def _perf(store: Path, *args: str) -> tuple[int, str, str]:
    _register()
    res = CliRunner().invoke(app, ["perf", "--store", str(store), "--process", "bpi12", *args])
    return res.exit_code, res.stdout, res.stderr


def test_perf_prints_durations_in_the_fitting_unit(store):
    code, out, _ = _perf(store)
    assert code == 0
    # the "sep" case lasts 60 s, the "late" one 35 h 22 min (127,320 s): median = mean = 63,690 s,
    # p90 = 60 + 0.9 × 127,260 = 114,594 s
    assert out.splitlines()[0] == ("bpi12: 2 cases, 4 events, 1 variants; throughput time median 17.7 h, "
                                   "mean 17.7 h, p90 31.8 h")
    lines = out.splitlines()
    assert f"{'A → B':<56}{2:>8}{'17.7 h':>12}{'17.7 h':>12}" in lines
    assert f"{1:>3} {'e A → B':<52}{'35.4 h':>14}{'100.0%':>8}{2:>8}  2.0 min – 2.9 d" in lines  # a bootstrap CI


@pytest.mark.parametrize("unit, median", [("s", "63,690 s"), ("min", "1,061.5 min"), ("h", "17.7 h"),
                                          ("d", "0.74 d")])
def test_perf_unit_is_chosen(store, unit, median):
    code, out, _ = _perf(store, "--unit", unit)
    assert code == 0 and f"throughput time median {median}," in out.splitlines()[0]


def test_perf_periods_in_a_zone_shown_in_the_header(store):
    code, out, _ = _perf(store, "--by", "month", "--tz", "Europe/Amsterdam")
    assert code == 0
    lines = out.splitlines()
    at = lines.index("periods in time zone Europe/Amsterdam (each starts at its local midnight)")
    assert [line.split()[:3] for line in lines[at + 2:]] == [["2012-09-01", "1", "1"], ["2012-10-01", "1", "1"]]
    code, out, _ = _perf(store, "--by", "month")  # no definition named bpi12: UTC, where "late" starts in September
    lines = out.splitlines()
    at = lines.index("periods in time zone UTC (each starts at its local midnight)")
    assert [line.split()[:3] for line in lines[at + 2:]] == [["2012-09-01", "2", "1"], ["2012-10-01", "0", "1"]]


@pytest.mark.parametrize("args, message", [
    (["--tz", "Mars/Olympus"], "error: --tz: 'Mars/Olympus' is not an IANA time zone (e.g. UTC, Europe/Amsterdam, "
                               "Asia/Shanghai)"),
    (["--unit", "w"], "error: --unit must be one of auto, s, min, h, d; got 'w'"),
])
def test_a_wrong_unit_or_zone_is_one_line_exit_2(store, args, message):
    code, out, err = _perf(store, "--by", "month", *args)
    assert (code, out, err.strip()) == (2, "", message)


def test_every_duration_command_has_the_same_unit_help():
    import typer

    _register()
    group = typer.main.get_command(app)
    helps = {name: next(p.help for p in cmd.params if p.name == "unit")  # type: ignore[attr-defined]
             for name, cmd in group.commands.items() if any(p.name == "unit" for p in cmd.params)}
    assert sorted(helps) == ["card", "explain", "initiative", "monitor", "perf", "whatif"]
    assert len(set(helps.values())) == 1 and "auto | s | min | h | d" in helps["perf"]


def test_format_profile_default_zone_is_utc_for_an_old_profile():
    p = {"process": "x", "cases": 1, "events": 1, "variants": 1, "time_basis": "sojourn",
         "throughput_time_s": {"median": 100.0, "mean": 700.0, "p90": None}, "activities": [], "edges": [],
         "bottlenecks": [], "periods": [{"period": "2012-10-01T00:00:00+00:00", "arrivals": 1, "completions": 0,
                                         "wip": 1, "throughput_time_median_s": None}]}
    lines = format_profile(p).splitlines()
    assert lines[0] == "x: 1 cases, 1 events, 1 variants; throughput time median 100 s, mean 11.7 min, p90 "
    assert "periods in time zone UTC (each starts at its local midnight)" in lines


def test_perf_periods_default_to_the_definition_s_zone(tmp_path):
    samples = Path(__file__).resolve().parents[1] / "sample_logs"
    report = Store(tmp_path / "store").ingest("finance", [samples / "finance_claims.csv"],
                                              mapping=samples / "finance_claims.mapping.toml")
    assert report.version is not None
    _register()
    res = CliRunner().invoke(app, ["perf", "--store", str(tmp_path / "store"), "--process", "finance", "--by", "month"])
    assert res.exit_code == 0
    assert "periods in time zone Asia/Shanghai (each starts at its local midnight)" in res.stdout.splitlines()


@pytest.mark.parametrize("command", [["explain", "--step", "A"], ["card", "--step", "A"], ["whatif"]])
def test_every_duration_command_refuses_a_wrong_unit(store, command):
    _register()
    res = CliRunner().invoke(app, [command[0], "--store", str(store), "--process", "bpi12", *command[1:],
                                   "--unit", "hours"])
    assert (res.exit_code, res.stderr.strip()) == (2, "error: --unit must be one of auto, s, min, h, d; got 'hours'")


def test_perf_in_business_time_names_its_calendar(store):
    """No definition named bpi12: Mon-Fri 09:00-17:00 UTC. The "sep" case (Mon 2012-09-10 07:00-07:01 UTC)
    lies before opening (0 s); the "late" one runs from Sun 2012-09-30 22:38 UTC to Tue 2012-10-02 10:00 UTC:
    Mon 8 h + Tue 1 h = 9 h of business time. Median = mean = 4.5 h."""
    code, out, _ = _perf(store, "--time", "business")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "bpi12: 2 cases, 4 events, 1 variants; throughput time median 4.5 h, mean 4.5 h, p90 8.1 h"
    assert lines[1] == "durations in business time: Mon–Fri 09:00–17:00 (UTC), 0 holidays, 0 make-up workdays"
    code, out, err = _perf(store, "--time", "working")
    assert (code, err.strip()) == (2, "error: --time must be one of elapsed, business; got 'working'")
    code, _, err = _perf(store, "--time", "business", "--engine", "fast")
    assert code == 2 and "elapsed time only" in err


def test_perf_business_time_takes_the_definition_s_calendar(tmp_path):
    samples = Path(__file__).resolve().parents[1] / "sample_logs"
    Store(tmp_path / "store").ingest("finance", [samples / "finance_claims.csv"],
                                     mapping=samples / "finance_claims.mapping.toml")
    _register()
    res = CliRunner().invoke(app, ["perf", "--store", str(tmp_path / "store"), "--process", "finance",
                                   "--time", "business", "--json", "-"])
    assert res.exit_code == 0
    import json

    from flowmine.processes import load_process

    p = json.loads(res.stdout)
    assert p["time"] == "business"
    assert p["calendar"] == load_process("finance").working_calendar().describe()


def test_monitor_and_initiative_lines_share_one_unit_per_line():
    from types import SimpleNamespace

    from flowmine.cli._monitor import _evaluation_line, _line

    status = {"value": 95_400.0, "target": 86_400.0, "unit": "s", "direction": "lower", "status": "off_target",
              "process": "finance", "kpi": "median_throughput_time", "period": "2025-11-01", "signals": []}
    assert _line(status).endswith("26.5 h  target ≤ 24.0 h")  # auto: the unit that fits the target
    assert _line(status, "d").endswith("1.10 d  target ≤ 1.00 d")
    assert _line(status | {"value": 0.182, "target": 0.1, "unit": "share"}, "h").endswith("18.2%  target ≤ 10.0%")
    ini = SimpleNamespace(id="x", statistic="mean")
    e = SimpleNamespace(unit="s", before=9_000.0, after=5_400.0, effect=-3_600.0, effect_ci=(-5_400.0, 720.0),
                        verdict="achieved", initiative=ini, n_before=1_200, n_after=800, reason="r")
    # auto: the unit that fits the baseline (2.5 h: hours) for every number of the line
    assert _evaluation_line(e, "auto") == ("ACHIEVED      x: mean 2.5 h → 1.5 h (effect -1.0 h, 95% CI "
                                           "-1.5 h … +0.2 h; n 1,200 / 800); r")
    assert "mean 150.0 min → 90.0 min (effect -60.0 min, 95% CI -90.0 min … +12.0 min;" in _evaluation_line(e, "min")
    cost = SimpleNamespace(**{**vars(e), "unit": "CNY", "before": 691.0, "after": 640.5, "effect": -50.5,
                              "effect_ci": (-60.0, -41.0)})
    assert "mean 691 CNY → 640.5 CNY (effect -50.5 CNY, 95% CI -60 CNY … -41 CNY;" in _evaluation_line(cost, "h")
