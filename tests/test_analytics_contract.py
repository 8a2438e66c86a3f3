"""The contract over every metric, generated from the registry (``flowmine.analytics.METRICS``).

As scikit-learn's ``parametrize_with_checks`` runs its estimator checks on every estimator, every
check below runs on every registered metric × level: the declared columns in the declared types
(``COLUMN_TYPES``) on the 3-case hand-computed log, its Arrow table, its empty log, a stored log and a
filtered stored log; the input untouched; the filtered stored log equal to the same filter applied to
the log in memory; the exact hand-computed answer; the profile's fields equal to the metric on both
of its engines (DuckDB SQL and the compiled passes) where the registry says the profile carries them;
the declared options equal to the function's parameters. A metric added to the registry is checked
without a line here, except its hand-computed answer (``HAND``), which a check requires.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import flowmine.analytics as fa
from flowmine.analytics import COLUMN_TYPES, COLUMNS, METRICS, AnalyticsError, CaseFilter, Metric, metric, profile
from tests.test_analytics import log as _log_fixture  # the hand-computed log

log = _log_fixture


# --- how a metric is called in the contract --------------------------------------------------------

def _top_step(data: Any) -> str:
    top = fa.bottlenecks(data, kind="activity", n_boot=0)
    return str(top["name"].iloc[0]) if len(top) else "none"


#: Values for the parameters a metric needs (``Metric.needs``), picked from the log.
NEEDS: dict[str, Callable[[Any], Any]] = {"name": _top_step}
#: Cheaper or log-fitting values of options than the defaults (the hand log spans one day).
CHEAP: dict[str, dict[str, Any]] = {"bottlenecks": {"n_boot": 20}, "flow": {"by": "day"}}


def call(name: str, level: str, data: Any, **options: Any) -> pd.DataFrame:
    m = metric(name)
    args = {need: NEEDS[need](data) for need in m.needs} | CHEAP.get(name, {}) | options
    return m(data, level, **args)


_SEEN: dict[tuple[Any, ...], Any] = {}


def result(m: Metric, level: str, data: Any, label: str, **options: Any) -> pd.DataFrame:
    """``call`` once per function, level, input (``label``) and options: several checks read one frame
    (a planted entry has another declaration, never another function, so it reads the same frame)."""
    key = (m.function, level, label, tuple(sorted(options.items())))
    if key not in _SEEN:
        _SEEN[key] = call(m.name, level, data, **options)
    return _SEEN[key].copy()


CASES = sorted(COLUMNS)


# --- the checks ------------------------------------------------------------------------------------

def _type_ok(series: pd.Series, kind: str) -> bool:
    dtype = series.dtype
    if kind == "int":
        return dtype == np.int64
    if kind == "float":
        return dtype == np.float64
    if kind == "time":
        return isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) in ("UTC", "Etc/UTC")
    if pd.api.types.is_string_dtype(dtype):
        return True
    return pd.api.types.is_object_dtype(dtype) and bool(series.map(  # text, possibly all null
        lambda v: v is None or isinstance(v, str) or v != v).all())


def assert_declared(m: Metric, level: str, frame: pd.DataFrame, where: str) -> None:
    """The frame has exactly the declared columns, in order, each in its declared type."""
    assert tuple(frame.columns) == m.columns(level), f"{m.name}/{level} on {where}: columns"
    wrong = {c: str(frame[c].dtype) for c, kind in m.types(level).items() if not _type_ok(frame[c], kind)}
    assert not wrong, f"{m.name}/{level} on {where}: not of the declared type: {wrong}"


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal frames; rows whose float sort key ties up to the last bit (sums in another order) may swap."""
    keys = [c for c in a.columns if not pd.api.types.is_float_dtype(a[c])]
    if keys:
        a, b = (x.sort_values(keys, kind="stable").reset_index(drop=True) for x in (a, b))
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


def check_declared_columns_and_input_untouched(m: Metric, level: str, logs: Logs) -> None:
    before = logs.hand.copy(deep=True)
    frame = call(m.name, level, logs.hand)
    _SEEN[(m.function, level, "hand", ())] = frame.copy()
    assert_declared(m, level, frame, "the hand log")
    assert len(frame) > 0
    pd.testing.assert_frame_equal(logs.hand, before)


