"""Variants: the distinct paths cases take, with counts, share and throughput time."""

from __future__ import annotations

from typing import Any

from dash import html

from flowmine.dashboard._components import table
from flowmine.dashboard._data import labeller, process_variants
from flowmine.dashboard._i18n import t
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import duration, label, number, percent

PATH = "/variants"
TITLE_KEY = "variants"


def rows(frame: Any, lang: str, name: Any = str) -> list[dict[str, Any]]:
    out = []
    for rec in frame.head(200).to_dict("records"):
        out.append({"variant": name(str(rec.get("variant", ""))), "cases": number(rec.get("cases")),
                    "share": percent(rec.get("share")),
                    "median": duration(rec.get("throughput_median_s"), lang)})
    return out


def layout(store: Store, f: Filters) -> Any:
    lang = f.lang
    cols = [("variant", t("variant", lang)), ("cases", label("cases", lang)), ("share", label("case_share", lang)),
            ("median", label("throughput_time", lang, stat="median"))]
    found = rows(process_variants(store, f), lang, labeller(f.process, lang))
    return html.Div([table("var-table", cols, found, page_size=20)])
