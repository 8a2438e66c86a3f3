"""Dashboard logic without a browser: URL filters are checked, formats are human, KPIs equal the API's."""

from __future__ import annotations

import pytest

from flowmine.dashboard._data import kpis
from flowmine.dashboard._i18n import LABELS, duration, label, t
from flowmine.dashboard._security import check_host
from flowmine.dashboard._state import Filters, Offer, parse, with_changes
from flowmine.errors import DashboardError

PROCESSES = ["finance", "sales"]


def test_url_filters_round_trip_and_forged_values_are_refused():
    f = parse("?process=sales&from=2025-01-01&to=2025-02-01&lang=zh", PROCESSES)
    assert (f.process, f.start, f.end, f.lang, f.refused) == ("sales", "2025-01-01", "2025-02-01", "zh", ())
    assert parse(f.query(), PROCESSES) == f
    bad = parse("?process=../../etc/passwd&lang=fr&from=yesterday", PROCESSES)
    # an unknown process is not replaced by another one: no process, and the shell says so
    assert bad.process is None and bad.unknown_process and bad.lang == "en" and bad.start is None
    assert set(bad.refused) == {"process=../../etc/passwd", "lang=fr", "from=yesterday"}


def test_control_changes_must_be_offered_values():
    f = Filters(process="finance")
    assert with_changes(f, PROCESSES, process="sales").process == "sales"
    with pytest.raises(ValueError):
        with_changes(f, PROCESSES, process="../../etc/passwd")
    with pytest.raises(ValueError):
        with_changes(f, PROCESSES, lang="xx")
    with pytest.raises(ValueError):
        with_changes(f, PROCESSES, start="not a date")


@pytest.mark.parametrize("seconds, en, zh", [(45, "45 s", "45秒"), (720, "12 min", "12分钟"),
                                              (19800, "5.5 h", "5.5小时"), (276480, "3.2 d", "3.2天"),
                                              (None, "–", "–")])
def test_durations_for_humans(seconds, en, zh):
    assert duration(seconds, "en") == en and duration(seconds, "zh") == zh


def test_every_label_has_both_languages():
    assert all(set(v) == {"en", "zh"} and all(v.values()) for v in LABELS.values())
    assert t("overview", "zh") == "总览" and label("cases", "zh") == "案例数"


def test_kpis_are_the_profile_numbers():
    p = {"cases": 4, "events": 10, "variants": 2, "throughput_time_s": {"median": 60.0, "p90": 90.0},
         "activities": [{"cost_total": 10.0, "cost_currency": "CNY", "rework_rate": 0.5},
                        {"cost_total": 6.0, "cost_currency": "CNY", "rework_rate": 0.0}],
         "bottlenecks": [{"name": "Approve"}]}
    k = kpis(p, {"value": 4.0, "currency": "CNY", "cases": 4})  # analytics.cost_per_case (the monitor's)
    assert (k["cost_case"], k["currency"], k["rework_steps"], k["top_bottleneck"]) == (4.0, "CNY", 1, "Approve")


def test_only_loopback_without_authentication():
    check_host("127.0.0.1")
    with pytest.raises(DashboardError, match="refusing to listen"):
        check_host("0.0.0.0")