def check_empty_log(m: Metric, level: str, logs: Logs) -> None:
    frame = result(m, level, logs.hand.iloc[0:0], "empty")
    assert_declared(m, level, frame, "the empty log")
    assert len(frame) <= 1  # log-level metrics: one row of counts 0


def check_arrow_input_gives_the_same_frame(m: Metric, level: str, logs: Logs) -> None:
    pd.testing.assert_frame_equal(call(m.name, level, pa.Table.from_pandas(logs.hand, preserve_index=False)),
                                  result(m, level, logs.hand, "hand"))


def check_stored_and_filtered_stored_log(m: Metric, level: str, logs: Logs) -> None:
    """On a stored log, and on its filtered stored log (not held) equal to the filter applied in memory."""
    whole = result(m, level, logs.stored, "stored")
    assert_declared(m, level, whole, "a stored log")
    assert len(whole) > 0
    got = call(m.name, level, logs.stored.where(logs.filter))
    assert_declared(m, level, got, "a filtered stored log")
    want = call(m.name, level, fa.filter_cases(logs.table, logs.filter))
    same(got, want)
    assert len(got) > 0 and (len(got) <= len(whole) or m.name == "flow")  # a part of the log (flow: its periods)


def check_hand_computed_answer(m: Metric, level: str, logs: Logs) -> None:
    assert (m.name, level) in HAND, f"{m.name}/{level}: add its hand-computed answer to HAND"
    rows, first = HAND[(m.name, level)]
    frame = result(m, level, logs.hand, "hand")
    assert len(frame) == rows
    got = {k: frame[k].iloc[0] for k in first}
    assert got == pytest.approx(first), f"{m.name}/{level}: first row {got} != {first}"


