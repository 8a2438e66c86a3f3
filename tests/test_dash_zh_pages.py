"""Chinese mode leaves no English UI words on any page: every text the shell and a page send to the
browser (children, labels, headers, placeholders, titles, hover and trace names) is scanned for Latin
words. What may stay Latin is named: the data's own names (process, case attribute names, case ids,
time zone names), the currency code and format names (CSV, Excel, xlsx, HTML, PNG, SVG, KPI, UTC, SHA)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flowmine import Store
from flowmine.dashboard import _app, create_app

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
NAMES = {"flowmine", "CNY", "CSV", "Excel", "xlsx", "HTML", "PNG", "SVG", "KPI", "UTC", "SHA"}
TEXT_KEYS = {"children", "label", "headerName", "placeholder", "title", "text", "hovertemplate", "hovertext", "name",
             "ticktext"}
SKIP_KEYS = {"id", "className", "style", "href", "namespace", "type", "field", "valueFormatter", "cellRenderer",
             "colId", "csvExportParams", "dashGridOptions", "config", "rowData", "value"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from flowmine.analytics import prepare

    st = Store(tmp_path_factory.mktemp("zh") / "store")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    prepare(st, "finance")
    return create_app(st.path).server.test_client()


def _shell(client, path: str, search: str) -> dict:
    outputs = [dict(zip(("id", "property"), n.rsplit(".", 1), strict=True)) for n in _app.SHELL_OUTPUTS]
    body = {"output": ".." + "...".join(_app.SHELL_OUTPUTS) + "..", "outputs": outputs,
            "inputs": [{"id": "url", "property": "pathname", "value": path},
                       {"id": "url", "property": "search", "value": search}],
            "changedPropIds": ["url.pathname"], "state": [{"id": "shell-shown", "property": "data", "value": None}]}
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                    headers={"Host": "127.0.0.1"})
    assert r.status_code == 200, r.data[:300]
    return r.get_json()["response"]


def _texts(node, out: list[str], key: str | None = None) -> list[str]:
    if isinstance(node, dict):
        hidden = node.get("showlegend") is False  # a trace's name shows only in a legend
        for k, v in node.items():
            if k not in SKIP_KEYS and not (hidden and k == "name"):
                _texts(v, out, k)
    elif isinstance(node, list):
        for v in node:
            _texts(v, out, key)
    elif isinstance(node, str) and key in TEXT_KEYS:
        out.append(re.sub(r"<extra>.*?</extra>|<[^>]+>|%\{[^}]*\}", " ", node))  # markup and placeholders
    return out


def _allowed(response: dict) -> set[str]:
    """Latin words that are the data's own names: the process, attribute names, zones, case ids."""
    words = set(NAMES) | {"finance"}
    for prop in ("flt-attr", "flt-num", "flt-tz"):
        for o in response.get(prop, {}).get("options", []):
            words |= set(re.findall(r"[A-Za-z]+", str(o.get("value", ""))))
    return words


@pytest.mark.parametrize("path", [p.PATH for p in _app.PAGES])
def test_no_english_ui_word_in_chinese_mode(client, path):
    response = _shell(client, path, "?process=finance&lang=zh")
    allowed = _allowed(response)
    english = sorted({w for s in _texts(response, []) for w in re.findall(r"\b[A-Za-z]{3,}\b", s)} - allowed)
    assert english == [], f"{path}: {english}"


def test_the_scan_finds_english(client):
    """The check can fail: the same page in English is full of the words it looks for."""
    response = _shell(client, "/", "?process=finance&lang=en")
    assert len({w for s in _texts(response, []) for w in re.findall(r"\b[A-Za-z]{3,}\b", s)} - _allowed(response)) > 20
