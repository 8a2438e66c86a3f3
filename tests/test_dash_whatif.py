"""The what-if page's numbers (issue 18): the prediction it shows is flowmine.simulation.whatif's on the
same log, scenario, runs and seed; rows, intervals and the fidelity line; a change the model cannot make
is one line; forged inputs are refused by the callback."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowmine import Store
from flowmine.analytics import stored
from flowmine.dashboard._data import _key, filters_of
from flowmine.dashboard.pages import whatif as page
from flowmine.simulation import scenario_from_dict, whatif

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("whatif-page") / "store"
    Store(path).ingest("finance", [str(SAMPLES / "finance_claims.csv")],
                       mapping=SAMPLES / "finance_claims.mapping.toml")
    return path


def test_the_page_shows_whatif_s_numbers_for_the_same_scenario(store_path: Path) -> None:
    st = Store(store_path, create=False)
    f = filters_of(st, "?process=finance")
    d = page.whatif_work("GM approval", "capacity+1", *_key(st, f))
    sc = scenario_from_dict({"change": [{"kind": "capacity", "add": 1, "step": "GM approval"}]}, "t")
    same = whatif(stored(store_path, "finance"), sc, runs=page.RUNS, workers=1, seed=0).to_dict()
    assert d["delta"] == same["delta"] and d["as_is"] == same["as_is"]
    rows = page.result_rows(d, "GM approval", "en", "GM approval")
    assert [r["kpi"] for r in rows] == ["Throughput time, median", "Throughput time, p90", "Cost per case",
                                       "Median waiting time at GM approval"]
    wait = d["delta"]["waiting_median_s"]["GM approval"]
    assert wait["ci"][1] < 0 and rows[-1]["delta"].startswith("−") and "…" in rows[-1]["delta"]
    line, good = page.fidelity_line(d["fidelity"], "zh")
    assert good and "现状模型能重现该日志" in line


def test_a_poor_fidelity_is_said_and_an_impossible_change_is_one_line(store_path: Path) -> None:
    line, good = page.fidelity_line({"acceptable": False, "problems": ["throughput median off by -32%"]}, "en")
    assert not good and "does not reproduce" in line and "-32%" in line
    st = Store(store_path, create=False)
    f = filters_of(st, "?process=finance")
    d = page.whatif_work("GM approval", "remove", *_key(st, f))
    assert "error" not in d and "GM approval" not in (d["scenario"] or {}).get("waiting_median_s", {})
    model_less = page.whatif_work("No such step", "capacity+1", *_key(st, f))
    assert "No such step" in model_less["error"] and "\n" not in model_less["error"]


def test_forged_callback_values_are_refused(store_path: Path) -> None:
    from dash import no_update

    from flowmine.dashboard import create_app

    app = create_app(store_path)
    cb = next(v for k, v in app.callback_map.items() if k.startswith("whatif-result"))
    fn = cb["callback"].__wrapped__
    assert fn(1, "<script>", "capacity+1", "?process=finance") is no_update
    assert fn(1, "GM approval", "drop table", "?process=finance") is no_update


def test_the_improvement_page_sets_the_predicted_effect_beside_the_achieved(store_path: Path) -> None:
    from flowmine.dashboard._data import version
    from flowmine.dashboard.pages import improvement
    from flowmine.monitor import evaluate_initiative, load_initiatives, predict_initiative

    st = Store(store_path, create=False)
    (d,) = improvement.predictions_work(str(store_path), "finance", version(st, "finance"))
    (ini,) = load_initiatives(process="finance")
    ev = evaluate_initiative(st, ini)
    same = predict_initiative(st, ini, runs=improvement.PREDICT_RUNS, workers=1, achieved=ev).to_dict()
    assert d["prediction"]["relative"] == same["relative"] and d["relative"] == pytest.approx(ev.relative)
    (row,) = improvement.prediction_rows([d], "zh")
    assert row["name"] == ini.name_zh and row["fidelity"] == "能重现日志"
    assert row["predicted"].startswith(f"{same['relative']['value']:+.1%}") and row["close"] in ("是", "否")
    lo, hi = same["prediction_interval"]
    assert row["interval"] == f"{lo:+.1%} … {hi:+.1%}"
    inside = same["achieved_within_prediction_interval"]
    assert row["inside"].startswith("是" if inside else "否：")
    none = improvement.prediction_rows([{**d, "prediction": None}], "en")[0]
    assert none["predicted"] == "no [scenario] in its file" and none["inside"] == "–"


def test_the_improvement_page_says_whether_the_achieved_change_is_inside_the_interval() -> None:
    from flowmine.dashboard.pages import improvement

    base = {"relative": {"value": -0.40, "ci": [-0.42, -0.38]}, "gap": 0.05, "within_25pct": True,
            "fidelity_acceptable": True, "fidelity_problems": [], "prediction_interval": [-0.55, -0.25]}
    inside = {**base, "distance_to_prediction_interval": 0.0, "distance_to_ci": 0.03}
    below = {**base, "distance_to_prediction_interval": -0.052, "distance_to_ci": -0.182}
    rows = {lang: [improvement.inside_text(p, lang) for p in (inside, below)] for lang in ("en", "zh")}
    assert rows["en"] == ["yes; 3.0 points from the predicted mean's CI",
                          "no: 5.2 points below it; 18.2 points from the predicted mean's CI"]
    assert rows["zh"] == ["是；距预测均值的置信区间 3.0 个百分点",
                          "否：低于区间 5.2 个百分点；距预测均值的置信区间 18.2 个百分点"]
    assert improvement.inside_text({**base, "distance_to_prediction_interval": None}, "en") == "–"


def test_the_trend_s_months_are_the_page_s_time_zone_s(tmp_path: Path) -> None:
    """A claim submitted at 00:30 on 1 March in Shanghai (16:30 UTC the day before) is March's on the
    overview's trend, February's when the page is read in UTC: the months a click on the trend sets as
    the time frame are the months drawn."""
    from flowmine.dashboard._data import process_profile

    src = tmp_path / "c.csv"
    src.write_text("case,activity,timestamp\nA,Submit expense claim,2025-03-01T00:30:00+08:00\n"
                   "A,Finance review,2025-03-01T10:00:00+08:00\n", encoding="utf-8")
    st = Store(tmp_path / "store")
    st.ingest("finance", [str(src)])
    local = process_profile(st, filters_of(st, "?process=finance"))["periods"]
    utc = process_profile(st, filters_of(st, "?process=finance&tz=UTC"))["periods"]
    def started(periods: list[dict]) -> list[str]:
        return [str(p["period"])[:7] for p in periods if p["arrivals"]]

    assert started(local) == ["2025-03"] and [str(p["period"])[:7] for p in local] == ["2025-03"]
    assert started(utc) == ["2025-02"]  # and it ends (10:00 Shanghai = 02:00 UTC) in March