def test_concurrent_requests_for_one_key_compute_once():
    import threading
    import time

    from flowmine.dashboard._data import single_flight

    calls = []

    @single_flight(maxsize=2)
    def slow(x):
        calls.append(x)
        time.sleep(0.2)
        return x * 2

    results = []
    threads = [threading.Thread(target=lambda: results.append(slow(21))) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == [42] * 8 and calls == [21]
    slow(1), slow(2), slow(3)  # LRU bound: the oldest key is evicted
    assert list(slow.cache) == [(2,), (3,)]


OFFER = Offer(attributes={"case:region": ["East", "West"], "case:channel": ["web"]},
              variants=("A → B", "A → C → B"), conformance=True)


def offer_of(process):
    return OFFER if process == "finance" else Offer()


def test_attribute_variant_and_conformance_filters_round_trip():
    q = "?process=finance&attr=case:region&val=West&val=East&variant=A+%E2%86%92+B&fit=no"
    f = parse(q, PROCESSES, offer_of)
    assert (f.attr, f.values, f.variant, f.fit, f.refused) == ("case:region", ("West", "East"), "A → B", "no", ())
    assert parse(f.query(), PROCESSES, offer_of) == f
    assert f.filtered and not Filters(process="finance").filtered


def test_forged_attribute_values_variants_and_fit_are_refused():
    f = parse("?process=finance&attr=case:region&val=North&val=East&variant=X&fit=maybe", PROCESSES, offer_of)
    assert (f.attr, f.values, f.variant, f.fit) == ("case:region", ("East",), None, None)
    assert set(f.refused) == {"val=North", "variant=X", "fit=maybe"}
    g = parse("?process=finance&attr=../../etc/passwd&val=East", PROCESSES, offer_of)
    assert (g.attr, g.values, g.refused) == (None, (), ("attr=../../etc/passwd",))
    h = parse("?process=sales&fit=yes&variant=A+%E2%86%92+B", PROCESSES, offer_of)  # sales offers neither
    assert (h.fit, h.variant) == (None, None) and len(h.refused) == 2


def test_filter_bar_changes_are_checked_against_the_offer():
    f = Filters(process="finance")
    g = with_changes(f, PROCESSES, offer_of, attr="case:region", values=("East",), variant="A → C → B", fit="yes")
    assert (g.attr, g.values, g.variant, g.fit) == ("case:region", ("East",), "A → C → B", "yes")
    assert with_changes(g, PROCESSES, offer_of, attr="case:channel").values == ()  # another attribute: reset
    assert not with_changes(g, PROCESSES, offer_of, process="sales").filtered  # another process: filters reset
    for bad in ({"attr": "case:secret"}, {"values": ("North",)}, {"variant": "B → A"}, {"fit": "maybe"},
                {"values": (1,)}):
        with pytest.raises(ValueError):
            with_changes(g, PROCESSES, offer_of, **bad)


def test_chinese_labels_come_from_the_process_configuration():
    from flowmine.dashboard._data import labeller

    zh = labeller("procurement", "zh")
    assert zh("Payment") == "付款"
    assert zh("Goods receipt → Payment") == "物料采购与入库 → 付款"
    assert zh("<script>x</script>") == "<script>x</script>"  # unknown names unchanged (shown as text)
    assert labeller("procurement", "en")("Payment") == "Payment"
    assert labeller("no such process", "zh")("Payment") == "Payment"


def test_map_click_is_checked():
    from flowmine.dashboard.pages.processmap import clicked_step

    assert clicked_step({"points": [{"customdata": ["Payment", 12]}]}) == "Payment"
    for forged in (None, {}, {"points": []}, {"points": [{"customdata": [1, 2]}]}, {"points": [{"customdata": "x"}]}):
        assert clicked_step(forged) is None


def test_overview_cards_are_the_api_numbers(tmp_path):
    from pathlib import Path

    from flowmine import Store
    from flowmine.analytics import CaseFilter, quality, stored
    from flowmine.conformance import check
    from flowmine.dashboard._i18n import percent
    from flowmine.dashboard.pages import overview

    samples = Path(__file__).resolve().parents[1] / "sample_logs"
    st = Store(tmp_path / "store")
    st.ingest("finance", [str(samples / "finance_claims.csv")], mapping=samples / "finance_claims.mapping.toml")

    def text(component, cid):
        if getattr(component, "id", None) == cid:
            return component.children
        kids = getattr(component, "children", None)
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            found = text(kid, cid)
            if found is not None:
                return found
        return None

    f = Filters(process="finance", start="2025-03-01", end="2025-03-31")
    page = overview.layout(st, f)
    flt = CaseFilter(started=("2025-03-01T00:00:00+00:00", "2025-04-01T00:00:00+00:00"))
    fpy = quality(stored(st, "finance").where(flt), level="log")["first_pass_yield"].iloc[0]
    assert text(page, "ov-fpy") == percent(fpy)
    rate = check(st, "finance", filters=flt).rule_violation_rate
    assert text(page, "ov-violations") == percent(rate)


def test_every_page_figure_is_a_valid_plotly_figure(tmp_path):
    """Pages send figures as plain dicts (no validated ``go.Figure`` per request): plotly's validation
    must still accept every one of them, in both languages, and each must draw something."""
    import importlib
    from pathlib import Path

    import plotly.graph_objects as go

    from flowmine import Store

    samples = Path(__file__).resolve().parents[1] / "sample_logs"
    st = Store(tmp_path / "store")
    st.ingest("finance", [str(samples / "finance_claims.csv")], mapping=samples / "finance_claims.mapping.toml")

    def graphs(component):
        if type(component).__name__ == "Graph":
            yield component.figure
        kids = getattr(component, "children", None)
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            yield from graphs(kid)

    seen = 0
    for name in ("overview", "processmap", "bottlenecks", "conformance", "resources", "cases"):
        page = importlib.import_module(f"flowmine.dashboard.pages.{name}")
        for lang in ("en", "zh"):
            for fig in graphs(page.layout(st, Filters(process="finance", lang=lang))):
                if fig is None:
                    continue
                checked = go.Figure(fig)  # raises ValueError on any property plotly does not know
                assert len(checked.data) > 0, name
                seen += 1
    assert seen >= 10  # overview trend, map, bottlenecks, deviations, handovers: both languages


def test_trend_leaves_out_months_with_a_few_stragglers():
    """The first and last months of a log hold a few cases that started or ended outside it: their median
    is not drawn (and the chart says why); every other month shows the profile's number as it is."""
    from flowmine.analytics import thin_periods as thin_months
    from flowmine.dashboard.pages.overview import trend_figure

    done = [3, 100, 120, 110, 2]
    periods = [{"period": f"2025-0{i + 1}-01", "arrivals": 50, "completions": n,
                "throughput_time_median_s": 86400.0 * (i + 1)} for i, n in enumerate(done)]
    assert thin_months(periods) == (10, [True, False, False, False, True])  # 10% of the typical month (100)
    fig = trend_figure({"periods": periods}, "en")
    assert fig["data"][1]["y"] == [None, 2.0, 3.0, 4.0, None]
    assert "fewer than 10 completed cases" in fig["layout"]["annotations"][0]["text"]
    assert "2 completed cases" in fig["data"][1]["text"][4]
    steady = [dict(row, completions=100) for row in periods]
    assert "annotations" not in trend_figure({"periods": steady}, "zh")["layout"]
    assert thin_months([{"completions": 2}, {"completions": 0}]) == (5, [True, True])
