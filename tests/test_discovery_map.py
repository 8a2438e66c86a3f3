"""Process maps with activity and path sliders: kept activities and edges, projected figures, stable layout."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import pytest

from flowmine._schema import ACTIVITY, CASE, TIMESTAMP
from flowmine.discovery import (
    END_NODE,
    START_NODE,
    layered_layout,
    map_layout,
    process_map,
    process_map_figure,
    process_map_spec,
)
from flowmine.vocabulary import duration

EVIL = "<script>alert(1)</script>"
TRACES = {"c1": "ABCD", "c2": "ABCD", "c3": "ABCD", "c4": "ACBD", "c5": "AED"}


@pytest.fixture
def log() -> pd.DataFrame:
    rows = []
    t0 = pd.Timestamp("2025-01-01", tz="UTC")
    for i, (case, trace) in enumerate(TRACES.items()):
        step = 60 * (i + 1)  # c1 60 s between events, c2 120 s, ..., c5 300 s
        for k, a in enumerate(trace):
            rows.append({CASE: case, ACTIVITY: EVIL if a == "E" else a, TIMESTAMP: t0 + pd.Timedelta(seconds=k * step)})
    return pd.DataFrame(rows)


def _edges(pmap) -> dict[tuple[str, str], int]:
    return {(s, t): int(n) for s, t, n in zip(pmap.edges.source, pmap.edges.target, pmap.edges["count"], strict=True)}


def test_full_map(log):
    pmap = process_map(log)
    assert pmap.nodes.node.tolist() == [START_NODE, "A", "D", "B", "C", EVIL, END_NODE]
    assert pmap.nodes.set_index("node")["count"].to_dict() == {START_NODE: 5, "A": 5, "D": 5, "B": 4, "C": 4,
                                                              EVIL: 1, END_NODE: 5}
    assert _edges(pmap) == {(START_NODE, "A"): 5, ("D", END_NODE): 5, ("A", "B"): 3, ("B", "C"): 3, ("C", "D"): 3,
                            ("A", "C"): 1, ("C", "B"): 1, ("B", "D"): 1, ("A", EVIL): 1, (EVIL, "D"): 1}
    ab = pmap.edges[(pmap.edges.source == "A") & (pmap.edges.target == "B")].iloc[0]
    assert ab.duration_mean_s == 120.0 and ab.duration_median_s == 120.0  # 60, 120, 180 s


def test_paths_slider_keeps_most_frequent_and_connects_every_activity(log):
    pmap = process_map(log, activities=1.0, paths=0.5)
    # ceil(0.5 * 10) = 5 most frequent edges, plus the rare activity's best in- and out-edge
    assert set(_edges(pmap)) == {(START_NODE, "A"), ("D", END_NODE), ("A", "B"), ("B", "C"), ("C", "D"),
                                 ("A", EVIL), (EVIL, "D")}


def test_activities_slider_projects_the_log(log):
    pmap = process_map(log, activities=0.6, paths=1.0)  # ceil(0.6 * 5) = 3: A, D (5 each), B (4; ties by name)
    assert pmap.nodes.node.tolist() == [START_NODE, "A", "D", "B", END_NODE]
    assert _edges(pmap) == {(START_NODE, "A"): 5, ("D", END_NODE): 5, ("A", "B"): 4, ("B", "D"): 4, ("A", "D"): 1}
    ab = pmap.edges[(pmap.edges.source == "A") & (pmap.edges.target == "B")].iloc[0]
    assert ab.duration_mean_s == (60 + 120 + 180 + 480) / 4  # c4: A ... C ... B, two steps of 240 s
    assert ab.duration_median_s == 150.0
    minimal = process_map(log, activities=0.6, paths=0.0)  # A -> D (1 case) is the only edge not needed
    assert set(_edges(minimal)) == set(_edges(pmap)) - {("A", "D")}
    single = process_map(log, activities=0.0, paths=0.0)
    assert single.nodes.node.tolist() == [START_NODE, "A", END_NODE]
    assert _edges(single) == {(START_NODE, "A"): 5, ("A", END_NODE): 5}


def test_positions_stay_put_across_abstractions(log):
    layout = map_layout(log)
    full = process_map(log)
    pos_full = {n: (x, y) for n, x, y in zip(full.nodes.node, full.nodes.x, full.nodes.y, strict=True)}
    assert pos_full == layout
    for acts, paths in [(0.6, 0.0), (0.4, 1.0), (0.0, 0.0), (1.0, 0.3)]:
        for pmap in (process_map(log, acts, paths), process_map(log, acts, paths, layout=layout)):
            assert {n: (x, y) for n, x, y in zip(pmap.nodes.node, pmap.nodes.x, pmap.nodes.y, strict=True)} == {
                n: pos_full[n] for n in pmap.nodes.node}
            assert pmap.bounds == full.bounds
    assert layout[START_NODE][1] < layout["A"][1] < layout["D"][1] < layout[END_NODE][1]  # top to bottom (dot)


def test_figure_data_and_escaping(log):
    small = process_map(log, activities=0.6, paths=1.0)
    fig = process_map_figure(small, overlay="performance", statistic="median")
    lines = [t for t in fig.data if t.name == "edge"]
    assert len(lines) == len(small.edges)
    assert {(t.customdata[0][0], t.customdata[0][1]) for t in lines} == set(_edges(small))
    labels = next(t for t in fig.data if t.name == "edge labels")
    ab = [d[:2] for d in labels.customdata].index(["A", "B"])
    assert labels.customdata[ab][3] == 150.0 and labels.text[ab] == duration(150.0, "en")  # A -> B median 150 s
    nodes = next(t for t in fig.data if t.name == "nodes")
    assert list(nodes.x) == small.nodes.x.tolist() and list(nodes.y) == (-small.nodes.y).tolist()
    full_fig = process_map_figure(process_map(log), overlay="frequency")
    assert full_fig.layout.xaxis.range == fig.layout.xaxis.range
    assert full_fig.layout.yaxis.range == fig.layout.yaxis.range
    texts = [str(v) for t in full_fig.data for v in (t.text, t.hovertext) if v is not None]
    assert any("&lt;script&gt;" in t for t in texts)
    assert not any("<script>" in t for t in texts)
    with pytest.raises(ValueError, match="'overlay' parameter"):
        process_map_figure(small, overlay="waiting")
    with pytest.raises(ValueError, match="needs node_cost"):
        process_map_figure(small, overlay="cost")
    first = str(small.nodes.loc[small.nodes.kind == "activity", "node"].iloc[0])
    edge = small.edges.iloc[0]
    costly = process_map_figure(small, overlay="cost", node_cost={first: 1234.0}, currency="CNY",
                                highlight=[first, f"{edge.source} → {edge.target}"])
    nodes = next(t for t in costly.data if t.name == "nodes")
    i = [str(d[0]) for d in nodes.customdata].index(first)
    assert "1,234 CNY" in nodes.text[i]
    boxes = [t for t in costly.data if t.name == "node box"]
    assert [t.customdata[0][0] for t in boxes if t.line.color == "#c00000"] == [first]
    red = [t for t in costly.data if t.name == "edge" and t.line.color == "#c00000"]
    assert [(t.customdata[0][0], t.customdata[0][1]) for t in red] == [(edge.source, edge.target)]
    with pytest.raises(ValueError, match="'activities' parameter"):
        process_map(log, activities=1.5)


def test_spec_is_plain_json_and_the_figure_it_validates_to(log):
    """The dashboard sends the dict spec as it is: it must be plain JSON (no numpy scalars, labels
    escaped) and the very figure ``process_map_figure`` returns."""
    pmap = process_map(log)
    for overlay in ("frequency", "performance"):
        spec = process_map_spec(pmap, overlay=overlay, highlight=["A"])
        json.dumps(spec)  # raises on numpy scalars or other non-JSON values
        shown = json.dumps([[t.get("text"), t.get("hovertext")] for t in spec["data"]])
        assert "&lt;script&gt;" in shown and "<script>" not in shown  # customdata keeps raw names, never shown
        assert [t["name"] for t in spec["data"]] == (
            ["edge"] * len(pmap.edges) + ["edge labels"] + ["node box"] * len(pmap.nodes)
            + ["node area", "nodes", "scale", "scale"])
        assert go.Figure(spec).to_json() == process_map_figure(pmap, overlay=overlay, highlight=["A"]).to_json()


def test_layered_layout_columns_and_loops():
    pos = layered_layout(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("c", "b"), ("a", "d"), ("d", "c")],
                         sources=["a"])
    assert pos["a"][0] == 0 and pos["b"][0] == 1 and pos["d"][0] == 1 and pos["c"][0] == 2
    assert pos["b"][1] != pos["d"][1]
    assert pos == layered_layout(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("c", "b"), ("a", "d"), ("d", "c")],
                                 sources=["a"])


def test_with_paths_is_the_map_with_that_path_share(log):
    full = process_map(log, activities=0.8, paths=1.0)
    for paths in (0.0, 0.3, 1.0):
        direct = process_map(log, activities=0.8, paths=paths)
        derived = full.with_paths(paths)
        pd.testing.assert_frame_equal(derived.edges, direct.edges)
        pd.testing.assert_frame_equal(derived.nodes, direct.nodes)
        assert derived.paths == direct.paths
    with pytest.raises(ValueError, match="all paths"):
        process_map(log, paths=0.5).with_paths(0.2)
