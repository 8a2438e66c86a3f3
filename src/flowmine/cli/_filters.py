"""The case-filter options several commands share (``perf``, ``explain``): declared once, parsed once.

Each option is an ``Annotated`` type a command's signature uses as is; :func:`case_filter` turns the
values into one :class:`~flowmine.analytics.CaseFilter`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from flowmine.cli import fail

_ARROW = re.compile(r"\s*(?:->|→)\s*")

Started = Annotated[str | None, typer.Option(help="Cases started in FROM,TO (ISO; either may be empty).")]
Completed = Annotated[str | None, typer.Option(help="Cases completed in FROM,TO.")]
Active = Annotated[str | None, typer.Option(help="Cases active in FROM,TO.")]
Attribute = Annotated[list[str] | None, typer.Option(help="COLUMN=V1,V2: cases with such a value (repeatable).")]
Variant = Annotated[list[str] | None, typer.Option(help="Keep this variant (A → B → C; repeatable).")]
MinDuration = Annotated[float | None, typer.Option(help="Minimum throughput time, seconds.")]
MaxDuration = Annotated[float | None, typer.Option(help="Maximum throughput time, seconds.")]
StartStep = Annotated[list[str] | None, typer.Option(help="Cases starting with this step (repeatable).")]
EndStep = Annotated[list[str] | None, typer.Option(help="Cases ending with this step (repeatable).")]
Follows = Annotated[str | None, typer.Option(help="'A -> B': A eventually followed by B.")]


def window(value: str | None, option: str) -> tuple[str | None, str | None] | None:
    if value is None:
        return None
    if "," not in value:
        fail(f"--{option} {value!r}: expected FROM,TO (ISO dates; either may be empty)")
    lo, hi = (v.strip() or None for v in value.split(",", 1))
    return lo, hi


def attributes(values: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in values:
        name, sep, vals = item.partition("=")
        if not sep or not name:
            fail(f"--attribute {item!r}: expected COLUMN=VALUE[,VALUE...]")
        out.setdefault(name, []).extend(v for v in vals.split(","))
    return out


def pair(value: str | None, option: str) -> tuple[str, str] | None:
    """``'A -> B'`` (or ``A → B``) as ``("A", "B")``; one line and exit 2 otherwise."""
    if value is None:
        return None
    parts = _ARROW.split(value.strip())
    if len(parts) != 2 or not all(parts):
        fail(f"--{option} {value!r}: expected 'A -> B'")
    return parts[0], parts[1]


def case_filter(*, started: str | None, completed: str | None, active: str | None, attribute: list[str] | None,
                variant: list[str] | None, min_duration: float | None, max_duration: float | None,
                start_step: list[str] | None, end_step: list[str] | None, follows: str | None) -> Any:
    """The :class:`~flowmine.analytics.CaseFilter` of the shared options."""
    from flowmine.analytics import CaseFilter

    duration = None if min_duration is None and max_duration is None else (min_duration, max_duration)
    return CaseFilter(started=window(started, "started"), completed=window(completed, "completed"),
                      active=window(active, "active"), attributes=attributes(attribute or []),
                      variants=variant or None, duration_s=duration, start_steps=start_step or None,
                      end_steps=end_step or None, follows=pair(follows, "follows"))