def _field(row: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        row = row[part]
    return row


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    return value.item() if isinstance(value, np.generic) else value


def check_profile_engines_carry_the_metric(m: Metric, level: str, logs: Logs) -> None:
    """Where the profile carries the metric, both of its engines give the metric's numbers."""
    for place in (p for p in m.in_profile if p.level == level):
        for label, data in (("hand", logs.hand), ("stored", logs.stored)):
            frame = result(m, level, data, label, **dict(place.options))
            rows = {tuple(_plain(v) for v in r[list(place.key)]): r for _, r in frame.iterrows()}
            for engine in ("sql", "fast"):
                key = ("profile", label, engine, tuple(sorted(place.options.items())))
                if key not in _SEEN:
                    _SEEN[key] = profile(data, engine=engine, n_boot=20, **dict(place.options))
                prof = _SEEN[key]
                section = [prof] if not place.section else prof[place.section]
                assert section, f"{m.name}/{level}: the profile's {place.section!r} is empty"
                if place.every_row:
                    assert len(section) == len(rows), f"{m.name}/{level}: {engine} profile rows"
                for entry in section:
                    row = rows[tuple(entry[k] for k in place.key)]
                    for field_name, column in place.fields:
                        want, value = _plain(row[column]), _field(entry, field_name)
                        where = f"{m.name}/{level} {engine} {place.section}.{field_name}"
                        assert (want is None) == (value is None), f"{where}: {value!r} != {want!r}"
                        assert want is None or value == pytest.approx(want, rel=1e-9, abs=1e-6), where


def check_options_are_the_functions(m: Metric, level: str, logs: Logs) -> None:
    """Declared options are parameters of the function; each default is allowed; any other value is
    refused with the parameter's name."""
    params = inspect.signature(m.function).parameters
    assert next(iter(params)) == "log"
    defaults = m.defaults()
    assert set(m.needs) == {p for p in list(params)[1:] if p not in defaults}
    for option, allowed in m.allowed().items():
        assert option in params, f"{m.name}: declared option {option!r} is not a parameter"
        assert defaults[option] in allowed, f"{m.name}: the default of {option!r} is not allowed"
        with pytest.raises(AnalyticsError, match=f"'{option}' parameter of {m.name} must be one of"):
            m.function(logs.hand, **{need: NEEDS[need](logs.hand) for need in m.needs}, **{option: "no such value"})


#: Checks of a metric at each of its levels, and once per metric.
LEVEL_CHECKS = (check_declared_columns_and_input_untouched, check_empty_log, check_arrow_input_gives_the_same_frame,
                check_stored_and_filtered_stored_log, check_hand_computed_answer,
                check_profile_engines_carry_the_metric)
METRIC_CHECKS = (check_options_are_the_functions,)


def metric_checks(metrics: list[Metric]) -> Iterator[tuple[Metric, str, Callable[..., None]]]:
    for m in metrics:
        for level in m.levels:
            for check in LEVEL_CHECKS:
                if check is not check_profile_engines_carry_the_metric or any(p.level == level for p in m.in_profile):
                    yield m, level, check
        for check in METRIC_CHECKS:
            yield m, next(iter(m.levels)), check


def parametrize_with_checks(metrics: list[Metric]) -> pytest.MarkDecorator:
    """One test per metric × level × check, named ``metric-level-check``."""
    cases = list(metric_checks(metrics))
    return pytest.mark.parametrize(("m", "level", "check"), cases,
                                   ids=[f"{m.name}-{lv}-{c.__name__.removeprefix('check_')}" for m, lv, c in cases])


# --- the logs --------------------------------------------------------------------------------------

@dataclasses.dataclass
class Logs:
    hand: pd.DataFrame
    stored: fa.StoredLog
    table: pa.Table  # the stored log in memory
    filter: CaseFilter


@pytest.fixture(scope="module")
def stored_log(tmp_path_factory):
    from flowmine.simulate import simulate, write_log
    from flowmine.store import Store

    tmp = tmp_path_factory.mktemp("contract")
    source = write_log(simulate("production", cases=60, seed=1), tmp / "production.parquet", truth=False)
    st = Store(tmp / "store")
    st.ingest("production", [source])
    lg = fa.stored(st, "production")  # starts, resources, roles, costs, quality outcomes, rework
    per_case = fa.throughput_time(lg, level="case")
    flt = CaseFilter(duration_s=(float(per_case["throughput_s"].median()), None))  # the slower half
    return lg, fa.as_table(lg, columns=None), flt


@pytest.fixture
def logs(log, stored_log) -> Logs:
    return Logs(log, *stored_log)


# --- the hand-computed answers (tests/test_analytics.py derives them): rows, first row --------------

HAND: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {
    ("throughput_time", "log"): (1, {"cases": 3, "total_s": 120, "mean_s": 40, "median_s": 50, "p90_s": 58}),
    ("throughput_time", "case"): (3, {"case": "c1", "throughput_s": 60, "instances": 4}),
    ("throughput_time", "variant"): (3, {"variant": "A → B → C → B", "cases": 1, "total_s": 60}),
    ("throughput_time", "period"): (1, {"cases": 3, "total_s": 120, "median_s": 50}),
    ("service_time", "log"): (1, {"instances": 8, "total_s": 113}),
    ("service_time", "case"): (3, {"case": "c2", "instances": 4, "total_s": 68}),
    ("service_time", "activity"): (4, {"activity": "B", "instances": 3, "total_s": 55}),
    ("service_time", "resource"): (4, {"resource": "r2", "instances": 4, "total_s": 65}),
    ("service_time", "role"): (3, {"role": "mgr", "instances": 4, "total_s": 65}),
    ("waiting_time", "log"): (1, {"instances": 6, "total_s": 17}),
    ("waiting_time", "case"): (3, {"case": "c1", "instances": 3, "total_s": 15}),
    ("waiting_time", "activity"): (4, {"activity": "B", "instances": 3, "total_s": 15, "median_s": 5,
                                       "share": 15 / 120}),
    ("waiting_time", "resource"): (4, {"resource": "r2", "total_s": 15}),
    ("waiting_time", "role"): (3, {"role": "mgr", "total_s": 15}),
    ("queue_time", "log"): (1, {"instances": 0}),  # no ready times: unknown, never zero
    ("queue_time", "case"): (3, {"instances": 0}),
    ("queue_time", "activity"): (4, {"instances": 0}),
    ("queue_time", "resource"): (4, {"instances": 0}),
    ("queue_time", "role"): (3, {"instances": 0}),
    ("sojourn_time", "log"): (1, {"instances": 8, "total_s": 100}),
    ("sojourn_time", "case"): (3, {"case": "c1", "instances": 3, "total_s": 50}),
    ("sojourn_time", "activity"): (4, {"activity": "B", "instances": 4, "total_s": 50}),
    ("sojourn_time", "resource"): (4, {"resource": "r2", "total_s": 60}),
    ("sojourn_time", "role"): (3, {"role": "mgr", "total_s": 60}),
    ("directly_follows", "edge"): (5, {"source": "A", "target": "B", "count": 2, "duration_median_s": 2.5}),
    ("variant_stats", "variant"): (3, {"variant": "A → B → C → B", "length": 4, "cases": 1}),
    ("flow", "period"): (1, {"arrivals": 3, "completions": 3, "wip": 0}),
    ("bottlenecks", "activity"): (3, {"rank": 1, "name": "B", "basis": "waiting", "waiting_total_s": 15,
                                      "cases": 2}),
    ("bottlenecks", "edge"): (5, {"rank": 1, "name": "A → C", "waiting_total_s": 10}),
    # two lists: B's 15 s of the steps' 17 s of waiting (not of the 120 s of throughput time)
    ("bottlenecks", "both"): (8, {"rank": 1, "kind": "activity", "name": "B", "share": 15 / 17}),
    ("slowest_cases", "case"): (2, {"case": "c1", "name": "B", "waiting_s": 15, "throughput_s": 60}),
    ("cost", "log"): (2, {"currency": "CNY", "instances": 8, "cost_total": 12.5, "rework_cost": 2.5}),
    ("cost", "case"): (3, {"case": "c1", "cost_total": 8.5}),
    ("cost", "activity"): (7, {"activity": "B", "currency": "CNY", "cost_total": 5.5, "instances": 3}),
    ("cost", "resource"): (4, {"resource": "r2", "cost_total": 8.5}),
    ("cost", "role"): (3, {"role": "mgr", "cost_total": 8.5}),
    ("rework", "log"): (1, {"cases": 3, "cases_with_rework": 1, "executions": 11, "repeated_executions": 1}),
    ("rework", "case"): (3, {"case": "c1", "executions": 4, "repeated_executions": 1, "steps_repeated": 1}),
    ("rework", "activity"): (4, {"activity": "B", "cases": 3, "cases_with_rework": 1, "executions": 4}),
    ("quality", "log"): (1, {"checks": 3, "failed": 1, "first_pass_yield": 2 / 3, "loop_back_share": 1 / 3}),
    ("quality", "activity"): (4, {"activity": "B", "checks": 3, "failed": 1}),
    ("workload", "resource"): (4, {"resource": "r2", "instances": 4, "cases": 2}),
    ("workload", "role"): (3, {"role": "clerk", "instances": 4}),
    ("workload", "activity"): (8, {"activity": "A", "resource": "r1", "instances": 2}),
    ("handovers", "resource"): (3, {"source": "r1", "target": "r2", "count": 2}),
    ("handovers", "role"): (2, {"source": "clerk", "target": "mgr", "count": 2}),
    ("instances", "instance"): (11, {"case": "c1", "activity": "A", "pos": 1, "repetition": 1}),
}


# --- the generated tests ---------------------------------------------------------------------------

@parametrize_with_checks(list(METRICS.values()))
def test_metric(m, level, check, logs):
    check(m, level, logs)


def test_every_public_metric_is_registered():
    assert set(METRICS) == {"throughput_time", "service_time", "waiting_time", "queue_time", "sojourn_time",
                            "directly_follows", "variant_stats", "flow", "bottlenecks", "cost", "rework", "quality",
                            "workload", "handovers", "instances", "slowest_cases"}
    assert all(name in fa.__all__ and METRICS[name].function is getattr(fa, name) for name in METRICS)
    assert set(HAND) == set(COLUMNS)  # every level has its hand-computed answer
    assert {c for cols in COLUMNS.values() for c in cols} == set(COLUMN_TYPES)  # every type declared is used


def test_the_checks_are_generated_for_every_level():
    cases = list(metric_checks(list(METRICS.values())))
    assert len({(m.name, lv) for m, lv, _ in cases}) == len(COLUMNS) == 47
    profiled = sum(1 for _, _, c in cases if c is check_profile_engines_carry_the_metric)
    assert profiled == 9  # throughput (log), four instance times, edges, periods, bottlenecks, rework


@pytest.mark.parametrize(("planted", "check", "message"), [
    (dict(levels={**metric("waiting_time").levels,
                  "activity": ("activity", "instances", "total", "mean_s", "median_s", "p90_s", "min_s", "max_s",
                               "share")}), check_declared_columns_and_input_untouched, "columns"),
    (dict(levels={**metric("waiting_time").levels, "activity": metric("waiting_time").columns("activity")[::-1]}),
     check_stored_and_filtered_stored_log, "columns"),
    (dict(options={"by": ("day",)}, name="waiting_time"), check_options_are_the_functions, "not a parameter"),
])
def test_a_planted_wrong_entry_fails_its_check(planted, check, message, logs):
    wrong = dataclasses.replace(metric("waiting_time"), **planted)
    with pytest.raises(AssertionError, match=message):
        check(wrong, "activity", logs)
    check(metric("waiting_time"), "activity", logs)  # the registered entry passes the same check


def test_a_planted_wrong_column_type_fails(logs, monkeypatch):
    monkeypatch.setitem(COLUMN_TYPES, "total_s", "int")
    with pytest.raises(AssertionError, match=r"not of the declared type: \{'total_s': 'float64'\}"):
        check_declared_columns_and_input_untouched(metric("waiting_time"), "activity", logs)


def test_a_planted_wrong_profile_field_fails(logs):
    m = metric("sojourn_time")
    place = dataclasses.replace(m.in_profile[0], fields=(("waiting_time_median_s", "median_s"),))
    with pytest.raises(AssertionError, match="waiting_time_median_s"):
        check_profile_engines_carry_the_metric(dataclasses.replace(m, in_profile=(place,)), "activity", logs)


def test_an_unknown_metric_or_level_is_named():
    with pytest.raises(AnalyticsError, match="no metric 'cycle_time'; the metrics are"):
        metric("cycle_time")
    with pytest.raises(AnalyticsError, match="'kind' parameter of bottlenecks must be one of"):
        metric("bottlenecks").columns("step")


def test_profile_of_empty_log(log):
    p = fa.profile(log.iloc[0:0], engine="sql")
    assert (p["cases"], p["events"], p["activities"], p["bottlenecks"]) == (0, 0, [], [])


# --- the documentation draws from the registry ---------------------------------------------------

DOCS = Path(__file__).resolve().parents[1] / "docs" / "ANALYTICS.md"
_BEGIN = "<!-- the metrics table: generated from flowmine.analytics.METRICS (tests/test_analytics_contract.py) -->"
_END = "<!-- end of the metrics table -->"


def metrics_table(metrics: list[Metric]) -> str:
    """The Markdown table of every metric: its levels with their columns (levels with the same columns
    together; "+ key" where a level's first column is the level itself, e.g. activity), closed-set
    options with their defaults, required parameters."""
    lines = ["| metric | what it measures | levels: columns | options (default) |", "|---|---|---|---|"]
    for m in metrics:
        groups: dict[tuple[tuple[str, ...], bool], list[str]] = {}
        for lv, cols in m.levels.items():
            keyed = cols[0] == lv and len(m.levels) > 1
            groups.setdefault((cols[1:] if keyed else cols, keyed), []).append(lv)
        levels = "<br>".join(f"**{', '.join(lvs)}**{' + key' if keyed else ''}: {', '.join(cols)}"
                             for (cols, keyed), lvs in groups.items())
        defaults = m.defaults()
        options = [f"`{o}`: {' / '.join(map(str, allowed))} ({defaults[o]})" for o, allowed in m.allowed().items()
                   if len(allowed) > 1]
        options += [f"`{o}` (required)" for o in m.needs]
        lines.append(f"| `{m.name}` | {m.summary} | {levels} | {'<br>'.join(options) or '—'} |")
    return "\n".join(lines)


def test_the_docs_table_is_the_registry():
    text = DOCS.read_text(encoding="utf-8")
    assert _BEGIN in text and _END in text, f"docs/ANALYTICS.md lacks the markers {_BEGIN!r} ... {_END!r}"
    table = text.split(_BEGIN, 1)[1].split(_END, 1)[0].strip()
    expected = metrics_table(list(METRICS.values()))
    assert table == expected, f"docs/ANALYTICS.md's metrics table is not the registry's; it should read:\n{expected}"
