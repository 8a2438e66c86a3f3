"""Discovery: variants from the engine, process maps with abstraction and models, as BPMN, PNML, SVG, PNG.

The engine (DuckDB) computes variants and directly-follows counts; pm4py discovers models from those
aggregates (inductive miner on variants, the same tree as on the full log, 100x faster).

Examples
--------
>>> from flowmine.discovery import variants
>>> v = variants(STORE, "finance")  # STORE: a store's path
>>> len(v.traces) == len(v.counts) == len(v.cases)  # each variant once, with its count and cases
True
"""

from flowmine.discovery._export import bpmn_layout, to_svg, write_model
from flowmine.discovery._figure import process_map_figure, process_map_spec
from flowmine.discovery._layout import layered_layout
from flowmine.discovery._map import END_NODE, START_NODE, ProcessMap, keep_paths, map_layout, process_map
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
    "END_NODE",
    "START_NODE",
    "DiscoveredModel",
    "ProcessMap",
    "Variants",
    "bpmn_layout",
    "dfg_counts",
    "discover_dfg_net",
    "discover_heuristics",
    "discover_inductive",
    "discover_model",
    "keep_paths",
    "layered_layout",
    "map_layout",
    "process_map",
    "process_map_figure",
    "process_map_spec",
    "to_svg",
    "variants",
    "write_model",
]
