"""Data: what was ingested, from where, and the quarantine with its reasons."""

from __future__ import annotations

from typing import Any

from dash import html

from flowmine.dashboard._components import table
from flowmine.dashboard._i18n import number, t
from flowmine.dashboard._state import Filters
from flowmine.store import Store

PATH = "/data"
TITLE_KEY = "data"


def layout(store: Store, f: Filters) -> Any:
    lang = f.lang
    assert f.process is not None
    m = store.manifest(f.process)
    src_rows = [{"source": s["source"], "format": s.get("format", ""), "read": number(s["rows_read"]),
                 "loaded": number(s["events_loaded"]), "quarantined": number(s["rows_quarantined"]),
                 "duplicates": number(s.get("duplicate_events", 0)),
                 "at": s["ingested_at"], "sha256": s["sha256"][:12]} for s in m["sources"]]
    q = store.quarantine(f.process)
    q_rows = [{k: ("" if v is None or v != v else str(v)) for k, v in rec.items()}
              for rec in q.head(500).to_dict("records")]
    src_cols = [("source", t("sources", lang)), ("format", "format"), ("read", t("rows_read", lang)),
                ("loaded", t("rows_loaded", lang)), ("quarantined", t("rows_quarantined", lang)),
                ("duplicates", t("duplicate_events", lang)), ("at", "time"), ("sha256", "sha256")]
    q_cols = [(c, c) for c in ("source", "row", "position", "column", "value", "reason", "detail")]
    return html.Div([
        html.H3(t("sources", lang)), table("data-sources", src_cols, src_rows),
        html.H3(t("quarantine", lang)),
        table("data-quarantine", q_cols, q_rows) if q_rows else html.P(t("no_quarantine", lang), id="data-noq"),
    ])
