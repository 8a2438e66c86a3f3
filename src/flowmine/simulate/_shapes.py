"""Realistic export shapes of simulated logs, one per sample: the files the readers must cope with.

* :func:`sales_wide` - an ERP order report: one row per order, one completion-time column per
  milestone (Excel). A wide table cannot show repeats, so negotiation appears as its last time
  plus a count column.
* :func:`procurement_gbk` - an event table as a Chinese ERP exports it: GBK bytes, Chinese
  headers and activity names, local times ``2025/01/06 09:12:00``.
* :func:`finance_semicolon` - a European-locale export: ``;`` delimiter, decimal comma, day-first
  local times ``27.11.2026 14:05``.
* The production log is XES with start/complete lifecycle events (:mod:`._xes`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from flowmine._schema import (
    ACTIVITY,
    CASE,
    CASE_PREFIX,
    COST,
    CURRENCY,
    QUALITY,
    RESOURCE,
    ROLE,
    START,
    TIMESTAMP,
)
from flowmine.simulate._catalog import PROCESSES

#: Sales milestone columns of the wide order table, in process order.
SALES_MILESTONES: dict[str, str] = {
    "inquiry_at": "Customer inquiry",
    "quoted_at": "Quotation",
    "last_negotiation_at": "Negotiation",
    "contract_signed_at": "Contract signing",
    "order_entered_at": "Order entry and review",
    "order_changed_at": "Order change",
    "scheduled_at": "Production scheduling",
    "delivered_at": "Delivery",
    "invoiced_at": "Invoicing",
    "paid_at": "Payment received",
    "after_sales_at": "After-sales service",
    "complaint_at": "Complaint handling",
}

PROCUREMENT_HEADERS: dict[str, str] = {
    CASE: "采购单号",
    ACTIVITY: "活动",
    START: "开始时间",
    TIMESTAMP: "完成时间",
    RESOURCE: "执行人",
    ROLE: "岗位",
    COST: "费用",
    CURRENCY: "币种",
    QUALITY: "检验结果",
    "case:department": "申请部门",
    "case:supplier": "供应商",
    "case:category": "物料类别",
    "case:amount": "金额",
}
DEPARTMENTS_ZH = {
    "Production": "生产部",
    "R&D": "研发部",
    "Sales": "销售部",
    "Admin": "行政部",
    "Finance": "财务部",
}
CATEGORIES_ZH = {
    "Raw material": "原材料",
    "Spare parts": "备品备件",
    "Office": "办公用品",
    "IT": "IT设备",
    "Services": "服务",
}

FINANCE_HEADERS: dict[str, str] = {
    CASE: "claim_id",
    ACTIVITY: "step",
    START: "started",
    TIMESTAMP: "completed",
    RESOURCE: "user",
    ROLE: "role",
    COST: "cost",
    CURRENCY: "currency",
    QUALITY: "outcome",
    "case:department": "department",
    "case:expense_type": "expense_type",
    "case:amount": "amount",
}


def local(ts: pd.Series, tz: str) -> pd.Series:
    """UTC timestamps as naive local wall-clock times (what an export in that zone shows)."""
    return ts.dt.tz_convert(tz).dt.tz_localize(None)


def sales_wide(events: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The wide order table: one row per order, completion times as naive local datetimes."""
    ev = events.assign(_t=local(events[TIMESTAMP], tz))
    last = ev.groupby([CASE, ACTIVITY], sort=False)["_t"].max().unstack(ACTIVITY)
    first_by_case = ev.groupby(CASE, sort=False).first()
    rep = ev[ev[ACTIVITY] == "Customer inquiry"].set_index(CASE)[RESOURCE]
    negotiations = ev[ev[ACTIVITY] == "Negotiation"].groupby(CASE, sort=False).size()
    table = pd.DataFrame(index=first_by_case.index)
    table["customer"] = first_by_case["case:customer"]
    table["region"] = first_by_case["case:region"]
    table["product"] = first_by_case["case:product"]
    table["amount"] = first_by_case["case:amount"]
    table["sales_rep"] = rep
    for column, activity in SALES_MILESTONES.items():
        table[column] = last.get(activity, pd.NaT)
        if activity == "Negotiation":
            table["negotiation_count"] = negotiations.reindex(table.index).fillna(0).astype("int64")
    table.index.name = "order_id"
    return table.reset_index()


def procurement_gbk(events: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The Chinese ERP event table (encode it with GBK when writing)."""
    zh = {name: a.zh for name, a in PROCESSES["procurement"].activities.items()}
    roles = {name: r.zh for name, r in PROCESSES["procurement"].roles.items()}
    out = pd.DataFrame({h: events[c] for c, h in PROCUREMENT_HEADERS.items()})
    out["活动"] = events[ACTIVITY].map(zh)
    out["岗位"] = events[ROLE].map(roles)
    out["申请部门"] = events["case:department"].map(DEPARTMENTS_ZH)
    out["物料类别"] = events["case:category"].map(CATEGORIES_ZH)
    for col, src in (("开始时间", START), ("完成时间", TIMESTAMP)):
        out[col] = local(events[src], tz).dt.strftime("%Y/%m/%d %H:%M:%S")
    return out


def finance_semicolon(events: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The European-locale export: day-first minute timestamps, decimal-comma amounts (as text)."""
    out = pd.DataFrame({h: events[c] for c, h in FINANCE_HEADERS.items()})
    for col, src in (("started", START), ("completed", TIMESTAMP)):
        out[col] = local(events[src], tz).dt.strftime("%d.%m.%Y %H:%M")
    for col in ("cost", "amount"):
        out[col] = out[col].map(lambda v: f"{v:.2f}".replace(".", ","))
    return out


def visible_sales_events(table: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The event log a reader makes of the wide table: completion times only, one row per milestone."""
    rows: list[dict[str, Any]] = []
    for rec in table.to_dict("records"):
        for column, activity in SALES_MILESTONES.items():
            value = rec[column]
            if pd.notna(value):
                rows.append({CASE: rec["order_id"], ACTIVITY: activity, "_t": value})
    frame = pd.DataFrame(rows)
    frame[TIMESTAMP] = pd.DatetimeIndex(frame.pop("_t")).tz_localize(tz).tz_convert("UTC")
    return frame.sort_values([CASE, TIMESTAMP], kind="stable").reset_index(drop=True)


def sojourn_hours(events: pd.DataFrame) -> dict[str, float]:
    """Total sojourn time per step (completion minus the previous completion in the case), hours."""
    ev = events.sort_values([CASE, TIMESTAMP], kind="stable")
    prev = ev.groupby(CASE, sort=False)[TIMESTAMP].shift(1)
    hours = (ev[TIMESTAMP] - prev).dt.total_seconds() / 3600.0
    totals = hours.groupby(ev[ACTIVITY]).sum()
    return {str(k): round(float(v), 2) for k, v in totals.sort_values(ascending=False).items()}


def case_attribute_names(events: pd.DataFrame) -> list[str]:
    """The ``case:`` attribute names of a frame, without the prefix and the case id."""
    return [c[len(CASE_PREFIX) :] for c in events.columns if c.startswith(CASE_PREFIX) and c != CASE]
