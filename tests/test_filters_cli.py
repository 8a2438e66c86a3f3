"""The shared filter options: the same flags on every analysing command, the numbers of the public API's
filters, one ``error:`` line (exit 2) naming the option and the closest matches for an unknown name, and
one line for a filter that keeps no case."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from flowmine.analytics import CaseFilter, EventFilter, count_cases, filter_events, stored
from flowmine.cli import _register, app
from flowmine.cli._filters import OPTIONS
from flowmine.store import Store
from tests.conftest import run_cli

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
COMMANDS = ("perf", "check", "discover", "explain", "whatif", "export", "report")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("filters-cli") / "store"
    Store(path).ingest("finance", [SAMPLES / "finance_claims.csv"], mapping=SAMPLES / "finance_claims.mapping.toml")
    return path


def invoke(*args: str) -> tuple[int, str]:
    _register(list(args[:1]))
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.output


def perf_cases(store: Path, *flags: str) -> int:
    code, out = invoke("perf", "--store", str(store), "--process", "finance", "--json", "-", *flags)
    assert code == 0, out
    return int(json.loads(out)["cases"])


def expect(store: Path, flt: CaseFilter) -> int:
    n = count_cases(stored(store, "finance").where(flt))
    assert 0 < n < 6000  # the filter filters
    return n


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_every_filter_option(command: str) -> None:
    code, out = invoke(command, "--help")
    assert code == 0
    flags = {"--" + name.replace("_", "-") for name in OPTIONS}
    listed = set(re.findall(r"--[a-z][a-z-]+", out))
    assert flags <= listed, sorted(flags - listed)


@pytest.mark.parametrize(("flags", "flt"), [
    (("--top-variants", "2"), CaseFilter(top_variants=2)),
    (("--variant-coverage", "0.9"), CaseFilter(variant_coverage=0.9)),
    (("--not-activity", "Revise claim"), CaseFilter(not_contains=["Revise claim"])),
    (("--rework", "Finance review"), CaseFilter(rework=["Finance review"])),
    (("--follows", "Finance review ->> Revise claim"), CaseFilter(follows=("Finance review", "Revise claim"))),
    (("--follows", "GM approval -> Cashier payment"), CaseFilter(directly_follows=("GM approval", "Cashier payment"))),
    (("--attribute", "case:amount>=5000"), CaseFilter(ranges={"case:amount": (5000, None)})),
    (("--duration", "1d,3d"), CaseFilter(duration_s=(86400, 3 * 86400))),
    (("--case-size", "6,"), CaseFilter(case_size=(6, None))),
    (("--contained", "2025-03-01,2025-04-01"), CaseFilter(contained=("2025-03-01", "2025-04-01"))),
    (("--starts-with", "Submit expense claim", "--ends-with", "Voucher booking", "--not-activity",
      "Urgent payment request"), CaseFilter(start_steps=["Submit expense claim"], end_steps=["Voucher booking"],
                                            not_contains=["Urgent payment request"])),
])
def test_perf_keeps_the_cases_the_api_keeps(store: Path, flags: tuple[str, ...], flt: CaseFilter) -> None:
    assert perf_cases(store, *flags) == expect(store, flt)


def test_ascii_arrows_in_a_variant_are_the_variant(store: Path) -> None:
    from flowmine.analytics import variant_stats

    top = variant_stats(stored(store, "finance"))["variant"].iloc[1]
    assert perf_cases(store, "--variant", top.replace(" → ", " -> ")) == perf_cases(store, "--variant", top) \
        == expect(store, CaseFilter(variants=[top]))
    assert perf_cases(store, "--not-variant", top) == 6000 - expect(store, CaseFilter(variants=[top]))


@pytest.mark.parametrize(("flags", "line"), [
    (("--follows", "Finance reviw -> GM approval"),
     "error: --follows: the log has no activity 'Finance reviw'; closest: 'Finance review'"),
    (("--variant", "Submit expense claim -> Finance review"), "error: --variant: the log has no variant "
     "'Submit expense claim → Finance review'; closest: 'Submit expense claim → Finance review → "),
    (("--attribute", "amount=100"), "error: --attribute: the log has no column 'amount'; closest: 'case:amount'"),
    (("--keep-activities", "GM aproval"), "error: --keep-activities: the log has no activity 'GM aproval'; "
     "closest: 'GM approval'"),
    (("--attribute", "case:amount>=1e12"), "error: the filter keeps no case (ranges={'case:amount': [1000000000000.0, "
     "None]})"),
    (("--attribute", "case:department>=5"), "error: --attribute: the column 'case:department' holds string, not "
     "numbers; give its values instead (case:department=V1,V2)"),
    (("--top-variants", "0"), "error: --top-variants: The 'top_variants' parameter of CaseFilter must be an int"),
    (("--case-size", "9"), "error: --case-size '9': expected MIN,MAX (either may be empty)"),
    (("--conforming", "--deviating"), "error: --conforming and --deviating exclude each other"),
    (("--conforming", "--activity", "Urgent payment request", "--not-activity", "Urgent payment request"),
     "error: the filter keeps no case (contains=['Urgent payment request']; not_contains=['Urgent payment request']; "
     "conformance=conforming)"),
])
def test_user_errors_are_one_line_exit_2(store: Path, flags: tuple[str, ...], line: str) -> None:
    r = run_cli("perf", "--store", str(store), "--process", "finance", *flags)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(line), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_check_and_report_refuse_event_filters_in_one_line(store: Path, tmp_path: Path) -> None:
    for command, out in (("check", ("--json", str(tmp_path / "c.json"))), ("report", ("--out", str(tmp_path / "r")))):
        r = run_cli(command, "--store", str(store), "--process", "finance", *out, "--drop-activities", "GM approval")
        assert r.returncode == 2 and r.stderr.startswith(f"error: {command} takes case filters only"), r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


def test_export_writes_the_kept_cases_and_events(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "kept.csv"
    code, text = invoke("export", "--store", str(store), "--process", "finance", "--out", str(out),
                        "--top-variants", "3", "--drop-activities", "Voucher booking")
    assert code == 0, text
    want = filter_events(stored(store, "finance").where(CaseFilter(top_variants=3)),
                         EventFilter(drop_activities=["Voucher booking"]))
    got = pd.read_csv(out, dtype=str)
    assert len(got) == want.num_rows and f"wrote {want.num_rows:,} events" in text
    assert set(got["case:concept:name"]) == set(want.column("case:concept:name").to_pylist())
    assert "Voucher booking" not in set(got["concept:name"])
    code, _ = invoke("export", "--store", str(store), "--process", "finance", "--out", str(tmp_path / "all.csv"))
    assert code == 0 and list(pd.read_csv(tmp_path / "all.csv", nrows=0).columns) == list(got.columns)


def test_cases_file_and_the_conforming_split(store: Path, tmp_path: Path) -> None:
    from flowmine.conformance import check

    ids = tmp_path / "ids.txt"
    ids.write_text("# three claims\nEC-000001\nEC-000002\n\nEC-000010\n", encoding="utf-8")
    assert perf_cases(store, "--cases", str(ids)) == 3
    fitting, deviating = check(store, "finance", with_precision=False, with_impact=False).conforming_cases()
    assert 0 < len(deviating) < len(fitting)
    assert perf_cases(store, "--conforming") == len(fitting)
    assert perf_cases(store, "--deviating") == len(deviating)
    both = set(fitting) & {"EC-000001", "EC-000002", "EC-000010"}
    if both:
        assert perf_cases(store, "--conforming", "--cases", str(ids)) == len(both)


def test_discover_and_check_cover_the_kept_cases(store: Path, tmp_path: Path) -> None:
    n = expect(store, CaseFilter(top_variants=3))
    code, out = invoke("discover", "--store", str(store), "--process", "finance", "--out", str(tmp_path / "m.pnml"),
                       "--top-variants", "3")
    assert code == 0 and out.startswith(f"finance: {n:,} cases, 3 variants;"), out
    code, out = invoke("check", "--store", str(store), "--process", "finance", "--json", str(tmp_path / "c.json"),
                       "--no-precision", "--top-variants", "3")
    assert code == 0, out
    report = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert report["cases"] == n and report["variants"] == 3 and report["filters"] == {"top_variants": 3}
