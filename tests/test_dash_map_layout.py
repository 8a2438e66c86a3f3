"""The process map's dot layout and its figure: routed edges around boxes, label spots, legend, statistics,
Chinese text, and clicks that land on the step at its centre.

Tiny hand-made logs: ``ABC`` five times and the bypass ``AC`` twice (A → C runs beside B, never
through it); ``ABD`` five times and ``ACD`` three times (hiding C makes the projected path A → D).
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from flowmine import Store
from flowmine._schema import ACTIVITY, CASE, TIMESTAMP
from flowmine.analytics import stored
from flowmine.discovery import END_NODE, START_NODE, map_layout, process_map, process_map_spec
from flowmine.errors import OptionError
from flowmine.vocabulary import duration, label, number

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
needs_dot = pytest.mark.skipif(__import__("shutil").which("dot") is None, reason="Graphviz dot is not installed")


def _log(traces: list[str], step_s: int = 600) -> pd.DataFrame:
    t0 = pd.Timestamp("2025-01-01", tz="UTC")
    rows = [{CASE: f"c{i}", ACTIVITY: a, TIMESTAMP: t0 + pd.Timedelta(seconds=k * step_s * (i + 1))}
            for i, trace in enumerate(traces) for k, a in enumerate(trace)]
    return pd.DataFrame(rows)


@pytest.fixture
def bypass() -> pd.DataFrame:
    return _log(["ABC"] * 5 + ["AC"] * 2)


def _inside(p, centre, size, margin=0.0) -> bool:
    return abs(p[0] - centre[0]) < size[0] / 2 - margin and abs(p[1] - centre[1]) < size[1] / 2 - margin


def _trace(spec, name):
    return [t for t in spec["data"] if t["name"] == name]


@needs_dot
def test_dot_positions_are_used_top_to_bottom(bypass):
    from flowmine.discovery._dot import _dot_source, run_dot

    lay = map_layout(bypass)
    assert lay.geometry.engine == "dot" and lay.notice is None
    assert lay[START_NODE][1] < lay["A"][1] < lay["B"][1] < lay["C"][1] < lay[END_NODE][1]  # y grows downwards
    # the very positions dot computes for the same graph (dot's y points up; ours down from the top)
    nodes = [START_NODE, "A", "C", "B", END_NODE]
    kinds = {START_NODE: "start", END_NODE: "end"}
    edges = [(START_NODE, "A"), ("C", END_NODE), ("A", "B"), ("B", "C"), ("A", "C")]
    out = run_dot(_dot_source(nodes, {n: kinds.get(n, "activity") for n in nodes}, edges), "dot")
    top = float(out["bb"].split(",")[3])
    dot_pos = {nodes[int(o["name"][1:])]: tuple(float(v) for v in o["pos"].split(",")) for o in out["objects"]}
    assert {n: (x, top - y) for n, (x, y) in dot_pos.items()} == dict(lay)
    # every full-map edge has a route that starts at its source box and ends at its target box
    for (s, t), r in lay.geometry.routes.items():
        (ws, hs), (wt, ht) = lay.geometry.sizes[s], lay.geometry.sizes[t]
        assert math.dist(r.points[0], lay[s]) <= math.hypot(ws, hs) / 2 + 2
        assert math.dist(r.tip, lay[t]) <= math.hypot(wt, ht) / 2 + 2
    assert set(lay.geometry.routes) == set(edges)


@needs_dot
def test_the_bypass_goes_around_the_step_it_skips(bypass):
    lay = map_layout(bypass)
    route = lay.geometry.routes[("A", "C")]
    b, size = lay["B"], lay.geometry.sizes["B"]
    assert not any(_inside(p, b, size) for p in route.points)
    spec = process_map_spec(process_map(bypass, layout=lay))  # the drawn line too (figure y is up)
    line = next(t for t in _trace(spec, "edge") if t["customdata"][0][:2] == ["A", "C"])
    assert len(line["x"]) > 2
    assert not any(_inside((x, -y), b, size) for x, y in zip(line["x"], line["y"], strict=True))
    # and no edge runs through a box it does not connect
    for (s, t), r in lay.geometry.routes.items():
        for n in lay:
            if n not in (s, t):
                assert not any(_inside(p, lay[n], lay.geometry.sizes[n], margin=1) for p in r.points), (s, t, n)


@needs_dot
def test_edge_labels_do_not_coincide(bypass):
    lay = map_layout(bypass)
    spots = [r.label for r in lay.geometry.routes.values()]
    assert len(spots) == 5
    assert min(math.dist(p, q) for i, p in enumerate(spots) for q in spots[i + 1:]) > 10
    spec = process_map_spec(process_map(bypass, layout=lay))
    pts = _trace(spec, "edge labels")[0]
    assert len(set(zip(pts["x"], pts["y"], strict=True))) == 5


@pytest.fixture(scope="module")
def procurement(tmp_path_factory):
    st = Store(tmp_path_factory.mktemp("map") / "store")
    st.ingest("procurement", [str(SAMPLES / "procurement_events_gbk.csv")],
              mapping=SAMPLES / "procurement_events_gbk.mapping.toml")
    return stored(st, "procurement")


def _boxes_overlap(a, b) -> bool:
    return abs(a[0] - b[0]) * 2 < a[2] + b[2] and abs(a[1] - b[1]) * 2 < a[3] + b[3]


@needs_dot
def test_sample_map_labels_do_not_overlap_and_the_skipped_approval_is_drawn(procurement):
    lay = map_layout(procurement)
    pmap = process_map(procurement, layout=lay)
    spec = process_map_spec(pmap)
    pts = _trace(spec, "edge labels")[0]
    # each label's text box: starts at its point, ~6 pt a character, 12 pt high (10 px font)
    boxes = [(x + 3 * len(t) + 4, y, 6 * len(t) + 8, 12) for x, y, t in zip(pts["x"], pts["y"], pts["text"],
                                                                              strict=True)]
    clashes = [(pts["text"][i], pts["text"][j]) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
               if _boxes_overlap(boxes[i], boxes[j])]
    assert clashes == []
    shown = [(x, -y, *lay.geometry.sizes[n]) for n, (x, y) in lay.items()]  # nor on a box (figure y is up)
    assert [(pts["text"][i], n) for i, b in enumerate(boxes) for n in shown if _boxes_overlap(b, n)] == []
    # the orders that skip PO approval: an edge of the map, drawn around the approval box
    edges = pmap.edges.set_index(["source", "target"])
    assert edges.loc[("Contract and purchase order", "Goods receipt"), "count"] == 110
    line = next(t for t in _trace(spec, "edge") if t["customdata"][0][:2] == ["Contract and purchase order",
                                                                             "Goods receipt"])
    approval, size = lay["PO approval"], lay.geometry.sizes["PO approval"]
    assert not any(_inside((x, -y), approval, size) for x, y in zip(line["x"], line["y"], strict=True))


@needs_dot
def test_a_projected_path_follows_the_routes_through_the_hidden_step():
    log = _log(["ABD"] * 5 + ["ACD"] * 3)
    lay = map_layout(log)
    small = process_map(log, activities=0.75, layout=lay)  # ceil(0.75 * 4) = 3: A, D, B; C hidden
    assert ("A", "D") in set(zip(small.edges.source, small.edges.target, strict=True))
    spec = process_map_spec(small)
    line = next(t for t in _trace(spec, "edge") if t["customdata"][0][:2] == ["A", "D"])
    drawn = [(x, -y) for x, y in zip(line["x"], line["y"], strict=True)]
    via = [*lay.geometry.routes[("A", "C")].points, *lay.geometry.routes[("C", "D")].points]
    assert [c for p in drawn for c in p] == pytest.approx([c for p in via for c in p])  # A → C → D where C was
    assert not any(_inside(p, lay["B"], lay.geometry.sizes["B"]) for p in drawn)


def test_without_dot_the_layered_layout_with_a_notice(bypass, monkeypatch, caplog):
    from flowmine.discovery import _dot

    monkeypatch.setattr(_dot.shutil, "which", lambda name: None)
    with caplog.at_level(logging.WARNING, logger="flowmine.discovery._dot"):
        lay = map_layout(bypass)
    assert lay.geometry.engine == "layered" and lay.geometry.routes == {}
    assert "dot is not installed" in lay.notice and len(caplog.records) == 1 and "\n" not in caplog.text.strip()
    assert lay[START_NODE][0] < lay["A"][0] < lay[END_NODE][0]  # left to right, as layered_layout does
    spec = process_map_spec(process_map(bypass, layout=lay))
    assert len(_trace(spec, "edge")) == 5 and all(len(t["x"]) >= 2 for t in _trace(spec, "edge"))


def test_figure_legend_names_the_statistic(bypass):
    pmap = process_map(bypass)
    node_time = {"A": {"median": 60.0, "mean": 90.0, "total": 630.0, "max": 300.0},
                 "B": {"median": 120.0, "mean": 120.0, "total": 600.0, "max": 120.0}}
    for stat, word in (("median", "Median"), ("mean", "Mean"), ("total", "Total"), ("max", "Maximum")):
        spec = process_map_spec(pmap, overlay="performance", statistic=stat, node_time=node_time,
                                time_basis="sojourn")
        scales = _trace(spec, "scale")
        assert len(scales) == 2 and all(s["marker"]["showscale"] for s in scales)
        titles = [s["marker"]["colorbar"]["title"]["text"] for s in scales]
        assert titles[0].startswith("Steps:") and f"{word} service time" in titles[0]
        assert titles[1].startswith("Paths:") and f"{word} sojourn time" in titles[1]
        legend = spec["layout"]["annotations"][-1]["text"]
        assert legend.startswith("Width and colour") and f"{word} sojourn time" in legend
        labels = _trace(spec, "edge labels")[0]
        ab = labels["customdata"].index(next(d for d in labels["customdata"] if d[:2] == ["A", "B"]))
        edge = pmap.edges[(pmap.edges.source == "A") & (pmap.edges.target == "B")].iloc[0]
        assert labels["text"][ab] == duration(edge[f"duration_{stat}_s"], "en")
    # A -> B: c0..c4 wait 600, 1200, ..., 3000 s: median and mean 1800, total 9000, max 3000
    assert (edge.duration_median_s, edge.duration_mean_s, edge.duration_total_s, edge.duration_max_s) == (
        1800.0, 1800.0, 9000.0, 3000.0)
    freq = process_map_spec(pmap, overlay="frequency", statistic="cases")
    assert "Case frequency" in freq["layout"]["annotations"][-1]["text"]
    nodes = _trace(freq, "nodes")[0]
    b = [d[0] for d in nodes["customdata"]].index("B")
    assert nodes["text"][b] == "<b>B</b><br>5"
    with pytest.raises(OptionError, match="'statistic' parameter"):
        process_map_spec(pmap, overlay="frequency", statistic="median")


def test_chinese_map_has_no_english_words_or_units(bypass):
    pmap = process_map(bypass)
    zh = {"A": "申请", "B": "审批", "C": "付款"}
    node_time = {a: {"median": 90.0, "mean": 4000.0, "total": 90000.0, "max": 200.0} for a in zh}
    for overlay, stat in (("frequency", "absolute"), ("frequency", "cases"), ("performance", "median"),
                          ("performance", "max"), ("cost", "absolute")):
        spec = process_map_spec(pmap, overlay=overlay, statistic=stat, labels=zh, node_time=node_time,
                                node_cost={"A": 10.0}, lang="zh", time_basis="waiting")
        shown = []
        for t in spec["data"]:
            for key in ("text", "hovertext"):
                v = t.get(key)
                shown += v if isinstance(v, list) else [v] if v else []
            bar = t.get("marker", {}).get("colorbar")
            if bar:
                shown += [bar["title"]["text"], *bar["ticktext"]]
        shown += [a["text"] for a in spec["layout"]["annotations"]] + [spec["layout"]["title"]["text"]]
        words = re.sub(r"<[^>]+>", " ", " ".join(shown))
        assert re.findall(r"[A-Za-z]+", words) == [], (overlay, stat)
        assert "开始" in words and "结束" in words
    assert "等待时间中位数" in str(process_map_spec(pmap, overlay="performance", statistic="median", lang="zh",
                                               time_basis="waiting")["layout"]["annotations"][-1]["text"])
    for lang, why in (("en", "cost is recorded per step, not per path"), ("zh", "成本按步骤记录，路径无成本")):
        legend = process_map_spec(pmap, overlay="cost", statistic="absolute", node_cost={"A": 10.0},
                                  lang=lang)["layout"]["annotations"][-1]["text"]
        assert why in legend  # the cost map says why its paths show frequencies


def test_clicks_at_a_box_centre_reach_the_step(bypass):
    """Edge lines take no hover (so no click); the node points come after every line and box, at the
    boxes' centres; edge label points carry their edge."""
    pmap = process_map(bypass)
    spec = process_map_spec(pmap)
    names = [t["name"] for t in spec["data"]]
    assert all(t["hoverinfo"] == "skip" for t in spec["data"] if t["name"] in ("edge", "node box", "scale"))
    assert names.index("nodes") > max(i for i, n in enumerate(names)
                                      if n in ("edge", "edge labels", "node box", "node area"))
    area = _trace(spec, "node area")[0]  # a wide box is clickable across its width, as its step
    b = [d[0] for d in _trace(spec, "nodes")[0]["customdata"]].index("B")
    bx, by = pmap.nodes.x[b], -pmap.nodes.y[b]
    on_b = [(x, y) for x, y, d in zip(area["x"], area["y"], area["customdata"], strict=True) if d[0] == "B"]
    assert len(on_b) == 4 and all(y == by for _, y in on_b) and min(x for x, _ in on_b) < bx < max(x for x, _ in on_b)
    nodes = _trace(spec, "nodes")[0]
    assert nodes["hoverinfo"] == "text"
    assert list(zip(nodes["x"], nodes["y"], strict=True)) == [(x, -y) for x, y in zip(pmap.nodes.x, pmap.nodes.y,
                                                                                       strict=True)]
    labels = _trace(spec, "edge labels")[0]
    assert labels["hoverinfo"] == "text"
    assert {tuple(d[:2]) for d in labels["customdata"]} == set(zip(pmap.edges.source, pmap.edges.target,
                                                                   strict=True))
    assert [d[2] for d in labels["customdata"]] == pmap.edges["count"].tolist()
    assert labels["text"] == [number(n) for n in pmap.edges["count"]]
    assert label("cases", "en") in labels["hovertext"][0]


