"""Small layout pieces shared by the pages. Every label goes in as text (never as HTML).

Tables (:func:`table`) take raw values and a kind per column (:class:`Column`): a number, a duration
(seconds), an amount of money, a share, a case id or text. The grid keeps the raw value, so numbers
sort as numbers and the CSV and Excel exports hold numbers, with the unit in the column name
(``Throughput time (d)``, ``Cost (CNY)``); the cells show the vocabulary's formatted text. A column
keyed ``case`` (kind ``case``) links to the case page. The formatting runs in registered functions of
``assets/dashAgGridFunctions.js`` (no ``eval``: the Content-Security-Policy holds).
"""

from __future__ import annotations

import html as _html
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash_ag_grid as dag
from dash import dcc, html

from flowmine.dashboard._i18n import t
from flowmine.dashboard._state import Filters
from flowmine.errors import OptionError
from flowmine.vocabulary import duration, money, number, percent

#: Column kinds of :class:`Column`.
COLUMN_KINDS = ("text", "number", "duration", "money", "percent", "case")
_NUMERIC = frozenset({"number", "duration", "money", "percent"})
#: Seconds per unit of an exported duration (durations are exported in days).
_DAY_S = 86400.0


@dataclass(frozen=True)
class Column:
    """A table column: its row key, its label, and the kind of its raw values.

    ``kind``: ``text``; ``number`` (a count or amount, ``digits`` decimals shown); ``duration`` (seconds,
    exported in days); ``money`` (an amount in ``unit``, the currency); ``percent`` (a share 0–1,
    exported in %); ``case`` (a case id, shown as a link to its case page)."""

    key: str
    label: str
    kind: str = "text"
    unit: str | None = None
    digits: int = 0

    def __post_init__(self) -> None:
        if self.kind not in COLUMN_KINDS:
            raise OptionError(f"Column {self.key!r}: kind must be one of {COLUMN_KINDS}; got {self.kind!r}")

    def export_name(self, lang: str) -> str:
        """The column's name in an export, with the unit of its exported values."""
        unit = {"duration": "d" if lang == "en" else "天", "percent": "%",
                "money": self.unit, "number": self.unit}.get(self.kind)
        if not unit:
            return self.label
        return f"{self.label} ({unit})" if lang == "en" else f"{self.label}（{unit}）"

    def raw(self, value: Any) -> Any:
        """The exported (and sorted) value: days for a duration, % for a share, else as given."""
        if hasattr(value, "item"):  # a numpy scalar
            value = value.item()
        if value is None or (isinstance(value, float) and value != value):
            return None
        if self.kind == "duration":
            return float(value) / _DAY_S
        if self.kind == "percent":
            return float(value) * 100
        if self.kind in ("number", "money"):
            return value
        return str(value)

    def text(self, value: Any, lang: str) -> str:
        """The cell's display text (the vocabulary's format)."""
        if self.kind == "duration":
            return duration(value, lang)
        if self.kind == "percent":
            return percent(value)
        if self.kind == "money":
            return money(value, self.unit)
        if self.kind == "number":
            return number(value, self.digits)
        return "" if value is None else str(value)


ColumnLike = Column | tuple[str, str]


def _column(c: ColumnLike) -> Column:
    """The old ``(key, label)`` form is a text column (its rows hold display strings), except the column
    keyed ``case``, which holds raw case ids and links each to its case page."""
    if isinstance(c, Column):
        return c
    return Column(c[0], c[1], "case" if c[0] == "case" else "text")


def card(label: str, value: str, cid: str, hint: str | None = None, status: Any = None) -> html.Div:
    children: list[Any] = [html.Div(label, className="fm-card-label"),
                           html.Div(value, id=cid, className="fm-card-value")]
    if status is not None:
        children.append(status)
    if hint:
        children.append(html.Div(hint, className="fm-card-hint"))
    return html.Div(children, className="fm-card")


def case_href(process: str | None, case: Any, lang: str) -> str:
    """The case page of a case (the URL contract ``/case?process=<p>&case=<id>&lang=<l>``)."""
    return "/case?" + urlencode([("process", process or ""), ("case", str(case)), ("lang", lang)])


def export_stem(f: Filters | None, page: str) -> str:
    """A file name (without extension) naming the process, the page and the filters, e.g.
    ``finance_bottlenecks_2024-01-01_2024-03-31``; characters unsafe in a file name become ``-``."""
    if f is None:
        return page
    parts = [f.process or "", page]
    for key, value in parse_qsl(f.query().lstrip("?")):
        if key in ("process", "lang"):
            continue
        parts.append(value if key in ("from", "to") else f"{key}-{value}")
    stem = "_".join(re.sub(r"[^\w.-]+", "-", p).strip("-") for p in parts if p)
    return stem[:150] or page


