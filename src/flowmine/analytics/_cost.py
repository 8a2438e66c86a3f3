"""Cost per step, case, resource and role; and the cost of rework.

Cost comes from the log's cost attribute (``cost:total``, summed per currency: the currency is carried,
never assumed, and amounts in different currencies are never added), or, where only rates are known,
from a rate table: hourly rate of the instance's role (or resource) × its service time. Instances
without a start have no service time, hence no rate cost (counted in ``instances_unpriced``).
**Rework cost** is the cost of repeated executions (the second and later execution of a step in a case).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from flowmine.analytics._common import declare, run
from flowmine.analytics._log import LogLike, check_option
from flowmine.analytics._sql import Engine
from flowmine.errors import AnalyticsError

RATE_BY = ("role", "resource")
LEVELS = {"log": None, "case": '"case"', "activity": "activity", "resource": "resource", "role": "role"}
_VALUES = ("currency", "instances", "instances_unpriced", "cost_total", "cost_mean", "rework_cost")
COST_COLUMNS = {lvl: declare("cost", lvl, ((k.strip('"'),) if k else ()) + _VALUES) for lvl, k in LEVELS.items()}


def cost(log: LogLike, level: str = "activity", rates: Mapping[str, float] | None = None,
         rate_by: str = "role", currency: str | None = None) -> pd.DataFrame:
    """Cost per level, per currency.

    Parameters
    ----------
    log : DataFrame, Arrow table or StoredLog
    level : {"log", "case", "activity", "resource", "role"}
    rates : mapping of role (or resource) to an hourly rate, optional
        When given, cost = rate × service time (hours) instead of the cost attribute.
    rate_by : {"role", "resource"}
        Which column the rate table is keyed by.
    currency : str
        Currency of the rates (required with ``rates``).

    Returns
    -------
    DataFrame
        The grouping column (none at ``log``), currency, instances (priced), instances_unpriced
        (no cost value, or no rate / no start), cost_total, cost_mean (per priced instance),
        rework_cost (of executions after the first in a case). One row per group and currency.

    Examples
    --------
    >>> from flowmine.analytics import cost, stored
    >>> cost(stored(STORE, "finance"), level="log")["currency"].tolist()  # STORE: a store's path
    ['CNY']
    """
    check_option("level", level, LEVELS, "cost")
    check_option("rate_by", rate_by, RATE_BY, "cost")
    if rates is not None and not currency:
        raise AnalyticsError("cost: a rate table needs its currency (currency='CNY'); it is never assumed")
    key = LEVELS[level]

    def build(eng: Engine) -> pd.DataFrame:
        if rates is not None:
            eng.con.register("rates", pd.DataFrame({"k": list(rates), "rate": [float(v) for v in rates.values()]}))
            src = (f"SELECT i.*, r.rate * i.service_us / 3.6e9 AS amount, "
                   f"CAST('{str(currency).replace(chr(39), '')}' AS VARCHAR) AS cur "
                   f"FROM inst i LEFT JOIN rates r ON r.k = i.{rate_by}")
        else:
            src = "SELECT *, cost AS amount, currency AS cur FROM inst"
        group = f"{key}, " if key else ""
        return eng.frame(
            f"WITH s AS ({src}) SELECT {group}cur AS currency, COUNT(amount) AS instances, "
            f"COUNT(*) - COUNT(amount) AS instances_unpriced, COALESCE(SUM(amount), 0) AS cost_total, "
            f"AVG(amount) AS cost_mean, COALESCE(SUM(amount) FILTER (WHERE repetition > 1), 0) AS rework_cost "
            f"FROM s GROUP BY ALL HAVING COUNT(amount) > 0 OR cur IS NULL "
            f"ORDER BY cost_total DESC, {group}currency")

    return run(log, build, COST_COLUMNS[level])
