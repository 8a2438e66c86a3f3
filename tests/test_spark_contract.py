"""Contract: every analytics query gives the same result on DuckDB and on Spark (local mode).

Counts and names exact, durations and shares within 1e-9 relative, timestamps to the microsecond,
rows in the same order. Logs: a sample log ingested with its mapping, and a real public log. One
SparkSession (local[2]) serves the whole test session. Without pyspark, sqlglot or Java the tests
skip, except in CI (the ``CI`` environment variable is set), where they fail: .ci/run installs them.
"""

from __future__ import annotations

import decimal
import importlib.util
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import flowmine.analytics as fa
from flowmine.analytics import METRICS, Calendar, CaseFilter, metric, profile, stored
from flowmine.discovery import collect_variants
from flowmine.store import Store
from tests.conftest import shared_log

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"

pytestmark = [
    # py4j / pyspark internals (socket and thread clean-up at interpreter shutdown)
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:pyspark.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:py4j.*"),
    pytest.mark.filterwarnings("ignore::FutureWarning:pyspark.*"),
    pytest.mark.filterwarnings("ignore::UserWarning:pyspark.*"),
]


def _missing(modules: tuple[str, ...] = ("pyspark", "sqlglot"), java: bool = True) -> str | None:
    for module in modules:
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install 'flowmine-pm[spark]')"
    home = os.environ.get("JAVA_HOME")
    if java and not ((home and (Path(home) / "bin" / "java").exists()) or shutil.which("java")):
        return "Java is not installed (apt-get install openjdk-17-jre-headless)"
    return None


def _need(reason: str | None) -> None:
    """Skip without the Spark extra or Java; in CI (``CI`` set), fail instead: CI installs them."""
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Spark contract: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def spark():
    _need(_missing())
    from flowmine.engines import spark_session, stop_session

    # two shuffle partitions: tiny logs, yet every window and sort still spans partitions; adaptive
    # execution off: on logs this small its re-planning between stages costs more than it saves (the
    # results do not depend on the plan; benchmarks/engines.py runs with it on)
    session = spark_session(master="local[2]", conf={"spark.driver.memory": "1g", "spark.sql.shuffle.partitions": "2",
                                                     "spark.sql.adaptive.enabled": "false"})
    yield session
    stop_session()


# --- the logs -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict[str, Any]:
    st = Store(tmp_path_factory.mktemp("spark") / "store")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    out: dict[str, Any] = {"finance": stored(st, "finance")}
    out["lifecycle"] = _lifecycle_log(tmp_path_factory.mktemp("spark-life") / "store")
    if _shared_exists(REAL_LOG):
        st.ingest("running_example", [str(shared_log(REAL_LOG))])
        out["running_example"] = stored(st, "running_example")
    return out


def _lifecycle_log(path: Path) -> Any:
    """A store holding instances whose start order differs from their completion order, ties, an open
    instance, a never-started one, ready and paused times (the table tests/test_canonical_order.py uses)."""
    import pyarrow as pa

    from tests.test_canonical_order import HAND, commit_table, open_table, ts

    hand = pa.table({"event_id": [r[4] + 100 for r in HAND], "case:concept:name": [f"h{r[0]}" for r in HAND],
                     "concept:name": [r[1] for r in HAND]})
    base = open_table()
    extra = {"time:timestamp": [ts(r[3]) for r in HAND], "start_timestamp": [ts(r[2]) for r in HAND]}
    for name in base.column_names:
        if name not in hand.column_names:
            hand = hand.append_column(name, pa.array(extra.get(name, [None] * len(HAND)), base.schema.field(name).type))
    st = commit_table(path, "lifecycle", pa.concat_tables([base, hand.select(base.column_names)]))
    return stored(st, "lifecycle")


def _shared_exists(name: str) -> bool:
    from tests.conftest import SHARED_DATA

    return (SHARED_DATA / name).exists()


# --- comparison -----------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    col = frame[name]
    if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(col):
        ts = pd.to_datetime(col, utc=True)
        return [None if pd.isna(v) else int(v.value // 1000) for v in ts]  # microseconds
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else _plain(v)
            for v in col.tolist()]


def _same(a: Any, b: Any, where: str) -> None:
    if isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None, f"{where}: {a!r} != {b!r}"
        assert math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12), f"{where}: {a!r} != {b!r}"
    elif isinstance(a, list | tuple) or isinstance(b, list | tuple):
        assert a is not None and b is not None and len(a) == len(b), f"{where}: {a!r} != {b!r}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{where}: keys {a.keys()} != {b.keys()}"
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _rows(frame: pd.DataFrame) -> list[list[Any]]:
    cols = [_column(frame, name) for name in frame.columns]
    return [list(r) for r in zip(*cols, strict=True)]


