"""SAP-shaped table exports of a simulated order-to-cash process, with the ground truth behind them.

:func:`sap_o2c` writes what an SAP SD system holds for a run of sales orders: the document flow
**VBFA** (one row per link from a preceding document item to a subsequent one, as SAP keeps it), the
headers **VBAK** (quotations and orders), **VBAP** (their items), **LIKP** (deliveries, with the actual
goods issue date) and **VBRK** (billing documents), in SAP's own conventions: dates ``YYYYMMDD``, times
``HHMMSS``, ``00000000`` for an empty date, document numbers as 10-digit text with leading zeros, item
numbers as 6 digits, amounts with a trailing minus for a cancellation. The flow has item-level fan-out,
quotations before some orders, partial deliveries (an order's items split over two deliveries),
combined invoices (one invoice for two deliveries), invoice cancellations followed by a new invoice,
and credit memos. Times are local to ``timezone``; the truth holds them in UTC.

The truth (:class:`ErpExport.truth`) lists every document with its category, object type and creation
time, and every document-level link, so an extractor can be checked against it exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

#: VBTYP codes the simulated flow uses (SAP's document categories).
CATEGORIES = {"B": "quotation", "C": "order", "J": "delivery", "R": "goods movement", "M": "invoice",
              "N": "invoice cancellation", "O": "credit memo"}
_RANGES = {"B": 20000000, "C": 1000, "J": 80000000, "R": 4900000000, "M": 90000000, "N": 90000000, "O": 93000000}
_MATERIALS = [f"MAT-{i:04d}" for i in range(1, 41)]
_USERS = ["ZHANGWEI", "LIHUA", "WANGFANG", "CHENJING", "LIUYANG", "ZHAOLEI"]


@dataclass
class ErpExport:
    """Tables by SAP name (pandas DataFrames of text, as an export holds them) and the ground truth."""

    tables: dict[str, pd.DataFrame]
    truth: dict[str, Any] = field(default_factory=dict)


class _Flow:
    def __init__(self, rng: random.Random, tz: ZoneInfo) -> None:
        self.rng, self.tz = rng, tz
        self.next = dict(_RANGES)
        self.vbfa: list[tuple[str, ...]] = []
        self.docs: dict[str, tuple[str, datetime, str]] = {}  # number -> (category, UTC time, user)
        self.links: set[tuple[str, str]] = set()
        self.items: dict[str, list[tuple[str, str, float, float]]] = {}  # number -> its items
        self.changes: list[dict[str, str]] = []  # the change documents' truth

    def number(self, cat: str) -> str:
        key = "M" if cat == "N" else cat  # billing documents and their cancellations share one number range
        n = self.next[key]
        self.next[key] = n + 1
        return f"{n:010d}"

    def doc(self, cat: str, when: datetime) -> str:
        num = self.number(cat)
        self.docs[num] = (cat, when.replace(microsecond=0), self.rng.choice(_USERS))  # ERZET holds whole seconds
        return num

    def local(self, when: datetime) -> tuple[str, str]:
        t = when.astimezone(self.tz)
        return t.strftime("%Y%m%d"), t.strftime("%H%M%S")

    def link(self, prev: str, prev_items: list[tuple[str, str, float, float]], new: str) -> list[tuple[str, str,
                                                                                                  float, float]]:
        """VBFA rows from every item of ``prev`` to a new item of ``new`` (numbered on after the items
        ``new`` already has: one invoice for several deliveries); returns the new items."""
        cat_v, cat_n = self.docs[prev][0], self.docs[new][0]
        date, time = self.local(self.docs[new][1])
        sign = "-" if cat_n in ("N", "O") else "+"
        have = self.items.setdefault(new, [])
        out = []
        for i, (posnr, matnr, qty, value) in enumerate(prev_items, start=len(have)):
            posnn = f"{(i + 1) * 10:06d}"
            shown = f"{value:.2f}-" if sign == "-" else f"{value:.2f}"
            self.vbfa.append((prev, posnr, new, posnn, cat_n, cat_v, f"{qty:.3f}", "PC", shown, "CNY", date, time,
                              matnr, sign, "00"))
            out.append((posnn, matnr, qty, value))
        have.extend(out)
        self.links.add((prev, new))
        return out


def sap_o2c(orders: int = 200, *, seed: int = 7, start: str = "2024-01-02", timezone: str = "Asia/Shanghai",
            ) -> ErpExport:
    """Simulate ``orders`` sales orders and return their SAP SD tables and the ground truth."""
    rng = random.Random(seed)
    tz = ZoneInfo(timezone)
    f = _Flow(rng, tz)
    t0 = datetime.fromisoformat(start).replace(hour=9, tzinfo=tz).astimezone(ZoneInfo("UTC"))
    vbak: list[tuple[str, ...]] = []
    vbap: list[tuple[str, ...]] = []
    likp: list[tuple[str, ...]] = []
    vbrk: list[tuple[str, ...]] = []
    days = timedelta(days=1)
    for k in range(orders):
        when = t0 + timedelta(minutes=k * rng.uniform(20, 70))
        items = [(f"{(i + 1) * 10:06d}", rng.choice(_MATERIALS), float(rng.randint(1, 20)),
                  round(rng.uniform(50, 5000), 2)) for i in range(rng.choice((1, 1, 2, 3, 3, 4, 5)))]
        customer = f"C{rng.randint(1, 300):07d}"
        order = f.doc("C", when)
        if rng.random() < 0.4:
            quote = f.doc("B", when - days * rng.uniform(1, 6))
            vbak.append(_header(f, quote, "AG", "B", customer, items))
            vbap.extend(_items(quote, items))
            f.link(quote, items, order)
        vbak.append(_header(f, order, "OR", "C", customer, items))
        vbap.extend(_items(order, items))
        parts = [items]
        if len(items) > 1 and rng.random() < 0.2:
            cut = rng.randint(1, len(items) - 1)
            parts = [items[:cut], items[cut:]]
        deliveries = []
        for part in parts:
            d_time = when + days * rng.uniform(0.5, 3)
            delivery = f.doc("J", d_time)
            d_items = f.link(order, part, delivery)
            issued = rng.random() < 0.95
            gi_time = d_time + timedelta(hours=rng.uniform(2, 48))
            gi_date = f.local(gi_time)[0] if issued else "00000000"
            likp.append((delivery, *f.local(d_time), f.docs[delivery][2], gi_date, "CN01"))
            if issued:
                movement = f.doc("R", gi_time)
                f.link(delivery, d_items, movement)
                deliveries.append((delivery, d_items, gi_time))
        if not deliveries:
            continue
        groups = [deliveries] if len(deliveries) > 1 and rng.random() < 0.5 else [[d] for d in deliveries]
        for group in groups:
            i_time = max(g[2] for g in group) + days * rng.uniform(0.2, 3)
            invoice = _bill(f, vbrk, group, i_time, "F2")
            if rng.random() < 0.03:
                c_time = i_time + days * rng.uniform(1, 5)
                cancel = f.doc("N", c_time)
                f.link(invoice, f.items[invoice], cancel)
                vbrk.append(_billing_row(f, cancel, "S1", f.items[cancel]))
                _bill(f, vbrk, group, c_time + days * rng.uniform(0.1, 1), "F2")
            elif rng.random() < 0.03:
                memo = f.doc("O", i_time + days * rng.uniform(5, 20))
                f.link(invoice, f.items[invoice][:1], memo)
                vbrk.append(_billing_row(f, memo, "G2", f.items[memo]))
    vbfa_cols = ["VBELV", "POSNV", "VBELN", "POSNN", "VBTYP_N", "VBTYP_V", "RFMNG", "MEINS", "RFWRT", "WAERS",
                 "ERDAT", "ERZET", "MATNR", "PLMIN", "STUFE"]
    tables = {
        "VBFA": pd.DataFrame(f.vbfa, columns=vbfa_cols),
        "VBAK": pd.DataFrame(vbak, columns=["VBELN", "ERDAT", "ERZET", "ERNAM", "AUART", "VBTYP", "VKORG", "KUNNR",
                                            "NETWR", "WAERK"]),
        "VBAP": pd.DataFrame(vbap, columns=["VBELN", "POSNR", "MATNR", "KWMENG", "NETWR"]),
        "LIKP": pd.DataFrame(likp, columns=["VBELN", "ERDAT", "ERZET", "ERNAM", "WADAT_IST", "VSTEL"]),
        "VBRK": pd.DataFrame(vbrk, columns=["VBELN", "FKART", "VBTYP", "FKDAT", "ERDAT", "ERZET", "ERNAM", "NETWR",
                                            "WAERK"]),
    }
    tables.update(_change_documents(f, seed))
    truth = _truth(f, likp, timezone)
    truth["changes"] = f.changes
    return ErpExport(tables=tables, truth=truth)


#: Changes an order may see before its first delivery: (table, field, activity, probability).
_CHANGES = (("VBAP", "NETPR", "Change price", 0.12), ("VBAK", "LIFSK", "Set delivery block", 0.06),
            ("VBEP", "EDATU", "Change delivery date", 0.08))


def _change_documents(f: _Flow, seed: int) -> dict[str, pd.DataFrame]:
    """CDHDR/CDPOS of the orders (object class VERKBELEG), drawn with a generator of their own so that the
    rest of the export is the same with or without them."""
    rng = random.Random(seed * 7919 + 1)
    first_delivery: dict[str, datetime] = {}
    for prev, nxt in f.links:
        if f.docs[prev][0] == "C" and f.docs[nxt][0] == "J":
            when = f.docs[nxt][1]
            first_delivery[prev] = min(when, first_delivery.get(prev, when))
    cdhdr: list[tuple[str, ...]] = []
    cdpos: list[tuple[str, ...]] = []
    changenr = 100000
    for num, (cat, created, _user) in sorted(f.docs.items()):
        if cat != "C" or num not in first_delivery:
            continue
        for table, field_, activity, p in _CHANGES:
            if rng.random() >= p:
                continue
            changenr += 1
            span = (first_delivery[num] - created).total_seconds()
            when = (created + timedelta(seconds=rng.uniform(0.1, 0.9) * span)).replace(microsecond=0)
            user = rng.choice(_USERS)
            old, new = {"NETPR": (f"{rng.uniform(50, 900):.2f}", f"{rng.uniform(50, 900):.2f}"),
                        "LIFSK": ("", "01"), "EDATU": ("20240110", "20240115")}[field_]
            cdhdr.append(("VERKBELEG", num, f"{changenr:010d}", user, *f.local(when), "VA02"))
            cdpos.append(("VERKBELEG", num, f"{changenr:010d}", table, field_, "U", old, new))
            f.changes.append({"document": num, "activity": activity, "time": when.astimezone(ZoneInfo("UTC"))
                              .isoformat(), "user": user, "field": f"{table}-{field_}", "old": old, "new": new})
    return {"CDHDR": pd.DataFrame(cdhdr, columns=["OBJECTCLAS", "OBJECTID", "CHANGENR", "USERNAME", "UDATE",
                                                  "UTIME", "TCODE"]),
            "CDPOS": pd.DataFrame(cdpos, columns=["OBJECTCLAS", "OBJECTID", "CHANGENR", "TABNAME", "FNAME",
                                                  "CHNGIND", "VALUE_OLD", "VALUE_NEW"])}


def _header(f: _Flow, num: str, auart: str, vbtyp: str, customer: str, items: list[tuple[str, str, float, float]],
            ) -> tuple[str, ...]:
    date, time = f.local(f.docs[num][1])
    return (num, date, time, f.docs[num][2], auart, vbtyp, "CN10", customer, f"{sum(i[3] for i in items):.2f}",
            "CNY")


def _items(num: str, items: list[tuple[str, str, float, float]]) -> list[tuple[str, ...]]:
    return [(num, posnr, matnr, f"{qty:.3f}", f"{value:.2f}") for posnr, matnr, qty, value in items]


def _bill(f: _Flow, vbrk: list[tuple[str, ...]], group: list[tuple[str, Any, datetime]], when: datetime,
          fkart: str) -> str:
    invoice = f.doc("M", when)
    for delivery, d_items, _gi in group:
        f.link(delivery, d_items, invoice)
    vbrk.append(_billing_row(f, invoice, fkart, f.items[invoice]))
    return invoice


def _billing_row(f: _Flow, num: str, fkart: str, items: list[tuple[str, str, float, float]]) -> tuple[str, ...]:
    date, time = f.local(f.docs[num][1])
    cat = f.docs[num][0]
    return (num, fkart, cat, date, date, time, f.docs[num][2], f"{sum(i[3] for i in items):.2f}", "CNY")


def _truth(f: _Flow, likp: list[tuple[str, ...]], timezone: str) -> dict[str, Any]:
    per_type: dict[str, int] = {}
    for cat, _when, _user in f.docs.values():
        per_type[CATEGORIES[cat]] = per_type.get(CATEGORIES[cat], 0) + 1
    return {
        "profile": "sap-o2c",
        "timezone": timezone,
        "documents": {num: {"category": cat, "type": CATEGORIES[cat], "created": when.isoformat(), "user": user}
                      for num, (cat, when, user) in f.docs.items()},
        "documents_per_type": dict(sorted(per_type.items())),
        "links": sorted([list(p) for p in f.links]),
        "goods_issued": sum(1 for row in likp if row[4] != "00000000"),
        "vbfa_rows": len(f.vbfa),
    }


#: Kingdee K/3 Cloud-style purchase documents: caption, bill number prefix.
KINGDEE_TYPES = {"req": ("采购申请单", "CGSQ"), "po": ("采购订单", "CGDD"), "notice": ("收料通知单", "SLTZ"),
                 "stock": ("采购入库单", "CGRK"), "payable": ("应付单", "AP")}
_KD_USERS = ["张伟", "王芳", "李娜", "刘洋", "陈静"]


def kingdee_purchase(requisitions: int = 200, *, seed: int = 9, start: str = "2024-03-01",
                     timezone: str = "Asia/Shanghai") -> ErpExport:
    """A Kingdee-style purchase flow as two exports, with Chinese captions: ``documents`` (单据内码, 单据编号,
    单据类型, 创建日期 written ``2024年3月5日 14:05:06``, 创建人, 审核日期 written ``2024/3/6``) and ``links``
    (源单内码 -> 目标单内码, as the ``*_LK`` tables hold them). Some requisitions are never ordered, some
    orders arrive in two receipts; times are local to ``timezone``."""
    rng = random.Random(seed)
    tz = ZoneInfo(timezone)
    t0 = datetime.fromisoformat(start).replace(hour=9, tzinfo=tz)
    docs: list[tuple[str, ...]] = []
    links: list[tuple[str, str]] = []
    truth: dict[str, dict[str, Any]] = {}
    counters = {k: 0 for k in KINGDEE_TYPES}
    next_id = [100000]

    def doc(kind: str, when: datetime, approved: bool = True) -> str:
        next_id[0] += rng.randint(1, 3)
        fid = str(next_id[0])
        counters[kind] += 1
        caption, prefix = KINGDEE_TYPES[kind]
        when = when.replace(microsecond=0)
        local = when.astimezone(tz)
        created = f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}"
        approve_at = (local + timedelta(hours=rng.uniform(1, 30))).date() if approved else None
        user = rng.choice(_KD_USERS)
        docs.append((fid, f"{prefix}{counters[kind]:06d}", caption, created, user,
                     f"{approve_at.year}/{approve_at.month}/{approve_at.day}" if approve_at else ""))
        truth[fid] = {"type": caption, "created": when.astimezone(ZoneInfo("UTC")).isoformat(), "user": user,
                      "approved": approve_at.isoformat() if approve_at else None}
        return fid

    for k in range(requisitions):
        when = t0 + timedelta(hours=k * rng.uniform(2, 6))
        req = doc("req", when)
        if rng.random() < 0.1:
            continue  # never ordered
        po = doc("po", when + timedelta(days=rng.uniform(0.5, 3)))
        links.append((req, po))
        receipts = 2 if rng.random() < 0.2 else 1
        for _ in range(receipts):
            notice = doc("notice", when + timedelta(days=rng.uniform(4, 10)))
            links.append((po, notice))
            stock = doc("stock", when + timedelta(days=rng.uniform(10.5, 12)))
            links.append((notice, stock))
            if rng.random() < 0.9:
                payable = doc("payable", when + timedelta(days=rng.uniform(13, 20)), approved=rng.random() < 0.8)
                links.append((stock, payable))
    tables = {
        "documents": pd.DataFrame(docs, columns=["单据内码", "单据编号", "单据类型", "创建日期", "创建人", "审核日期"]),
        "links": pd.DataFrame(links, columns=["源单内码", "目标单内码"]),
    }
    per_type: dict[str, int] = {}
    for v in truth.values():
        per_type[v["type"]] = per_type.get(v["type"], 0) + 1
    return ErpExport(tables=tables, truth={"profile": "links", "timezone": timezone, "documents": truth,
                                           "documents_per_type": per_type, "links": sorted(map(list, links))})


def sap_p2p(requisitions: int = 200, *, seed: int = 13, start: str = "2024-01-02",
            timezone: str = "Asia/Shanghai") -> ErpExport:
    """Simulate SAP MM procure-to-pay tables: EBAN (requisition items, request and release dates), EKKO/EKPO
    (orders and their items, which name the requisition item), EKBE (goods receipts, some in two parts and
    some reversed and posted again; one invoice receipt per order, some reversed), RBKP (invoice headers) and
    RSEG (invoice items, which name the order item); a few invoices are parked (RBSTAT A): in RBKP/RSEG only.
    Purchasing dates are dates only, as SAP keeps them; EKBE and RBKP entry times carry the time."""
    rng = random.Random(seed)
    tz = ZoneInfo(timezone)
    t0 = datetime.fromisoformat(start).replace(hour=9, tzinfo=tz)
    utc = ZoneInfo("UTC")
    eban: list[tuple[str, ...]] = []
    ekko: list[tuple[str, ...]] = []
    ekpo: list[tuple[str, ...]] = []
    ekbe: list[tuple[str, ...]] = []
    rbkp: list[tuple[str, ...]] = []
    rseg: list[tuple[str, ...]] = []
    docs: dict[str, dict[str, Any]] = {}
    links: set[tuple[str, str]] = set()
    nums = {"PR": 10000000, "PO": 4500000000, "GR": 5000000000, "IR": 5105600000}

    def number(kind: str) -> str:
        nums[kind] += 1
        return f"{nums[kind]:010d}"

    def ymd(t: datetime) -> str:
        return t.astimezone(tz).strftime("%Y%m%d")

    def day(t: datetime) -> str:  # a date-only field, as the truth sees it: midnight local time, in UTC
        local = t.astimezone(tz)
        return datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(utc).isoformat()

    def post(kind: str, po: str, items: list[tuple[str, float, float]], when: datetime, sign: str) -> str:
        cat = kind if sign == "S" else kind + "X"
        belnr = number("GR" if kind == "GR" else "IR")
        doc = f"{belnr}/{when.astimezone(tz).year}"
        when = when.replace(microsecond=0)
        user = rng.choice(_USERS)
        for ebelp, qty, value in items:
            ekbe.append((po, ebelp, "1" if kind == "GR" else "2", "E" if kind == "GR" else "R", belnr,
                         str(when.astimezone(tz).year), ymd(when), ymd(when), when.astimezone(tz).strftime("%H%M%S"),
                         f"{qty:.3f}", f"{value:.2f}", sign, user))
        docs[doc] = {"category": cat, "created": when.astimezone(utc).isoformat(), "user": user}
        links.add((po, doc))
        if kind == "IR":
            invoice(belnr, po, items, when, user, sign, "5")
        return doc

    def invoice(belnr: str, po: str, items: list[tuple[str, float, float]], when: datetime, user: str, sign: str,
                status: str) -> None:  # RBKP's header (RBSTAT 5 posted, A parked) and RSEG's items
        year = str(when.astimezone(tz).year)
        rbkp.append((belnr, year, ymd(when), ymd(when), ymd(when), when.astimezone(tz).strftime("%H%M%S"),
                     f"V{rng.randint(1, 80):07d}", f"{sum(v for _e, _q, v in items):.2f}", "CNY", user, status))
        for i, (ebelp, qty, value) in enumerate(items):
            rseg.append((belnr, year, f"{i + 1:06d}", po, ebelp, f"{qty:.3f}", f"{value:.2f}", sign))

    for k in range(requisitions):
        when = t0 + timedelta(hours=k * rng.uniform(1, 5))
        banfn = number("PR")
        n_items = rng.choice((1, 1, 2, 3))
        released = when + timedelta(days=rng.uniform(0.2, 3)) if rng.random() < 0.9 else None
        user = rng.choice(_USERS)
        for i in range(n_items):
            eban.append((banfn, f"{(i + 1) * 10:05d}", ymd(when), ymd(released) if released else "00000000", user,
                         rng.choice(_MATERIALS), f"{rng.randint(1, 50):.3f}", f"{rng.uniform(10, 900):.2f}"))
        docs[banfn] = {"category": "PR", "created": day(when), "user": user,
                       "released": day(released) if released else None}
        if released is None or rng.random() < 0.1:
            continue  # never ordered
        ordered = released + timedelta(days=rng.uniform(0.5, 4))
        ebeln = number("PO")
        po_user = rng.choice(_USERS)
        ekko.append((ebeln, "NB", ymd(ordered), ymd(ordered), po_user, f"V{rng.randint(1, 80):07d}", "CN01", "CNY"))
        docs[ebeln] = {"category": "PO", "created": day(ordered), "user": po_user}
        links.add((banfn, ebeln))
        items = []
        for i in range(n_items):
            ebelp = f"{(i + 1) * 10:05d}"
            qty, value = float(rng.randint(1, 50)), round(rng.uniform(50, 9000), 2)
            ekpo.append((ebeln, ebelp, rng.choice(_MATERIALS), banfn, f"{(i + 1) * 10:05d}", f"{qty:.3f}",
                         f"{value:.2f}"))
            items.append((ebelp, qty, value))
        received = ordered + timedelta(days=rng.uniform(3, 12))
        parts = [items] if len(items) == 1 or rng.random() < 0.8 else [items[:1], items[1:]]
        for part in parts:
            post("GR", ebeln, part, received, "S")
            if rng.random() < 0.04:  # reversed (wrong quantity) and posted again
                post("GR", ebeln, part, received + timedelta(hours=rng.uniform(1, 30)), "H")
                post("GR", ebeln, part, received + timedelta(days=rng.uniform(1.5, 3)), "S")
            received += timedelta(days=rng.uniform(1, 6))
        if rng.random() < 0.92:
            invoiced = received + timedelta(days=rng.uniform(1, 10))
            if rng.random() < 0.05:  # parked, not yet posted: in RBKP/RSEG only, EKBE knows nothing of it
                belnr = number("IR")
                when = invoiced.replace(microsecond=0)
                user = rng.choice(_USERS)
                invoice(belnr, ebeln, items, when, user, "S", "A")
                doc = f"{belnr}/{when.astimezone(tz).year}"
                docs[doc] = {"category": "IRP", "created": when.astimezone(utc).isoformat(), "user": user}
                links.add((ebeln, doc))
                continue
            post("IR", ebeln, items, invoiced, "S")
            if rng.random() < 0.03:
                post("IR", ebeln, items, invoiced + timedelta(days=rng.uniform(1, 4)), "H")
    tables = {
        "EBAN": pd.DataFrame(eban, columns=["BANFN", "BNFPO", "BADAT", "FRGDT", "ERNAM", "MATNR", "MENGE", "PREIS"]),
        "EKKO": pd.DataFrame(ekko, columns=["EBELN", "BSART", "AEDAT", "BEDAT", "ERNAM", "LIFNR", "EKORG", "WAERS"]),
        "EKPO": pd.DataFrame(ekpo, columns=["EBELN", "EBELP", "MATNR", "BANFN", "BNFPO", "MENGE", "NETWR"]),
        "EKBE": pd.DataFrame(ekbe, columns=["EBELN", "EBELP", "VGABE", "BEWTP", "BELNR", "GJAHR", "BUDAT", "CPUDT",
                                            "CPUTM", "MENGE", "DMBTR", "SHKZG", "ERNAM"]),
        "RBKP": pd.DataFrame(rbkp, columns=["BELNR", "GJAHR", "BLDAT", "BUDAT", "CPUDT", "CPUTM", "LIFNR", "RMWWR",
                                            "WAERS", "USNAM", "RBSTAT"]),
        "RSEG": pd.DataFrame(rseg, columns=["BELNR", "GJAHR", "BUZEI", "EBELN", "EBELP", "MENGE", "WRBTR", "SHKZG"]),
    }
    per: dict[str, int] = {}
    for d in docs.values():
        per[d["category"]] = per.get(d["category"], 0) + 1
    return ErpExport(tables=tables, truth={"profile": "sap-p2p", "timezone": timezone, "documents": docs,
                                           "documents_per_category": dict(sorted(per.items())),
                                           "links": sorted(map(list, links))})


def sap_fi(invoices: int = 300, *, seed: int = 17, start: str = "2024-01-02",
           timezone: str = "Asia/Shanghai") -> ErpExport:
    """Simulate SAP FI vendor invoices (KR) and credit memos (KG) in BKPF/BSEG, paid by payment runs (ZP) that
    clear one or several open items of a vendor at once (AUGBL/AUGDT on the cleared lines); some invoices are
    still open at extraction. The truth lists each document's type, entry time and the documents it clears."""
    rng = random.Random(seed)
    tz = ZoneInfo(timezone)
    utc = ZoneInfo("UTC")
    t0 = datetime.fromisoformat(start).replace(hour=9, tzinfo=tz)
    bkpf: list[tuple[str, ...]] = []
    bseg: list[list[str]] = []
    docs: dict[str, dict[str, Any]] = {}
    links: set[tuple[str, str]] = set()
    nums = {"KR": 1900000000, "KG": 1700000000, "ZP": 2000000000}
    open_by_vendor: dict[str, list[tuple[str, int, datetime]]] = {}

    def header(kind: str, when: datetime) -> tuple[str, str]:
        nums[kind] += 1
        belnr = f"{nums[kind]:010d}"
        when = when.replace(microsecond=0)
        local = when.astimezone(tz)
        user = rng.choice(_USERS)
        bkpf.append(("1000", belnr, str(local.year), kind, local.strftime("%Y%m%d"), local.strftime("%Y%m%d"),
                     local.strftime("%Y%m%d"), local.strftime("%H%M%S"), user, "CNY"))
        doc = f"1000/{belnr}/{local.year}"
        docs[doc] = {"type": kind, "created": when.astimezone(utc).isoformat(), "user": user}
        return belnr, doc

    when = t0
    for _ in range(invoices):
        when += timedelta(hours=rng.uniform(1, 8))
        kind = "KG" if rng.random() < 0.06 else "KR"
        belnr, doc = header(kind, when)
        vendor = f"V{rng.randint(1, 25):07d}"
        amount_ = round(rng.uniform(200, 50000), 2)
        local = when.astimezone(tz)
        open_by_vendor.setdefault(vendor, []).append((doc, len(bseg), when))
        bseg.append(["1000", belnr, str(local.year), "001", "K", "", "", local.strftime("%Y%m%d"), "30",
                     f"{amount_:.2f}", "H" if kind == "KR" else "S", vendor])
        bseg.append(["1000", belnr, str(local.year), "002", "S", "", "", "", "", f"{amount_:.2f}",
                     "S" if kind == "KR" else "H", ""])
        if rng.random() < 0.08:  # a weekly payment run pays what is due
            run_at = when + timedelta(hours=rng.uniform(1, 20))
            for v, items in open_by_vendor.items():
                due = [it for it in items if (run_at - it[2]).days >= 5 and rng.random() < 0.85]
                if not due:
                    continue
                zp_belnr, zp_doc = header("ZP", run_at)
                run_local = run_at.astimezone(tz)
                for it_doc, line, _t in due:
                    bseg[line][5], bseg[line][6] = run_local.strftime("%Y%m%d"), zp_belnr
                    links.add((it_doc, zp_doc))
                    items.remove((it_doc, line, _t))
                bseg.append(["1000", zp_belnr, str(run_local.year), "001", "K", run_local.strftime("%Y%m%d"),
                             zp_belnr, "", "", "0.00", "S", v])
                run_at += timedelta(minutes=rng.uniform(1, 5))
    tables = {
        "BKPF": pd.DataFrame(bkpf, columns=["BUKRS", "BELNR", "GJAHR", "BLART", "BLDAT", "BUDAT", "CPUDT", "CPUTM",
                                            "USNAM", "WAERS"]),
        "BSEG": pd.DataFrame([tuple(r) for r in bseg], columns=["BUKRS", "BELNR", "GJAHR", "BUZEI", "KOART",
                                                                "AUGDT", "AUGBL", "ZFBDT", "ZBD1T", "WRBTR",
                                                                "SHKZG", "LIFNR"]),
    }
    per: dict[str, int] = {}
    for d in docs.values():
        per[d["type"]] = per.get(d["type"], 0) + 1
    still_open = sum(len(v) for v in open_by_vendor.values())
    return ErpExport(tables=tables, truth={"profile": "sap-fi", "timezone": timezone, "documents": docs,
                                           "documents_per_category": dict(sorted(per.items())),
                                           "links": sorted(map(list, links)), "open_items": still_open})


