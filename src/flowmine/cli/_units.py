"""The display options every command that prints durations or periods shares: ``--unit`` and ``--tz``.

Declared once, so each command's help says the same: :data:`UnitOption` (``auto`` picks the unit that
fits each value, :func:`flowmine.vocabulary.fitting_unit`; ``s``, ``min``, ``h`` or ``d`` fixes one so
rows compare) and :data:`TzOption` (an IANA zone for the periods; default: the process definition's
``[calendar] timezone``, else UTC). :func:`unit_of` and :func:`zone_of` check a value given on the
command line: a wrong one is one ``error:`` line, exit 2. Only the text changes: the JSON keeps seconds.
:data:`TimeOption` (``--time elapsed|business``) measures durations in elapsed or business time;
:func:`calendar_of` gives the working calendar business time is measured in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from flowmine.cli import fail
from flowmine.vocabulary import DURATION_UNITS

if TYPE_CHECKING:
    from flowmine.analytics import Calendar

_P = "Display"  # the help panel the options are listed in

UnitOption = Annotated[str, typer.Option(
    "--unit", rich_help_panel=_P,
    help=f"Unit of the durations shown: {' | '.join(DURATION_UNITS)} (auto: the unit that fits each value, "
         "s below 120 s, min below 120 min, h below 48 h, else d; the JSON keeps seconds).")]
TzOption = Annotated[str | None, typer.Option(
    "--tz", rich_help_panel=_P,
    help="IANA time zone the periods (--by) start in, e.g. Europe/Amsterdam (default: the process "
         "definition's [calendar] timezone, else UTC).")]

TIME_BASES = ("elapsed", "business")
TimeOption = Annotated[str, typer.Option(
    "--time", rich_help_panel=_P,
    help="elapsed: durations as the clock runs; business: only the working time of the process definition's "
         "[calendar] (working days and hours, holidays, make-up workdays; without a definition Mon-Fri "
         "09:00-17:00 UTC).")]


def calendar_of(time: str, process: str) -> Calendar | None:
    """``--time`` checked (else exit 2): None for elapsed time, else the working calendar of the process
    definition named like the stored process (Mon-Fri 09:00-17:00 UTC without one)."""
    if time not in TIME_BASES:
        fail(f"--time must be one of {', '.join(TIME_BASES)}; got {time!r}")
    if time == "elapsed":
        return None
    from flowmine.analytics import Calendar
    from flowmine.errors import FlowmineError
    from flowmine.processes import definition_folders, load_process

    if process not in definition_folders():
        return Calendar()
    try:
        return load_process(process).working_calendar()
    except FlowmineError as exc:
        fail(f"--time business: the calendar of the process definition {process!r}: {exc}")
    raise AssertionError("unreachable")  # fail() exits


def unit_of(unit: str) -> str:
    """``--unit`` checked: one of :data:`~flowmine.vocabulary.DURATION_UNITS`, else exit 2."""
    if unit not in DURATION_UNITS:
        fail(f"--unit must be one of {', '.join(DURATION_UNITS)}; got {unit!r}")
    return unit


def zone_of(tz: str | None, process: str) -> str:
    """The zone periods are computed in: ``--tz`` checked (an IANA name, else exit 2), or the zone of
    the process definition named like the stored process, or ``UTC``."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if tz is None:
        return _definition_zone(process)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"--tz: {tz!r} is not an IANA time zone (e.g. UTC, Europe/Amsterdam, Asia/Shanghai)")
    return tz


def _definition_zone(process: str) -> str:
    from flowmine.errors import FlowmineError
    from flowmine.processes import definition_folders, load_process

    try:
        if process not in definition_folders():
            return "UTC"
        return str(load_process(process).calendar.get("timezone") or "UTC")
    except FlowmineError:
        return "UTC"  # a broken definition is reported by the commands that use it, not by a period
