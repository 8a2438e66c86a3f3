"""A small thread-safe cache of the most recently used values, for what is computed once per log version.

A version never changes, so a value computed for its path stays right; only memory bounds how many are
kept. The value is built outside the lock (two threads may build the same value once each; both are equal).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Recent(Generic[V]):
    """At most ``most`` values by key, the least recently used dropped first; with ``weigh`` (a value's
    size in bytes) also at most ``budget`` bytes in all (a value larger than the budget is not kept)."""

    def __init__(self, most: int, weigh: Callable[[V], int] | None = None, budget: int = 0) -> None:
        self.most = most
        self.weigh = weigh
        self.budget = budget
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self._lock = threading.Lock()

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        """The value kept for ``key``, else ``build()`` kept for it."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        size = self.weigh(value) if self.weigh is not None else 0
        if self.weigh is not None and size > self.budget:
            return value
        with self._lock:
            self._items[key] = value
            self._sizes[key] = size
            held = sum(self._sizes.values())
            while len(self._items) > self.most or (self.weigh is not None and held > self.budget):
                old, _ = self._items.popitem(last=False)
                held -= self._sizes.pop(old)
        return value
