"""The heavy callbacks (a step's card, a step's influencing factors) in one worker process.

A card at 1M events computes for seconds in pandas and numpy code that holds the interpreter lock; run
in one of the server's threads it slows every other callback of every user (measured by
``benchmarks/dashboard.py``: p95 of the other pages 208 ms without cards, over 1 s with them). The
served dashboard (``flowmine dashboard``, :func:`flowmine.dashboard.serve`) therefore hands them to a
single worker process started with ``spawn`` (never ``fork`` from a threaded server): the server's
threads only wait for its answer. The worker holds the versions it computes on in memory as the server
does, and computes the unfiltered conformance check once per version at start-up. One worker: the heavy
work of all users queues there, as before on one semaphore, and leaves the other core to the pages.

Only an app that ``serve`` starts uses the worker (its ``FLOWMINE_WORKER`` setting, read from the
request's app): an app made by ``create_app`` in a test or a notebook computes in the calling thread,
one at a time. A worker that dies (killed, out of memory) or does not answer within
:data:`TIMEOUT_S` is replaced, and that call computes in the calling thread, so no user gets an error
for it. The worker exits by itself when the server's process is gone (it checks every second), so a
killed server leaves no process behind.

The worker holds a second copy of every log, so it is started only when both copies fit in the memory
the machine has free (:func:`worker_fits`); above that (about 8M events on 24 GB) the heavy callbacks
compute in the server's process, one at a time, on the relations and prepared instances the pages hold
anyway: slower pages while a card computes, instead of a dashboard that never comes up.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")
LOG = logging.getLogger("flowmine.dashboard")

#: One heavy computation at a time in the calling process (when there is no worker).
HERE = threading.BoundedSemaphore(1)
_lock = threading.Lock()
_state: dict[str, Any] = {"pool": None}
#: Seconds a call waits for the worker before computing in the calling thread instead.
TIMEOUT_S = 300.0


#: Memory a served dashboard takes per stored event, measured on a simulated procurement log of 3M events
#: (PSS from ``/proc``, 2026-12-04): the server 0.73 kB after its start-up work (the held relations
#: are files it maps and reads, ``flowmine.analytics.hold``; the pages' caches), the worker 1.14 kB after
#: its first unfiltered card (the card's prepared instances as pandas frames). Rounded up.
SERVER_BYTES_PER_EVENT = 800
WORKER_BYTES_PER_EVENT = 1_300
#: Share of the free memory that both processes may take (room for filtered views and the system).
MEMORY_SHARE = 0.8


def free_memory() -> int | None:
    """Bytes of memory the system can give without swapping (``MemAvailable``; None where unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def worker_fits(events: int, free: int | None = None) -> bool:
    """Whether a worker may be started beside a server that holds ``events`` stored events: both
    processes' estimated memory within :data:`MEMORY_SHARE` of the free memory (a worker where the free
    memory is unknown).

    >>> worker_fits(1_000_000, free=20 * 2**30), worker_fits(10_000_000, free=20 * 2**30)
    (True, False)
    """
    free = free_memory() if free is None else free
    return free is None or events * (SERVER_BYTES_PER_EVENT + WORKER_BYTES_PER_EVENT) <= MEMORY_SHARE * free


def served() -> bool:
    """Whether the app of the current request is served with a worker (``serve`` sets it)."""
    from flask import current_app, has_app_context

    return has_app_context() and bool(current_app.config.get("FLOWMINE_WORKER"))


def _pool() -> ProcessPoolExecutor:
    with _lock:
        if _state["pool"] is None:
            _state["pool"] = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_in_worker, initargs=(os.getpid(),))
            atexit.register(shutdown)
        return _state["pool"]


def _in_worker(parent: int) -> None:
    """In the worker: Ctrl+C stops the dashboard, which stops the worker, so the worker itself prints no
    traceback for it; and it exits when the server's process is gone. (It keeps the server's scheduling
    priority: niced, on a machine busy with other work its cards waited past a minute.)"""
    import signal
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="flowmine-parent-watch").start()


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


def run(fn: Callable[..., T], *args: Any, worker: bool | None = None) -> T:
    """``fn(*args)`` in the worker when the request's app is served with one (or ``worker``), else here
    (one at a time); the same result either way."""
    if served() if worker is None else worker:
        try:
            return submit(fn, *args).result(timeout=TIMEOUT_S)
        except BrokenProcessPool:
            LOG.warning("the dashboard's worker process stopped; starting another, computing this one here")
            shutdown()
        except FutureTimeout:
            LOG.warning("the dashboard's worker did not answer in %.0f s; starting another, computing this one "
                        "here", TIMEOUT_S)
            shutdown()
    with HERE:
        return fn(*args)
