"""Global filters as they live in the URL, checked against what the dashboard offered.

Every value that arrives from the browser (URL query, dropdown, date picker) is validated here:
a process must be one the store holds, dates must be ISO dates, the language one of the offered
ones. Anything else (a forged value such as ``../../etc/passwd``) is refused, never used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

from flowmine.dashboard._i18n import LANGS


@dataclass(frozen=True)
class Filters:
    process: str | None = None
    start: str | None = None  # ISO date: cases started on or after
    end: str | None = None  # ISO date: cases started on or before
    lang: str = "en"
    refused: tuple[str, ...] = ()

    def query(self) -> str:
        items = {"process": self.process, "from": self.start, "to": self.end, "lang": self.lang}
        return "?" + urlencode({k: v for k, v in items.items() if v})


def _date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise ValueError(value) from None


def parse(search: str | None, processes: list[str]) -> Filters:
    """Filters from a URL query string; values not offered are dropped and named in ``refused``."""
    qs = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    get = {k: v[0] for k, v in qs.items() if v}
    refused: list[str] = []
    process = get.get("process")
    if process is not None and process not in processes:
        refused.append(f"process={process}")
        process = None
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
    return Filters(process=process or (processes[0] if processes else None), start=dates["from"],
                   end=dates["to"], lang=lang, refused=tuple(refused))


def with_changes(f: Filters, processes: list[str], **changes: str | None) -> Filters:
    """New filters after a control changed; a value not offered raises ValueError."""
    if "process" in changes and changes["process"] not in processes:
        raise ValueError(f"process {changes['process']!r} was not offered")
    if "lang" in changes and changes["lang"] not in LANGS:
        raise ValueError(f"language {changes['lang']!r} was not offered")
    for key in ("start", "end"):
        if key in changes:
            changes[key] = _date(changes[key])
    return replace(f, refused=(), **changes)  # type: ignore[arg-type]
