"""CLI options are checked once, by the API function they go to: a refused option is one line naming
the command-line option and the API's declared constraint, exit 2; ``--help`` lists the declared values."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from flowmine import Store
from tests.conftest import run_cli

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("options") / "store"
    report = Store(path).ingest("finance", [SAMPLES / "finance_claims.csv"],
                                mapping=SAMPLES / "finance_claims.mapping.toml")
    assert report.version is not None and not report.errors
    return path


def _refused(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


def test_dashboard_port_is_refused_by_serve_before_the_banner(store: Path) -> None:
    res = run_cli("dashboard", "--store", str(store), "--port", "99999", timeout=60)
    assert _refused(res) == (
        "error: --port: The 'port' parameter of serve must be an int in the range [1, 65535]. Got 99999 instead.")


@pytest.mark.parametrize(("args", "expected"), [
    (["--method", "x"],
     "--method: The 'method' parameter of check must be one of {'alignments', 'token-replay'}. Got 'x' instead."),
    (["--max-seconds", "-1"],
     "--max-seconds: The 'max_seconds' parameter of check must be a float in the range (0, inf) or None. "
     "Got -1.0 instead."),
    (["--variants-engine", "flink"],
     "--variants-engine: The 'variants_engine' parameter of check must be one of {'duckdb', 'spark'}. "
     "Got 'flink' instead."),
])
def test_check_options_are_the_api_s(store: Path, args: list[str], expected: str) -> None:
    res = run_cli("check", "--store", str(store), "--process", "finance", "--json", "-", *args)
    assert _refused(res) == f"error: {expected}"


def test_discover_perf_report_monitor_simulate_options(store: Path, tmp_path: Path) -> None:
    common = ["--store", str(store), "--process", "finance"]
    cases = [
        (["discover", *common, "--out", str(tmp_path / "m.bpmn"), "--noise", "2"],
         "--noise: The 'noise' parameter of discover_model must be a float in the range [0, 1]. Got 2.0 instead."),
        (["perf", *common, "--top", "-1"],
         "--top: The 'top' parameter of profile must be an int in the range [0, inf). Got -1 instead."),
        (["report", *common, "--out", str(tmp_path / "r.html"), "--lang", "fr"],
         "--lang: The 'lang' parameter of write_report must be one of {'en', 'zh'}. Got 'fr' instead."),
        (["monitor", *common, "--baseline", "0"],
         "--baseline: The 'baseline' parameter of monitor must be an int in the range [1, inf). Got 0 instead."),
        (["simulate", "finance", "--cases", "0", "--out", str(tmp_path / "s.csv")],
         "--cases: The 'cases' parameter of simulate must be an int in the range [1, inf). Got 0 instead."),
    ]
    for args, expected in cases:
        assert _refused(run_cli(*args)) == f"error: {expected}", args
    assert not (tmp_path / "m.bpmn").exists() and not (tmp_path / "r.html").exists()


def test_the_option_is_named_only_when_the_user_typed_it() -> None:
    from flowmine.cli import _typed_option
    from flowmine.errors import OptionError

    exc = OptionError("m", parameter="max_seconds", function="check")
    assert _typed_option(exc, ["check", "--max-seconds", "-1"]) == "--max-seconds: "
    assert _typed_option(exc, ["check", "--max-seconds=-1"]) == "--max-seconds: "
    assert _typed_option(exc, ["check", "--max-second", "-1"]) == ""
    assert _typed_option(OptionError("m"), ["check", "--max-seconds", "-1"]) == ""


def test_help_lists_the_values_the_api_declares() -> None:
    """``--help`` prose names every value of the declaration the option goes to (one source of truth)."""
    import typer

    from flowmine._params import options_of
    from flowmine.analytics import profile
    from flowmine.cli import _register, app
    from flowmine.conformance import check
    from flowmine.discovery import discover_model
    from flowmine.engines import SQL_BACKENDS
    from flowmine.report import write_report

    _register()
    group = typer.main.get_command(app)
    helps = {(name, p.name): p.help or "" for name, cmd in group.commands.items()  # type: ignore[attr-defined]
             for p in cmd.params}
    declared = {
        ("check", "method"): options_of(check, "method"),
        ("check", "engine"): options_of(check, "engine"),
        ("check", "variants_engine"): SQL_BACKENDS,
        ("discover", "algorithm"): options_of(discover_model, "algorithm"),
        ("discover", "engine"): SQL_BACKENDS,
        ("perf", "engine"): options_of(profile, "engine"),
        ("perf", "by"): options_of(profile, "by"),
        ("report", "lang"): options_of(write_report, "lang"),
    }
    missing = {key: [v for v in values if v not in helps[key]] for key, values in declared.items()}
    assert missing == {key: [] for key in declared}