@pytest.mark.parametrize("activities", [1.0, 0.5])
def test_map_edge_statistics_are_the_same_on_the_compiled_and_the_sql_path(procurement, activities):
    """P90, total and maximum of the map's edges: the compiled pass over a stored log gives the numbers
    of the SQL over the same events (as an Arrow table)."""
    from flowmine.analytics import as_table, fast_path_available

    if not fast_path_available():
        pytest.skip("numba is not importable: only the SQL path runs")
    lay = map_layout(procurement)
    fast = process_map(procurement, activities=activities, layout=lay).edges
    sql = process_map(as_table(procurement, columns=None), activities=activities, layout=lay).edges
    cols = ["duration_mean_s", "duration_median_s", "duration_p90_s", "duration_total_s", "duration_max_s"]
    key = ["source", "target"]
    a, b = fast.set_index(key).sort_index(), sql.set_index(key).sort_index()
    assert a.index.equals(b.index) and (a["count"] == b["count"]).all()
    pd.testing.assert_frame_equal(a[cols], b[cols], check_exact=False, rtol=1e-9)
    inner = a[a["duration_max_s"].notna()].sort_values("count").iloc[-1]  # the busiest edge between steps
    assert inner["duration_max_s"] >= inner["duration_p90_s"] >= inner["duration_median_s"] >= 0
    assert inner["duration_max_s"] > 0
    assert inner["duration_total_s"] == pytest.approx(inner["duration_mean_s"] * inner["count"], rel=1e-9)


