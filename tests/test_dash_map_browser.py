"""The process map in a real headless Chromium: a real mouse click at the exact centre of a step's box
opens that step's detail, in view; a click on an edge's label point opens the path's detail with the
API's numbers and a "filter to these cases" link; the map exports as SVG (modebar) and PNG (a button),
named after its process.

Pixels come from the figure's own coordinates through Plotly's axes (``l2p`` plus the plot offset),
then a W3C pointer click at that viewport position.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from flowmine.analytics import profile, stored
from flowmine.dashboard import create_app
from flowmine.discovery import map_layout, process_map
from flowmine.vocabulary import number
from tests._browser import SERVER_THREAD, require_browser, sample_store

require_browser()

pytestmark = SERVER_THREAD

BYPASS = ("Contract and purchase order", "Goods receipt")  # the orders that skip PO approval


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    return sample_store(tmp_path_factory.mktemp("dashmap") / "store", "procurement")


def _open(dash_duo, store_path) -> None:
    dash_duo.start_server(create_app(store_path))
    dash_duo.driver.set_window_size(1400, 1000)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/map?process=procurement")
    dash_duo.wait_for_element("#map-graph .main-svg", timeout=30)


_PIXEL = """
const gd = document.querySelector('#map-graph .js-plotly-plot');
const tr = gd.data.find(t => t.name === arguments[0]);
const i = tr.customdata.findIndex(c => c[0] === arguments[1] && (arguments[2] === null || c[1] === arguments[2]));
if (i < 0) { return null; }
const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
let r = gd.getBoundingClientRect();
let y = r.top + ya._offset + ya.l2p(tr.y[i]);
window.scrollBy(0, y - window.innerHeight / 2);
r = gd.getBoundingClientRect();
return [r.left + xa._offset + xa.l2p(tr.x[i]), r.top + ya._offset + ya.l2p(tr.y[i])];
"""


def _click_at(dash_duo, trace: str, first: str, second: str | None = None) -> tuple[float, float]:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    xy = dash_duo.driver.execute_script(_PIXEL, trace, first, second)
    assert xy is not None, (trace, first, second)
    actions = ActionBuilder(dash_duo.driver)
    actions.pointer_action.move_to_location(round(xy[0]), round(xy[1]))
    actions.pointer_action.click()
    actions.perform()
    ActionChains(dash_duo.driver).reset_actions()
    return xy


def _in_view(dash_duo, css: str) -> bool:
    return dash_duo.driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;", css)


def test_a_click_at_the_centre_of_a_step_opens_its_detail_in_view(dash_duo, store_path):
    p = profile(stored(store_path, "procurement"))
    step = next(a for a in p["activities"] if a["activity"] == "PO approval")
    _open(dash_duo, store_path)
    _click_at(dash_duo, "nodes", step["activity"])
    dash_duo.wait_for_text_to_equal("#map-d-title", step["activity"], timeout=20)
    dash_duo.wait_for_text_to_equal("#map-d-count", number(step["count"]), timeout=10)
    assert _in_view(dash_duo, "#map-d-title")
    href = dash_duo.find_element("#map-d-filter").get_attribute("href")
    assert href.endswith("&has=PO+approval") and "process=procurement" in href
    assert dash_duo.get_logs() == []


def test_a_click_on_an_edge_label_point_opens_the_path_detail(dash_duo, store_path):
    log = stored(store_path, "procurement")
    pmap = process_map(log, activities=1.0, paths=0.8, layout=map_layout(log))
    edge = pmap.edges[(pmap.edges.source == BYPASS[0]) & (pmap.edges.target == BYPASS[1])].iloc[0]
    assert int(edge["count"]) == 110
    _open(dash_duo, store_path)
    _click_at(dash_duo, "edge labels", *BYPASS)
    dash_duo.wait_for_text_to_equal("#map-d-title", f"{BYPASS[0]} → {BYPASS[1]}", timeout=20)
    assert dash_duo.find_element("#map-e-count").text == "110"
    assert dash_duo.find_element("#map-e-cases").text == number(edge["cases"])
    assert _in_view(dash_duo, "#map-d-title")
    href = unquote_plus(dash_duo.find_element("#map-d-filter").get_attribute("href"))
    assert href.endswith(f"&df={BYPASS[0]} → {BYPASS[1]}")
    assert dash_duo.get_logs() == []


def test_the_map_exports_as_svg_and_png_named_after_the_process(dash_duo, store_path):
    """(Forged clicks are refused over HTTP in test_dash_map_callbacks: in a browser Dash takes a click's
    customdata from the figure, so a page script cannot forge it.)"""
    _open(dash_duo, store_path)
    name = dash_duo.driver.execute_script(
        "return document.querySelector('#map-graph .js-plotly-plot')._context.toImageButtonOptions.filename;")
    assert name == "flowmine-map-procurement"
    assert dash_duo.driver.execute_script(
        "return document.querySelector('#map-graph .js-plotly-plot')._context.toImageButtonOptions.format;") == "svg"
    dash_duo.find_element("#map-png").click()
    deadline = time.monotonic() + 10  # a hidden span: its text is read as textContent
    while time.monotonic() < deadline and dash_duo.find_element("#map-exported").get_attribute("textContent") != "png":
        time.sleep(0.2)
    assert dash_duo.find_element("#map-exported").get_attribute("textContent") == "png"  # Plotly.downloadImage ran
    assert dash_duo.get_logs() == []
