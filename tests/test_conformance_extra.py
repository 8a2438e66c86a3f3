"""Figures of a check, the per-variant time budget (never a partial number as exact), generalization and simplicity."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pm4py
import pytest

from flowmine import Store
from flowmine.conformance import (
    ConformanceReport,
    align,
    check,
    deviation_bar_figure,
    deviation_model_figure,
    generalization,
    model_graph,
    model_positions,
    simplicity,
)
from flowmine.conformance._align import state_budget
from flowmine.conformance._figures import diagram_positions
from flowmine.discovery import collect_variants

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    st = Store(tmp_path_factory.mktemp("extra") / "s")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    return st


@pytest.fixture(scope="module")
def report(store) -> ConformanceReport:
    return check(store, "finance", extra=True)


def test_generalization_and_simplicity_equal_pm4py(store, report):
    df = store.load("finance")
    m = report.model
    assert m is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gen = pm4py.generalization_tbr(df, m.net, m.im, m.fm)
        simp = pm4py.simplicity_petri_net(m.net, m.im, m.fm)
        cardoso = pm4py.simplicity_petri_net(m.net, m.im, m.fm, variant="extended_cardoso")
    assert report.generalization == pytest.approx(gen, rel=1e-9)
    assert generalization(m, collect_variants(store, "finance")) == pytest.approx(gen, rel=1e-9)
    assert report.simplicity == pytest.approx(simp, rel=1e-12)
    assert simplicity(m, "extended_cardoso") == pytest.approx(cardoso, rel=1e-12)
    data = report.to_dict()
    assert data["generalization"] == report.generalization and data["simplicity"] == report.simplicity
    assert data["budget"]["engine"] == "r4pm" and data["budget"]["max_states"] >= 1


def test_tiny_time_budget_is_never_reported_exact(store, report):
    m = report.model
    assert m is not None
    v = collect_variants(store, "finance").renamed(report.labels.mapping)
    full = align(m, v, max_states=None, max_seconds=None)
    assert full.exact and full.fitness == pytest.approx(report.fitness, rel=1e-12)
    for engine in ("r4pm", "pm4py"):
        tiny = align(m, v, engine=engine, max_seconds=1e-9)
        assert not tiny.exact
        bad = [i for i, r in enumerate(tiny.results) if not r.exact]
        assert bad and tiny.fallback() == {"variants": len(bad), "cases": int(v.counts[bad].sum())}
        for i in bad:  # the fallback is the worst alignment: an upper bound of the cost, flagged
            assert tiny.results[i].cost == tiny.results[i].bwc >= full.results[i].cost
        for i, r in enumerate(tiny.results):
            if r.exact:
                assert r.cost == full.results[i].cost
        assert tiny.fitness <= full.fitness
    assert state_budget(5_000_000, 1e-9, 50_000.0) == 1
    assert state_budget(100, 10.0, 50_000.0) == 100
    assert state_budget(None, 2.0, 50_000.0) == 100_000
    assert state_budget(None, None, None) is None
    with pytest.raises(ValueError, match="'max_seconds' parameter"):
        align(m, v, max_seconds=0)


def test_check_with_tiny_budget_says_so(store):
    rep = check(store, "finance", max_seconds=1e-9, with_precision=False)
    data = rep.to_dict()
    assert data["exact"] is False
    assert data["fallback"]["cases"] > 0 and data["fallback"]["variants"] > 0
    assert data["budget"]["max_states"] == 1


def test_model_figure_coloured_by_deviations(report):
    labels, edges, first = model_graph(report.model)
    assert first == ["Submit expense claim"]
    assert ("Submit expense claim", "Finance review") in edges
    drawn = diagram_positions(report.model.source)
    assert set(labels) <= set(drawn)  # the shipped model has diagram interchange: its positions are used
    pos = model_positions(report.model)
    assert all(pos[a] == (drawn[a][0] / 150.0, drawn[a][1] / 130.0) for a in labels)
    fig = deviation_model_figure(report)
    nodes = next(t for t in fig.data if t.name == "activities")
    assert [row[0] for row in nodes.customdata] == labels
    steps = report.steps.set_index("activity")
    rates = [float(steps.loc[a, "rate"]) if a in steps.index else 0.0 for a in labels]
    assert list(nodes.marker.color) == pytest.approx(rates)
    assert max(rates) > 0
    assert len([t for t in fig.data if t.name == "flow"]) == len(edges)
    skipped = deviation_model_figure(report, measure="skipped")
    sk = next(t for t in skipped.data if t.name == "activities")
    expected = [float(steps.loc[a, "cases_skipped"]) / report.cases if a in steps.index else 0.0 for a in labels]
    assert list(sk.marker.color) == pytest.approx(expected)
    with pytest.raises(ValueError, match="'measure' parameter"):
        deviation_model_figure(report, measure="cost")


def test_bar_chart_per_step(report):
    steps = report.steps.copy()
    steps.loc[len(steps)] = {**steps.iloc[0].to_dict(), "activity": "<script>x</script>", "cases_affected": 1,
                             "cases_skipped": 1, "cases_inserted": 0, "cases_out_of_order": 0, "skipped": 1,
                             "inserted": 0, "out_of_order": 0}
    fig = deviation_bar_figure(steps)
    assert [t.name for t in fig.data] == ["skipped (model move)", "inserted (log move)", "out of order"]
    hit = steps[steps.cases_affected > 0]
    assert len(fig.data[0].y) == len(hit)
    assert "&lt;script&gt;x&lt;/script&gt;" in fig.data[0].y and "<script>x</script>" not in fig.data[0].y
    by_name = dict(zip(fig.data[0].y, fig.data[0].x, strict=True))
    for a, n in zip(hit.activity, hit.cases_skipped, strict=True):
        if not a.startswith("<"):
            assert by_name[a] == n
    totals = np.sum([np.array(t.x) for t in fig.data], axis=0)
    assert list(totals) == sorted(totals)  # most affected on top (last bar)