def test_without_any_service_time_the_boxes_show_frequency(bypass):
    """A log without start timestamps has no service time: the performance overlay's boxes then show and
    say frequency instead of a scale of unknowns."""
    pmap = process_map(bypass)
    unknown = {a: {"median": math.nan, "mean": math.nan, "total": math.nan, "max": math.nan} for a in "ABC"}
    spec = process_map_spec(pmap, overlay="performance", statistic="median", node_time=unknown)
    nodes = _trace(spec, "nodes")[0]
    a = [d[0] for d in nodes["customdata"]].index("A")
    assert nodes["text"][a] == "<b>A</b><br>7"
    assert _trace(spec, "scale")[0]["marker"]["colorbar"]["title"]["text"] == "Steps:<br>Absolute frequency"


@needs_dot
def test_the_main_flow_runs_down_and_only_loop_backs_go_up():
    """A rework loop B → A (rarer than A → B) is left out of dot's ranking: A stays above B."""
    from flowmine.discovery._dot import back_edges

    log = _log(["ABC"] * 5 + ["ABABC"] * 2)
    lay = map_layout(log)
    assert lay["A"][1] < lay["B"][1] < lay["C"][1]
    assert back_edges([START_NODE, "A", "B", "C", END_NODE],
                      [(START_NODE, "A"), ("A", "B"), ("B", "C"), ("C", END_NODE), ("B", "A")],
                      [START_NODE]) == {("B", "A")}
    route = lay.geometry.routes[("B", "A")]
    assert route.tip[1] < route.points[0][1]  # drawn upwards, into A


@needs_dot
def test_the_layout_from_the_compiled_pass_is_the_layout_from_sql(procurement):
    """A stored log's layout is laid out from the compiled map pass; an Arrow table's from the SQL
    window queries: the same nodes, edges and order, so the same positions and routes (filtered too)."""
    from flowmine.analytics import CaseFilter, as_table, fast_path_available

    if not fast_path_available():
        pytest.skip("numba is not importable: only the SQL path runs")
    for log in (procurement, procurement.where(CaseFilter(top_variants=3))):
        fast, sql = map_layout(log), map_layout(as_table(log, columns=None))
        assert dict(fast) == dict(sql) and fast.geometry == sql.geometry
        assert len(fast) > 3
