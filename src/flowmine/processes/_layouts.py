"""Hand-made grid layouts of the four reference models (``models/<process>.bpmn``).

Columns run left to right; the main path is on row 0, rework loops go to row 1 below it, the
parallel receipt of goods and invoice in procurement uses rows -1 and 1, and optional after-sales
steps in sales step down to rows 1 and 2. Task names are the simulator's canonical English
activity names; Chinese labels come from the same definitions.
"""

from __future__ import annotations

from itertools import pairwise

from flowmine.models import Layout, Node
from flowmine.simulate import PROCESSES


def _tasks(process: str, cells: dict[str, tuple[float, float]]) -> list[Node]:
    acts = PROCESSES[process].activities
    return [
        Node(f"Task_{i + 1}", "task", name, col, row, acts[name].zh)
        for i, (name, (col, row)) in enumerate(cells.items())
    ]


def _ids(nodes: list[Node]) -> dict[str, str]:
    return {n.name: n.id for n in nodes if n.kind == "task"}


def sales() -> Layout:
    tasks = _tasks(
        "sales",
        {
            "Customer inquiry": (1, 0),
            "Quotation": (2, 0),
            "Negotiation": (4, 0),
            "Contract signing": (6, 0),
            "Order entry and review": (7, 0),
            "Production scheduling": (8, 0),
            "Delivery": (9, 0),
            "Invoicing": (10, 0),
            "Payment received": (11, 0),
            "After-sales service": (13, 1),
            "Complaint handling": (15, 2),
        },
    )
    t = _ids(tasks)
    nodes = [
        Node("Start", "start", "Inquiry received", 0, 0),
        *tasks,
        Node("Gw_negotiate", "xor", "", 3, 0),
        Node("Gw_agreed", "xor", "Agreed?", 5, 0),
        Node("Gw_service", "xor", "Service needed?", 12, 0),
        Node("Gw_complaint", "xor", "Complaint?", 14, 1),
        Node("Gw_complaint_end", "xor", "", 16, 1),
        Node("Gw_service_end", "xor", "", 17, 0),
        Node("End", "end", "Order closed", 18, 0),
    ]
    main = [
        "Customer inquiry",
        "Quotation",
        "Gw_negotiate",
        "Negotiation",
        "Gw_agreed",
        "Contract signing",
        "Order entry and review",
        "Production scheduling",
        "Delivery",
        "Invoicing",
        "Payment received",
        "Gw_service",
    ]
    ids = [t.get(n, n) for n in main]
    flows = [("Start", ids[0]), *pairwise(ids)]
    flows += [
        ("Gw_agreed", "Gw_negotiate"),
        ("Gw_service", t["After-sales service"]),
        ("Gw_service", "Gw_service_end"),
        (t["After-sales service"], "Gw_complaint"),
        ("Gw_complaint", t["Complaint handling"]),
        ("Gw_complaint", "Gw_complaint_end"),
        (t["Complaint handling"], "Gw_complaint_end"),
        ("Gw_complaint_end", "Gw_service_end"),
        ("Gw_service_end", "End"),
    ]
    return Layout("Process_sales", "Sales / order-to-cash 销售", tuple(nodes), tuple(flows))


