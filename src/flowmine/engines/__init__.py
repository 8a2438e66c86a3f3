"""Engines beyond the embedded one: the same analytics on Apache Spark.

DuckDB (embedded, in ``flowmine.analytics``) stays the default. Spark runs the **same** queries: each
is written once in DuckDB SQL and translated by sqlglot (``_translate``), reading the same Parquet
store (a local path, or the store's root as a cluster sees it: ``hdfs://``, ``s3a://``, ...).
pyspark and sqlglot are the optional ``spark`` extra (``pip install "flowmine-pm[spark]"``); Java 17+
is needed for local mode (``INSTALL_HINT`` says so when they are missing). ``SQL_BACKENDS`` names the
engines; ``ENV_MASTER``, ``ENV_REMOTE`` and ``ENV_STORE_URI`` the environment variables read when no
master, remote or store URI is given. Importing this package registers ``"spark"`` with analytics
(``analytics.register_engine``), the hook through which ``profile(engine="spark")`` finds it. See
``docs/SPARK.md``.

Examples
--------
>>> from flowmine.analytics import profile, stored, bottlenecks
>>> from flowmine.engines import use_spark
>>> fin = stored(STORE, "finance")  # STORE: a store's path
>>> p = profile(fin, engine="spark")  # needs Java and pyspark  # doctest: +SKIP
>>> with use_spark(master="local[2]"):  # every metric in the block runs on Spark  # doctest: +SKIP
...     top = bottlenecks(fin, kind="activity")
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from flowmine.analytics import CORE_COLUMNS, OPENER, StoredLog, Variants, register_engine, variants_sql
from flowmine.engines import _spark
from flowmine.engines._spark import (
    ENV_MASTER,
    ENV_REMOTE,
    ENV_STORE_URI,
    INSTALL_HINT,
    SparkEngine,
    open_spark,
    require,
    spark_session,
    stop_session,
)
from flowmine.errors import EngineUnavailableError
from flowmine.store import Store

#: where the analytics' SQL runs: the embedded DuckDB or Apache Spark (the CLI's ``--engine`` choices)
SQL_BACKENDS = ("duckdb", "spark")

register_engine("spark", open_spark)  # profile(engine="spark"): analytics finds Spark here, never imports it

__all__ = [
    "ENV_MASTER",
    "ENV_REMOTE",
    "ENV_STORE_URI",
    "INSTALL_HINT",
    "SQL_BACKENDS",
    "EngineUnavailableError",
    "SparkEngine",
    "open_spark",
    "require",
    "spark_session",
    "spark_variants",
    "stop_session",
    "to_spark",
    "use_spark",
]


def to_spark(sql: str) -> str:
    """Spark SQL for a DuckDB query, as the Spark engine runs it (needs sqlglot)."""
    require()
    from flowmine.engines._translate import to_spark as translate

    return translate(sql)


@contextmanager
def use_spark(session: Any = None, master: str | None = None, remote: str | None = None,
              store_uri: str | None = None) -> Iterator[Any]:
    """Run every metric (and ``profile(engine="auto"|"sql")``) in the block on Spark.

    ``session``: a SparkSession to use; else one is created from ``master`` / ``remote`` (or the
    ``FLOWMINE_SPARK_MASTER`` / ``FLOWMINE_SPARK_REMOTE`` environment variables; default ``local[2]``).
    ``store_uri``: the store's root as the cluster sees it. Yields the SparkSession.

    The per-instance relations stay cached in Spark for the block: several metrics on one log read
    and order its events once. They are dropped at the block's end.
    """
    spark = session if session is not None else spark_session(master=master, remote=remote)
    shared = _spark.Shared()
    token = OPENER.set(lambda log: SparkEngine(log, session=spark, store_uri=store_uri, shared=shared))
    try:
        yield spark
    finally:
        OPENER.reset(token)
        shared.close()


def spark_variants(log: pd.DataFrame | Store | StoredLog | str | Path, process: str | None = None,
                   session: Any = None, store_uri: str | None = None) -> Variants:
    """``flowmine.discovery.collect_variants`` computed by Spark: the same query (translated), the same result.

    ``log``: a canonical DataFrame, a store (with ``process``), a StoredLog, or a Parquet path / URI.
    Returns a :class:`flowmine.discovery.Variants` (the class is analytics', discovery re-exports it).
    """
    if isinstance(log, Store | str | Path) and process is not None:
        store = log if isinstance(log, Store) else Store(log, create=False)
        store.events_path(process)
        source: Any = StoredLog(store, process)
    elif isinstance(log, Path):
        source = os.fspath(log)
    else:
        source = log
    eng = SparkEngine(source, session=session, store_uri=store_uri, relations=False)
    try:
        rows = eng.arrow(variants_sql("log", CORE_COLUMNS)).to_pylist()
    finally:
        eng.close()
    return Variants.of((tuple(r["trace"]), int(r["n"]), [str(c) for c in r["cases"]]) for r in rows)
