"""A BPI-Challenge-2012-shaped XES log, written by the tests: SCHEDULE/START/COMPLETE W_ steps with
several instances per case, COMPLETE-only A_/O_ steps, an open start and a schedule never followed."""

from __future__ import annotations

from pathlib import Path

#: (case, [(activity, transition, minute)]) in file order; times are minutes after 2011-10-01 08:00 UTC+2.
BPI2012 = [
    ("173688", [("A_SUBMITTED", "COMPLETE", 0), ("A_PARTLYSUBMITTED", "COMPLETE", 0),
                ("W_Afhandelen leads", "SCHEDULE", 1), ("W_Afhandelen leads", "START", 20),
                ("W_Afhandelen leads", "COMPLETE", 25), ("A_PREACCEPTED", "COMPLETE", 25),
                ("W_Completeren aanvraag", "SCHEDULE", 25), ("W_Completeren aanvraag", "START", 30),
                ("W_Completeren aanvraag", "COMPLETE", 40), ("W_Completeren aanvraag", "START", 60),
                ("W_Completeren aanvraag", "COMPLETE", 75), ("O_SELECTED", "COMPLETE", 76),
                ("O_CREATED", "COMPLETE", 76), ("O_SENT", "COMPLETE", 77)]),
    ("173691", [("A_SUBMITTED", "COMPLETE", 100), ("W_Completeren aanvraag", "SCHEDULE", 101),
                ("W_Completeren aanvraag", "START", 110), ("W_Completeren aanvraag", "COMPLETE", 120),
                ("W_Nabellen offertes", "SCHEDULE", 121), ("W_Nabellen offertes", "START", 130)]),  # open
    ("173694", [("A_SUBMITTED", "COMPLETE", 200), ("W_Afhandelen leads", "SCHEDULE", 201),  # never started
                ("A_DECLINED", "COMPLETE", 205)]),
    ("173697", [("A_SUBMITTED", "COMPLETE", 300), ("W_Completeren aanvraag", "SCHEDULE", 301),
                ("W_Completeren aanvraag", "START", 302), ("W_Completeren aanvraag", "COMPLETE", 310),
                ("W_Nabellen offertes", "SCHEDULE", 311), ("W_Valideren aanvraag", "SCHEDULE", 311),
                # two instances with equal start and completion: the completion rows' order is the tie order
                ("W_Valideren aanvraag", "START", 320), ("W_Nabellen offertes", "START", 320),
                ("W_Nabellen offertes", "COMPLETE", 330), ("W_Valideren aanvraag", "COMPLETE", 330)]),
]


def _stamp(minute: int) -> str:
    h, m = divmod(minute, 60)
    return f"2011-10-{1 + h // 24:02d}T{8 + h % 24:02d}:{m:02d}:00.000+02:00"


def write_bpi2012(path: Path, cases: list[tuple[str, list[tuple[str, str, int]]]] = BPI2012) -> Path:
    """Write ``cases`` in the style of BPI Challenge 2012's XES (OpenXES, ProM 6)."""
    out = ['<?xml version="1.0" encoding="UTF-8" ?>',
           '<log xes.version="1.0" xes.features="nested-attributes" openxes.version="1.0RC7" '
           'xmlns="http://www.xes-standard.org/">',
           '<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>',
           '<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>',
           '<global scope="trace"><string key="concept:name" value="__INVALID__"/></global>',
           '<global scope="event"><string key="concept:name" value="__INVALID__"/>'
           '<string key="lifecycle:transition" value="complete"/></global>',
           '<classifier name="MXML Legacy Classifier" keys="concept:name lifecycle:transition"/>',
           '<string key="concept:name" value="financial_log.xes"/>',
           '<string key="lifecycle:model" value="standard"/>']
    for case, events in cases:
        out.append(f'<trace><string key="concept:name" value="{case}"/>'
                   '<string key="AMOUNT_REQ" value="20000"/>')
        for act, transition, minute in events:
            out.append(f'<event><string key="org:resource" value="112"/>'
                       f'<string key="lifecycle:transition" value="{transition}"/>'
                       f'<string key="concept:name" value="{act}"/>'
                       f'<date key="time:timestamp" value="{_stamp(minute)}"/></event>')
        out.append("</trace>")
    out.append("</log>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path