#: The operations of a simulated production order (VORNR, LTXA1): the production process's own steps.
PP_OPERATIONS = (("0010", "Material preparation", 1.5), ("0020", "Processing/assembly", 6.0),
                 ("0030", "Finished goods warehousing", 0.5))


def sap_pp(orders: int = 120, *, seed: int = 19, start: str = "2024-01-02",
           timezone: str = "Asia/Shanghai") -> ErpExport:
    """Simulate SAP PP/QM tables: AFKO/AFPO (orders released on FTRMI), AFRU (one confirmation per operation with
    actual start and finish, yield and scrap; some confirmations reversed and confirmed again), QALS (an
    inspection lot per order after processing) and QAVE (its usage decision, ``A`` accepted or ``R`` rejected).
    The truth holds every operation instance with its start and finish in UTC."""
    rng = random.Random(seed)
    tz = ZoneInfo(timezone)
    utc = ZoneInfo("UTC")
    t0 = datetime.fromisoformat(start).replace(hour=8, tzinfo=tz)
    afko: list[tuple[str, ...]] = []
    afpo: list[tuple[str, ...]] = []
    afru: list[tuple[str, ...]] = []
    qals: list[tuple[str, ...]] = []
    qave: list[tuple[str, ...]] = []
    operations: list[dict[str, Any]] = []
    decisions: dict[str, str] = {}
    rueck = 1000

    def stamp(t: datetime) -> tuple[str, str]:
        local = t.astimezone(tz)
        return local.strftime("%Y%m%d"), local.strftime("%H%M%S")

    for k in range(orders):
        aufnr = f"{1000000 + k:012d}"
        released = (t0 + timedelta(hours=k * rng.uniform(3, 9))).replace(microsecond=0)
        qty = rng.randint(10, 500)
        t = released + timedelta(hours=rng.uniform(2, 30))
        first = t
        for vornr, text_, hours in PP_OPERATIONS:
            rueck += 1
            begin = t.replace(microsecond=0)
            end = (begin + timedelta(hours=rng.lognormvariate(0, 0.4) * hours)).replace(microsecond=0)
            scrap = rng.randint(0, max(1, qty // 40))
            person = f"{rng.randint(1, 30):08d}"
            afru.append((str(rueck), "00000001", aufnr, vornr, *stamp(begin), *stamp(end), str(qty - scrap),
                         str(scrap), person, "", "", text_))
            if rng.random() < 0.04:  # confirmed with the wrong quantity: reversed, then confirmed again
                afru.append((str(rueck), "00000002", aufnr, vornr, *stamp(end), *stamp(end), str(qty - scrap),
                             str(scrap), person, "X", "00000001", text_))
                end = (end + timedelta(hours=rng.uniform(0.2, 2))).replace(microsecond=0)
                afru.append((str(rueck), "00000003", aufnr, vornr, *stamp(begin), *stamp(end), str(qty - scrap),
                             str(scrap), person, "", "", text_))
            operations.append({"order": aufnr, "activity": text_, "start": begin.astimezone(utc).isoformat(),
                               "finish": end.astimezone(utc).isoformat(), "user": person})
            t = end + timedelta(hours=rng.uniform(0.5, 12))
            if vornr == "0020":
                lot = f"{890000000000 + k:012d}"
                created = (end + timedelta(minutes=rng.uniform(5, 90))).replace(microsecond=0)
                decided = (created + timedelta(hours=rng.uniform(1, 20))).replace(microsecond=0)
                code = "A" if rng.random() < 0.9 else "R"
                qals.append((lot, aufnr, *stamp(created), str(qty)))
                qave.append((lot, *stamp(decided), code))
                decisions[lot] = code
        afko.append((aufnr, stamp(first)[0], stamp(t)[0], stamp(first)[0], stamp(t)[0], stamp(released)[0],
                     f"MAT-{rng.randint(1, 40):04d}", str(qty)))
        afpo.append((aufnr, "0001", str(qty), afko[-1][6]))
    tables = {
        "AFKO": pd.DataFrame(afko, columns=["AUFNR", "GSTRP", "GLTRP", "GSTRI", "GLTRI", "FTRMI", "PLNBEZ", "GAMNG"]),
        "AFPO": pd.DataFrame(afpo, columns=["AUFNR", "POSNR", "PSMNG", "MATNR"]),
        "AFRU": pd.DataFrame(afru, columns=["RUECK", "RMZHL", "AUFNR", "VORNR", "ISDD", "ISDZ", "IEDD", "IEDZ",
                                            "LMNGA", "XMNGA", "PERNR", "STOKZ", "STZHL", "LTXA1"]),
        "QALS": pd.DataFrame(qals, columns=["PRUEFLOS", "AUFNR", "ENSTEHDAT", "ENTSTEZEIT", "LOSMENGE"]),
        "QAVE": pd.DataFrame(qave, columns=["PRUEFLOS", "VDATUM", "VEZEITERF", "VCODE"]),
    }
    return ErpExport(tables=tables, truth={"profile": "sap-pp", "timezone": timezone, "orders": orders,
                                           "operations": operations, "decisions": decisions,
                                           "reversals": int((tables["AFRU"]["STOKZ"] == "X").sum())})
