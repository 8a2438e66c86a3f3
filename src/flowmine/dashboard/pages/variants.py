"""Variants: the distinct paths cases take, with counts, share and throughput time."""

from __future__ import annotations

from typing import Any

from dash import html

from flowmine.dashboard._components import Column, excel_button, register_excel, table
from flowmine.dashboard._data import filters_of, labeller, process_variants
from flowmine.dashboard._i18n import elapsed_only, t
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import label

PATH = "/variants"
TITLE_KEY = "variants"


#: Variants listed (most frequent first).
SHOWN = 200


def rows(frame: Any, lang: str, name: Any = str) -> list[dict[str, Any]]:
    """The most frequent variants, raw values (counts, shares, seconds)."""
    return [{"variant": name(str(rec.get("variant", ""))), "cases": rec.get("cases"), "share": rec.get("share"),
             "median": rec.get("throughput_median_s")} for rec in frame.head(SHOWN).to_dict("records")]


def columns(lang: str, time: str | None = None) -> list[Column]:
    """The table's columns; the throughput time is elapsed (``variant_stats`` takes no calendar), said so
    when the shell shows business time."""
    return [Column("variant", t("variant", lang)), Column("cases", label("cases", lang), "number"),
            Column("share", label("case_share", lang), "percent"),
            Column("median", elapsed_only(label("throughput_time", lang, stat="median"), time, lang), "duration")]


def sheets(store: Store, f: Filters) -> list[tuple[str, list[Column], list[dict[str, Any]]]]:
    found = rows(process_variants(store, f), f.lang, labeller(f.process, f.lang))
    return [(t("variants", f.lang), columns(f.lang, f.time), found)]


def layout(store: Store, f: Filters) -> Any:
    found = rows(process_variants(store, f), f.lang, labeller(f.process, f.lang))
    return html.Div([excel_button("var", f.lang),
                     table("var-table", columns(f.lang, f.time), found, page_size=20, f=f, page="variants")])


def register(app: Any, store: Store) -> None:
    def build(search: str | None) -> tuple[Filters, Any]:
        f = filters_of(store, search)
        return f, (sheets(store, f) if f.process else [])

    register_excel(app, "var", "variants", build)
