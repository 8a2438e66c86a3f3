"""Saved views: a named dashboard address (page path and filter query) kept in ``<store>/views.json``.

The file sits in the store's folder beside the processes, never inside a version (the data stays
read-only for the dashboard), and is written atomically (``flowmine._atomic``), so a crash never leaves
half a file. A view's name is text: 1 to :data:`MAX_NAME` printable characters; its address must be a
page the dashboard serves with a query the filters accept (the shell checks it when the view is opened,
like any URL). Saving a view under an existing name replaces it; at most :data:`MAX_VIEWS` are kept.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flowmine._atomic import write_text_atomic
from flowmine.errors import OptionError
from flowmine.store import Store

FILE = "views.json"
MAX_NAME = 80
MAX_VIEWS = 200
MAX_QUERY = 4000


@dataclass(frozen=True)
class View:
    name: str
    path: str  # a page path, such as "/map"
    query: str  # "?process=...", as Filters.query() gives it

    @property
    def href(self) -> str:
        return self.path + self.query


def views_file(store: Store | str | Path) -> Path:
    return Path(store.path if isinstance(store, Store) else store) / FILE


def check_name(name: Any) -> str:
    """The name, stripped; OptionError unless it is 1 to MAX_NAME printable characters."""
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= MAX_NAME or not name.strip().isprintable():
        raise OptionError(f"a view's name is 1 to {MAX_NAME} printable characters; got {str(name)[:MAX_NAME]!r}")
    return name.strip()


def check_href(href: Any, paths: Collection[str]) -> tuple[str, str]:
    """(path, query) of a dashboard address on one of ``paths``; OptionError otherwise."""
    if not isinstance(href, str) or len(href) > MAX_QUERY:
        raise OptionError("a view's address is a dashboard path with its query")
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or parts.path not in paths:
        raise OptionError(f"a view's address must be one of the dashboard's pages; got {href[:80]!r}")
    return parts.path, ("?" + parts.query) if parts.query else ""


def saved_views(store: Store | str | Path) -> list[View]:
    """The saved views of a store, by name (none when the file is missing or unreadable)."""
    try:
        raw = json.loads(views_file(store).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out = []
    for item in raw.get("views", []) if isinstance(raw, dict) else []:
        if not (isinstance(item, dict) and all(isinstance(item.get(k), str) for k in ("name", "path", "query"))):
            continue
        path, query = item["path"], item["query"]  # a hand-edited file must not make a link leave the dashboard
        if path.startswith("/") and not path.startswith("//") and (query == "" or query.startswith("?")):
            out.append(View(item["name"], path, query))
    return sorted(out, key=lambda v: v.name.casefold())


def save_view(store: Store | str | Path, name: Any, href: Any, paths: Collection[str]) -> View:
    """Save (or replace) the view ``name`` for the dashboard address ``href``; the name and the address are
    checked first (OptionError)."""
    view = View(check_name(name), *check_href(href, paths))
    views = [v for v in saved_views(store) if v.name != view.name] + [view]
    if len(views) > MAX_VIEWS:
        raise OptionError(f"at most {MAX_VIEWS} views can be saved")
    text = json.dumps({"views": [v.__dict__ for v in views]}, ensure_ascii=False, indent=1)
    write_text_atomic(views_file(store), text + "\n")
    return view


def views_list(views: list[View], empty: str) -> Any:
    """The saved views as a list of links (names as text), or ``empty`` when there are none: a component
    the overview or the shell places."""
    from dash import dcc, html

    if not views:
        return html.P(empty, className="fm-views-empty")
    return html.Ul([html.Li(dcc.Link(v.name, href=v.href)) for v in views], className="fm-views")


__all__ = ["View", "check_href", "check_name", "save_view", "saved_views", "views_file", "views_list"]
