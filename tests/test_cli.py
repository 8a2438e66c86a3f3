"""The CLI contract: JSON fields, exit codes 0/1/2, one-line errors without tracebacks."""

from __future__ import annotations

import json

import pandas as pd

from flowmine._schema import Reason
from tests.conftest import run_cli

HEADER = "case,activity,timestamp\n"


def test_ingest_json_contract_and_exit_codes(tmp_path, write):
    src = write("a.csv", HEADER + "A,X,2024-01-01 10:00\n,X,2024-01-01 10:00\nB,Y,2024-02-30 10:00\n")
    store = str(tmp_path / "s")
    r = run_cli("ingest", str(src), "--store", store, "--process", "sales", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in ("process", "rows_read", "events_loaded", "rows_quarantined", "cases", "reasons"):
        assert key in out
    assert (out["rows_read"], out["events_loaded"], out["rows_quarantined"], out["cases"]) == (3, 1, 2, 1)
    assert out["reasons"] == {Reason.MISSING_CASE: 1, Reason.INVALID_TIMESTAMP: 1}
    strict = run_cli("ingest", str(write("b.csv", HEADER + ",X,2024-01-01\nC,X,2024-01-01\n")), "--store", store,
                     "--process", "sales", "--strict")
    assert strict.returncode == 1 and strict.stderr.strip().startswith("error: --strict")
    # a source from which nothing loads is unusable (exit 2), --strict or not: nothing is stored
    none = run_cli("ingest", str(write("c.csv", HEADER + ",X,2024-01-01\n")), "--store", store,
                   "--process", "sales", "--strict")
    assert none.returncode == 2 and "nothing loaded, all 1 rows quarantined (missing_case 1)" in none.stderr


def test_unusable_and_unsafe_inputs_exit_2_with_one_line(tmp_path, write):
    store = str(tmp_path / "s")
    cases = {
        "empty": str(write("e.csv", b"")),
        "URL": "http://127.0.0.1:9/log.xes",
        "no such file": str(tmp_path / "nope.csv"),
        "cannot tell which column": str(write("x.csv", "id,act,ts\n1,A,2024-01-01\n")),
    }
    for needle, src in cases.items():
        r = run_cli("ingest", src, "--store", store, "--process", "p")
        assert r.returncode == 2, (needle, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], r.stderr
        assert "Traceback" not in r.stderr


def test_bad_mapping_file_is_one_line(tmp_path, write):
    m = write("m.toml", "[columns]\ncase = 1\n")
    r = run_cli("ingest", str(write("a.csv", HEADER + "A,X,2024-01-01\n")), "--store", str(tmp_path / "s"),
                "--process", "p", "--mapping", str(m))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "must be a string" in r.stderr


def test_info_and_export_csv_neutralises_formulas(tmp_path, write):
    store = str(tmp_path / "s")
    src = write("a.csv", HEADER + 'A,"=HYPERLINK(""http://x"")",2024-01-01 10:00\nA,+SUM(1),2024-01-01 11:00\n')
    assert run_cli("ingest", str(src), "--store", store, "--process", "p").returncode == 0
    info = json.loads(run_cli("info", "--store", store, "--json").stdout)
    assert info["processes"][0]["events"] == 2 and info["processes"][0]["cases"] == 1
    out = tmp_path / "out.csv"
    r = run_cli("export", "--store", store, "--process", "p", "--out", str(out))
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert df["concept:name"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+SUM(1)"]
    pq_out = tmp_path / "out.parquet"
    assert run_cli("export", "--store", store, "--process", "p", "--out", str(pq_out)).returncode == 0
    assert pd.read_parquet(pq_out)["concept:name"].tolist() == ['=HYPERLINK("http://x")', "+SUM(1)"]
    missing = run_cli("export", "--store", store, "--process", "nope", "--out", str(pq_out))
    assert missing.returncode == 2 and "no process 'nope'" in missing.stderr


def test_mapping_suggest_prints_a_loadable_mapping(tmp_path, write):
    src = write("w.csv", "order_id,customer,created_at,approved_at\nO1,A,2024-01-01 10:00,2024-01-02 10:00\n")
    r = run_cli("mapping", "suggest", str(src))
    assert r.returncode == 0 and "[milestones]" in r.stdout and 'case = "order_id"' in r.stdout
    m = write("m.toml", r.stdout)
    ing = run_cli("ingest", str(src), "--store", str(tmp_path / "s"), "--process", "o", "--mapping", str(m),
                  "--json")
    assert json.loads(ing.stdout)["events_loaded"] == 2


def test_simulate_is_deterministic_and_writes_truth(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (a, b):
        r = run_cli("simulate", "finance", "--cases", "40", "--out", str(out), "--seed", "5")
        assert r.returncode == 0, r.stderr
    assert a.read_bytes() == b.read_bytes()
    assert json.loads((tmp_path / "a.truth.json").read_text(encoding="utf-8"))
    bad = run_cli("simulate", "marketing", "--cases", "5", "--out", str(tmp_path / "c.csv"))
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown process 'marketing'")
