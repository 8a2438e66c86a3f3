"""The heavy callbacks (a step's card, a step's influencing factors) in one worker process.

A card at 1M events computes for seconds in pandas and numpy code that holds the interpreter lock; run
in one of the server's threads it slows every other callback of every user (measured by
``benchmarks/dashboard.py``: p95 of the other pages 208 ms without cards, over 1 s with them). The
served dashboard (``flowmine dashboard``, :func:`flowmine.dashboard.serve`) therefore hands them to a
single worker process started with ``spawn`` (never ``fork`` from a threaded server): the server's
threads only wait for its answer. The worker holds the versions it computes on in memory as the server
does, and computes the unfiltered conformance check once per version at start-up. One worker: the heavy
work of all users queues there, as before on one semaphore, and leaves the other core to the pages.

Without :func:`enable` (an app made by ``create_app`` in a test or a notebook) the work runs in the
calling thread, one at a time. A worker that dies (killed, out of memory) is replaced by the next
call, and that call runs in the calling thread, so no user gets an error for it.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")
LOG = logging.getLogger("flowmine.dashboard")

#: One heavy computation at a time in the calling process (when there is no worker).
HERE = threading.BoundedSemaphore(1)
_lock = threading.Lock()
_state: dict[str, Any] = {"enabled": False, "pool": None}


def enable() -> None:
    """Run the heavy callbacks in the worker process from now on (the served dashboard does)."""
    _state["enabled"] = True


def enabled() -> bool:
    return bool(_state["enabled"])


def _pool() -> ProcessPoolExecutor:
    with _lock:
        if _state["pool"] is None:
            _state["pool"] = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_quiet_on_ctrl_c)
            atexit.register(shutdown)
        return _state["pool"]


def _quiet_on_ctrl_c() -> None:
    """In the worker: Ctrl+C stops the dashboard, which stops the worker; the worker itself prints no
    traceback for it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def shutdown() -> None:
    """Stop the worker (at exit; tests call it)."""
    with _lock:
        pool, _state["pool"] = _state["pool"], None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def submit(fn: Callable[..., T], *args: Any) -> Future[T]:
    """Start ``fn(*args)`` in the worker (``fn`` a module-level function, its arguments and result
    picklable)."""
    return _pool().submit(fn, *args)


def run(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in the worker when enabled, else here (one at a time); same result either way."""
    if enabled():
        try:
            return submit(fn, *args).result()
        except BrokenProcessPool:
            LOG.warning("the dashboard's worker process stopped; starting another, computing this one here")
            shutdown()
    with HERE:
        return fn(*args)