def procurement() -> Layout:
    tasks = _tasks(
        "procurement",
        {
            "Purchase requisition": (1, 0),
            "Requisition review": (3, 0),
            "Revise requisition": (3, 1),
            "Supplier selection and negotiation": (5, 0),
            "Contract and purchase order": (6, 0),
            "PO approval": (7, 0),
            "Goods receipt": (9, -1),
            "Invoice received": (9, 1),
            "Three-way match": (11, 0),
            "Payment": (12, 0),
        },
    )
    t = _ids(tasks)
    nodes = [
        Node("Start", "start", "Need identified", 0, 0),
        *tasks,
        Node("Gw_review", "xor", "", 2, 0),
        Node("Gw_approved", "xor", "Approved?", 4, 0),
        Node("Gw_split", "and", "", 8, 0),
        Node("Gw_join", "and", "", 10, 0),
        Node("End", "end", "Supplier paid", 13, 0),
    ]
    flows = [
        ("Start", t["Purchase requisition"]),
        (t["Purchase requisition"], "Gw_review"),
        ("Gw_review", t["Requisition review"]),
        (t["Requisition review"], "Gw_approved"),
        ("Gw_approved", t["Revise requisition"]),
        (t["Revise requisition"], "Gw_review"),
        ("Gw_approved", t["Supplier selection and negotiation"]),
        (t["Supplier selection and negotiation"], t["Contract and purchase order"]),
        (t["Contract and purchase order"], t["PO approval"]),
        (t["PO approval"], "Gw_split"),
        ("Gw_split", t["Goods receipt"]),
        ("Gw_split", t["Invoice received"]),
        (t["Goods receipt"], "Gw_join"),
        (t["Invoice received"], "Gw_join"),
        ("Gw_join", t["Three-way match"]),
        (t["Three-way match"], t["Payment"]),
        (t["Payment"], "End"),
    ]
    return Layout("Process_procurement", "Procurement / purchase-to-pay 采购", tuple(nodes), tuple(flows))


def production() -> Layout:
    tasks = _tasks(
        "production",
        {
            "Production planning": (1, 0),
            "Material preparation": (2, 0),
            "Processing/assembly": (3, 0),
            "Quality inspection": (5, 0),
            "Rework": (5, 1),
            "Finished goods warehousing": (7, 0),
            "Packing and shipping": (8, 0),
        },
    )
    t = _ids(tasks)
    nodes = [
        Node("Start", "start", "Order released", 0, 0),
        *tasks,
        Node("Gw_inspect", "xor", "", 4, 0),
        Node("Gw_passed", "xor", "Passed?", 6, 0),
        Node("End", "end", "Shipped", 9, 0),
    ]
    flows = [
        ("Start", t["Production planning"]),
        (t["Production planning"], t["Material preparation"]),
        (t["Material preparation"], t["Processing/assembly"]),
        (t["Processing/assembly"], "Gw_inspect"),
        ("Gw_inspect", t["Quality inspection"]),
        (t["Quality inspection"], "Gw_passed"),
        ("Gw_passed", t["Rework"]),
        (t["Rework"], "Gw_inspect"),
        ("Gw_passed", t["Finished goods warehousing"]),
        (t["Finished goods warehousing"], t["Packing and shipping"]),
        (t["Packing and shipping"], "End"),
    ]
    return Layout("Process_production", "Production / plan-to-produce 生产", tuple(nodes), tuple(flows))


def finance() -> Layout:
    tasks = _tasks(
        "finance",
        {
            "Submit expense claim": (1, 0),
            "Finance review": (3, 0),
            "Revise claim": (3, 1),
            "GM approval": (5, 0),
            "Cashier payment": (6, 0),
            "Voucher booking": (7, 0),
        },
    )
    t = _ids(tasks)
    nodes = [
        Node("Start", "start", "Expense incurred", 0, 0),
        *tasks,
        Node("Gw_review", "xor", "", 2, 0),
        Node("Gw_approved", "xor", "Documents valid?", 4, 0),
        Node("End", "end", "Claim booked", 8, 0),
    ]
    flows = [
        ("Start", t["Submit expense claim"]),
        (t["Submit expense claim"], "Gw_review"),
        ("Gw_review", t["Finance review"]),
        (t["Finance review"], "Gw_approved"),
        ("Gw_approved", t["Revise claim"]),
        (t["Revise claim"], "Gw_review"),
        ("Gw_approved", t["GM approval"]),
        (t["GM approval"], t["Cashier payment"]),
        (t["Cashier payment"], t["Voucher booking"]),
        (t["Voucher booking"], "End"),
    ]
    return Layout("Process_finance", "Finance / expense claim-to-payment 财务", tuple(nodes), tuple(flows))


LAYOUTS = {"sales": sales, "procurement": procurement, "production": production, "finance": finance}