def assert_same_frame(duck: pd.DataFrame, spark: pd.DataFrame, what: str) -> None:
    """Same columns, rows and values; rows in the same order, except rows whose sort key is a float sum
    that the engines add up in a different order (equal within 1e-9, so a tie may fall either way)."""
    assert list(duck.columns) == list(spark.columns), what
    assert len(duck) == len(spark), f"{what}: {len(duck)} rows on DuckDB, {len(spark)} on Spark"
    a, b = _rows(duck), _rows(spark)
    keys = [i for i, name in enumerate(duck.columns) if not pd.api.types.is_float_dtype(duck[name])]
    if any([r[i] for i in keys] != [s[i] for i in keys] for r, s in zip(a, b, strict=True)):
        order = lambda r: [(x is None, "" if x is None else str(x)) for x in (r[i] for i in keys)]  # noqa: E731
        a, b = sorted(a, key=order), sorted(b, key=order)
    for i, (r, s) in enumerate(zip(a, b, strict=True)):
        for name, x, y in zip(duck.columns, r, s, strict=True):
            _same(x, y, f"{what} row {i} column {name}")


def _second_step(log: Any) -> str:
    """The second step of the first case (the store is sorted by case, time)."""
    return log.store.load_table(log.process, columns=["concept:name"]).column(0)[1].as_py()


#: Values for the parameters a registered metric needs (``Metric.needs``), and options cheaper than
#: the defaults; every other argument is the registry's (``flowmine.analytics.METRICS``).
NEEDS: dict[str, Callable[[Any], Any]] = {"name": _second_step}
OPTIONS: dict[str, dict[str, Any]] = {"bottlenecks": {"n_boot": 200}}


def call(name: str, level: str, log: Any) -> pd.DataFrame:
    m = metric(name)
    return m(log, level, **{need: NEEDS[need](log) for need in m.needs}, **OPTIONS.get(name, {}))


REAL_LOG = "running-example.xes"  # small: the contract is about equality, and Spark's cost is per query
#: every query template: each metric at every level, except that service and sojourn time are the
#: waiting-time query on another column (all five levels are checked on waiting time), cost per
#: resource / role is cost per activity with another key, and bottlenecks of both kinds run the
#: activity and the edge queries
QUERIES = [(m.name, level) for m in METRICS.values() for level in m.levels]
QUERIES = [q for q in sorted(QUERIES) if not (q[0] in ("service_time", "sojourn_time") and q[1] in
                                                ("log", "resource", "role")) and q not in
           (("cost", "resource"), ("cost", "role"), ("bottlenecks", "activity"), ("bottlenecks", "edge"))]
#: what the profile is made of: on the real log these (every query on the sample log)
PROFILE_QUERIES = [("throughput_time", "log"), ("throughput_time", "variant"), ("service_time", "activity"),
                   ("waiting_time", "activity"), ("sojourn_time", "activity"), ("directly_follows", "edge"),
                   ("variant_stats", "variant"), ("rework", "activity"), ("cost", "activity"), ("bottlenecks", "both")]
QUERIES_OF = {"finance": QUERIES, "running_example": PROFILE_QUERIES,
              "lifecycle": [*PROFILE_QUERIES, ("queue_time", "activity"), ("instances", "instance"),
                            ("throughput_time", "case")]}
#: working hours 08:30-17:00 UTC+8, Monday to Friday, three holidays within the sample log
CALENDAR = Calendar(start="08:30", end="17:00", utc_offset_h=8.0, holidays=("2025-01-01", "2025-01-29", "2025-05-01"))
CALENDAR_QUERIES = [("service_time", "activity"), ("waiting_time", "log"), ("sojourn_time", "case"),
                    ("throughput_time", "variant")]
LOGS = list(QUERIES_OF)


def _jobs(name: str, log: Any, engine: str) -> dict[Any, Callable[[], Any]]:
    """What is compared on one log: every query of ``QUERIES_OF[name]``, the profile (per month on the
    sample log, filtered too), cost from rates and the variants discovery uses."""
    full = name == "finance"
    jobs: dict[Any, Callable[[], Any]] = {
        "profile": partial(profile, log, engine=engine, by="month" if full else None)}
    jobs |= {q: partial(call, *q, log) for q in QUERIES_OF[name]}
    if full:
        jobs["profile_filtered"] = partial(profile, log, engine=engine, filters=_filter(log))
        jobs["cost_rates"] = partial(fa.cost, log, **_rates(log))
        for metric, level in CALENDAR_QUERIES:  # business time: every duration of inst and cases rewritten
            jobs[("calendar", metric, level)] = partial(getattr(fa, metric), log, level=level, calendar=CALENDAR)
    return jobs


