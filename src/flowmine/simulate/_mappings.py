"""The mapping files (TOML) of the sample logs, in the format flowmine's ingestion reads.

Each mapping names the source column of every role, the timestamp format and zone, the CSV
dialect or Excel sheet, activity renames and case attributes. They are written next to the
sample files by :mod:`flowmine.simulate.samples`.
"""

from __future__ import annotations

from flowmine.simulate._catalog import PROCESSES
from flowmine.simulate._shapes import SALES_MILESTONES


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sales_mapping(tz: str) -> str:
    milestones = "\n".join(f"{col} = {_toml_str(act)}" for col, act in SALES_MILESTONES.items())
    return f"""# Sales: wide order table exported from the ERP (one row per order, completion times only).
# Negotiation can repeat; the table keeps its last time (last_negotiation_at) and a count.
[columns]
case = "order_id"

[values]
currency = "CNY"

[timestamps]
# Native Excel date-time cells, local wall-clock time of the company.
timezone = {_toml_str(tz)}

[excel]
sheet = "Orders"
header_row = 1

[milestones]
{milestones}

[milestone_resources]
inquiry_at = "sales_rep"
quoted_at = "sales_rep"
last_negotiation_at = "sales_rep"

[attributes]
case = ["customer", "region", "product", "amount", "sales_rep", "negotiation_count"]
types = {{ amount = "float", negotiation_count = "int" }}
"""


def procurement_mapping(tz: str) -> str:
    renames = "\n".join(
        f"{_toml_str(a.zh)} = {_toml_str(name)}" for name, a in PROCESSES["procurement"].activities.items()
    )
    return f"""# Procurement: event table from a Chinese ERP, GBK-encoded, Chinese headers and activity names.
[columns]
case = "采购单号"
activity = "活动"
start_timestamp = "开始时间"
timestamp = "完成时间"
resource = "执行人"
role = "岗位"
cost = "费用"
currency = "币种"
quality = "检验结果"

[timestamps]
format = "%Y/%m/%d %H:%M:%S"
timezone = {_toml_str(tz)}

[csv]
encoding = "gbk"
delimiter = ","
decimal = "."
quotechar = '"'

[activities]
{renames}

[attributes]
case = ["申请部门", "供应商", "物料类别", "金额"]
types = {{ "金额" = "float" }}
"""


def production_mapping() -> str:
    return """# Production: MES export as XES, start and complete lifecycle events as separate events.
[columns]
case = "case:concept:name"
activity = "concept:name"
timestamp = "time:timestamp"
resource = "org:resource"
role = "org:role"
cost = "cost:total"
currency = "cost:currency"
quality = "quality:outcome"
lifecycle = "lifecycle:transition"

[attributes]
case = ["product", "line", "quantity"]
types = { quantity = "int" }
"""


def finance_mapping(tz: str) -> str:
    return f"""# Finance: expense claims from a European-locale export: ';' delimiter, decimal comma,
# day-first local times with minutes.
[columns]
case = "claim_id"
activity = "step"
start_timestamp = "started"
timestamp = "completed"
resource = "user"
role = "role"
cost = "cost"
currency = "currency"
quality = "outcome"

[timestamps]
format = "%d.%m.%Y %H:%M"
timezone = {_toml_str(tz)}

[csv]
encoding = "utf-8"
delimiter = ";"
decimal = ","
quotechar = '"'

[attributes]
case = ["department", "expense_type", "amount"]
types = {{ amount = "float" }}
"""


def dirty_mapping(tz: str) -> str:
    return f"""# A small, deliberately dirty event table: the planted problems are listed in its truth file.
[columns]
case = "order_id"
activity = "activity"
start_timestamp = "start_time"
timestamp = "complete_time"
resource = "resource"
cost = "cost"

[values]
currency = "CNY"

[timestamps]
format = "%Y-%m-%d %H:%M:%S"
timezone = {_toml_str(tz)}

[csv]
encoding = "utf-8"
delimiter = ","
decimal = "."
quotechar = '"'

[events]
duplicates = "drop"         # the planted copy of row 33 is quarantined (duplicates are kept by default)
"""
