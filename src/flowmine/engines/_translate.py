"""DuckDB SQL → Spark SQL, by sqlglot, plus the few rewrites sqlglot does not do (or does differently).

Every query of ``flowmine.analytics`` is written once, in DuckDB SQL that avoids dialect functions
where it can. sqlglot translates quoting, ``FILTER``, ``ARRAY_TO_STRING``, ``GENERATE_SERIES``,
``NULLS LAST`` defaults (DuckDB sorts NULLs last, Spark first) and the rest; these rewrites run on
the DuckDB syntax tree before Spark SQL is written:

* ``epoch_us(t)`` → ``UNIX_MICROS(t)``; ``make_timestamptz(us)`` → ``TIMESTAMP_MICROS(us)``;
* ``LIST(x ORDER BY k1, k2)`` → ``TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(k1, k2, x))), s -> s.v)``:
  sqlglot drops the ``ORDER BY`` (``COLLECT_LIST`` has no order), which would change the variants;
* ``quantile_cont(x, q)`` → ``PERCENTILE(x, q)`` (exact, linear interpolation = numpy's default);
* ``len(trace)`` → ``SIZE(trace)`` (a list's length; ``LENGTH`` is for text in Spark);
* ``list[i]`` with a literal index → ``ELEMENT_AT(list, i)`` (1-based, negative from the end, as DuckDB);
* decimal literals (``1234.5``) → ``1234.5E0``: Spark reads a plain decimal literal as DECIMAL (slow,
  and a different arithmetic); with an exponent it is a DOUBLE, as in DuckDB.

Statements Spark has no equivalent for (``DELETE``, ``SELECT * REPLACE``) are refused with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import sqlglot
from sqlglot import exp

from flowmine.errors import FlowmineError


class TranslationError(FlowmineError):
    """A query has no Spark SQL equivalent (yet)."""


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
    if isinstance(node, exp.PercentileCont) and node.args.get("expression") is not None:
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
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
        if star.args.get("replace"):
            raise TranslationError("SELECT * REPLACE (...) (business-time calendars) is not supported on Spark yet")
    tree = tree.transform(_rewrite)
    if names:
        ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
        tree = tree.transform(_renamer(dict(names), ctes))
    return tree.sql(dialect="spark")
