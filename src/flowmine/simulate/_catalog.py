"""The simulation parameters of the four packaged processes: sales, procurement, production, finance.

What a process *is* comes from its definition (``flowmine.processes``: activity names, Chinese
labels, roles, which activities the reference model holds, the process labels); this module adds
only what the simulator needs to run it, keyed by the definition's activity and role names:
service times (mean working minutes), costs, external lead times, staff with their hourly rates
(CNY) and working hours, arrivals, the plan and attribute functions, the planted deviations,
bottleneck and change point. Each plan mirrors the definition's BPMN model (the tests replay every
conforming simulated case on it with fitness 1.0). Each process has one scarce role that makes
its planted bottleneck (an approver or inspector present on few weekdays, with little slack),
and a change point that adds a second person to that role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flowmine.processes import load_process, packaged_folder
from flowmine.simulate._calendar import Calendar
from flowmine.simulate._definitions import (
    Activity,
    ChangePoint,
    Deviations,
    Late,
    PlantedBatch,
    PlantedFactor,
    ProcessDef,
    Role,
    Step,
    names,
)

OFFICE = Calendar()
SHOP_FLOOR = Calendar(8.0, 20.0, (0, 1, 2, 3, 4, 5))
RATES = {"skip": 0.03, "swap": 0.02, "insert": 0.02, "four_eyes": 0.015, "late": 0.012}


@dataclass(frozen=True)
class Sim:
    """How one activity of a definition is simulated (the fields of :class:`Activity` after its role)."""

    minutes: float
    sigma: float = 0.5
    fixed_cost: float = 0.0
    lead_days: float = 0.0
    affinity: str | None = None


@dataclass(frozen=True)
class Staff:
    """The staff of one role of a definition: hourly rate, people, working hours, pooled or the case owner."""

    hourly_rate: float
    staff: tuple[str, ...]
    calendar: Calendar = field(default_factory=Calendar)
    pooled: bool = True


def _process(name: str, *, activities: dict[str, Sim], roles: dict[str, Staff], **rest: Any) -> ProcessDef:
    """The :class:`ProcessDef` of a packaged definition: names, labels and roles from it, the rest given."""
    cfg = load_process(name, folder=packaged_folder())
    if set(activities) != set(cfg.activities) or set(roles) != set(cfg.roles):
        raise RuntimeError(f"the simulation of {name!r} does not cover the activities and roles of its definition")
    acts = {
        act: Activity(act, str(spec["zh"]), str(spec["role"]), **vars(activities[act]))
        for act, spec in cfg.activities.items()
    }
    staffed = {role: Role(role, str(spec["zh"]), **vars(roles[role])) for role, spec in cfg.roles.items()}
    return ProcessDef(
        name=name,
        label_en=cfg.label_en,
        label_zh=cfg.label_zh,
        activities=acts,
        model_activities=tuple(cfg.model_activities),
        roles=staffed,
        **rest,
    )


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


SALES = _process(
    "sales",
    case_prefix="SO",
    activities={
        "Customer inquiry": Sim(30),
        "Quotation": Sim(60, affinity="Customer inquiry"),
        "Negotiation": Sim(45, lead_days=0.1, affinity="Customer inquiry"),
        "Contract signing": Sim(4, fixed_cost=50),
        "Order entry and review": Sim(40),
        "Production scheduling": Sim(45),
        "Delivery": Sim(90, fixed_cost=300, lead_days=0.3),
        "Invoicing": Sim(20, fixed_cost=5),
        "Payment received": Sim(10, lead_days=0.1),
        "After-sales service": Sim(90, lead_days=1.0),
        "Complaint handling": Sim(120),
        "Order change": Sim(30),
    },
    roles={
        "sales_rep": Staff(120, names(11, 10)),
        "sales_director": Staff(400, names(12, 1), Calendar(9.0, 13.0, (0, 3))),
        "order_desk": Staff(90, names(13, 3)),
        "planner": Staff(110, names(14, 3)),
        "logistics": Staff(80, names(15, 4), SHOP_FLOOR),
        "accountant": Staff(100, names(16, 2)),
        "service": Staff(110, names(17, 3)),
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
#: Suppliers: ten large ones take 4 % of the requisitions each, the other 110 share the rest evenly.
_SUPPLIER_P = np.array([0.04] * 10 + [0.6 / 110] * 110)


def _proc_attributes(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "supplier": f"SUP-{int(rng.choice(120, p=_SUPPLIER_P)) + 1:03d}",
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


PROCUREMENT = _process(
    "procurement",
    case_prefix="PR",
    activities={
        "Purchase requisition": Sim(30),
        "Requisition review": Sim(20),
        "Revise requisition": Sim(20),
        "Supplier selection and negotiation": Sim(120),
        "Contract and purchase order": Sim(45, fixed_cost=20, affinity="Supplier selection and negotiation"),
        "PO approval": Sim(7),
        "Goods receipt": Sim(45, fixed_cost=40, lead_days=0.5),
        "Invoice received": Sim(10, lead_days=0.2),
        "Three-way match": Sim(20),
        "Payment": Sim(10, fixed_cost=10),
        "Change order": Sim(40),
    },
    roles={
        "requester": Staff(80, names(21, 36), pooled=False),
        "dept_manager": Staff(250, names(22, 4)),
        "buyer": Staff(120, names(23, 6)),
        "proc_manager": Staff(300, names(24, 1), Calendar(9.0, 18.0, (2,))),
        "warehouse": Staff(70, names(25, 3), SHOP_FLOOR),
        "ap_clerk": Staff(100, names(26, 2)),
        "cashier": Staff(90, names(27, 1)),
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
    factors=(PlantedFactor("Goods receipt", "supplier", "SUP-007", "==", 2.0,
                           "Supplier SUP-007 delivers late: its goods receipts wait about two days more",
                           "供应商 SUP-007 交货迟：其收货约多等两天", cap_days=5.0),),
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


PRODUCTION = _process(
    "production",
    case_prefix="MO",
    activities={
        "Production planning": Sim(40),
        "Material preparation": Sim(60, fixed_cost=200),
        "Processing/assembly": Sim(240, sigma=0.4, fixed_cost=500),
        "Quality inspection": Sim(31, sigma=0.4, fixed_cost=30),
        "Rework": Sim(90, fixed_cost=150),
        "Finished goods warehousing": Sim(30),
        "Packing and shipping": Sim(60, fixed_cost=80),
        "Expedite order": Sim(20),
    },
    roles={
        "planner": Staff(110, names(31, 2)),
        "material_handler": Staff(70, names(32, 3), SHOP_FLOOR),
        "operator": Staff(60, names(33, 7), SHOP_FLOOR),
        "inspector": Staff(90, names(34, 1), Calendar(9.0, 18.0, (0, 1, 2, 3))),
        "rework_tech": Staff(65, names(35, 2), SHOP_FLOOR),
        "packer": Staff(55, names(36, 3), SHOP_FLOOR),
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
    batches=(PlantedBatch("Packing and shipping", 0.3, 14.0,
                          "One packer packs the orders given to them (30 %) together for the 14:00 carrier pick-up",
                          "一名包装工把分给他的订单（30%）攒到一起，赶下午两点的物流取货统一包装出货"),),
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


FINANCE = _process(
    "finance",
    case_prefix="EC",
    activities={
        "Submit expense claim": Sim(15),
        "Finance review": Sim(15),
        "Revise claim": Sim(20),
        "GM approval": Sim(5.2),
        "Cashier payment": Sim(6, fixed_cost=2),
        "Voucher booking": Sim(8),
        "Urgent payment request": Sim(10),
    },
    roles={
        "employee": Staff(70, names(41, 120), pooled=False),
        "finance_clerk": Staff(100, names(42, 3)),
        "gm": Staff(800, names(43, 1), Calendar(14.0, 18.0, (0, 2, 4))),
        "cashier": Staff(90, names(44, 1)),
        "accountant": Staff(100, names(45, 1)),
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
    factors=(PlantedFactor("Finance review", "department", "R&D", "==", 0.5,
                           "R&D's claims lie about half a working day in the finance inbox before review",
                           "研发部的报销单在财务审核前约多搁置半个工作日", cap_days=1.5),  # review within 3 wd

             PlantedFactor("Cashier payment", "amount", 5000.0, ">=", 1.0,
                           "Payments of 5,000 CNY or more wait about a working day for a second signature",
                           "5000元及以上的付款需第二人签字，约多等一个工作日", cap_days=3.0)),
)

PROCESSES: dict[str, ProcessDef] = {p.name: p for p in (SALES, PROCUREMENT, PRODUCTION, FINANCE)}
