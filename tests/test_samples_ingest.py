"""Every sample log ingests through the CLI with its mapping: zero quarantined rows, except exactly the
planted ones in the dirty file (issue 3's acceptance, checked the way a user runs it)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from flowmine import Store
from tests.conftest import run_cli

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
INDEX = tomllib.loads((SAMPLES / "samples.toml").read_text(encoding="utf-8"))["log"]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("samples") / "store"


@pytest.mark.parametrize("entry", INDEX, ids=[e["process"] for e in INDEX])
def test_sample_ingests_with_only_planted_quarantine(store, entry):
    r = run_cli("ingest", str(SAMPLES / entry["file"]), "--store", str(store), "--process", entry["process"],
                "--mapping", str(SAMPLES / entry["mapping"]), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    truth = json.loads((SAMPLES / entry["truth"]).read_text(encoding="utf-8"))
    planted = truth.get("quarantined", [])
    assert out["rows_quarantined"] == len(planted)
    assert out["rows_read"] == out["events_loaded"] + out["rows_merged"] + out["rows_quarantined"]
    if planted:
        q = Store(store).quarantine(entry["process"])
        got = sorted(zip(q["row"].astype(int), q["reason"], strict=True))
        assert got == sorted((p["row"], p["reason"]) for p in planted)
        assert out["events_loaded"] == truth["rows_loaded"]
