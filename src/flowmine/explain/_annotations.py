"""Annotations: what analysts learned about a step from expert review, interviews and user feedback.

The seed names expert review and user feedback among the ways to understand a process; the numbers
cannot say what a clerk said in an interview. Each process has one file in the store's folder,
``<store>/annotations/<process>.json``: a list of notes, each with ``step``, ``kind`` (finding,
interview, feedback), ``author``, ``date`` (ISO) and ``text``. It is written atomically, so a crash
never leaves half a file; the step card and the report show the notes of their step.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flowmine._atomic import write_text_atomic
from flowmine.errors import InputError, OptionError
from flowmine.store import Store

#: The kinds of note an annotation is.
KINDS = ("finding", "interview", "feedback")
_MAX_TEXT = 4000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def annotations_file(store: Store | str | Path, process: str) -> Path:
    """``<store>/annotations/<process>.json``."""
    root = store.path if isinstance(store, Store) else Path(store)
    if not process or "/" in process or "\\" in process or process.startswith("."):
        raise OptionError(f"process {process!r}: not a process name", parameter="process",
                          function="annotate")
    return root / "annotations" / f"{process}.json"


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise InputError(str(path), f"expected a JSON file of annotations, could not read it ({exc})") from None
    notes = raw.get("annotations") if isinstance(raw, dict) else None
    if not isinstance(notes, list):
        raise InputError(str(path), f"expected {{\"annotations\": [...]}}, got {type(raw).__name__}")
    out = []
    for i, n in enumerate(notes):
        if not (isinstance(n, dict) and all(isinstance(n.get(k), str) for k in ("step", "kind", "author", "date",
                                                                                  "text"))):
            raise InputError(str(path), f"annotation #{i + 1}: expected step, kind, author, date and text as text")
        out.append({k: n[k] for k in ("step", "kind", "author", "date", "text")})
    return out


def read_annotations(store: Store | str | Path, process: str, step: str | None = None) -> list[dict[str, Any]]:
    """The notes of a process (of one step when given), oldest first."""
    notes = _read(annotations_file(store, process))
    return sorted((n for n in notes if step is None or n["step"] == step), key=lambda n: n["date"])


def annotate(store: Store | str | Path, process: str, step: str, text: str, *, author: str,
             kind: str = "finding", date: str | None = None) -> dict[str, Any]:
    """Attach a note to a step of a stored process; returns the note as saved.

    Examples
    --------
    >>> from flowmine.explain import annotate, read_annotations
    >>> note = annotate(STORE, "finance", "GM approval", "The GM signs only on Mon/Wed/Fri afternoons.",
    ...                 author="Li Na", kind="interview", date="2025-06-03")  # STORE: a store's path
    >>> read_annotations(STORE, "finance", "GM approval")[-1]["text"].startswith("The GM")
    True
    """
    st = store if isinstance(store, Store) else Store(store, create=False)
    st.events_path(process)  # the process must exist (one line naming the ones that do)
    if kind not in KINDS:
        raise OptionError(f"The 'kind' parameter of annotate must be one of {list(KINDS)}. Got {kind!r} instead.",
                          parameter="kind", function="annotate")
    for name, value in (("step", step), ("author", author), ("text", text)):
        if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT:
            raise OptionError(f"the note's {name} is 1 to {_MAX_TEXT} characters", parameter=name,
                              function="annotate")
    when = date or datetime.now(UTC).date().isoformat()
    if not _DATE.fullmatch(when):
        raise OptionError(f"date {when!r}: expected YYYY-MM-DD", parameter="date", function="annotate")
    path = annotations_file(st, process)
    notes = _read(path)
    note = {"step": step.strip(), "kind": kind, "author": author.strip(), "date": when, "text": text.strip()}
    notes.append(note)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps({"annotations": notes}, ensure_ascii=False, indent=1) + "\n")
    return note