@pytest.fixture(scope="module")
def results(spark, logs) -> dict[str, dict[Any, Any]]:
    """Every query on every log, on both engines (on Spark in one ``use_spark`` block: each log's
    relations are ordered and cached once)."""
    from flowmine.engines import spark_variants, use_spark

    out: dict[str, dict[Any, Any]] = {}
    with use_spark(spark):
        for name, log in logs.items():
            sp = {key: job() for key, job in _jobs(name, log, "spark").items()}
            sp["variants"] = spark_variants(log.store, log.process, session=spark)
            out[name] = {"spark": sp}
    for name, log in logs.items():
        duck = {key: job() for key, job in _jobs(name, log, "sql").items()}
        duck["variants"] = collect_variants(log.store, log.process)
        out[name]["duckdb"] = duck
    return out


def _filter(log: Any) -> CaseFilter:
    first = log.store.load_table(log.process, columns=["concept:name"]).column(0)[0].as_py()
    return CaseFilter(start_steps=[first], duration_s=(60.0, None))


def _rates(log: Any) -> dict[str, Any]:
    """An hourly rate per role (per resource where the log has no roles)."""
    events = log.store.load_table(log.process).to_pandas()
    column = "org:role" if "org:role" in events else "org:resource"
    values = sorted(v for v in events[column].dropna().unique()) if column in events else []
    return {"rates": {v: 10.0 + i for i, v in enumerate(values)}, "currency": "EUR",
            "rate_by": "role" if column == "org:role" else "resource"}


def _pick(results: dict[str, Any], name: str) -> dict[str, Any]:
    if name not in results:
        pytest.skip(f"{name}: the real log is not in ../shared/data")
    return results[name]


@pytest.mark.parametrize(("log_name", "metric", "level"), [(n, *q) for n in LOGS for q in QUERIES_OF[n]])
def test_every_metric_is_identical(results, log_name, metric, level):
    r = _pick(results, log_name)
    assert_same_frame(r["duckdb"][(metric, level)], r["spark"][(metric, level)], f"{log_name} {metric}/{level}")


@pytest.mark.parametrize(("log_name", "what"), [("finance", "profile"), ("finance", "profile_filtered"),
                                               ("running_example", "profile"), ("lifecycle", "profile")])
def test_profile_is_identical(results, log_name, what):
    r = _pick(results, log_name)
    duck, spark = dict(r["duckdb"][what]), dict(r["spark"][what])
    assert (duck.pop("engine"), spark.pop("engine")) == ("sql", "spark")
    assert duck["cases"] > 0
    _same(duck, spark, f"{log_name} {what}")


def test_cost_from_rates_is_identical(results):
    log_name = "finance"
    r = _pick(results, log_name)
    assert_same_frame(r["duckdb"]["cost_rates"], r["spark"]["cost_rates"], f"{log_name} cost with rates")


@pytest.mark.parametrize("log_name", LOGS)
def test_variants_for_discovery_are_identical(results, log_name):
    r = _pick(results, log_name)
    duck, spark = r["duckdb"]["variants"], r["spark"]["variants"]
    assert duck.traces == spark.traces
    assert duck.counts.tolist() == spark.counts.tolist()
    assert duck.cases == spark.cases


def test_the_translation_keeps_the_order_and_doubles():
    _need(_missing(("sqlglot",), java=False))
    from flowmine.engines import to_spark

    sql = to_spark("SELECT LIST(a ORDER BY t, event_id) AS tr, 12.5, trace[-1] FROM log")
    assert "ARRAY_SORT(COLLECT_LIST(STRUCT(t AS k0, event_id AS k1, a AS v)))" in sql
    assert "12.5E0" in sql and "ELEMENT_AT(trace, -1)" in sql


def test_the_translation_ranks_quantiles_and_inlines_ctes():
    _need(_missing(("sqlglot",), java=False))
    from flowmine.engines import to_spark
    from flowmine.errors import TranslationError

    sql = to_spark("WITH x AS (SELECT a, v FROM log) SELECT a, quantile_cont(v, 0.5), quantile_cont(v, 0.9) FROM x "
                   "GROUP BY a")
    assert "WITH" not in sql and "PERCENTILE" not in sql  # Spark ignores cached relations inside a CTE
    assert sql.count("ROW_NUMBER() OVER (PARTITION BY a ORDER BY v NULLS LAST)") == 1  # one ranking per value
    assert "a IS NOT DISTINCT FROM __qt.__k0" in sql  # a NULL group keeps its quantiles
    with pytest.raises(TranslationError, match="join"):
        to_spark("SELECT a, quantile_cont(v, 0.5) FROM log JOIN other USING (a) GROUP BY a")


