"""Discovery: variants from the engine, process maps and models, exported as BPMN, PNML, SVG or PNG.

The engine (DuckDB) computes variants and directly-follows counts; pm4py discovers models from those
aggregates (inductive miner on variants, the same tree as on the full log, 100x faster).

Examples
--------
>>> from flowmine.discovery import variants
>>> v = variants("/tmp/demo-store", "finance")  # doctest: +SKIP
"""

from flowmine.discovery._export import bpmn_layout, to_svg, write_model
from flowmine.discovery._mine import (
    DiscoveredModel,
    dfg_counts,
    discover_dfg_net,
    discover_heuristics,
    discover_inductive,
    discover_model,
)
from flowmine.discovery._variants import Variants, variants

__all__ = [
    "DiscoveredModel",
    "Variants",
    "bpmn_layout",
    "dfg_counts",
    "discover_dfg_net",
    "discover_heuristics",
    "discover_inductive",
    "discover_model",
    "to_svg",
    "variants",
    "write_model",
]
