"""The filter bar of the shell: its layout, what it shows for the URL's filters, and what a change sends
back to the URL (every value checked in ``_state`` against what the bar offered).

Time frame (presets, dates typed or picked, the calendar on the data's span, the time zone),
attribute and values, variant (with case counts, the full text on hover), contains step, transition
(B directly after A), start and end step, case duration (hours in the bar, seconds in the URL),
conformance; elapsed or business time (business time offered only when the process configuration has
a working calendar; else disabled, its tooltip says why); below, the active filters as removable chips
with "clear all", the saved views and the offline report. Chips, "clear all" and presets are plain links
to the URL without them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from dash import dcc, html

from flowmine.dashboard import _state
from flowmine.dashboard._i18n import duration, t
from flowmine.errors import OptionError

#: Characters of a variant shown in its option (the whole text is on hover and searchable).
VARIANT_WIDTH = 90


def dropdown(cid: str, width: int = 180, **kw: Any) -> dcc.Dropdown:
    return dcc.Dropdown(id=cid, clearable=True, style={"minWidth": width}, **kw)


def filter_bar() -> list[Any]:
    """The shell's filter rows (their values and labels are set by :func:`controls`)."""
    lang = dcc.RadioItems(id="flt-lang", options=[{"label": "English", "value": "en"},
                                                   {"label": "中文", "value": "zh"}], inline=True)
    time_row = html.Div([
        html.Label(id="lbl-process"), dcc.Dropdown(id="flt-process", clearable=False, style={"width": 220}),
        html.Label(id="lbl-period"), html.Span(id="flt-presets", className="fm-presets"),
        dcc.Graph(id="flt-hist", config={"displayModeBar": False}, style={"width": 240, "height": 56}),
        dcc.DatePickerRange(id="flt-dates", display_format="YYYY-MM-DD", updatemode="singledate", clearable=True),
        dcc.Dropdown(id="flt-frame", clearable=False, searchable=False, style={"width": 150}),
        html.Label(id="lbl-zone"), dcc.Dropdown(id="flt-tz", clearable=False, style={"width": 170}),
        html.Span([html.Label(id="lbl-time"), dcc.RadioItems(id="flt-time", inline=True)], id="flt-time-box"),
        html.Label(id="lbl-lang"), lang,
    ], className="fm-filters")
    case_row = html.Div([
        html.Label(id="lbl-attr"), dropdown("flt-attr"), dropdown("flt-values", multi=True),
        html.Label(id="lbl-variant"), dropdown("flt-variant", 320, optionHeight=50),
        html.Label(id="lbl-has"), dropdown("flt-has", 200, multi=True),
        html.Label(id="lbl-df"), dropdown("flt-df", 260),
        html.Label(id="lbl-first"), dropdown("flt-first"), html.Label(id="lbl-last"), dropdown("flt-last"),
        html.Label(id="lbl-num"), dropdown("flt-num", 160),
        dcc.Input(id="flt-num-min", type="number", debounce=True, style={"width": 90}),
        dcc.Input(id="flt-num-max", type="number", debounce=True, style={"width": 90}),
        html.Label(id="lbl-dur"),
        dcc.Input(id="flt-dur-min", type="number", min=0, debounce=True, style={"width": 80}),
        dcc.Input(id="flt-dur-max", type="number", min=0, debounce=True, style={"width": 80}),
        html.Label(id="lbl-fit"), dcc.RadioItems(id="flt-fit", inline=True),
    ], className="fm-filters")
    more_row = html.Div([
        html.Label(id="lbl-not"), dropdown("flt-not", 200, multi=True),
        html.Label(id="lbl-rework"), dropdown("flt-rework"),
        html.Label(id="lbl-top"), dcc.Input(id="flt-top", type="number", min=1, step=1, debounce=True,
                                            style={"width": 70}),
        html.Label(id="lbl-size"),
        dcc.Input(id="flt-size-min", type="number", min=1, step=1, debounce=True, style={"width": 70}),
        dcc.Input(id="flt-size-max", type="number", min=1, step=1, debounce=True, style={"width": 70}),
    ], className="fm-filters")
    return [time_row, case_row, more_row, html.Div(id="shell-chips", className="fm-chips")]


def options(values: Sequence[str], shown: Callable[[str], str] = str) -> list[dict[str, Any]]:
    """Dropdown options; labels are text (never markup)."""
    return [{"label": shown(v), "value": v, "search": shown(v)} for v in values]


def variant_options(off: _state.Offer, shown: Callable[[str], str], lang: str) -> list[dict[str, Any]]:
    """Variants with their case counts; long ones shortened for the eye, the whole text on hover."""
    out = []
    for v in off.variants:
        full = shown(v)
        short = full if len(full) <= VARIANT_WIDTH else full[:VARIANT_WIDTH - 1] + "…"
        count = t("n_cases", lang).format(n=f"{off.variant_cases.get(v, 0):,}")
        out.append({"label": html.Span(f"{count} · {short}", title=f"{count} · {full}"), "value": v,
                    "search": full})
    return out


