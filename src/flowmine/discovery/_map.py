"""Process maps with Disco-like abstraction: keep the most frequent activities and paths by percentage.

A process map is the directly-follows graph of the log with a start and an end node. Two sliders
abstract it:

* ``activities`` (0..1): the most frequent activities are kept, ``ceil(activities * n)`` of them
  (at least one), ranked by their number of instances (ties by name). The log is **projected** on the
  kept activities (the other events are removed), so A → X → B becomes the path A → B, as in Disco,
  and every figure of the abstracted map is a figure of that projected log.
* ``paths`` (0..1): of the edges of the projected map (start and end edges included), the
  ``ceil(paths * n)`` most frequent are kept (ties by names); every kept activity also keeps its
  most frequent incoming and outgoing edge, so no activity is left dangling (Disco does the same).

Edge figures come from :func:`flowmine.analytics.directly_follows` on the projected log: ``count``,
``cases`` and the duration mean/median/P90/total/max in seconds (start(B) - complete(A), or
complete(B) - complete(A) without start timestamps, as in the glossary). Node positions and edge
routes come from the **full** map (:func:`map_layout`, Graphviz dot), computed once and reused for
every abstraction, so the layout stays put when the sliders move. :func:`process_map_figure` draws a map with Plotly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._params import Interval, check_params
from flowmine._schema import ACTIVITY, CASE, EVENT_ID, READY, START, TIMESTAMP
from flowmine.analytics import (
    Calendar,
    Engine,
    LogLike,
    StoredLog,
    as_table,
    business_sql,
    directly_follows,
    edge_sql,
    held_engine,
    in_business_time,
    log_order,
    scratch,
)
from flowmine.discovery._dot import MapGeometry, MapLayout, dot_layout
from flowmine.errors import OptionError

#: Names of the virtual start and end nodes (an activity with one of these names is not supported).
START_NODE, END_NODE = "▶ start", "■ end"
#: Columns of :attr:`ProcessMap.nodes` and :attr:`ProcessMap.edges`.
NODE_COLUMNS = ("node", "kind", "count", "cases", "x", "y")
EDGE_COLUMNS = ("source", "target", "count", "cases", "duration_mean_s", "duration_median_s", "duration_p90_s",
                "duration_total_s", "duration_max_s")

_ENDS_SQL = f"""
WITH o AS (
    SELECT "{CASE}" AS c, "{ACTIVITY}" AS a,
           ROW_NUMBER() OVER (PARTITION BY "{CASE}" ORDER BY {log_order((START, TIMESTAMP, READY))}) AS p,
           COUNT(*) OVER (PARTITION BY "{CASE}") AS n
    FROM t
)
SELECT 'start' AS side, a AS activity, count(*) AS n FROM o WHERE p = 1 GROUP BY 2
UNION ALL
SELECT 'end' AS side, a AS activity, count(*) AS n FROM o WHERE p = n GROUP BY 2
"""
_ENDS_INST_SQL = """
WITH f AS (SELECT "case" AS c, arg_min(activity, pos) AS first_a, arg_max(activity, pos) AS last_a FROM inst GROUP BY 1)
SELECT 'start' AS side, first_a AS activity, count(*) AS n FROM f GROUP BY 2
UNION ALL
SELECT 'end' AS side, last_a AS activity, count(*) AS n FROM f GROUP BY 2
"""
_ACTS_SQL = f'SELECT "{ACTIVITY}" AS a, count(*) AS n, count(DISTINCT "{CASE}") AS c FROM t GROUP BY 1'


@dataclass(frozen=True)
class ProcessMap:
    """An (abstracted) process map: nodes with fixed positions and edges with frequency and duration.

    Attributes
    ----------
    nodes : DataFrame
        ``node, kind ("start" | "activity" | "end"), count (instances; cases for start/end), cases, x, y``.
    edges : DataFrame
        ``source, target, count, cases, duration_mean_s, duration_median_s, duration_p90_s,
        duration_total_s, duration_max_s`` (durations are NaN on start and end edges), most frequent first.
    activities, paths : float
        The slider settings this map was built with.
    bounds : tuple of float
        ``(x_min, x_max, y_min, y_max)`` of the full layout, so figures keep their axes fixed.
    geometry : MapGeometry or None
        Box sizes, edge routes and extent of the full layout (``map_layout``'s); None when the
        layout was a plain dict of positions.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    activities: float
    paths: float
    bounds: tuple[float, float, float, float]
    geometry: MapGeometry | None = None

    def with_paths(self, paths: float) -> ProcessMap:
        """This map with the path slider at ``paths`` (from a map built with ``paths=1.0``, the same map
        as ``process_map(log, activities, paths)`` without touching the log again)."""
        if self.paths != 1.0:
            raise OptionError("with_paths needs the map with all paths (paths=1.0)", function="with_paths")
        return ProcessMap(self.nodes, keep_paths(self.edges, paths), self.activities, _check_share("paths", paths),
                          self.bounds, self.geometry)


def _table(log: LogLike) -> pa.Table:
    return as_table(log, [EVENT_ID, CASE, ACTIVITY, TIMESTAMP, START, READY])


def _query(table: pa.Table, sql: str) -> pd.DataFrame:
    con = scratch()
    try:
        con.register("t", table)
        return con.execute(sql).df()
    finally:
        con.close()


def _activity_counts(table: pa.Table) -> pd.DataFrame:
    return _sorted_counts(_query(table, _ACTS_SQL))


def _sorted_counts(acts: pd.DataFrame) -> pd.DataFrame:
    return acts.sort_values(["n", "a"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _end_edges(table: pa.Table) -> pd.DataFrame:
    return _end_rows(_query(table, _ENDS_SQL))


def _end_rows(ends: pd.DataFrame) -> pd.DataFrame:
    rows = [{"source": START_NODE if s == "start" else a, "target": a if s == "start" else END_NODE,
             "count": int(n), "cases": int(n)} for s, a, n in ends.itertuples(index=False)]
    return pd.DataFrame(rows, columns=["source", "target", "count", "cases"])


def _edges(table: pa.Table) -> pd.DataFrame:
    return _all_edges(directly_follows(table), _end_edges(table))


def _all_edges(dfg: pd.DataFrame, ends: pd.DataFrame) -> pd.DataFrame:
    inner = dfg[list(EDGE_COLUMNS)]
    both = pd.concat([inner, ends], ignore_index=True) if len(inner) else ends
    both = both.astype({"count": "int64", "cases": "int64"})
    both = both.sort_values(["count", "source", "target"], ascending=[False, True, True], kind="stable")
    return both.reindex(columns=list(EDGE_COLUMNS)).reset_index(drop=True)


def map_layout(log: LogLike) -> MapLayout:
    """Positions of every node of the full map (all activities, all paths): compute once, reuse.

    Graphviz ``dot`` lays the map out top to bottom and routes its edges around the boxes (see
    ``flowmine.discovery._dot``); the result is a dict ``{node: (x, y)}`` in points (y down) that also
    carries the ``geometry`` (box sizes, edge routes) every abstraction of the map reuses. Without
    ``dot`` the simple layered layout is used and ``notice`` says so.

    Examples
    --------
    >>> from flowmine.analytics import stored
    >>> from flowmine.discovery import map_layout, process_map
    >>> log = stored(STORE, "finance")
    >>> layout = map_layout(log)
    >>> small = process_map(log, activities=0.5, paths=0.2, layout=layout)
    >>> len(small.nodes) < len(process_map(log, layout=layout).nodes)
    True
    """
    return _layout(log, _full_map_frames(log))


def _layout(log: LogLike, frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int] | None) -> MapLayout:
    """:func:`map_layout` from the full map's compiled frames when given (``map_frames(log, 1.0)``)."""
    if frames is not None:  # the compiled map pass over the cached columns: the same counts, no SQL window
        acts, dfg, ends, n_cases = frames
        edges = _all_edges(dfg, _end_rows(ends)) if n_cases else pd.DataFrame(columns=EDGE_COLUMNS)
    else:
        table = _table(log)
        acts = _activity_counts(table)
        ends = _end_edges(table)
        inner = _query(table, f"""
            WITH o AS (SELECT "{ACTIVITY}" AS a, lead("{ACTIVITY}") OVER (PARTITION BY "{CASE}"
                       ORDER BY {log_order((START, TIMESTAMP, READY))}) AS b FROM t)
            SELECT a AS source, b AS target, count(*) AS "count", 0 AS cases FROM o WHERE b IS NOT NULL
            GROUP BY 1, 2""")
        edges = pd.concat([inner, ends], ignore_index=True).sort_values(
            ["count", "source", "target"], ascending=[False, True, True], kind="stable")
    nodes = [START_NODE, *acts["a"].astype(str).tolist(), END_NODE]
    kinds = {START_NODE: "start", END_NODE: "end"}
    return dot_layout(nodes, {n: kinds.get(n, "activity") for n in nodes},
                      list(zip(edges["source"].astype(str), edges["target"].astype(str), strict=True)),
                      sources=[START_NODE])


def _full_map_frames(log: LogLike) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int] | None:
    """``map_frames(log, 1.0)``: the full map from the compiled map pass of a stored log; None where that
    pass does not run (not stored, no numba, too many activities)."""
    from flowmine.analytics import fast_path_available, map_frames
    from flowmine.errors import TooManyActivitiesError

    if not isinstance(log, StoredLog) or not fast_path_available():
        return None
    try:
        return map_frames(log, 1.0)
    except TooManyActivitiesError:
        return None


def _narrow(eng: Any) -> None:
    """Replace the engine's ``inst`` by a table of the columns a map reads, of the kept cases only: one
    restriction instead of one per query."""
    eng.con.execute('CREATE TEMP TABLE ninst AS SELECT "case", activity, pos, complete_us, start_us, '
                    "prev_activity, edge_us FROM inst")
    _replace_inst(eng, "ninst")


def _replace_inst(eng: Any, table: str) -> None:
    is_view = eng.scalar("SELECT COUNT(*) FROM duckdb_views() WHERE view_name = 'inst' AND temporary")
    eng.con.execute("DROP VIEW inst" if is_view else "DROP TABLE inst")
    eng.con.execute(f"ALTER TABLE {table} RENAME TO inst")


def _project(eng: Any, keep: list[str], calendar: Calendar | None = None) -> None:
    """Replace the engine's ``inst`` by the instances of the kept activities, re-linked: each one's
    previous instance is the previous kept one in its case (what ``inst`` of the projected log is);
    with ``calendar`` (as :func:`flowmine.analytics.in_business_time` applied it) the edges' durations
    in its business time."""
    eng.con.register("kept_", pa.table({"a": pa.array(keep, pa.string())}))
    eng.con.execute(
        'CREATE TEMP TABLE pinst AS SELECT "case", activity, pos, complete_us, start_us, '
        "LAG(activity) OVER w AS prev_activity, LAG(complete_us) OVER w AS prev_complete_us "
        'FROM inst WHERE activity IN (SELECT a FROM kept_) WINDOW w AS (PARTITION BY "case" ORDER BY pos)')
    is_view = eng.scalar("SELECT COUNT(*) FROM duckdb_views() WHERE view_name = 'inst' AND temporary")
    eng.con.execute("DROP VIEW inst" if is_view else "DROP TABLE inst")
    end, prev = "GREATEST(COALESCE(start_us, complete_us), prev_complete_us)", "prev_complete_us"
    if calendar is not None:
        end, prev = business_sql(end, calendar), business_sql(prev, calendar)
    eng.con.execute(
        "CREATE TEMP VIEW inst AS SELECT *, CASE WHEN prev_complete_us IS NULL THEN NULL ELSE "
        f"({end}) - ({prev}) END AS edge_us FROM pinst")


#: The declared kind of the map's activity and path sliders: a share of the log's.
SHARE = Interval(float, 0, 1)


def _check_share(name: str, value: float) -> float:
    check_params("process_map", {name: [SHARE]}, {name: value})
    return float(value)


def keep_paths(edges: pd.DataFrame, paths: float) -> pd.DataFrame:
    """The ``ceil(paths * n)`` most frequent edges, plus each node's most frequent in- and out-edge."""
    share = _check_share("paths", paths)
    src, tgt, cnt = (edges[c].tolist() for c in ("source", "target", "count"))  # plain lists: maps are small
    order = sorted(range(len(cnt)), key=lambda i: (-cnt[i], src[i], tgt[i]))  # stable, like a stable sort
    keep = set(order[:math.ceil(share * len(order))])
    firsts: set[tuple[int, Any]] = set()
    for i in order:  # each node's most frequent out-edge and in-edge
        for side, node in ((0, src[i]), (1, tgt[i])):
            if (side, node) not in firsts:
                firsts.add((side, node))
                keep.add(i)
    return edges.iloc[[i for i in order if i in keep]].reset_index(drop=True)


def process_map(
    log: LogLike,
    activities: float = 1.0,
    paths: float = 1.0,
    layout: dict[str, tuple[float, float]] | None = None,
    calendar: Calendar | None = None,
) -> ProcessMap:
    """The process map of a log, abstracted to the most frequent activities and paths.

    Parameters
    ----------
    log : DataFrame, Arrow table or StoredLog
    activities : float in [0, 1]
        Share of activities to keep, most frequent first (at least one).
    paths : float in [0, 1]
        Share of the projected map's edges to keep, most frequent first (plus each activity's most
        frequent in- and out-edge).
    layout : dict, optional
        Positions from :func:`map_layout` of the full log; computed here when not given. Pass the same
        layout for every slider position so the map does not move.
    calendar : Calendar, optional
        The edges' durations in business time of this working calendar (as
        ``flowmine.analytics.profile(calendar=...)``), computed by the SQL engine (the compiled map pass
        measures elapsed time only).

    Returns
    -------
    ProcessMap

    Examples
    --------
    >>> from flowmine.analytics import stored
    >>> from flowmine.discovery import process_map, process_map_figure
    >>> pmap = process_map(stored(STORE, "finance"), activities=0.8, paths=0.5)
    >>> fig = process_map_figure(pmap, overlay="performance")
    >>> fig.show()  # opens a browser  # doctest: +SKIP
    """
    share_a, share_p = _check_share("activities", activities), _check_share("paths", paths)
    full = None
    if layout is None:  # the full map's pass lays it out, and is the map itself when all activities are kept
        full = _full_map_frames(log)  # counts only: the same with a calendar
        layout = _layout(log, full)
    from flowmine.analytics import fast_path_available, map_frames  # loads numba
    from flowmine.errors import TooManyActivitiesError

    if calendar is None and isinstance(log, StoredLog) and fast_path_available():  # one compiled pass
        try:
            acts, dfg, ends, n_cases = full if full is not None and share_a == 1.0 else map_frames(log, share_a)
        except TooManyActivitiesError:  # its per-edge arrays would be activities²: the SQL below
            pass
        else:
            kept = acts.iloc[: max(1, math.ceil(share_a * len(acts)))] if len(acts) else acts
            edges = (keep_paths(_all_edges(dfg, _end_rows(ends)), share_p) if n_cases
                     else pd.DataFrame(columns=EDGE_COLUMNS))
            return _assemble(kept, edges, n_cases, share_a, share_p, layout)
    eng = held_engine(log)  # a held stored log: its (filtered) relations in memory, no table copy
    if eng is None and calendar is not None:  # business time needs the relations: on the SQL engine
        eng = Engine(as_table(log))
    applied = None
    try:
        if eng is not None:
            if calendar is not None:
                applied = in_business_time(eng, calendar)
            if isinstance(log, StoredLog) and log.filters:
                _narrow(eng)
            acts = _sorted_counts(eng.frame(
                'SELECT activity AS a, count(*) AS n, count(DISTINCT "case") AS c FROM inst GROUP BY 1'))
        else:
            table = _table(log)
            acts = _activity_counts(table)
        kept = acts.iloc[: max(1, math.ceil(share_a * len(acts)))] if len(acts) else acts
        if eng is not None:  # the (projected) log's DFG from the held instances
            if len(kept) < len(acts):
                _project(eng, kept["a"].astype(str).tolist(), applied)
            n_cases = int(eng.scalar('SELECT COUNT(DISTINCT "case") FROM inst') or 0)  # type: ignore[call-overload]
            edges = (keep_paths(_all_edges(eng.frame(edge_sql()), _end_rows(eng.frame(_ENDS_INST_SQL))), share_p)
                     if n_cases else pd.DataFrame(columns=EDGE_COLUMNS))
        else:
            projected = table.filter(pc.is_in(table[ACTIVITY], value_set=pa.array(kept["a"].tolist(), pa.string())))
            edges = keep_paths(_edges(projected), share_p) if projected.num_rows else pd.DataFrame(
                columns=EDGE_COLUMNS)
            n_cases = int(pc.count_distinct(projected[CASE]).as_py()) if projected.num_rows else 0
    finally:
        if eng is not None:
            eng.close()
    return _assemble(kept, edges, n_cases, share_a, share_p, layout)


def _assemble(kept: pd.DataFrame, edges: pd.DataFrame, n_cases: int, share_a: float, share_p: float,
              layout: dict[str, tuple[float, float]]) -> ProcessMap:
    rows = [{"node": START_NODE, "kind": "start", "count": n_cases, "cases": n_cases}]
    rows += [{"node": str(a), "kind": "activity", "count": int(n), "cases": int(c)}
             for a, n, c in kept.itertuples(index=False)]
    rows.append({"node": END_NODE, "kind": "end", "count": n_cases, "cases": n_cases})
    nodes = pd.DataFrame(rows, columns=list(NODE_COLUMNS[:4]))
    missing = [n for n in nodes["node"] if n not in layout]
    if missing:
        raise OptionError(f"the layout has no position for {missing[:3]}; compute it with map_layout on the full log",
                          parameter="layout", function="process_map")
    nodes["x"] = [layout[n][0] for n in nodes["node"]]
    nodes["y"] = [layout[n][1] for n in nodes["node"]]
    xs, ys = [p[0] for p in layout.values()], [p[1] for p in layout.values()]
    geometry = layout.geometry if isinstance(layout, MapLayout) else None
    return ProcessMap(nodes, edges.reset_index(drop=True), share_a, share_p, (min(xs), max(xs), min(ys), max(ys)),
                      geometry)
