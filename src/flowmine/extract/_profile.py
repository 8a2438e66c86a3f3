"""Extraction profiles: their tables (told apart by columns), category codes and names (EN/ZH).

A profile is one TOML file in ``flowmine/extract/profiles/``; :func:`identify` names the profile
table a file is, by its columns (case and surrounding blanks ignored), with the file's name only as a
tie-breaker, and refuses a file that is none of them with one line listing what was expected.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import pyarrow as pa

from flowmine.errors import OptionError, UnusableInputError

#: Profiles flowmine extracts, name -> one-line description (``flowmine extract --help`` lists them).
PROFILES: dict[str, str] = {
    "sap-o2c": "SAP SD document flow VBFA (+ VBAK/VBAP, LIKP, VBRK) -> orders, deliveries, goods movements, invoices",
    "sap-p2p": "SAP MM EBAN, EKKO/EKPO, EKBE (+ RBKP/RSEG) -> requisitions, purchase orders, goods and invoice "
               "receipts, parked invoices",
    "sap-fi": "SAP FI BKPF/BSEG -> invoices, credit memos, payments and the clearing that links them",
    "sap-pp": "SAP PP/QM AFKO/AFPO, AFRU, QALS/QAVE -> production orders with their operations (start and "
              "finish), inspection lots and usage decisions",
    "links": "any ERP: a documents table (id, type, created, user, approved) and a source -> target link table "
             "(Kingdee FSBILLID/FID, Yonyou csourceid, Chinese captions)",
}


@dataclass(frozen=True)
class TableSpec:
    """A profile table: its roles (required, optional) and the column names each role is found under."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> names (upper case); default: itself

    def names(self, role: str) -> tuple[str, ...]:
        return self.aliases.get(role, (role,))

    def resolve(self, columns: set[str]) -> dict[str, str]:
        """Role -> the first of its names among ``columns`` (roles without one left out)."""
        out = {}
        for role in self.required + self.optional:
            found = next((n for n in self.names(role) if n in columns), None)
            if found is not None:
                out[role] = found
        return out

    def fits(self, columns: set[str]) -> bool:
        return all(any(n in columns for n in self.names(r)) for r in self.required)


@dataclass(frozen=True)
class Profile:
    name: str
    categories: dict[str, dict[str, str]]
    tables: dict[str, TableSpec]
    precedes: tuple[str, ...]
    sales: tuple[str, ...]
    runner: str = ""
    reversal: dict[str, str] = field(default_factory=dict)  # sap-p2p: VGABE -> the usual SHKZG of its rows
    changes: dict[str, dict[str, str]] = field(default_factory=dict)  # sap-o2c: "TAB-FIELD" -> {en, zh} activity

    def type_name(self, code: str, lang: str) -> str:
        return self.categories[code][f"type_{lang}"]

    def activity(self, code: str, lang: str) -> str:
        return self.categories[code][f"activity_{lang}"]


@functools.cache
def load_profile(name: str) -> Profile:
    """The profile ``name``; an unknown name is an :class:`OptionError` listing the profiles."""
    if name not in PROFILES:
        raise OptionError(f"unknown extraction profile {name!r}; choose one of {', '.join(sorted(PROFILES))}",
                          parameter="profile", function="extract")
    text = importlib.resources.files("flowmine.extract").joinpath(f"profiles/{name}.toml").read_text("utf-8")
    doc: dict[str, Any] = tomllib.loads(text)
    tables = {t: TableSpec(t, tuple(spec["required"]), tuple(spec.get("optional", ())),
                           {r: tuple(n.strip().upper() for n in names) for r, names in spec.get("aliases", {}).items()})
              for t, spec in doc["tables"].items()}
    head = doc["profile"]
    return Profile(name=name, categories=doc.get("categories", {}), tables=tables,
                   precedes=tuple(head.get("precedes", ())), sales=tuple(head.get("sales", ())),
                   runner=head.get("runner", name), reversal=dict(doc.get("reversal", {})),
                   changes=dict(doc.get("changes", {})))


def with_columns(profile: Profile, columns: dict[str, dict[str, str]] | None) -> Profile:
    """``profile`` with the user's column names (table -> role -> column) tried before its own aliases."""
    if not columns:
        return profile
    tables = dict(profile.tables)
    for name, roles in columns.items():
        if name not in tables:
            raise OptionError(f"columns: the {profile.name} profile has no table {name!r}; it has "
                              f"{', '.join(tables)}", parameter="columns", function="extract")
        spec = tables[name]
        unknown = sorted(set(roles) - set(spec.required + spec.optional))
        if unknown:
            raise OptionError(f"columns: the {name} table has no role {unknown[0]!r}; its roles are "
                              f"{', '.join(spec.required + spec.optional)}", parameter="columns", function="extract")
        aliases = dict(spec.aliases)
        for role, column in roles.items():
            aliases[role] = (column.strip().upper(), *spec.names(role))
        tables[name] = dataclasses.replace(spec, aliases=aliases)
    return dataclasses.replace(profile, tables=tables)


def clean_names(table: pa.Table) -> pa.Table:
    """Column names as SAP writes them: upper case, no surrounding blanks or BOM."""
    return table.rename_columns([c.strip().lstrip("\ufeff").upper() for c in table.column_names])


def identify(profile: Profile, table: pa.Table, source: str) -> str:
    """The profile table whose required columns ``table`` has; the file's name breaks a tie."""
    have = set(table.column_names)
    fits = [spec for spec in profile.tables.values() if spec.fits(have)]
    if not fits:
        expected = "; ".join(f"{t.name} ({', '.join('/'.join(t.names(r)[:3]) for r in t.required)})"
                             for t in profile.tables.values())
        shown = ", ".join(sorted(have)[:12]) + (", ..." if len(have) > 12 else "")
        raise UnusableInputError(source, f"is not a table of the {profile.name} profile: expected the columns of "
                                 f"{expected}; it has {shown}")
    if len(fits) == 1:
        return fits[0].name
    stem = re.split(r"[^A-Za-z0-9]", PurePath(source.rsplit(":", 1)[-1]).name)[0].upper()
    named = [s for s in fits if s.name == stem]
    if named:
        return named[0].name
    return max(fits, key=lambda s: len(s.required)).name
