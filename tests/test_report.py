"""The managers' report: self-contained (nothing fetched) and the same numbers as perf/check JSON."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flowmine.report._text import fmt_duration, fmt_share
from flowmine.store import Store

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``flowmine ARGS`` with the report command imported (also before ``_register`` lists it)."""
    code = "import sys, flowmine.cli._report; from flowmine.cli import main; sys.argv[0] = 'flowmine'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    st = Store(root / "store")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    out = {}
    for lang in ("en", "zh"):
        res = cli("report", "--store", str(st.path), "--process", "finance", "--out", str(root / f"{lang}.html"),
                  "--lang", lang)
        assert res.returncode == 0, res.stderr
        out[lang] = (root / f"{lang}.html").read_text(encoding="utf-8")
    res = cli("report", "--store", str(st.path), "--process", "finance", "--out", str(root / "business.html"),
              "--time", "business")
    assert res.returncode == 0, res.stderr
    out["business"] = (root / "business.html").read_text(encoding="utf-8")
    for name, cmd in (("perf", ["perf"]), ("check", ["check"]), ("perf_business", ["perf", "--time", "business"])):
        res = cli(*cmd, "--store", str(st.path), "--process", "finance", "--json", str(root / f"{name}.json"))
        assert res.returncode == 0, res.stderr
        out[name] = json.loads((root / f"{name}.json").read_text(encoding="utf-8"))
    return out


def _data(page: str) -> dict:
    blob = re.search(r"<script type='application/json' id='flowmine-report-data'>(.*?)</script>", page, re.S)
    assert blob is not None
    return json.loads(blob.group(1).replace("<\\/", "</"))


def test_report_in_business_time_equals_perf_in_business_time(built):
    perf = built["perf_business"]
    assert perf["time"] == "business" and perf["throughput_time_s"]["median"] < built["perf"]["throughput_time_s"][
        "median"]
    page = built["business"]
    shown = _data(page)["perf"]
    # cost totals are sums of doubles that DuckDB's threads add in any order: equal to 1e-12
    for got, want in zip(shown.pop("activities"), perf["activities"], strict=True):
        assert got.pop("cost_total") == pytest.approx(want["cost_total"], rel=1e-12)
        assert got == {k: v for k, v in want.items() if k != "cost_total"}
    assert shown == {k: v for k, v in perf.items() if k != "activities"}
    assert f"<b id='tt-median'>{fmt_duration(perf['throughput_time_s']['median'])}</b>" in page
    assert f"Calendar: {perf['calendar']['text']}</p>" in page
    assert "id='time-basis'" not in built["en"]


def test_report_is_self_contained(built):
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    for lang in ("en", "zh"):
        page = built[lang]
        assert page.count(js) == 1  # plotly.js inlined once, from the installed package
        rest = page.replace(js, "")
        assert re.findall(r"https?:", rest) == []
        assert re.findall(r"\b(?:src|href|srcset|action)\s*=", rest, flags=re.I) == []
        assert "url(" not in rest and "@import" not in rest and "<link" not in rest.lower()
        assert "<iframe" not in rest.lower() and "<img" not in rest.lower()
        # inside plotly.js: URLs exist only as strings for map tiles, fonts and links that our
        # bar/scatter figures never use; no markup loads anything
        assert not re.search(r"<script[^>]+src\s*=", page, flags=re.I)


def test_report_numbers_equal_perf_and_check_json(built):
    perf, chk = built["perf"], built["check"]
    for lang in ("en", "zh"):
        page = built[lang]
        data = _data(page)
        assert data["perf"] == perf
        for key in ("fitness", "precision", "fitting_cases_share", "rules", "steps", "impact", "cases"):
            assert data["check"][key] == chk[key], key
        assert f"<b id='fitness'>{chk['fitness']:.4f}</b>" in page
        assert f"<b id='precision'>{chk['precision']:.4f}</b>" in page
        assert f"<b id='tt-median'>{fmt_duration(perf['throughput_time_s']['median'])}</b>" in page
        for b in perf["bottlenecks"]:
            assert f"<td>{fmt_duration(b['waiting_total_s'], 'h')}</td><td>{fmt_share(b['share'])}</td>" in page
        for r in chk["rules"]:
            assert f"<td>{r['violating_cases']:,}</td><td>{fmt_share(r['rate'])}</td>" in page
        for a in perf["activities"]:
            assert f"<td>{a['count']:,}</td><td>{a['cost_total']:,.2f} CNY</td>" in page
    assert "GM approval" in built["en"] and "总经理审批" in built["zh"] and "已达成" in built["zh"]
    assert "Achieved" in built["en"] and "Set the goal" in built["en"]


def test_report_rejects_unknown_language(tmp_path):
    res = cli("report", "--store", str(tmp_path), "--process", "finance", "--out", str(tmp_path / "x.html"),
              "--lang", "fr")
    assert res.returncode == 2 and res.stderr.startswith("error:")