def dropdown_labels(lang: str) -> dict[str, str]:
    keys = {"select_all": "dd_select_all", "deselect_all": "dd_deselect_all", "selected_count": "dd_selected",
            "search": "dd_search", "clear_search": "dd_clear_search", "clear_selection": "dd_clear",
            "no_options_found": "dd_none"}
    return {k: t(v, lang) for k, v in keys.items()}


def _bound_hint(sign: str, off: _state.Offer, num: str | None, i: int) -> str:
    return f"{sign} {off.numeric[num][i]:g}" if num is not None and num in off.numeric else ""


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 4)


def to_seconds(hours: Any) -> float | None:
    """The duration box's hours as whole seconds (None when empty); OptionError for anything else."""
    if hours is None or hours == "":
        return None
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        raise OptionError(f"duration {hours!r} is not a number of hours")
    return float(round(float(hours) * 3600))


def presets(path: str, f: _state.Filters, off: _state.Offer) -> list[Any]:
    """The time-frame presets as links (counted back from the data's last case start)."""
    if off.span is None:
        return []
    links = []
    for name in _state.PRESETS:
        start, end = _state.preset(off, name)
        text = t(f"preset_{name}", f.lang).format(year=off.span[1][:4])
        links.append(dcc.Link(text, href=path + replace(f, start=start, end=end).query(), className="fm-preset",
                              title=t("presets_hint", f.lang).format(day=off.span[1])))
    return links


def histogram(starts: Any, f: _state.Filters) -> dict[str, Any]:
    """A small bar chart of the cases started per period (``starts``: period, arrivals), the chosen time
    frame shaded; no axis labels (nothing to translate), the counts on hover. A plain figure dict (the
    shell draws it on every page: building a validated ``go.Figure`` would cost ~30 ms each time)."""
    data: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    if starts is not None and len(starts):
        days = [p.date().isoformat() for p in starts["period"]]
        data.append({"type": "bar", "x": days, "y": starts["arrivals"].tolist(), "marker": {"color": "#829ab1"},
                     "hovertemplate": "%{x}: " + t("n_cases", f.lang).format(n="%{y:,}") + "<extra></extra>"})
        if f.start or f.end:
            shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": f.start or days[0],
                           "x1": f.end or days[-1], "y0": 0, "y1": 1, "fillcolor": "#0b3954", "opacity": 0.2,
                           "line": {"width": 0}, "layer": "above"})
    layout = {"margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 56, "width": 240, "bargap": 0.05,
              "xaxis": {"visible": False, "type": "date", "hoverformat": "%Y-%m-%d"}, "yaxis": {"visible": False},
              "shapes": shapes,
              "plot_bgcolor": "rgba(0,0,0,0)", "paper_bgcolor": "rgba(0,0,0,0)", "showlegend": False}
    return {"data": data, "layout": layout}


def chips(path: str, f: _state.Filters, shown: Callable[[str], str]) -> list[Any]:
    """The active filters, each a removable chip (a link to the URL without it), and "clear all"."""
    active = f.active()
    if not active:
        return []
    out: list[Any] = [html.Span(t("active_filters", f.lang) + ":", className="fm-chips-label")]
    for key, value, without in active:
        text = value if key in ("from", "attr", "num") else shown(value)
        if key == "from" and f.frame:
            text = f"{t('frame_' + f.frame, f.lang)} {value}"
        if key == "dur":
            text = " – ".join("…" if v is None else duration(v, f.lang) for v in (f.dur_min, f.dur_max))
        elif key == "fit":
            text = t(f"fit_{value}", f.lang)
        elif key in ("not", "rework"):
            text = t(f"chip_{key}", f.lang).format(step=shown(value))
        elif key in ("top", "size"):
            text = t(f"chip_{key}", f.lang).format(n=value)
        out.append(dcc.Link(f"{text} ✕", href=path + without.query(), className="fm-chip",
                            title=t("remove_filter", f.lang), id={"type": "chip", "key": f"{key}:{value}"[:120]}))
    out.append(dcc.Link(t("clear_all", f.lang), href=path + f.cleared().query(), id="clear-all",
                        className="fm-clear"))
    return out