def grid_rows(columns: Sequence[Column], rows: Sequence[dict[str, Any]], lang: str,
              process: str | None = None) -> list[dict[str, Any]]:
    """Rows for the grid: each column's raw value, plus its display text (``<key>__text``) for the
    numeric kinds and its link (``<key>__href``) for a case."""
    out = []
    for row in rows:
        rec: dict[str, Any] = {}
        for c in columns:
            value = row.get(c.key)
            rec[c.key] = c.raw(value) if c.kind != "text" else ("" if value is None else value)
            if c.kind in _NUMERIC:
                rec[c.key + "__text"] = c.text(value, lang)
            elif c.kind == "case" and value is not None and process:  # without: the page's own process
                rec[c.key + "__href"] = case_href(process, value, lang)
        out.append(rec)
    return out


def column_def(c: Column, lang: str) -> dict[str, Any]:
    """AG Grid's column definition of a column: numbers right-aligned with a number filter."""
    d: dict[str, Any] = {"field": c.key, "headerName": c.label}
    if c.kind in _NUMERIC:
        d.update({"type": "numericColumn", "filter": "agNumberColumnFilter", "headerTooltip": c.export_name(lang),
                  "valueFormatter": {"function": "fmText(params)"}})
    elif c.kind == "case":
        d["cellRenderer"] = "FmCaseLink"
    return d


def table(tid: str, columns: Sequence[ColumnLike], rows: list[dict[str, Any]], page_size: int = 15,
          f: Filters | None = None, page: str | None = None) -> Any:
    """A sortable, filterable grid with CSV export (raw values, units in the column names, a file name
    with the process, page and filters). ``columns``: :class:`Column` s (rows hold raw values), or the
    old ``(key, label)`` tuples (text columns: rows hold display strings). Cells are plain text."""
    lang = f.lang if f is not None else "en"
    cols = [_column(c) for c in columns]
    process = f.process if f is not None else None
    csv = {"fileName": f"{export_stem(f, page or tid)}.csv",
           "processHeaderCallback": {"function": "fmExportHeader(params)"}}
    return html.Div(id=tid, children=[
        html.Button(t("csv_export", lang), id={"type": "csv-export", "grid": tid}, className="fm-csv", n_clicks=0),
        dag.AgGrid(
            id={"type": "grid", "grid": tid}, rowData=grid_rows(cols, rows, lang, process),
            columnDefs=[column_def(c, lang) for c in cols],
            defaultColDef={"sortable": True, "resizable": True, "filter": True, "wrapText": True,
                           "autoHeight": True, "useValueFormatterForExport": False},
            dashGridOptions={"pagination": True, "paginationPageSize": page_size, "domLayout": "autoHeight",
                             "paginationPageSizeSelector": False, "localeText": locale_text(lang),
                             "tooltipShowDelay": 300, "defaultCsvExportParams": csv},
            csvExportParams=csv,
            columnSize="sizeToFit",
        ),
    ])


def sheet(columns: Sequence[ColumnLike], rows: Sequence[dict[str, Any]], lang: str) -> Any:
    """A table as a DataFrame of its exported values: raw numbers, the unit in each column name."""
    import pandas as pd

    cols = [_column(c) for c in columns]
    data = {c.export_name(lang): [c.raw(r.get(c.key)) if c.kind != "text" else r.get(c.key) for r in rows]
            for c in cols}
    return pd.DataFrame(data, columns=list(data))


Sheets = list[tuple[str, Sequence[ColumnLike], Sequence[dict[str, Any]]]]


def workbook(sheets: Sheets, lang: str) -> bytes:
    """An .xlsx workbook with one sheet per table (``(name, columns, rows)``), raw values."""
    import pandas as pd

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        used: set[str] = set()
        for name, columns, rows in sheets:
            title = re.sub(r"[\[\]:*?/\\]", "-", name)[:31] or "sheet"
            while title in used:
                title = title[:28] + f"-{len(used)}"
            used.add(title)
            sheet(columns, rows, lang).to_excel(writer, sheet_name=title, index=False)
    return buf.getvalue()


def excel_button(pid: str, lang: str) -> html.Div:
    """The page's "Excel" button and its download (see :func:`register_excel`)."""
    return html.Div([html.Button(t("xlsx_export", lang), id=f"{pid}-xlsx", className="fm-xlsx", n_clicks=0),
                     dcc.Download(id=f"{pid}-xlsx-file")], className="fm-exports")


def register_excel(app: Any, pid: str, page: str, build: Callable[[str | None], tuple[Filters, Sheets]]) -> None:
    """Serve the page's tables as one .xlsx (``build(url search)``: the checked filters and the sheets,
    recomputed on the server from the URL, never taken from the browser)."""
    from dash import Input, Output, State, no_update

    @app.callback(Output(f"{pid}-xlsx-file", "data"), Input(f"{pid}-xlsx", "n_clicks"), State("url", "search"),
                  prevent_initial_call=True)
    def on_excel(n: Any, search: Any) -> Any:
        found = excel_download(n, search, page, build)
        return no_update if found is None else found


