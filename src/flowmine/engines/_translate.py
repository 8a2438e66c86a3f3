"""DuckDB SQL → Spark SQL, by sqlglot, plus the few rewrites sqlglot does not do (or does differently).

Every query of ``flowmine.analytics`` is written once, in DuckDB SQL that avoids dialect functions
where it can. sqlglot translates quoting, ``FILTER``, ``ARRAY_TO_STRING``, ``GENERATE_SERIES``,
``NULLS LAST`` defaults (DuckDB sorts NULLs last, Spark first) and the rest; these rewrites run on
the DuckDB syntax tree before Spark SQL is written:

* ``epoch_us(t)`` → ``UNIX_MICROS(t)``; ``make_timestamptz(us)`` → ``TIMESTAMP_MICROS(us)``;
* ``LIST(x ORDER BY k1, k2)`` → ``TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(k1, k2, x))), s -> s.v)``:
  sqlglot drops the ``ORDER BY`` (``COLLECT_LIST`` has no order), which would change the variants;
* ``quantile_cont(x, q)`` → ranks and linear interpolation (:func:`_rank_quantiles`):
  ``ROW_NUMBER() OVER (PARTITION BY <group keys> ORDER BY x)`` and ``COUNT(x) OVER (PARTITION BY
  <group keys>)``, the values at ranks ``floor((n-1)q)+1`` and ``ceil((n-1)q)+1`` interpolated, exactly
  as DuckDB's ``quantile_cont`` (and numpy's default), in a per-group relation joined back. Spark's own
  ``PERCENTILE`` keeps every value of a group in one hash map of boxed values; a window sorts (and
  spills) like any sort;
* ``WITH`` queries (CTEs) → subqueries in place: Spark 4 does not substitute cached relations (the
  persisted ``inst`` / ``cases``) inside a CTE, so every CTE re-read the Parquet and re-ordered the log;
* ``len(trace)`` → ``SIZE(trace)`` (a list's length; ``LENGTH`` is for text in Spark);
* ``list[i]`` with a literal index → ``ELEMENT_AT(list, i)`` (1-based, negative from the end, as DuckDB);
* decimal literals (``1234.5``) → ``1234.5E0``: Spark reads a plain decimal literal as DECIMAL (slow,
  and a different arithmetic); with an exponent it is a DOUBLE, as in DuckDB.

Statements Spark has no equivalent for (``DELETE``) are refused with a message; ``SELECT * REPLACE``
is expanded by the Spark engine, which knows its views' columns.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import sqlglot
from sqlglot import exp

from flowmine.errors import TranslationError


def _spark(node: exp.Expression) -> str:
    return node.sql(dialect="spark")


def _ordered_list(node: exp.ArrayAgg) -> exp.Expression:
    order = node.this
    assert isinstance(order, exp.Order)
    keys = []
    for i, o in enumerate(order.expressions):
        if o.args.get("desc"):
            raise TranslationError("LIST(... ORDER BY ... DESC) is not translated to Spark")
        keys.append(f"{_spark(o.this)} AS k{i}")
    value = _spark(order.this)
    text = f"TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT({', '.join(keys)}, {value} AS v))), s -> s.v)"
    return exp.maybe_parse(text, dialect="spark")


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Anonymous):
        name = str(node.this).lower()
        if name == "epoch_us":
            return exp.Anonymous(this="UNIX_MICROS", expressions=node.expressions)
        if name in ("make_timestamptz", "make_timestamp"):
            return exp.Anonymous(this="TIMESTAMP_MICROS", expressions=node.expressions)
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
        return _ordered_list(node)
    if isinstance(node, exp.Length) and isinstance(node.this, exp.Column) and node.this.name == "trace":
        return exp.Anonymous(this="SIZE", expressions=[node.this])
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
        index = node.expressions[0]
        literal = index.this if isinstance(index, exp.Neg) else index
        if isinstance(literal, exp.Literal) and literal.is_int:
            # the DuckDB parser already moved the index to sqlglot's 0-based one: move it back
            one_based = (-int(literal.this) if isinstance(index, exp.Neg) else int(literal.this)) + 1
            return exp.Anonymous(this="ELEMENT_AT", expressions=[node.this, exp.Literal.number(one_based)])
    if isinstance(node, exp.Literal) and not node.is_string:
        text = node.this
        if "." in text and "e" not in text.lower():
            return exp.Literal.number(f"{text}E0")
    return node


def _inline_ctes(node: exp.Expr) -> exp.Expr:
    """``WITH a AS (q) SELECT ... FROM a`` → ``SELECT ... FROM (q) AS a`` (every reference, in order)."""
    with_ = node.args.get("with_") if isinstance(node, exp.Query) else None
    if not isinstance(with_, exp.With):
        return node
    if with_.args.get("recursive"):
        raise TranslationError("WITH RECURSIVE is not translated to Spark")
    node.set("with_", None)
    bodies: dict[str, exp.Expr] = {}

    def inline(n: exp.Expr) -> exp.Expr:
        if isinstance(n, exp.Table) and not n.args.get("db") and n.name in bodies:
            return exp.Subquery(this=bodies[n.name].copy(),
                                alias=exp.TableAlias(this=exp.to_identifier(n.alias or n.name)))
        return n

    for cte in with_.expressions:
        bodies[cte.alias] = _inline_all(cte.this).transform(inline)
    return node.transform(inline)


def _inline_all(tree: exp.Expr) -> exp.Expr:
    for query in reversed(list(tree.find_all(exp.Query))):  # innermost first
        if isinstance(query.args.get("with_"), exp.With):
            if query is tree:
                return _inline_ctes(query)
            query.replace(_inline_ctes(query.copy()))
    return tree


def _owner(node: exp.Expr) -> exp.Expr | None:
    return node.find_ancestor(exp.Select)


def _rank_quantiles(select: exp.Select) -> None:
    """Rewrite the ``quantile_cont(x, q)`` aggregates of ``select`` (in place) as ranks + interpolation.

    ``SELECT k, SUM(y), quantile_cont(x, q) FROM src WHERE c GROUP BY k`` becomes ::

        SELECT k, SUM(y), MAX(__qt.__m0) FROM src LEFT JOIN (
            SELECT __k0, lo + (hi - lo) * ((n - 1) * q - FLOOR((n - 1) * q)) AS __m0 FROM (
                SELECT k AS __k0, x AS __qv0,
                       ROW_NUMBER() OVER (PARTITION BY k ORDER BY x NULLS LAST) AS __qr0,
                       COUNT(x) OVER (PARTITION BY k) AS __qn0
                FROM src WHERE c) GROUP BY __k0) AS __qt ON k <=> __qt.__k0
        WHERE c GROUP BY k

    with ``lo`` / ``hi`` = ``MAX(CASE WHEN __qr0 = FLOOR / CEIL((__qn0 - 1) * q) + 1 THEN __qv0 END)``
    and ``n`` = ``MAX(__qn0)``: DuckDB's ``quantile_cont`` (RN = (n-1)q, interpolated between the
    values at FLOOR(RN) and CEIL(RN)); NULL where a group has no value. The quantiles are one small
    relation per group, joined back (broadcast): the other aggregates (``COUNT(DISTINCT)`` above all)
    keep the source's partitioning. The source must be one relation (a table or subquery, no join):
    aggregate it first and join the result.
    """
    quantiles = [p for p in select.find_all(exp.PercentileCont)
                 if p.args.get("expression") is not None and _owner(p) is select]
    if not quantiles:
        return
    source = select.args.get("from_")
    if source is None or select.args.get("joins") or isinstance(source.this, exp.Unnest):
        raise TranslationError("quantile_cont over a join is not translated to Spark: aggregate one relation first")
    group = select.args.get("group")
    keys: list[exp.Expr] = []
    if group is not None:
        if group.args.get("all") or any(group.args.get(k) for k in ("grouping_sets", "cube", "rollup")):
            raise TranslationError("quantile_cont with GROUP BY ALL / grouping sets is not translated to Spark")
        projections = select.expressions
        for key in group.expressions:
            if isinstance(key, exp.Literal) and key.is_int:  # GROUP BY 2: the second projection
                target = projections[int(key.this) - 1]
                key = target.this if isinstance(target, exp.Alias) else target
            keys.append(key.copy())
    key_cols = [exp.column(f"__k{i}") for i in range(len(keys))]
    values: dict[str, int] = {}
    inner_cols: list[exp.Expr] = [exp.alias_(k.copy(), f"__k{i}") for i, k in enumerate(keys)]
    outer_cols: list[exp.Expr] = [c.copy() for c in key_cols]
    for i, p in enumerate(quantiles):
        value = p.this
        j = values.setdefault(value.sql(dialect="duckdb"), len(values))
        if len(inner_cols) == len(keys) + 3 * j:  # the first quantile of this value: its ranks
            order = exp.Order(expressions=[exp.Ordered(this=value.copy(), nulls_first=False)])
            inner_cols += [
                exp.alias_(value.copy(), f"__qv{j}"),
                exp.alias_(exp.Window(this=exp.RowNumber(), partition_by=[k.copy() for k in keys], order=order),
                           f"__qr{j}"),
                exp.alias_(exp.Window(this=exp.Count(this=value.copy()), partition_by=[k.copy() for k in keys]),
                           f"__qn{j}"),
            ]
        q = p.expression.sql(dialect="duckdb")
        rank, n_rank = f"(__qn{j} - 1) * ({q})", f"(MAX(__qn{j}) - 1) * ({q})"
        lo = f"MAX(CASE WHEN __qr{j} = FLOOR({rank}) + 1 THEN __qv{j} END)"
        hi = f"MAX(CASE WHEN __qr{j} = CEIL({rank}) + 1 THEN __qv{j} END)"
        outer_cols.append(exp.alias_(sqlglot.parse_one(f"{lo} + ({hi} - {lo}) * ({n_rank} - FLOOR({n_rank}))",
                                                       read="duckdb"), f"__m{i}"))
        p.replace(exp.Max(this=exp.column(f"__m{i}", table="__qt")))
    where = select.args.get("where")
    inner = exp.select(*inner_cols).from_(source.this.copy())
    if where is not None:
        inner.set("where", where.copy())
    table = exp.select(*outer_cols).from_(exp.Subquery(this=inner, alias=exp.TableAlias(
        this=exp.to_identifier("__qi"))))
    if keys:
        table = table.group_by(*[c.copy() for c in key_cols])
    relation = exp.Subquery(this=table, alias=exp.TableAlias(this=exp.to_identifier("__qt")))
    if keys:
        on = exp.and_(*[exp.NullSafeEQ(this=k.copy(), expression=exp.column(f"__k{i}", table="__qt"))
                        for i, k in enumerate(keys)])
        select.set("joins", [exp.Join(this=relation, side="LEFT", on=on)])
    else:
        select.set("joins", [exp.Join(this=relation, kind="CROSS")])


def _renamer(names: dict[str, str], ctes: set[str]) -> Callable[[exp.Expression], exp.Expression]:
    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and not node.args.get("db") and node.name in names and node.name not in ctes:
            alias = node.alias or node.name  # qualifiers (inst.x) keep working
            return exp.Table(this=exp.to_identifier(names[node.name]), alias=exp.TableAlias(
                this=exp.to_identifier(alias)))
        return node
    return rename


@lru_cache(maxsize=1024)
def to_spark(sql: str, names: tuple[tuple[str, str], ...] = ()) -> str:
    """Spark SQL for one DuckDB query; ``names``: (table, view) pairs renaming the tables it reads."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise TranslationError(f"cannot parse the query for Spark: {exc}") from exc
    if isinstance(tree, exp.Delete):
        raise TranslationError("DELETE has no Spark SQL equivalent on views; use Engine.keep_cases")
    for star in tree.find_all(exp.Star):
        if star.args.get("replace"):  # the Spark engine expands it from its views' columns first
            raise TranslationError("SELECT * REPLACE (...) needs the columns of the relation (SparkEngine.execute)")
    tree = _inline_all(tree)
    for select in reversed(list(tree.find_all(exp.Select))):  # innermost first
        _rank_quantiles(select)
    tree = tree.transform(_rewrite)
    if names:
        ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
        tree = tree.transform(_renamer(dict(names), ctes))
    return tree.sql(dialect="spark")