def controls(f: _state.Filters, off: _state.Offer, shown: Callable[[str], str]) -> dict[str, Any]:
    """What every filter control shows for the filters: values, options, labels and placeholders."""
    lang = f.lang
    lo, hi = off.date_bounds()
    fit_opts = ([{"label": t("fit_all", lang), "value": ""}, {"label": t("fit_yes", lang), "value": "yes"},
                 {"label": t("fit_no", lang), "value": "no"}] if off.conformance else [])
    steps = options(off.activities, shown)
    zone = f.tz or off.zone
    out: dict[str, Any] = {
        "flt-dates.start_date": f.start, "flt-dates.end_date": f.end,
        "flt-dates.min_date_allowed": lo, "flt-dates.max_date_allowed": hi,
        "flt-dates.initial_visible_month": f.start or (off.span[0] if off.span else None),
        "flt-dates.start_date_placeholder_text": t("date_from", lang),
        "flt-dates.end_date_placeholder_text": t("date_to", lang),
        "flt-frame.options": [{"label": t(f"frame_{m}", lang), "value": m} for m in _state.FRAMES],
        "flt-frame.value": f.frame or "started",
        "flt-tz.options": options(off.zones()), "flt-tz.value": zone, "flt-lang.value": lang,
        "flt-attr.options": [{"label": a.removeprefix("case:"), "value": a, "search": a.removeprefix("case:")}
                             for a in sorted(off.attributes)],
        "flt-attr.value": f.attr, "flt-values.options": options(off.attributes.get(f.attr or "", ())),
        "flt-values.value": list(f.values), "flt-variant.options": variant_options(off, shown, lang),
        "flt-variant.value": f.variant, "flt-has.options": steps, "flt-has.value": list(f.has),
        "flt-df.options": options(off.edges, shown), "flt-df.value": f.df,
        "flt-first.options": steps, "flt-first.value": f.first, "flt-last.options": steps, "flt-last.value": f.last,
        "flt-dur-min.value": _hours(f.dur_min), "flt-dur-max.value": _hours(f.dur_max),
        "flt-dur-min.placeholder": t("dur_min", lang), "flt-dur-max.placeholder": t("dur_max", lang),
        "flt-fit.options": fit_opts, "flt-fit.value": f.fit or "",
        "flt-num.options": [{"label": a.removeprefix("case:"), "value": a, "search": a.removeprefix("case:")}
                            for a in sorted(off.numeric)],
        "flt-num.value": f.num, "flt-num-min.value": f.num_min, "flt-num-max.value": f.num_max,
        "flt-num-min.placeholder": _bound_hint("≥", off, f.num, 0),
        "flt-num-max.placeholder": _bound_hint("≤", off, f.num, 1),
        "flt-not.options": steps, "flt-not.value": list(f.not_has), "flt-rework.options": steps,
        "flt-rework.value": f.rework, "flt-top.value": f.top,
        "flt-top.max": max(len(off.variant_cases), len(off.variants), 1),
        "flt-size-min.value": f.size_min, "flt-size-max.value": f.size_max,
        "flt-size-min.placeholder": t("dur_min", lang), "flt-size-max.placeholder": t("dur_max", lang),
        **time_switch(f, off),
    }
    labels = {"process": "process", "period": "period", "zone": "zone", "lang": "language", "attr": "attribute",
              "variant": "variant_filter", "has": "has_filter", "df": "df_filter", "first": "first_filter",
              "last": "last_filter", "dur": "dur_filter", "num": "num_filter", "not": "not_filter",
              "rework": "rework_filter", "top": "top_filter", "size": "size_filter"}
    out.update({f"lbl-{k}.children": t(v, lang) for k, v in labels.items()})
    out["lbl-period.children"] = f"{t('period', lang)} ({zone})"
    out["lbl-fit.children"] = t("fit_filter", lang) if off.conformance else ""
    for cid in ("flt-attr", "flt-values", "flt-variant", "flt-has", "flt-df", "flt-first", "flt-last", "flt-num",
                "flt-not", "flt-rework"):
        out[f"{cid}.placeholder"] = t("choose", lang)
        out[f"{cid}.labels"] = dropdown_labels(lang)
    out["flt-process.labels"] = out["flt-tz.labels"] = out["flt-frame.labels"] = dropdown_labels(lang)
    return out


def time_switch(f: _state.Filters, off: _state.Offer) -> dict[str, Any]:
    """The elapsed / business time switch: business time disabled without a working calendar, the
    tooltip saying why (or which calendar business time counts)."""
    lang = f.lang
    text = off.calendar_text[1 if lang == "zh" else 0]
    return {"lbl-time.children": t("time_basis", lang),
            "flt-time.options": [{"label": t("time_elapsed", lang), "value": "elapsed"},
                                 {"label": t("time_business", lang), "value": "business",
                                  "disabled": not off.calendar}],
            "flt-time.value": f.time or "elapsed",
            "flt-time-box.title": t("time_hint", lang).format(calendar=text) if off.calendar
            else t("time_no_calendar", lang)}


#: The controls' properties the shell sets, in a fixed order (the render callback's outputs).
CONTROL_PROPS = tuple(controls(_state.Filters(), _state.NO_OFFER, str))
