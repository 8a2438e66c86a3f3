"""One memo per reference model, alive as long as the model object is.

Alignments remember the variants they aligned, precision the markings it stepped through; both are
valid for one model object only. :class:`ModelMemo` keys them by the model's identity, drops an entry
when its model is garbage-collected (a weak reference), never hands a newer model the memo of an
older one whose id was reused, and survives interpreter exit (the callback binds its own dict).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from flowmine.models import ReferenceModel

T = TypeVar("T")


class ModelMemo(Generic[T]):
    """``get(model)``: the memo ``make(model)`` made for this model object (made on first use)."""

    def __init__(self, make: Callable[[ReferenceModel], T]) -> None:
        self.make = make
        self.entries: dict[int, tuple[weakref.ref[ReferenceModel], T]] = {}
        self.lock = threading.Lock()

    def clear(self) -> None:
        """Forget every model's memo."""
        with self.lock:
            self.entries.clear()

    def get(self, model: ReferenceModel, keep: Callable[[T], bool] | None = None) -> T:
        """The model's memo; a fresh one when ``keep(memo)`` says the old one has grown too big."""
        key = id(model)
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None and entry[0]() is model and (keep is None or keep(entry[1])):
                return entry[1]
            memo = self.make(model)
            entries = self.entries  # bound here: at interpreter exit the module's globals may be None

            def forget(ref: weakref.ref[ReferenceModel], k: int = key) -> None:
                old = entries.get(k)
                if old is not None and old[0] is ref:  # not a newer model's entry under a reused id
                    entries.pop(k, None)

            self.entries[key] = (weakref.ref(model, forget), memo)
            return memo
