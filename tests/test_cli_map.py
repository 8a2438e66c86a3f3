"""``flowmine map``: the process map drawn to SVG/PNG/PDF by graphviz, its dot source, or the dashboard's
interactive figure as an offline HTML page; numbers equal to ``process_map``'s, labels as text."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from flowmine.analytics import stored
from flowmine.discovery import process_map, process_map_dot
from flowmine.store import Store
from tests.conftest import run_cli

HEADER = "case,activity,start,timestamp,resource,cost\n"
ROWS = [  # three cases A -> B -> C, one A -> C, one A -> <script> -> C
    "1,A,2024-01-01 09:00,2024-01-01 09:30,x,10", "1,B,2024-01-01 10:00,2024-01-01 11:00,y,20",
    "1,C,2024-01-01 11:00,2024-01-01 11:10,x,5",
    "2,A,2024-01-02 09:00,2024-01-02 09:20,x,10", "2,B,2024-01-02 12:00,2024-01-02 13:00,y,20",
    "2,C,2024-01-02 13:30,2024-01-02 13:40,x,5",
    "3,A,2024-01-03 09:00,2024-01-03 09:20,x,10", "3,B,2024-01-03 09:30,2024-01-03 10:30,y,20",
    "3,C,2024-01-03 10:30,2024-01-03 10:40,x,5",
    "4,A,2024-01-04 09:00,2024-01-04 09:20,x,10", "4,C,2024-01-04 10:00,2024-01-04 10:10,x,5",
    "5,A,2024-01-05 09:00,2024-01-05 09:20,x,10", "5,<script>alert(1)</script>,2024-01-05 09:30,2024-01-05 09:40,y,1",
    "5,C,2024-01-05 10:00,2024-01-05 10:10,x,5",
]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("map")
    src = d / "log.csv"
    src.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    r = run_cli("ingest", str(src), "--store", str(d / "s"), "--process", "p")
    assert r.returncode == 0, r.stderr
    return d / "s"


@needs_dot
def test_svg_shows_the_map_s_numbers_and_escapes_labels(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.svg"
    r = run_cli("map", "--store", str(store), "--process", "p", "--out", str(out))
    assert r.returncode == 0, r.stderr
    svg = out.read_text("utf-8")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    pmap = process_map(stored(Store(store, create=False), "p"))
    ab = pmap.edges[(pmap.edges["source"] == "A") & (pmap.edges["target"] == "B")]["count"].iloc[0]
    assert ab == 3 and "3" in texts  # the edge's label: how often
    assert {"A", "B", "C"} <= set(texts) and "5" in texts  # A's box: 5 instances


@needs_dot
def test_png_pdf_dot_and_html(store: Path, tmp_path: Path) -> None:
    for suffix, magic in ((".png", b"\x89PNG"), (".pdf", b"%PDF")):
        out = tmp_path / f"map{suffix}"
        assert run_cli("map", "--store", str(store), "--process", "p", "--out", str(out),
                       "--overlay", "performance").returncode == 0
        assert out.read_bytes().startswith(magic)
    dot = tmp_path / "map.dot"
    r = run_cli("map", "--store", str(store), "--process", "p", "--out", str(dot), "--overlay", "cost")
    assert r.returncode == 0, r.stderr
    done = subprocess.run(["dot", "-Tjson"], input=dot.read_bytes(), capture_output=True, check=True)
    assert done.stdout.startswith(b"{")
    html = tmp_path / "map.html"
    assert run_cli("map", "--store", str(store), "--process", "p", "--out", str(html)).returncode == 0
    page = html.read_text("utf-8")
    assert "Plotly.newPlot" in page and "<script src=" not in page  # plotly.js embedded: opens offline
    assert "<script>alert(1)</script>" not in page


def test_a_wrong_format_or_option_is_one_line_and_writes_nothing(store: Path, tmp_path: Path) -> None:
    for extra, said in ((["--out", str(tmp_path / "map.jpg")], "unknown map format"),
                        (["--out", str(tmp_path / "m.svg"), "--overlay", "colour"], "overlay"),
                        (["--out", str(tmp_path / "m.svg"), "--lang", "fr"], "--lang")):
        r = run_cli("map", "--store", str(store), "--process", "p", *extra)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and said in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    assert not list(tmp_path.iterdir())


def test_the_dot_source_quotes_every_label_and_filters_apply(store: Path) -> None:
    log = stored(Store(store, create=False), "p")
    src = process_map_dot(process_map(log), overlay="frequency")
    assert '"<script>alert(1)</script>\\n1"' in src  # quoted: never dot syntax
    assert "digraph map {" in src and src.rstrip().endswith("}")
    from flowmine.analytics import CaseFilter

    few = process_map(log.where(CaseFilter(started=("2024-01-03", None))))
    assert int(few.nodes.loc[few.nodes["node"] == "A", "count"].iloc[0]) == 3
