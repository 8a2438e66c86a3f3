"""What explanations and step cards derive from a log's instances whatever the step, computed once.

A card asks its six sections and two explanations of one step; a dashboard asks the cards and factors
of many steps of one log. :class:`Prepared` holds the log's instances
(:func:`flowmine.analytics.instances`) and, each made on first use, what every step's units read
again: the rolling hashes of the variant so far, the cases' frame, each resource's busy intervals, the
rows of a step. :func:`prepared` remembers it for a stored log per version and filters (a version is
immutable, so nothing goes stale; the last :data:`KEPT` are kept, each holding its instances: some
hundred MB at a million events); any other log is prepared anew on every call. What it holds is shared:
callers never change it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from flowmine._remember import stamp
from flowmine.analytics import LogLike, StoredLog, busy_intervals, instances

T = TypeVar("T")
#: How many prepared stored logs (version and filters) are kept.
KEPT = 2


class Prepared:
    """A log's instances (``inst``) and what is derived from them once, on first use."""

    def __init__(self, inst: pd.DataFrame) -> None:
        self.inst = inst
        self._made: dict[Any, Any] = {}
        self._lock = threading.Lock()

    def _once(self, key: Any, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._made:
                return self._made[key]
        value = make()
        with self._lock:
            return self._made.setdefault(key, value)

    def rows(self, step: str) -> npt.NDArray[np.bool_]:
        """The rows of ``step``'s instances."""
        return self._once(("rows", step), lambda: (self.inst["activity"] == step).to_numpy())

    def prefix(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The rolling hashes of the variant so far (``flowmine.explain._units``) of the instances."""
        from flowmine.explain._units import _prefix_hashes

        return self._once("prefix", lambda: _prefix_hashes(self.inst))

    def case_frame(self, variant: bool) -> pd.DataFrame:
        """:func:`flowmine.explain._units.case_frame` of the instances."""
        from flowmine.explain._units import case_frame

        return self._once(("cases", variant), lambda: case_frame(self.inst, variant=variant, prep=self))

    def busy(self) -> dict[Any, Any]:
        """Each resource's busy intervals (:func:`flowmine.analytics.busy_intervals`)."""
        return self._once("busy", lambda: busy_intervals(self.inst))


_KEPT: OrderedDict[Any, Prepared] = OrderedDict()
_GUARD = threading.Lock()


def prepared(log: LogLike) -> Prepared:
    """The log's :class:`Prepared`: remembered for a stored log (per version file and filters), anew for
    any other log."""
    if not isinstance(log, StoredLog):
        return Prepared(instances(log))
    key = (stamp(log.base.path), repr(log.filters))
    with _GUARD:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    prep = Prepared(instances(log))
    with _GUARD:
        prep = _KEPT.setdefault(key, prep)
        while len(_KEPT) > KEPT:
            _KEPT.popitem(last=False)
    return prep


def forget() -> None:
    """Forget every prepared stored log."""
    with _GUARD:
        _KEPT.clear()
