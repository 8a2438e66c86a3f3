"""The four reference processes flowmine ships: sales, procurement, production and finance.

Each definition mirrors its BPMN model in ``models/<name>.bpmn`` (the tests replay every
conforming simulated case on it with fitness 1.0). Service times are mean working minutes,
hourly rates are CNY, staff names are deterministic. Each process has one scarce role that makes
its planted bottleneck (an approver or inspector present on few weekdays, with little slack),
and a change point that adds a second person to that role.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowmine.simulate._calendar import Calendar
from flowmine.simulate._definitions import (
    Activity,
    ChangePoint,
    Deviations,
    Late,
    ProcessDef,
    Role,
    Step,
    names,
)

OFFICE = Calendar()
SHOP_FLOOR = Calendar(8.0, 20.0, (0, 1, 2, 3, 4, 5))
RATES = {"skip": 0.03, "swap": 0.02, "insert": 0.02, "four_eyes": 0.015, "late": 0.012}


def _acts(*items: Activity) -> dict[str, Activity]:
    return {a.name: a for a in items}


def _lognormal_amount(rng: np.random.Generator, median: float, sigma: float) -> float:
    return round(float(median * np.exp(sigma * rng.standard_normal())), 2)


# --- sales / order-to-cash ---------------------------------------------------------------------
def _sales_attributes(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "customer": f"CUST-{int(rng.integers(1, 401)):04d}",
        "region": str(rng.choice(["East", "North", "South", "West", "Central"], p=[0.35, 0.2, 0.25, 0.1, 0.1])),
        "product": str(rng.choice(["Pump", "Valve", "Motor", "Controller"])),
        "amount": _lognormal_amount(rng, 80_000.0, 0.8),
    }


def _sales_plan(rng: np.random.Generator, attrs: dict[str, Any]) -> list[Step]:
    steps: list[Step] = [("Customer inquiry", None), ("Quotation", None), ("Negotiation", None)]
    while rng.random() < 0.35 and len(steps) < 7:
        steps.append(("Negotiation", None))
    for name in ("Contract signing", "Order entry and review", "Production scheduling", "Delivery"):
        steps.append((name, None))
    steps += [("Invoicing", None), ("Payment received", None)]
    if rng.random() < 0.25:
        steps.append(("After-sales service", None))
        if rng.random() < 0.3:
            steps.append(("Complaint handling", None))
    return steps


SALES = ProcessDef(
    name="sales",
    label_en="Sales / order-to-cash",
    label_zh="销售",
    case_prefix="SO",
    activities=_acts(
        Activity("Customer inquiry", "客户咨询与需求确认", "sales_rep", 30),
        Activity("Quotation", "报价", "sales_rep", 60, affinity="Customer inquiry"),
        Activity("Negotiation", "洽谈", "sales_rep", 45, lead_days=0.1, affinity="Customer inquiry"),
        Activity("Contract signing", "合同签订", "sales_director", 4, fixed_cost=50),
        Activity("Order entry and review", "订单处理", "order_desk", 40),
        Activity("Production scheduling", "生产安排", "planner", 45),
        Activity("Delivery", "产品交付", "logistics", 90, fixed_cost=300, lead_days=0.3),
        Activity("Invoicing", "开具发票", "accountant", 20, fixed_cost=5),
        Activity("Payment received", "收款确认", "accountant", 10, lead_days=0.1),
        Activity("After-sales service", "售后服务", "service", 90, lead_days=1.0),
        Activity("Complaint handling", "处理客户投诉", "service", 120),
        Activity("Order change", "订单变更", "order_desk", 30),
    ),
    model_activities=(
        "Customer inquiry",
        "Quotation",
        "Negotiation",
        "Contract signing",
        "Order entry and review",
        "Production scheduling",
        "Delivery",
        "Invoicing",
        "Payment received",
        "After-sales service",
        "Complaint handling",
    ),
    roles={
        "sales_rep": Role("sales_rep", "销售代表", 120, names(11, 10)),
        "sales_director": Role("sales_director", "销售总监", 400, names(12, 1), Calendar(9.0, 13.0, (0, 3))),
        "order_desk": Role("order_desk", "订单专员", 90, names(13, 3)),
        "planner": Role("planner", "生产计划员", 110, names(14, 3)),
        "logistics": Role("logistics", "物流专员", 80, names(15, 4), SHOP_FLOOR),
        "accountant": Role("accountant", "应收会计", 100, names(16, 2)),
        "service": Role("service", "售后工程师", 110, names(17, 3)),
    },
    arrivals_per_day=20.0,
    plan=_sales_plan,
    attributes=_sales_attributes,
    deviations=Deviations(
        skip=("Contract signing",),
        swap=("Delivery", "Invoicing"),
        insert=("Order change", "Order entry and review"),
        late=Late("Invoicing", "Payment received", 30, "d", (2, 12)),
        rates={k: v for k, v in RATES.items() if k != "four_eyes"},
    ),
    bottleneck="Contract signing",
    change=ChangePoint(
        "Contract signing",
        "副总监" + names(18, 1)[0],
        "A deputy sales director signs contracts on Tuesday and Friday mornings too",
        "增设副总监，周二、周五上午也签署合同",
        weekdays=(0, 1, 3, 4),
    ),
    rework_steps=("Negotiation",),
    quality_steps=(),
)


# --- procurement / purchase-to-pay -------------------------------------------------------------
def _proc_attributes(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "supplier": f"SUP-{int(rng.integers(1, 121)):03d}",
        "department": str(rng.choice(["Production", "R&D", "Sales", "Admin"], p=[0.5, 0.2, 0.15, 0.15])),
        "category": str(rng.choice(["Raw material", "Spare parts", "Office", "IT", "Services"])),
        "amount": _lognormal_amount(rng, 30_000.0, 1.0),
    }


def _proc_plan(rng: np.random.Generator, attrs: dict[str, Any]) -> list[Step]:
    steps: list[Step] = [("Purchase requisition", None)]
    for attempt in range(3):
        failed = attempt < 2 and rng.random() < (0.10 if attempt == 0 else 0.04)
        steps.append(("Requisition review", "fail" if failed else "pass"))
        if not failed:
            break
        steps.append(("Revise requisition", None))
    steps += [
        ("Supplier selection and negotiation", None),
        ("Contract and purchase order", None),
        ("PO approval", None),
    ]
    pair: list[Step] = [("Goods receipt", None), ("Invoice received", None)]
    if rng.random() < 0.25:  # invoice before the goods: the BPMN has both in parallel
        pair.reverse()
    steps += pair
    steps += [("Three-way match", "pass"), ("Payment", None)]
    return steps


PROCUREMENT = ProcessDef(
    name="procurement",
    label_en="Procurement / purchase-to-pay",
    label_zh="采购",
    case_prefix="PR",
    activities=_acts(
        Activity("Purchase requisition", "采购需求申请", "requester", 30),
        Activity("Requisition review", "需求审核", "dept_manager", 20),
        Activity("Revise requisition", "修改采购申请", "requester", 20),
        Activity("Supplier selection and negotiation", "供应商选择与谈判", "buyer", 120),
        Activity(
            "Contract and purchase order",
            "合同签订与采购订单",
            "buyer",
            45,
            fixed_cost=20,
            affinity="Supplier selection and negotiation",
        ),
        Activity("PO approval", "采购订单审批", "proc_manager", 7),
        Activity("Goods receipt", "物料采购与入库", "warehouse", 45, fixed_cost=40, lead_days=0.5),
        Activity("Invoice received", "收到发票", "ap_clerk", 10, lead_days=0.2),
        Activity("Three-way match", "三单匹配", "ap_clerk", 20),
        Activity("Payment", "付款", "cashier", 10, fixed_cost=10),
        Activity("Change order", "采购订单变更", "buyer", 40),
    ),
    model_activities=(
        "Purchase requisition",
        "Requisition review",
        "Revise requisition",
        "Supplier selection and negotiation",
        "Contract and purchase order",
        "PO approval",
        "Goods receipt",
        "Invoice received",
        "Three-way match",
        "Payment",
    ),
    roles={
        "requester": Role("requester", "申请人", 80, names(21, 36), pooled=False),
        "dept_manager": Role("dept_manager", "部门经理", 250, names(22, 4)),
        "buyer": Role("buyer", "采购员", 120, names(23, 6)),
        "proc_manager": Role("proc_manager", "采购经理", 300, names(24, 1), Calendar(9.0, 18.0, (2,))),
        "warehouse": Role("warehouse", "仓管员", 70, names(25, 3), SHOP_FLOOR),
        "ap_clerk": Role("ap_clerk", "应付会计", 100, names(26, 2)),
        "cashier": Role("cashier", "出纳", 90, names(27, 1)),
    },
    arrivals_per_day=12.0,
    plan=_proc_plan,
    attributes=_proc_attributes,
    deviations=Deviations(
        skip=("PO approval",),
        swap=("Goods receipt", "Payment"),
        insert=("Change order", "PO approval"),
        four_eyes=("Purchase requisition", "Requisition review"),
        late=Late("Invoice received", "Payment", 30, "d", (2, 12)),
        rates=dict(RATES),
    ),
    bottleneck="PO approval",
    change=ChangePoint(
        "PO approval",
        "副经理" + names(28, 1)[0],
        "A deputy procurement manager holds a second weekly approval round (Monday)",
        "增设采购副经理，每周一增加一次审批",
        weekdays=(0, 2),
    ),
    rework_steps=("Requisition review",),
    quality_steps=("Requisition review", "Three-way match"),
    owner_role="requester",
    owner_overlap=0.08,
)


# --- production / plan-to-produce --------------------------------------------------------------
def _prod_attributes(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "product": str(rng.choice(["P-100 Pump", "V-200 Valve", "M-300 Motor", "C-400 Controller"])),
        "line": str(rng.choice(["Line 1", "Line 2", "Line 3"])),
        "quantity": int(rng.integers(10, 500)),
    }


def _prod_plan(rng: np.random.Generator, attrs: dict[str, Any]) -> list[Step]:
    steps: list[Step] = [
        ("Production planning", None),
        ("Material preparation", None),
        ("Processing/assembly", None),
    ]
    for attempt in range(4):
        failed = attempt < 3 and rng.random() < (0.15 if attempt == 0 else 0.2)
        steps.append(("Quality inspection", "fail" if failed else "pass"))
        if not failed:
            break
        steps.append(("Rework", None))
    steps += [("Finished goods warehousing", None), ("Packing and shipping", None)]
    return steps


PRODUCTION = ProcessDef(
    name="production",
    label_en="Production / plan-to-produce",
    label_zh="生产",
    case_prefix="MO",
    activities=_acts(
        Activity("Production planning", "生产计划制定", "planner", 40),
        Activity("Material preparation", "原材料准备", "material_handler", 60, fixed_cost=200),
        Activity("Processing/assembly", "加工/组装", "operator", 240, sigma=0.4, fixed_cost=500),
        Activity("Quality inspection", "质量控制与检验", "inspector", 31, sigma=0.4, fixed_cost=30),
        Activity("Rework", "返工", "rework_tech", 90, fixed_cost=150),
        Activity("Finished goods warehousing", "成品入库", "material_handler", 30),
        Activity("Packing and shipping", "产品包装与出货", "packer", 60, fixed_cost=80),
        Activity("Expedite order", "加急处理", "planner", 20),
    ),
    model_activities=(
        "Production planning",
        "Material preparation",
        "Processing/assembly",
        "Quality inspection",
        "Rework",
        "Finished goods warehousing",
        "Packing and shipping",
    ),
    roles={
        "planner": Role("planner", "计划员", 110, names(31, 2)),
        "material_handler": Role("material_handler", "物料员", 70, names(32, 3), SHOP_FLOOR),
        "operator": Role("operator", "操作工", 60, names(33, 7), SHOP_FLOOR),
        "inspector": Role("inspector", "质检员", 90, names(34, 1), Calendar(9.0, 18.0, (0, 1, 2, 3))),
        "rework_tech": Role("rework_tech", "返工技工", 65, names(35, 2), SHOP_FLOOR),
        "packer": Role("packer", "包装工", 55, names(36, 3), SHOP_FLOOR),
    },
    arrivals_per_day=10.0,
    plan=_prod_plan,
    attributes=_prod_attributes,
    deviations=Deviations(
        skip=("Quality inspection", "Rework"),
        swap=("Finished goods warehousing", "Packing and shipping"),
        insert=("Expedite order", "Production planning"),
        rates={k: v for k, v in RATES.items() if k in ("skip", "swap", "insert")},
    ),
    bottleneck="Quality inspection",
    change=ChangePoint(
        "Quality inspection",
        "质检员" + names(37, 1)[0],
        "A second quality inspector is hired; the lab also opens on Fridays",
        "增加第二名质检员，质检室周五也开放",
        weekdays=(0, 1, 2, 3, 4),
    ),
    rework_steps=("Quality inspection", "Rework"),
    quality_steps=("Quality inspection",),
)


# --- finance / expense claim-to-payment ---------------------------------------------------------
def _fin_attributes(rng: np.random.Generator) -> dict[str, Any]:
    kind = str(rng.choice(["Travel", "Meals", "Office supplies", "Training"], p=[0.45, 0.25, 0.2, 0.1]))
    median = {"Travel": 2500.0, "Meals": 600.0, "Office supplies": 400.0, "Training": 3000.0}[kind]
    return {
        "department": str(rng.choice(["Production", "R&D", "Sales", "Admin", "Finance"])),
        "expense_type": kind,
        "amount": _lognormal_amount(rng, median, 0.9),
    }


def _fin_plan(rng: np.random.Generator, attrs: dict[str, Any]) -> list[Step]:
    steps: list[Step] = [("Submit expense claim", None)]
    for attempt in range(3):
        failed = attempt < 2 and rng.random() < (0.15 if attempt == 0 else 0.05)
        steps.append(("Finance review", "fail" if failed else "pass"))
        if not failed:
            break
        steps.append(("Revise claim", None))
    steps += [("GM approval", None), ("Cashier payment", None), ("Voucher booking", None)]
    return steps


FINANCE = ProcessDef(
    name="finance",
    label_en="Finance / expense claim-to-payment",
    label_zh="财务",
    case_prefix="EC",
    activities=_acts(
        Activity("Submit expense claim", "提交报销", "employee", 15),
        Activity("Finance review", "财务审核", "finance_clerk", 15),
        Activity("Revise claim", "修改报销单", "employee", 20),
        Activity("GM approval", "总经理审批", "gm", 5.2),
        Activity("Cashier payment", "出纳付款", "cashier", 6, fixed_cost=2),
        Activity("Voucher booking", "录入凭证", "accountant", 8),
        Activity("Urgent payment request", "加急付款申请", "employee", 10),
    ),
    model_activities=(
        "Submit expense claim",
        "Finance review",
        "Revise claim",
        "GM approval",
        "Cashier payment",
        "Voucher booking",
    ),
    roles={
        "employee": Role("employee", "员工", 70, names(41, 120), pooled=False),
        "finance_clerk": Role("finance_clerk", "财务会计", 100, names(42, 3)),
        "gm": Role("gm", "总经理", 800, names(43, 1), Calendar(14.0, 18.0, (0, 2, 4))),
        "cashier": Role("cashier", "出纳", 90, names(44, 1)),
        "accountant": Role("accountant", "总账会计", 100, names(45, 1)),
    },
    arrivals_per_day=24.0,
    plan=_fin_plan,
    attributes=_fin_attributes,
    deviations=Deviations(
        skip=("GM approval",),
        swap=("GM approval", "Cashier payment"),
        insert=("Urgent payment request", "GM approval"),
        four_eyes=("Submit expense claim", "Finance review"),
        late=Late("Submit expense claim", "Finance review", 3, "wd", (2, 8)),
        rates=dict(RATES),
    ),
    bottleneck="GM approval",
    change=ChangePoint(
        "GM approval",
        "副总经理" + names(46, 1)[0],
        "A deputy general manager approves claims too",
        "授权副总经理同时审批报销",
        weekdays=None,
    ),
    rework_steps=("Finance review",),
    quality_steps=("Finance review",),
    owner_role="employee",
    owner_overlap=0.06,
)

PROCESSES: dict[str, ProcessDef] = {p.name: p for p in (SALES, PROCUREMENT, PRODUCTION, FINANCE)}
