"""What an extraction did with every table row: used, or quarantined with a reason.

``rows_read = rows_used + rows_quarantined`` holds for every table and for the totals. ``flags`` count
rows that were used with a caveat (a date without a time, read as midnight; a document that its header
table does not hold), so that nothing is bent without a word.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TableReport:
    """One table of the profile (possibly several files: a split export)."""

    table: str
    sources: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_used: int = 0
    rows_quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_used + self.rows_quarantined

    def to_dict(self) -> dict[str, Any]:
        return {"sources": self.sources, "rows_read": self.rows_read, "rows_used": self.rows_used,
                "rows_quarantined": self.rows_quarantined, "reasons": dict(sorted(self.reasons.items())),
                "flags": dict(sorted(self.flags.items()))}


@dataclass
class ExtractReport:
    """The reconciliation of one extraction: per table, totals, and what came out."""

    profile: str
    timezone: str
    tables: dict[str, TableReport] = field(default_factory=dict)
    objects: dict[str, int] = field(default_factory=dict)  # object type -> count
    events: dict[str, int] = field(default_factory=dict)  # activity -> count
    relations: dict[str, int] = field(default_factory=dict)  # "e2o" / "o2o" -> count
    notes: list[str] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        keys = ("rows_read", "rows_used", "rows_quarantined")
        return {k: sum(getattr(t, k) for t in self.tables.values()) for k in keys}

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``flowmine extract --json``."""
        return {"profile": self.profile, "timezone": self.timezone, **self.totals(),
                "tables": {name: t.to_dict() for name, t in self.tables.items()},
                "objects": dict(sorted(self.objects.items())), "events": sum(self.events.values()),
                "activities": dict(sorted(self.events.items())), "relations": self.relations, "notes": self.notes}

    def lines(self) -> list[str]:
        """The reconciliation as a person reads it."""
        t = self.totals()
        out = [f"profile {self.profile} (times read as {self.timezone}): read {t['rows_read']:,} rows = "
               f"{t['rows_used']:,} used + {t['rows_quarantined']:,} quarantined"]
        for name, rep in self.tables.items():
            out.append(f"  {name} ({', '.join(rep.sources)}): read {rep.rows_read:,} = {rep.rows_used:,} used + "
                       f"{rep.rows_quarantined:,} quarantined")
            out.extend(f"      quarantined {reason}: {n:,}" for reason, n in sorted(rep.reasons.items()))
            out.extend(f"      used with a caveat, {flag}: {n:,}" for flag, n in sorted(rep.flags.items()))
        objects = ", ".join(f"{k} {v:,}" for k, v in sorted(self.objects.items()))
        out.append(f"objects: {sum(self.objects.values()):,} ({objects})")
        e2o, o2o = self.relations.get("e2o", 0), self.relations.get("o2o", 0)
        out.append(f"events: {sum(self.events.values()):,} in {len(self.events)} activities; relations: "
                   f"{e2o:,} event-to-object, {o2o:,} object-to-object")
        out.extend(f"note: {n}" for n in self.notes)
        return out
