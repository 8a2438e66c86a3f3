"""Case notions of an object-centric log: the processes of the store flattened from one OCEL file on
different object types (order, delivery, invoice), so that a page can offer the same log seen by another
case notion one click away."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from flowmine.dashboard._i18n import t
from flowmine.dashboard._state import Filters
from flowmine.store import Store


def flattened(manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The latest object-centric source (OCEL 2.0) of a process's manifest, if it has one."""
    found = [s for s in manifest["sources"] if s.get("flattening")]
    return found[-1] if found else None


def case_notions(store: Store, source: dict[str, Any]) -> list[tuple[str, str]]:
    """(object type, process) for every process of the store flattened from the same OCEL file."""
    out = []
    for p in store.processes():
        for s in store.manifest(p)["sources"]:
            if s.get("sha256") == source.get("sha256") and s.get("flattening"):
                out.append((str(s["flattening"]["object_type"]), p))
    return sorted(set(out))


def notion_links(store: Store, f: Filters, path: str, pid: str) -> Any:
    """"Case notion: order (sales_sap) · delivery (sales_sap_delivery) ..." linking ``path`` of each other
    process; None when the process is not from an OCEL log or has no other notion in the store."""
    if f.process is None:
        return None
    source = flattened(store.manifest(f.process))
    if source is None:
        return None
    notions = case_notions(store, source)
    if len(notions) < 2:
        return None
    items: list[Any] = []
    for i, (otype, process) in enumerate(notions):
        label = f"{otype} ({process})"
        items.extend([" · "] if i else [])
        items.append(html.Span(label, className="fm-current") if process == f.process else
                     dcc.Link(label, href=path + Filters(process=process, lang=f.lang).query()))
    return html.P([t("ocel_notion", f.lang) + ": ", *items], id=pid)
