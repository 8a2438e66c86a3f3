"""The Spark engine: the analytics' DuckDB SQL, translated by sqlglot, run by Spark over the same Parquet.

A :class:`SparkEngine` is an :class:`flowmine.analytics.Engine`: it registers the log as the
view ``log``, materialises ``inst`` and ``cases`` (persisted, memory then disk) and answers
``frame`` / ``arrow`` / ``scalar`` with Spark SQL translated from the DuckDB text
(:func:`flowmine.engines._translate.to_spark`). Each engine names its views uniquely
(``inst_<tag>``) and the translation renames the tables of every query, so engines sharing one
SparkSession never see each other's views; inside ``use_spark`` the ordered relations of a log are
computed once and shared.

Measured quirks this module handles: Spark 4 refuses nanosecond Parquet timestamps (the store writes
microseconds), ``spark.sql.session.timeZone`` must be UTC (periods, timestamps shown), durations are
computed on epoch microseconds, and the order inside a case is always (timestamp, event_id).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from flowmine._schema import ACTIVITY, CASE, CORE_TYPES, EVENT_ID, TIMESTAMP
from flowmine.analytics import CORE_COLUMNS, Engine, LogLike, StoredLog, as_table, cases_sql, instances_sql
from flowmine.errors import EngineUnavailableError, FlowmineError

INSTALL_HINT = ('the Spark engine needs the spark extra: pip install "flowmine-pm[spark]" (pyspark, sqlglot) '
                'and Java 17+')
#: environment variables read when no master / remote / store URI is given
ENV_MASTER = "FLOWMINE_SPARK_MASTER"  # local[2] (default), spark://host:7077, yarn, k8s://...
ENV_REMOTE = "FLOWMINE_SPARK_REMOTE"  # Spark Connect: sc://host:15002
ENV_STORE_URI = "FLOWMINE_SPARK_STORE_URI"  # the store as the cluster sees it: hdfs://..., s3a://...
DEFAULT_MASTER = "local[2]"

_lock = threading.Lock()
_session: Any = None
_created = False  # flowmine started _session (else it was a user's active session: never stopped here)



def require() -> None:
    """Raise :class:`EngineUnavailableError` with the install hint when pyspark or sqlglot is missing."""
    try:
        with _quiet():  # pyspark warns at import that it does not fully support pandas 3 (see _quiet)
            import pyspark
            import pyspark.sql  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError as exc:
        raise EngineUnavailableError(f"{INSTALL_HINT} ({exc.name} is not installed)") from None


def _java_present() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool((home and (Path(home) / "bin" / "java").exists()) or shutil.which("java"))


def spark_session(master: str | None = None, remote: str | None = None,
                  conf: dict[str, str] | None = None) -> Any:
    """The SparkSession flowmine runs on (created once per process, then reused).

    Parameters
    ----------
    master : str, optional
        A Spark master: ``local[2]`` (default, or ``$FLOWMINE_SPARK_MASTER``), ``spark://host:7077``,
        ``yarn``, ``k8s://...``. An ``sc://`` URL means Spark Connect.
    remote : str, optional
        A Spark Connect URL (``sc://host:15002``; default ``$FLOWMINE_SPARK_REMOTE``).
    conf : dict, optional
        Extra Spark settings (``spark.driver.memory``, ...), applied when the session is created.

    An already active SparkSession (a notebook on a cluster) is used as it is; only the session time
    zone is set to UTC.
    """
    global _session, _created
    require()
    from pyspark.sql import SparkSession

    with _lock:
        if _session is not None and not _stopped(_session):
            return _session
        active: Any = SparkSession.getActiveSession()
        master = master or os.environ.get(ENV_MASTER) or None
        remote = remote or os.environ.get(ENV_REMOTE) or None
        if master and master.startswith("sc://"):
            master, remote = None, master
        _created = not (active is not None and master is None and remote is None)
        if not _created:
            spark = active
        else:
            builder: Any = SparkSession.builder.appName("flowmine")
            if remote:
                builder = builder.remote(remote)
            else:
                if (master or DEFAULT_MASTER).startswith("local") and not _java_present():
                    raise EngineUnavailableError("Spark needs Java 17+: apt-get install openjdk-17-jre-headless "
                                                 "(Debian/Ubuntu) or set JAVA_HOME")
                # requireAllClusterKeysForCoPartition off: the join of the instance relation on
                # (case, pos) keeps the data partitioned by case, as the windows around it need (at 5M
                # events one shuffle of the whole log instead of three)
                settings = {"spark.sql.session.timeZone": "UTC", "spark.ui.enabled": "false",
                            "spark.ui.showConsoleProgress": "false", "spark.sql.shuffle.partitions": "8",
                            "spark.sql.execution.arrow.pyspark.enabled": "true",
                            "spark.sql.requireAllClusterKeysForCoPartition": "false"}
                builder = builder.master(master or DEFAULT_MASTER)
                for key, value in {**settings, **(conf or {})}.items():
                    builder = builder.config(key, value)
            try:
                with _quiet():
                    spark = builder.getOrCreate()
            except Exception as exc:  # Java gateway or connection failures: one line, no traceback
                raise EngineUnavailableError(f"Spark did not start ({master or remote or DEFAULT_MASTER}): "
                                             f"{str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}"
                                             ) from exc
            if not remote:
                spark.sparkContext.setLogLevel("ERROR")
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        _session = spark
        return spark


def _stopped(spark: Any) -> bool:
    try:
        sc = getattr(spark, "sparkContext", None)
        return bool(sc is not None and sc._jsc is None)
    except Exception:  # Spark Connect has no SparkContext
        return False


def stop_session() -> None:
    """Stop the SparkSession flowmine created (a user's session is only forgotten)."""
    global _session
    with _lock:
        if _session is not None and _created:
            _session.stop()
        _session = None


def _spark_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    if pa.types.is_floating(arrow_type):
        return "double"
    if pa.types.is_integer(arrow_type):
        return "bigint"
    return "string"


def _uri_of(log: StoredLog, store_uri: str | None) -> str:
    """Where Spark reads a stored log: the local events file, or the same file under ``store_uri``."""
    if not store_uri:
        return str(Path(log.path).resolve())
    rel = Path(log.path).resolve().relative_to(Path(log.store.path).resolve())
    return store_uri.rstrip("/") + "/" + rel.as_posix()


class _SparkCon:
    """What metrics call on ``eng.con``: ``execute`` (translated) and ``register`` (a small frame)."""

    def __init__(self, engine: SparkEngine) -> None:
        self.engine = engine

    def execute(self, sql: str) -> None:
        self.engine.execute(sql)

    def register(self, name: str, frame: pd.DataFrame | pa.Table) -> None:
        self.engine.register(name, frame)


@contextmanager
def _quiet() -> Iterator[None]:
    """pyspark warns about pandas >= 3 on every conversion; flowmine converts through Arrow only."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        yield


@dataclass
class Shared:
    """Relations kept for a ``use_spark`` block: the ordered ``inst`` / ``cases`` of each log, computed
    once, and every view and cached frame to drop at the block's end."""

    frames: dict[Any, tuple[Any, ...]] = field(default_factory=dict)
    views: list[tuple[Any, str]] = field(default_factory=list)
    persisted: list[Any] = field(default_factory=list)

    def close(self) -> None:
        unpersist(self.persisted)
        for spark, view in self.views:
            with contextlib.suppress(Exception):
                spark.catalog.dropTempView(view)
        self.frames.clear()
        self.views.clear()
        self.persisted.clear()


def _key(log: LogLike | str) -> Any:
    if isinstance(log, StoredLog):
        path = Path(log.path).resolve()
        return ("stored", str(path), path.stat().st_mtime_ns)
    if isinstance(log, str):
        return ("path", log)
    return ("object", id(log))


class SparkEngine(Engine):
    """The analytics engine on Spark: the views ``log``, ``inst``, ``cases``, the same SQL, translated.

    Parameters
    ----------
    log : DataFrame, Arrow table, StoredLog, or str
        A stored log is read from its Parquet file by Spark (or from ``store_uri``); a str is any
        Parquet path or URI Spark can read, in the canonical schema; a DataFrame / Arrow table is sent
        to Spark (small logs, tests).
    session : SparkSession, optional
        Default: :func:`spark_session`.
    store_uri : str, optional
        The store's root as the cluster sees it (default ``$FLOWMINE_SPARK_STORE_URI``).
    shared : Shared, optional
        Relations shared with the other engines of a ``use_spark`` block: a log's ``inst`` and
        ``cases`` are computed and cached once, and dropped by ``shared.close()``, not by this engine.
    relations : bool
        Build ``inst`` and ``cases`` (default); without them only ``log`` is queried (the variants).

    The views get names unique to the engine (``inst_<tag>``); the translation renames the tables of
    each query, so engines in one session never see each other's views.
    """

    name = "spark"

    def __init__(self, log: LogLike | str, session: Any = None, store_uri: str | None = None,
                 shared: Shared | None = None, relations: bool = True) -> None:
        require()
        from pyspark import StorageLevel

        self.spark = session if session is not None else spark_session()
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")
        self.con = _SparkCon(self)
        self._shared = shared
        self._level = StorageLevel.MEMORY_AND_DISK
        self._tag = uuid.uuid4().hex[:10]
        self._names: dict[str, str] = {}
        self._frames: dict[str, Any] = {}
        self._views: list[str] = []
        self._persisted: list[Any] = []
        store_uri = store_uri if store_uri is not None else os.environ.get(ENV_STORE_URI)
        key = _key(log) if shared is not None else None
        if shared is not None and key in shared.frames:
            frames = shared.frames[key]
            for name, df in zip(("log", "inst", "cases"), frames[:3], strict=True):
                self._view(name, df)
            return
        self._view("log", self._read(log, store_uri))
        if not relations:  # queries of ``log`` only (the variants)
            return
        self.execute(f"CREATE TEMP TABLE inst AS {instances_sql('log')}")
        self.execute(f"CREATE TEMP TABLE cases AS {cases_sql('inst')}")
        if shared is not None:
            frames = tuple(self._frames[n] for n in ("log", "inst", "cases"))
            shared.frames[key] = (*frames, log)  # the log itself is kept: its id() stays its own

    def _read(self, log: LogLike | str, store_uri: str | None) -> Any:
        from pyspark.sql import functions as F

        if isinstance(log, StoredLog | str):
            df = self.spark.read.parquet(_uri_of(log, store_uri) if isinstance(log, StoredLog) else log)
        else:
            with _quiet():
                df = self.spark.createDataFrame(as_table(log, columns=None))
        names = set(df.columns)
        for col in (CASE, ACTIVITY, TIMESTAMP):
            if col not in names:
                raise FlowmineError(f"the log has no column {col!r} (Spark engine)")
        if EVENT_ID not in names:  # file order breaks timestamp ties
            df = df.withColumn(EVENT_ID, F.monotonically_increasing_id())
        for col in CORE_COLUMNS:  # canonical types; optional columns the log lacks become nulls
            value = F.col(f"`{col}`") if col in names else F.lit(None)
            df = df.withColumn(col, value.cast(_spark_type(CORE_TYPES[col])))
        return df

    # --- views ----------------------------------------------------------------------------------
    def _view(self, name: str, df: Any, persist: bool = False) -> None:
        """Register ``df`` as this engine's view ``name`` (always a new, unique view name)."""
        if persist:
            df = df.persist(self._level)
            (self._shared.persisted if self._shared is not None else self._persisted).append(df)
        view = f"{name}_{self._tag}_{len(self._views)}"
        df.createOrReplaceTempView(view)
        (self._shared.views.append((self.spark, view)) if self._shared is not None else self._views.append(view))
        self._names[name] = view
        self._frames[name] = df

    def sql(self, sql: str) -> str:
        """The Spark SQL this engine runs for a DuckDB query (tables renamed to its views)."""
        from flowmine.engines._translate import to_spark

        return to_spark(sql, tuple(sorted(self._names.items())))

    def execute(self, sql: str) -> None:
        """Run a statement: ``CREATE [OR REPLACE] TEMP TABLE name AS query`` becomes a cached view."""
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(sql, read="duckdb")
        if isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "TABLE":
            query = self._expand_replace(tree.expression)
            shared_ctes = self._materialise_ctes(query)
            df = self.spark.sql(self.sql(query.sql(dialect="duckdb")))
            self._view(tree.this.name, df, persist=True)
            if shared_ctes:  # build the table while its shared CTEs are cached, then drop them
                df.count()
                unpersist(shared_ctes)
            return
        self.spark.sql(self.sql(sql)).collect()

    def _expand_replace(self, query: Any) -> Any:
        """``SELECT * REPLACE (e AS c) FROM v`` → every column of this engine's view ``v`` by name, ``c``
        as ``e`` (Spark has no ``REPLACE``; the business-time calendars use it)."""
        from sqlglot import exp

        stars = [p for p in query.expressions if isinstance(p, exp.Star) and p.args.get("replace")]
        source = query.args.get("from_")
        table = source.this if source is not None else None
        if not stars or not isinstance(table, exp.Table) or table.name not in self._frames:
            return query
        replace = {alias.alias: alias.this for alias in stars[0].args["replace"]}
        columns = [exp.alias_(replace[c].copy(), c) if c in replace else exp.column(c, quoted=True)
                   for c in self._frames[table.name].columns]
        query = query.copy()
        query.set("expressions", columns)
        return query

    def _materialise_ctes(self, query: Any) -> list[Any]:
        """Cache the CTEs of ``query`` that it reads more than once (Spark would compute each reading
        anew: ``pos`` of the instance relation is read three times) as views; remove them from the
        query (in place). Returns the cached frames."""
        from sqlglot import exp

        with_ = query.args.get("with_")
        if not isinstance(with_, exp.With):
            return []
        ctes = list(with_.expressions)
        kept: list[Any] = []
        cached: list[Any] = []
        main = query.copy()
        main.set("with_", None)
        for i, cte in enumerate(ctes):
            later = [c.this for c in ctes[i + 1:]] + [main]
            readers = sum(1 for node in later for t in node.find_all(exp.Table)
                          if t.name == cte.alias and not t.args.get("db"))
            if readers > 1:
                body = cte.this.copy()
                if kept:
                    body.set("with_", exp.With(expressions=[k.copy() for k in kept]))
                df = self.spark.sql(self.sql(body.sql(dialect="duckdb"))).persist(self._level)
                self._view(cte.alias, df)
                cached.append(df)
            else:
                kept.append(cte)
        query.set("with_", exp.With(expressions=kept) if kept else None)
        return cached

    def register(self, name: str, frame: pd.DataFrame | pa.Table) -> None:
        table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        with _quiet():
            self._view(name, self.spark.createDataFrame(table))

    def keep_cases(self, cases: pa.Array) -> None:
        self.register("keep", pa.table({"case": cases}))
        keep = self._names["keep"]
        for name in ("inst", "cases"):
            filtered = self.spark.sql(f"SELECT * FROM {self._names[name]} LEFT SEMI JOIN {keep} USING (`case`)")
            self._view(name, filtered, persist=True)

    # --- queries --------------------------------------------------------------------------------
    def arrow(self, sql: str) -> pa.Table:
        with _quiet():
            return self.spark.sql(self.sql(sql)).toArrow()

    def frame(self, sql: str) -> pd.DataFrame:
        return self.arrow(sql).to_pandas()

    def scalar(self, sql: str) -> object:
        rows = self.spark.sql(self.sql(sql)).take(1)
        return rows[0][0] if rows else None

    def close(self) -> None:
        """Drop this engine's views and cached frames (those of a ``use_spark`` block stay until its end)."""
        unpersist(self._persisted)
        self._persisted.clear()
        for view in self._views:
            with contextlib.suppress(Exception):
                self.spark.catalog.dropTempView(view)
        self._views.clear()


def unpersist(frames: list[Any]) -> None:
    """Drop Spark's cached copies of these DataFrames."""
    for df in frames:
        with contextlib.suppress(Exception):  # the session was stopped meanwhile
            df.unpersist()


def open_spark(log: LogLike | str) -> SparkEngine:
    """The :data:`flowmine.analytics.OPENER` for Spark with the default session (registered as ``"spark"``)."""
    return SparkEngine(log)