def excel_download(n: Any, search: Any, page: str,
                   build: Callable[[str | None], tuple[Filters, Sheets]]) -> dict[str, Any] | None:
    """The download of the page's workbook for a click (None for a forged click or no process)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1 or not (search is None or isinstance(search, str)):
        return None
    f, sheets = build(search)
    if f.process is None:
        return None
    return dict(dcc.send_bytes(workbook(sheets, f.lang), f"{export_stem(f, page)}.xlsx"))


def zone_label(zone: str, lang: str) -> str:
    """How a time zone is named beside times: UTC in the page's words, any other zone by its name."""
    return t("case_utc", lang) if zone == "UTC" else zone


def in_zone(value: Any, zone: str) -> Any:
    """A stored time (UTC; naive means UTC) as a ``pd.Timestamp`` in ``zone``; None when missing."""
    import pandas as pd

    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    ts = pd.Timestamp(value)
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts).tz_convert(zone)


def local_time(value: Any, zone: str, seconds: bool = True) -> str:
    """A stored time as wall-clock time in ``zone`` (:func:`in_zone`), ``YYYY-MM-DD HH:MM[:SS]``;
    empty for a missing time."""
    ts = in_zone(value, zone)
    return "" if ts is None else ts.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def locale_text(lang: str) -> dict[str, str]:
    """AG Grid's texts (pager, filters, empty grid) in ``lang`` (English: AG Grid's own)."""
    return dict(_GRID_ZH) if lang == "zh" else {}


_GRID_ZH = {
    "page": "第", "of": "共", "to": "至", "more": "更多", "next": "下一页", "last": "末页", "first": "首页",
    "previous": "上一页", "firstPage": "首页", "lastPage": "末页", "nextPage": "下一页", "previousPage": "上一页",
    "pageLastRowUnknown": "?", "pageSizeSelectorLabel": "每页行数：", "loadingOoo": "加载中…",
    "noRowsToShow": "没有可显示的行", "filterOoo": "筛选…", "searchOoo": "搜索…", "selectAll": "全选",
    "selectAllSearchResults": "全选搜索结果", "blanks": "（空白）", "noMatches": "无匹配项",
    "equals": "等于", "notEqual": "不等于", "blank": "为空", "notBlank": "不为空", "empty": "请选择…",
    "lessThan": "小于", "greaterThan": "大于", "lessThanOrEqual": "小于或等于",
    "greaterThanOrEqual": "大于或等于", "inRange": "介于", "inRangeStart": "从", "inRangeEnd": "到",
    "contains": "包含", "notContains": "不包含", "startsWith": "开头为", "endsWith": "结尾为",
    "andCondition": "且", "orCondition": "或", "applyFilter": "应用", "resetFilter": "重置",
    "clearFilter": "清除", "cancelFilter": "取消", "textFilter": "文本筛选", "numberFilter": "数值筛选",
    "dateFilter": "日期筛选", "setFilter": "集合筛选", "filterConditions": "条件", "filterValue": "值",
    "filterFrom": "从", "filterTo": "到", "columns": "列", "filters": "筛选", "sortAscending": "升序",
    "sortDescending": "降序", "sortUnSort": "取消排序", "ariaPageSizeSelectorLabel": "每页行数",
    "ariaFilterInput": "筛选输入", "ariaFilterValue": "筛选值", "ariaFilterFromValue": "起始值",
    "ariaFilterToValue": "结束值", "ariaFilteringOperator": "筛选运算符", "ariaColumn": "列",
    "ariaRowSelect": "按空格选择此行", "ariaSearch": "搜索", "ariaSortableColumn": "按回车排序",
    "ariaMenuColumn": "按 ALT 向下 打开列菜单", "ariaFilterColumn": "按 CTRL 回车 打开筛选",
    "ariaFilterMenuOpen": "打开筛选菜单", "ariaLabelColumnFilter": "列筛选",
}


def plot_text(label: str) -> str:
    """Plotly reads a few HTML-like tags in labels; escape them so a label shows as the characters it is."""
    return _html.escape(str(label), quote=False)


def clicked_name(click: Any) -> str | None:
    """The ``customdata`` text of the point a chart's ``clickData`` names (None: not one point with one);
    the callback still checks it against what the chart drew."""
    points = click.get("points") if isinstance(click, dict) else None
    if not isinstance(points, list) or len(points) != 1 or not isinstance(points[0], dict):
        return None
    value = points[0].get("customdata")
    return value if isinstance(value, str) else None
