"""Global filters as they live in the URL, checked against what the dashboard offered.

Every value that arrives from the browser (URL query, dropdown, date picker) is validated here:
a process must be one the store holds, dates must be ISO dates, an attribute and its values, a
variant and the conformance choice must be among those the filter bar offered for the process, the
language one of the offered ones. Anything else (a forged value such as ``../../etc/passwd``) is
refused, never used.

URL keys: ``process``, ``from``, ``to`` (cases started between, ISO dates, inclusive), ``attr`` and
``val`` (repeatable: cases with one of these values of a case attribute), ``variant`` (activities
joined by " → "), ``fit`` (``yes``: conforming cases only, ``no``: deviating cases only), ``lang``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from flowmine.dashboard._i18n import LANGS
from flowmine.errors import OptionError

FIT = ("yes", "no")


@dataclass(frozen=True)
class Offer:
    """What the filter bar offers for one process."""

    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)  # case attribute → values
    variants: Sequence[str] = ()
    conformance: bool = False  # whether a reference model exists (the conforming filter is offered)


NO_OFFER = Offer()


@dataclass(frozen=True)
class Filters:
    process: str | None = None
    start: str | None = None  # ISO date: cases started on or after
    end: str | None = None  # ISO date: cases started on or before
    attr: str | None = None  # a case attribute ...
    values: tuple[str, ...] = ()  # ... and the values kept (none: no attribute filter)
    variant: str | None = None
    fit: str | None = None  # "yes" / "no"
    lang: str = "en"
    refused: tuple[str, ...] = ()

    def query(self) -> str:
        items: list[tuple[str, str]] = [(k, v) for k, v in (
            ("process", self.process), ("from", self.start), ("to", self.end)) if v]
        if self.attr:  # an attribute chosen before its values is kept (the value list is offered for it)
            items += [("attr", self.attr)] + [("val", v) for v in self.values]
        items += [(k, v) for k, v in (("variant", self.variant), ("fit", self.fit), ("lang", self.lang)) if v]
        return "?" + urlencode(items)

    def key(self) -> tuple[Any, ...]:
        """The case-filter part (what a cached result depends on besides the process and version)."""
        return (self.start, self.end, self.attr if self.values else None, self.values, self.variant, self.fit)

    @property
    def filtered(self) -> bool:
        return any(v for v in self.key())


def _date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise OptionError(f"date {value!r} is not an ISO date") from None


def parse(search: str | None, processes: list[str], offer: Callable[[str], Offer] | None = None) -> Filters:
    """Filters from a URL query string; values not offered are dropped and named in ``refused``."""
    qs = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    get = {k: v[0] for k, v in qs.items() if v}
    refused: list[str] = []
    process = get.get("process")
    if process is not None and process not in processes:
        refused.append(f"process={process}")
        process = None
    process = process or (processes[0] if processes else None)
    lang = get.get("lang", "en")
    if lang not in LANGS:
        refused.append(f"lang={lang}")
        lang = "en"
    dates = {}
    for key in ("from", "to"):
        try:
            dates[key] = _date(get.get(key))
        except ValueError:
            refused.append(f"{key}={get.get(key)}")
            dates[key] = None
    off = offer(process) if (offer is not None and process) else NO_OFFER
    attr, values = get.get("attr"), tuple(qs.get("val", []))
    if attr is not None and attr not in off.attributes:
        refused.append(f"attr={attr}")
        attr, values = None, ()
    if attr is not None:
        allowed = set(off.attributes[attr])
        refused += [f"val={v}" for v in values if v not in allowed]
        values = tuple(dict.fromkeys(v for v in values if v in allowed))
    elif values:
        refused += [f"val={v}" for v in values]
        values = ()
    variant = get.get("variant")
    if variant is not None and variant not in set(off.variants):
        refused.append(f"variant={variant[:80]}")
        variant = None
    fit = get.get("fit")
    if fit is not None and (fit not in FIT or not off.conformance):
        refused.append(f"fit={fit}")
        fit = None
    return Filters(process=process, start=dates["from"], end=dates["to"], attr=attr,
                   values=values, variant=variant, fit=fit, lang=lang, refused=tuple(refused))


def with_changes(f: Filters, processes: list[str], offer: Callable[[str], Offer] | None = None,
                 **changes: Any) -> Filters:
    """New filters after a control changed; a value not offered raises OptionError (a ValueError)."""
    if "process" in changes and changes["process"] not in processes:
        raise OptionError(f"process {changes['process']!r} was not offered")
    if "lang" in changes and changes["lang"] not in LANGS:
        raise OptionError(f"language {changes['lang']!r} was not offered")
    for key in ("start", "end"):
        if key in changes:
            changes[key] = _date(changes[key])
    process = changes.get("process", f.process)
    if process != f.process:  # another process offers other attributes and variants
        changes.update(attr=None, values=(), variant=None, fit=None)
    off = offer(process) if (offer is not None and process) else NO_OFFER
    attr = changes.get("attr", f.attr) or None
    values = tuple(changes.get("values", f.values) or ())
    if attr != f.attr and values == f.values:  # another attribute: its values start empty
        values = ()
    if attr is not None and attr not in off.attributes:
        raise OptionError(f"attribute {attr!r} was not offered")
    if not all(isinstance(v, str) for v in values) or (
            values and (attr is None or not set(values) <= set(off.attributes[attr]))):
        raise OptionError("a value was not offered")
    variant = changes.get("variant", f.variant) or None
    if variant is not None and variant not in set(off.variants):
        raise OptionError("variant was not offered")
    fit = changes.get("fit", f.fit) or None
    if fit is not None and (fit not in FIT or not off.conformance):
        raise OptionError(f"conformance choice {fit!r} was not offered")
    changes.update(attr=attr, values=values, variant=variant, fit=fit)
    return replace(f, refused=(), **changes)
