"""Chinese mode in a real headless Chromium (Debian's chromium + chromedriver, via dash[testing]): what the
browser finally shows on every page, including what Plotly draws itself (date ticks, mode bar buttons,
hover labels) and the grids' own words, holds no English UI word. Latin words that may stay are the
data's own names (process, case attributes, time zones, source files), format names, as in
test_dash_zh_pages, and "English" (the language switch names each language in its own words)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flowmine import Store
from flowmine.dashboard import _app, create_app
from flowmine.dashboard._state import ZONES
from tests._browser import SERVER_THREAD, require_browser, sample_store
from tests.test_dash_zh_pages import NAMES

require_browser()

pytestmark = SERVER_THREAD

#: every text the page shows: visible text, SVG text (Plotly's ticks and labels), and the tooltips and
#: placeholders of controls (Plotly's mode bar buttons carry ``data-title``). Screen-reader labels
#: (``aria-label``) that Dash's date picker and number inputs set in English cannot be changed through
#: their properties and are not scanned.
SHOWN_JS = """
const out = [document.body.innerText];
document.querySelectorAll('svg text').forEach(e => out.push(e.textContent));
document.querySelectorAll('[data-title],[title],[placeholder]').forEach(e => {
  for (const a of ['data-title', 'title', 'placeholder']) {
    const v = e.getAttribute(a); if (v) out.push(v);
  }
});
return out;
"""
READY_JS = """
const page = document.getElementById('page');
return !!page && page.innerText.length > 0 && !document.querySelector('[data-dash-is-loading="true"]');
"""


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    return sample_store(tmp_path_factory.mktemp("dashzh") / "store", "finance")


def _allowed(store_path: Path) -> set[str]:
    st = Store(store_path, create=False)
    words = set(NAMES) | {"finance", "English"} | {w for z in ZONES for w in re.findall(r"[A-Za-z]+", z)}
    words |= {"annotate"}  # a command is written as the user types it (`flowmine annotate`)
    for name in st.load_table("finance").column_names:
        if name.startswith("case:"):
            words |= set(re.findall(r"[A-Za-z]+", name))
    for source in st.manifest("finance")["sources"]:  # the Data page names the source files
        words |= set(re.findall(r"[A-Za-z]+", str(source["source"])))
    return words


def _english(dash_duo, url: str, allowed: set[str]) -> list[str]:
    from selenium.webdriver.support.ui import WebDriverWait

    dash_duo.wait_for_page(url=url)
    WebDriverWait(dash_duo.driver, 30).until(lambda d: d.execute_script(READY_JS))
    graphs = dash_duo.driver.find_elements("css selector", "#page .js-plotly-plot")
    if graphs:
        WebDriverWait(dash_duo.driver, 20).until(
            lambda d: len(d.find_elements("css selector", "#page .js-plotly-plot .main-svg")) >= len(graphs))
    texts = dash_duo.driver.execute_script(SHOWN_JS)
    return sorted({w for s in texts for w in re.findall(r"\b[A-Za-z]{3,}\b", s)} - allowed)


def test_no_english_word_in_the_browser_in_chinese_mode(dash_duo, store_path):
    dash_duo.start_server(create_app(store_path))
    allowed = _allowed(store_path)
    found = {}
    for page in [p for p in _app.PAGES if getattr(p, "NAV", True)]:
        english = _english(dash_duo, f"{dash_duo.server_url}{page.PATH}?process=finance&lang=zh", allowed)
        if english:
            found[page.PATH] = english
    assert found == {}, repr(found)[:4000]
    # the scan can fail: the overview in English shows the words it looks for
    assert len(_english(dash_duo, f"{dash_duo.server_url}/?process=finance&lang=en", allowed)) > 20
