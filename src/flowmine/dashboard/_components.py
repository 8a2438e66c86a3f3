"""Small layout pieces shared by the pages. Every label goes in as text (never as HTML)."""

from __future__ import annotations

import html as _html
from typing import Any

import dash_ag_grid as dag
from dash import html


def card(label: str, value: str, cid: str, hint: str | None = None) -> html.Div:
    children: list[Any] = [html.Div(label, className="fm-card-label"),
                           html.Div(value, id=cid, className="fm-card-value")]
    if hint:
        children.append(html.Div(hint, className="fm-card-hint"))
    return html.Div(children, className="fm-card")


def table(tid: str, columns: list[tuple[str, str]], rows: list[dict[str, Any]], page_size: int = 15) -> Any:
    """A sortable, filterable grid with CSV export; cells are rendered as plain text."""
    return html.Div(id=tid, children=[
        html.Button("CSV", id={"type": "csv-export", "grid": tid}, className="fm-csv", n_clicks=0),
        dag.AgGrid(
            id={"type": "grid", "grid": tid}, rowData=rows,
            columnDefs=[{"field": key, "headerName": label} for key, label in columns],
            defaultColDef={"sortable": True, "resizable": True, "filter": True, "wrapText": True,
                           "autoHeight": True},
            dashGridOptions={"pagination": True, "paginationPageSize": page_size, "domLayout": "autoHeight",
                             "paginationPageSizeSelector": False},
            csvExportParams={"fileName": f"{tid}.csv"}, columnSize="sizeToFit",
        ),
    ])


def plot_text(label: str) -> str:
    """Plotly reads a few HTML-like tags in labels; escape them so a label shows as the characters it is."""
    return _html.escape(str(label), quote=False)
