"""Data: what was ingested, from where, and the quarantine with its reasons.

Each count of a source is the store's ingest report (``Store.manifest``): rows read, events loaded,
lifecycle rows merged into their instances, rows already stored, rows quarantined (read = loaded +
merged + already stored + quarantined), exact duplicates kept, and open instances; each is explained
in a sentence under the table. Times are UTC."""

from __future__ import annotations

from typing import Any

from dash import html

from flowmine.dashboard._components import Column, excel_button, register_excel, table
from flowmine.dashboard._data import filters_of
from flowmine.dashboard._i18n import t
from flowmine.dashboard._notions import flattened, notion_links
from flowmine.dashboard._state import Filters
from flowmine.store import Store

PATH = "/data"
TITLE_KEY = "data"
#: Quarantined rows listed (the first ones).
QUARANTINE_SHOWN = 500
QUARANTINE_KEYS = ("source", "row", "position", "column", "value", "reason", "detail")
EXPLAINED = ("read", "loaded", "merged", "already", "quarantined", "duplicates", "open")


def open_instances(store: Store, process: str) -> int:
    """Open instances in the store: instances whose outcome is ``open`` (started, not completed when the
    log was extracted; ingestion writes the outcome)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from flowmine._schema import OUTCOME, Outcome

    if OUTCOME not in pq.read_schema(store.events_path(process)).names:
        return 0  # no lifecycle in the sources: every instance is complete
    column = store.load_table(process, [OUTCOME]).column(OUTCOME)
    return int(pc.sum(pc.equal(column, Outcome.OPEN)).as_py() or 0)


def source_rows(m: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"source": s["source"], "format": s.get("format", ""), "read": s.get("rows_read"),
             "loaded": s.get("events_loaded"), "merged": s.get("rows_merged", 0),
             "already": s.get("rows_already_stored", 0), "quarantined": s.get("rows_quarantined"),
             "duplicates": s.get("duplicate_events", 0), "at": s.get("ingested_at", ""),
             "sha256": str(s.get("sha256", ""))[:12]} for s in m["sources"]]


def source_columns(lang: str) -> list[Column]:
    return [Column("source", t("sources", lang)), Column("format", t("data_format", lang)),
            Column("read", t("rows_read", lang), "number"), Column("loaded", t("rows_loaded", lang), "number"),
            Column("merged", t("rows_merged", lang), "number"), Column("already", t("rows_already", lang), "number"),
            Column("quarantined", t("rows_quarantined", lang), "number"),
            Column("duplicates", t("duplicate_events", lang), "number"), Column("at", t("data_at", lang)),
            Column("sha256", t("data_sha", lang))]


def quarantine_rows(q: Any) -> list[dict[str, Any]]:
    return [{k: ("" if v is None or v != v else str(v)) for k, v in rec.items()}
            for rec in q.head(QUARANTINE_SHOWN).to_dict("records")]


def quarantine_columns(q_rows: list[dict[str, Any]], lang: str) -> list[Column]:
    keys = list(q_rows[0]) if q_rows else list(QUARANTINE_KEYS)
    return [Column(k, t(f"q_{k}", lang) if f"q_{k}" in _Q_KEYS else k) for k in keys]


_Q_KEYS = {f"q_{k}" for k in QUARANTINE_KEYS}


def sheets(store: Store, f: Filters) -> list[tuple[str, list[Column], list[dict[str, Any]]]]:
    assert f.process is not None
    q_rows = quarantine_rows(store.quarantine(f.process))
    return [(t("sources", f.lang), source_columns(f.lang), source_rows(store.manifest(f.process))),
            (t("quarantine", f.lang), quarantine_columns(q_rows, f.lang), q_rows)]


def ocel_section(store: Store, f: Filters) -> Any:
    """Object types, what flattening did, the related-object counts and the other case notions (the same
    OCEL log flattened on another object type into another process of the store)."""
    assert f.process is not None
    lang = f.lang
    source = flattened(store.manifest(f.process))
    if source is None:
        return None
    notions = notion_links(store, f, PATH, "data-ocel-notions")
    fl = source["flattening"]
    case_type = str(fl["object_type"])
    types = [{"type": k, "objects": v, "cases": t("case_yes", lang) if k == case_type else ""}
             for k, v in fl.get("object_types", {}).items()]
    cards = [{"from": c["from"], "to": c["to"], "objects": c["objects"], "mean": c["mean"], "max": c["max"],
              "several": c["more_than_one"]} for c in fl.get("cardinalities", [])]
    summary = t("ocel_summary", lang).format(
        type=case_type, cases=fl["cases"], used=fl["events_used"], total=fl["events_total"],
        conv=fl["convergent_events"], copies=fl["extra_copies"], div=fl["divergent_events"])
    return html.Div(id="data-ocel", children=[
        html.H3(t("ocel_title", lang)),
        html.P(summary, id="data-ocel-summary"),
        notions,
        table("data-ocel-types", [Column("type", t("ocel_type", lang)), Column("objects", t("ocel_objects", lang),
                                                                                 "number"),
                                  Column("cases", t("ocel_cases", lang))], types, f=f, page="ocel-types"),
        html.H4(t("ocel_related", lang)),
        html.P(t("ocel_related_hint", lang), className="fm-card-hint"),
        table("data-ocel-cards", [Column("from", t("ocel_from", lang)), Column("to", t("ocel_to", lang)),
                                  Column("objects", t("ocel_objects_with", lang), "number"),
                                  Column("mean", t("ocel_mean", lang), "number", digits=2),
                                  Column("max", t("ocel_max", lang), "number"),
                                  Column("several", t("ocel_several", lang), "number")], cards, f=f,
              page="ocel-related"),
    ])


def layout(store: Store, f: Filters) -> Any:
    lang = f.lang
    assert f.process is not None
    m = store.manifest(f.process)
    q_rows = quarantine_rows(store.quarantine(f.process))
    explain = [html.Li(t(f"data_explain_{k}", lang)) for k in EXPLAINED]
    n_open = open_instances(store, f.process)
    return html.Div([
        excel_button("data", lang),
        html.H3(t("sources", lang)), table("data-sources", source_columns(lang), source_rows(m), f=f, page="data"),
        ocel_section(store, f),
        html.P(f"{t('open_instances', lang)}: {n_open:,}", id="data-open"),
        html.Ul(explain, id="data-explain"), html.P(t("utc_note", lang), id="data-utc", className="fm-card-hint"),
        html.H3(t("quarantine", lang)),
        table("data-quarantine", quarantine_columns(q_rows, lang), q_rows, f=f, page="quarantine") if q_rows
        else html.P(t("no_quarantine", lang), id="data-noq"),
    ])


def register(app: Any, store: Store) -> None:
    def build(search: str | None) -> tuple[Filters, Any]:
        f = filters_of(store, search)
        return f, (sheets(store, f) if f.process else [])

    register_excel(app, "data", "data", build)