def test_quantiles_by_rank_equal_duckdb_on_edge_cases(spark):
    """Groups of 0 (all NULL), 1, 2, 3, 10 values, ties, a NULL group key, with and without GROUP BY."""
    import duckdb
    import pyarrow as pa

    from flowmine.engines._translate import to_spark

    keys = ["a"] * 10 + ["b"] + ["c", "c"] + ["d"] * 3 + ["e", "e"] + [None] * 4
    values = [3.5, 1.0, 2.0, 2.0, 9.25, 0.1, 7.0, 7.0, 4.0, 1e9, 5.0, 1.0, 2.0, 0.3, 0.2, 0.1, None, None,
              8.0, None, 2.0, 6.0]
    table = pa.table({"k": keys, "v": values})
    queries = ["SELECT k, COUNT(v) AS n, quantile_cont(v, 0.5) AS m, quantile_cont(v, 0.9) AS p, "
               "quantile_cont(v * 2, 0.25) AS q FROM t GROUP BY k ORDER BY k NULLS LAST",
               "SELECT quantile_cont(v, 0.5) AS m, quantile_cont(v, 0.9) AS p FROM t",
               "SELECT quantile_cont(v, 0.5) AS m FROM t WHERE v > 1e10"]
    con = duckdb.connect()
    con.register("t", table)
    spark.createDataFrame(table).createOrReplaceTempView("t_edge")
    for sql in queries:
        duck = con.sql(sql).to_arrow_table().to_pandas()
        sp = spark.sql(to_spark(sql, (("t", "t_edge"),))).toArrow().to_pandas()
        assert_same_frame(duck, sp, sql)


@pytest.mark.parametrize(("metric", "level"), CALENDAR_QUERIES)
def test_business_time_is_identical(results, metric, level):
    r = _pick(results, "finance")
    key = ("calendar", metric, level)
    assert_same_frame(r["duckdb"][key], r["spark"][key], f"finance {metric}/{level} in business time")


def test_cli_engine_spark_without_pyspark_gives_the_hint(spark, logs, tmp_path):
    log = logs["finance"]
    args = [sys.executable, "-m", "flowmine", "perf", "--store", str(log.store.path), "--process", "finance"]
    # without pyspark: a one-line hint, exit code 2, no traceback (pyspark hidden by a meta-path blocker)
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text("import sys\nclass _B:\n    def find_spec(self, name, path=None, target=None):\n"
                       "        if name == 'pyspark' or name.startswith('pyspark.'):\n"
                       "            raise ImportError('blocked', name=name)\n"
                       "sys.meta_path.insert(0, _B())\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([*args, "--engine", "spark"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 2, out.stderr
    assert 'pip install "flowmine-pm[spark]"' in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_conformance_on_spark_variants_is_identical(spark, logs):
    from flowmine.conformance import check
    from flowmine.engines import spark_variants

    log = logs["finance"]
    on_spark = check(log.store, "finance", variants_of_log=spark_variants(log.store, "finance", session=spark))
    local = check(log.store, "finance")
    a, b = on_spark.to_dict(), local.to_dict()
    a.pop("budget"), b.pop("budget")  # the alignment budget is calibrated per call (states per second)
    assert a == b and a["cases"] > 0


def test_the_new_case_filters_keep_the_same_cases_on_spark(spark, logs):
    """The case filters of issue 19 (relative variant filters, absent and repeated steps, sizes, contained
    windows, an edge with its duration) compile to the same kept cases on Spark as on DuckDB."""
    from flowmine.analytics import count_cases, throughput_time
    from flowmine.engines import use_spark

    log = logs["finance"]
    top = fa.variant_stats(log)["variant"].iloc[0]
    filters = [CaseFilter(top_variants=3, variant_coverage=0.9), CaseFilter(variant_min_share=0.05, not_variants=[top]),
               CaseFilter(not_contains=["Urgent payment request"], rework=["Finance review"]),
               CaseFilter(case_size=(6, None), contained=("2025-03-01", "2025-06-01")),
               CaseFilter(directly_follows=("GM approval", "Cashier payment"), directly_follows_s=(0, 86400))]
    want = [sorted(throughput_time(log.where(f), level="case")["case"]) for f in filters]
    with use_spark(spark):
        got = [sorted(throughput_time(log.where(f), level="case")["case"]) for f in filters]
    assert got == want
    assert all(0 < len(w) < count_cases(log) for w in want)  # each filter filters


def test_periods_in_a_time_zone_are_identical_on_spark(spark, logs):
    """Periods in a zone (issue 19, ``tz``): the zone's clock changes are plain SQL, so Spark gives the
    same periods, each starting at the zone's midnight, as DuckDB."""
    from flowmine.engines import use_spark

    log = logs["finance"]
    want = profile(log, by="week", tz="Asia/Shanghai", engine="sql")["periods"]
    with use_spark(spark):
        got = profile(log, by="week", tz="Asia/Shanghai", engine="spark")["periods"]
    assert got == want and want[0]["period"].endswith("T00:00:00+08:00")
