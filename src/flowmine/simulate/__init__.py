"""Simulate the four reference processes and write realistic logs with planted ground truth.

:func:`simulate` runs a SimPy model of one process (arrivals, staffed roles with working
hours, queueing, lognormal service times, costs, quality checks with rework, deviations at set
rates, a change point, one bottleneck) and returns canonical events plus a ground-truth dict;
:func:`write_log` writes them as CSV, Parquet or XES (by extension) with the truth beside.
``python -m flowmine.simulate.samples`` rebuilds ``sample_logs/``. ``PROCESSES``: the simulated
processes by name.
"""

from __future__ import annotations

from flowmine.simulate._api import SimulationResult, simulate
from flowmine.simulate._catalog import PROCESSES
from flowmine.simulate._writers import write_log

__all__ = ["PROCESSES", "SimulationResult", "simulate", "write_log"]
