"""Extraction profiles: their tables (told apart by columns), category codes and names (EN/ZH).

A profile is one TOML file in ``flowmine/extract/profiles/``; :func:`identify` names the profile
table a file is, by its columns (case and surrounding blanks ignored), with the file's name only as a
tie-breaker, and refuses a file that is none of them with one line listing what was expected.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import tomllib
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import pyarrow as pa

from flowmine.errors import OptionError, UnusableInputError

#: Profiles flowmine extracts, name -> one-line description (``flowmine extract --help`` lists them).
PROFILES: dict[str, str] = {"sap-o2c": "SAP SD document flow VBFA (+ VBAK/VBAP, LIKP, VBRK) -> orders, deliveries, "
                                       "goods movements, invoices"}


@dataclass(frozen=True)
class TableSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]


@dataclass(frozen=True)
class Profile:
    name: str
    categories: dict[str, dict[str, str]]
    tables: dict[str, TableSpec]
    precedes: tuple[str, ...]
    sales: tuple[str, ...]

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
    tables = {t: TableSpec(t, tuple(spec["required"]), tuple(spec.get("optional", ())))
              for t, spec in doc["tables"].items()}
    return Profile(name=name, categories=doc["categories"], tables=tables,
                   precedes=tuple(doc["profile"].get("precedes", ())), sales=tuple(doc["profile"].get("sales", ())))


def clean_names(table: pa.Table) -> pa.Table:
    """Column names as SAP writes them: upper case, no surrounding blanks or BOM."""
    return table.rename_columns([c.strip().lstrip("\ufeff").upper() for c in table.column_names])


def identify(profile: Profile, table: pa.Table, source: str) -> str:
    """The profile table whose required columns ``table`` has; the file's name breaks a tie."""
    have = set(table.column_names)
    fits = [spec for spec in profile.tables.values() if set(spec.required) <= have]
    if not fits:
        expected = "; ".join(f"{t.name} ({', '.join(t.required)})" for t in profile.tables.values())
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
