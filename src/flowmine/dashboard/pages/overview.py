"""Overview: KPI cards of the selected process and its throughput time trend."""

from __future__ import annotations

import calendar
from dataclasses import replace
from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from flowmine.analytics import thin_periods
from flowmine.dashboard._components import card, clicked_name
from flowmine.dashboard._data import (
    case_cost,
    conformance,
    filters_of,
    kpis,
    labeller,
    metric,
    process_profile,
    targets,
)
from flowmine.dashboard._i18n import plotly_config, t, timed
from flowmine.dashboard._numbers import previous_values, status
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import duration, label, money, number, percent, ratio

PATH = "/"
TITLE_KEY = "overview"


MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_label(period: Any, lang: str) -> str:
    """A month for an axis or a hover, in ``lang``: ``Jan 2025`` / ``2025年1月`` (ISO text in; Plotly's
    own month names are English only)."""
    text = str(period or "")
    if len(text) < 7 or not text[:4].isdigit() or not text[5:7].isdigit():
        return text
    year, month = int(text[:4]), int(text[5:7])
    return f"{year}年{month}月" if lang == "zh" else f"{MONTHS_EN[month - 1]} {year}"


def month_ticks(x: list[Any], lang: str) -> dict[str, Any]:
    """Axis ticks from our own month names, at most about twelve labels."""
    step = max(1, -(-len(x) // 12))
    shown = x[::step]
    return {"tickmode": "array", "tickvals": shown, "ticktext": [month_label(v, lang) for v in shown],
            "title": {"text": t("month_utc", lang)}}


def target_trace(x: list[Any], target: tuple[str, float] | None, lang: str) -> list[dict[str, Any]]:
    """The throughput-time KPI's target as a dotted line on the trend (days), when the process sets one."""
    if target is None or not x:
        return []
    direction, value = target
    name = f"{t('target', lang)} {'≤' if direction == 'lower' else '≥'} {duration(value, lang)}"
    return [{"type": "scatter", "x": [x[0], x[-1]], "y": [value / 86400] * 2, "mode": "lines", "name": name,
             "yaxis": "y2", "line": {"color": "#2ca02c", "dash": "dot"}, "hoverinfo": "name"}]


def trend_figure(p: dict[str, Any], lang: str, target: tuple[str, float] | None = None) -> dict[str, Any]:
    """Cases started per month (bars) and the median throughput time of the cases completed in each month
    (line; months with too few completions, ``flowmine.analytics.thin_periods``, are left out and say so),
    for the filters. The values are the profile's ``periods`` as they are. A plain figure dict: pages send
    figures as they are, without building a validated ``go.Figure``."""
    periods = p.get("periods") or []
    median = timed(label("throughput_time", lang, stat="median"), p.get("time"), lang)  # the profile's own time
    x = [row.get("period") for row in periods]
    need, thin = thin_periods(periods)
    med = [row.get("throughput_time_median_s") for row in periods]
    days = [None if is_thin or m is None else m / 86400 for m, is_thin in zip(med, thin, strict=True)]
    hover = [f"{month_label(row.get('period'), lang)}: {duration(row.get('throughput_time_median_s'), lang)} · "
             f"{number(row.get('completions') or 0)} {t('completed_cases', lang)}" for row in periods]
    layout: dict[str, Any] = {
        "title": {"text": t("trend", lang).format(metric=median.lower() if lang == "en" else median)},
        "height": 340, "margin": {"l": 60, "r": 40, "t": 40, "b": 60},
        # the line's axis overlays the bars' axis, so the line is drawn on top of the bars
        "yaxis": {"side": "right", "showgrid": False, "title": {"text": label("cases", lang)}, "rangemode": "tozero"},
        "yaxis2": {"overlaying": "y", "side": "left", "title": {"text": "d" if lang == "en" else "天"},
                   "rangemode": "tozero", "tickformat": ".1f", "automargin": True},
        "xaxis": month_ticks(x, lang), "legend": {"orientation": "h", "y": -0.2}}
    if any(thin):
        layout["annotations"] = [{"text": t("trend_thin", lang).format(n=need), "showarrow": False,
                                  "xref": "paper", "yref": "paper", "x": 0, "y": 1.0, "xanchor": "left",
                                  "yanchor": "bottom", "font": {"size": 11, "color": "#666"}}]
    months = [str(v or "")[:7] for v in x]  # what a click filters on: that month's cases
    return {"data": [
        {"type": "bar", "x": x, "y": [row.get("arrivals") or 0 for row in periods], "name": label("arrivals", lang),
         "marker": {"color": "#c9d6e3"}, "customdata": months},
        {"type": "scatter", "x": x, "y": days, "mode": "lines+markers", "customdata": months,
         "name": t("tt_median_done", lang).format(metric=median),
         "yaxis": "y2", "marker": {"color": "#0b3954"}, "connectgaps": False, "text": hover, "hoverinfo": "text"},
        *target_trace(x, target, lang),
    ], "layout": layout}


def _target(target: tuple[str, float] | None, lang: str, fmt: Any) -> str | None:
    """A card's target line, from ``targets``: (direction, value in the KPI's unit)."""
    if target is None:
        return None
    direction, value = target
    return f"{t('target', lang)} {'≤' if direction == 'lower' else '≥'} {fmt(value)}"


#: The look of a KPI status: a word with an icon (for colour-blind readers) and a colour.
STATUS_STYLE = {"met": "#1b7f3b", "missed": "#b3261e", "none": "#7b8794"}


def status_badge(cid: str, value: float | None, target: tuple[str, float] | None, lang: str) -> html.Div:
    """Met / missed / no target, as a word with an icon and a colour (``_numbers.status``)."""
    st = status(value, target)
    return html.Div(t(f"kpi_{st}", lang), id=f"{cid}-status", className=f"fm-status fm-status-{st}",
                    style={"color": STATUS_STYLE[st], "fontSize": "12px", "fontWeight": 600})


def delta_text(metric_key: str, now: float | None, before: float | None, lang: str) -> str | None:
    """The change against the previous period in the KPI's unit (shares in percentage points)."""
    if now is None or before is None:
        return None
    d = float(now) - float(before)
    sign = "+" if d > 0 else ("−" if d < 0 else "±")
    if metric_key == "throughput_time":
        return f"{sign}{duration(abs(d), lang)}"
    if metric_key == "rule_violation_rate":
        return f"{sign}{abs(d) * 100:.1f} {t('pp', lang)}"
    if metric_key == "fitness":
        return f"{sign}{abs(d):.3f}"
    return f"{sign}{number(abs(d), 2)}"


def delta_line(cid: str, metric_key: str, now: float | None, prev: dict[str, float | None],
               window: tuple[str, str] | None, lang: str) -> html.Div | None:
    """The card's previous-period line (None without a window to compare)."""
    if window is None:
        return None
    before = prev.get(metric_key) if prev.get("cases") else None
    d = delta_text(metric_key, now, before, lang)
    text = (t("kpi_prev", lang).format(delta=d, start=window[0], end=window[1]) if d is not None
            else t("kpi_prev_none", lang).format(start=window[0], end=window[1]))
    return html.Div(text, id=f"{cid}-delta", className="fm-card-delta", style={"fontSize": "11px"})


def kpi_card(name: str, shown: str, cid: str, metric_key: str, value: float | None, ctx: dict[str, Any],
             fmt: Any) -> html.Div:
    """A KPI card: its value, its status against the target, its target and the previous period's change."""
    lang, target = ctx["lang"], ctx["targets"].get(metric_key)
    parts = [status_badge(cid, value, target, lang)]
    line = delta_line(cid, metric_key, value, ctx["prev"], ctx["window"], lang)
    if line is not None:
        parts.append(line)
    return card(name, shown, cid, _target(target, lang, fmt), status=html.Div(parts))


def layout(store: Store, f: Filters) -> Any:
    p = process_profile(store, f)
    k = kpis(p, case_cost(store, f))
    lang = f.lang
    tg = targets(f.process, f.time) if f.process else {}
    if not k["cases"]:
        return html.P(t("no_data", lang), id="ov-empty")
    window, prev = previous_values(store, f)
    ctx = {"lang": lang, "targets": tg, "prev": prev, "window": window}
    quality = metric(store, f, "quality", "log")
    fpy = float(quality["first_pass_yield"].iloc[0]) if len(quality) else None
    cost = money(k["cost_case"], k["currency"])
    cards = html.Div([
        card(label("cases", lang), number(k["cases"]), "ov-cases"),
        card(label("events", lang), number(k["events"]), "ov-events"),
        card(label("variants", lang), number(k["variants"]), "ov-variants"),
        kpi_card(timed(label("throughput_time", lang, stat="median"), f.time, lang), duration(k["tt_median"], lang),
                 "ov-tt-median", "throughput_time", k["tt_median"], ctx, lambda v: duration(v, lang)),
        card(timed(label("throughput_time", lang, stat="p90"), f.time, lang), duration(k["tt_p90"], lang),
             "ov-tt-p90"),
        kpi_card(label("cost_per_case", lang, stat="mean"), cost, "ov-cost", "cost_per_case", k["cost_case"], ctx,
                 lambda v: number(v, 2)),
        card(label("first_pass_yield", lang), percent(fpy), "ov-fpy"),
        card(t("rework_share", lang), f"{k['rework_steps']} / {k['steps']}", "ov-rework"),
        card(t("top_bottleneck", lang), labeller(f.process, lang)(k["top_bottleneck"] or "–"), "ov-bottleneck"),
    ], className="fm-cards")
    c = conformance(store, f.process, f) if f.process else None
    if c is not None and c["cases"]:
        broken = sum(1 for r in c["rules"] if r["violating_cases"])
        cards.children += [
            kpi_card(label("fitness", lang), ratio(c["fitness"]), "ov-fitness", "fitness", c["fitness"], ctx,
                     lambda v: f"{v:.2f}"),
            kpi_card(label("rule_violation_rate", lang), percent(c.get("rule_violation_rate")), "ov-violations",
                     "rule_violation_rate", c.get("rule_violation_rate"), ctx, percent),
            card(t("rules_broken", lang), f"{broken} / {len(c['rules'])}", "ov-rules"),
        ]
    note = html.P(t("kpi_prev_hint", lang) if window is None else "", id="ov-compare-hint",
                  className="fm-card-hint")
    return html.Div([cards, note, dcc.Graph(id="ov-trend", figure=trend_figure(p, lang, tg.get("throughput_time")),
                                                config=plotly_config(lang))])


def month_window(f: Filters, month: str) -> Filters:
    """The filters with the time frame set to one whole month (``YYYY-MM``)."""
    year, mon = int(month[:4]), int(month[5:7])
    last = calendar.monthrange(year, mon)[1]
    return replace(f, start=f"{month}-01", end=f"{month}-{last:02d}", refused=())


def register(app: Dash, store: Store) -> None:
    @app.callback(Output("url", "search", allow_duplicate=True), Input("ov-trend", "clickData"),
                  State("url", "search"), prevent_initial_call=True)
    def on_month(click: Any, search: Any) -> Any:
        """A click on a month of the trend sets the time frame to that month (one the trend drew)."""
        if not (search is None or isinstance(search, str)):
            return no_update
        month = clicked_name(click)
        f = filters_of(store, search)
        if f.process is None or month is None:
            return no_update
        drawn = {str(row.get("period") or "")[:7] for row in process_profile(store, f).get("periods") or []}
        return month_window(f, month).query() if month in drawn else no_update
