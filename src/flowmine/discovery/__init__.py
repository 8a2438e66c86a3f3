"""Discovery: variants from the engine, process maps with abstraction and models, as BPMN, PNML, SVG, PNG.

The engine (DuckDB) computes variants and directly-follows counts; pm4py discovers models from those
aggregates (inductive miner on variants, the same tree as on the full log, 100x faster).
:func:`write_model` writes a model in one of ``FORMATS`` (by the file's extension); the layout and
the BPMN/SVG writers it uses are :mod:`flowmine.models`' (re-exported here).

Examples
--------
>>> from flowmine.discovery import collect_variants
>>> v = collect_variants(STORE, "finance")  # STORE: a store's path
>>> len(v.traces) == len(v.counts) == len(v.cases)  # each variant once, with its count and cases
True
"""

from flowmine.discovery._export import FORMATS, write_model
from flowmine.discovery._figure import process_map_figure, process_map_spec
from flowmine.discovery._map import END_NODE, START_NODE, ProcessMap, keep_paths, map_layout, process_map
from flowmine.discovery._mine import (
    DiscoveredModel,
    dfg_counts,
    discover_dfg_net,
    discover_heuristics,
    discover_inductive,
    discover_model,
)
from flowmine.discovery._render import MAP_FORMATS, process_map_dot, write_process_map
from flowmine.discovery._variants import Variants, collect_variants
from flowmine.models import bpmn_layout, layered_layout, to_svg  # re-exported: they were discovery's before models

__all__ = [
    "END_NODE",
    "FORMATS",
    "MAP_FORMATS",
    "START_NODE",
    "DiscoveredModel",
    "ProcessMap",
    "Variants",
    "bpmn_layout",
    "collect_variants",
    "dfg_counts",
    "discover_dfg_net",
    "discover_heuristics",
    "discover_inductive",
    "discover_model",
    "keep_paths",
    "layered_layout",
    "map_layout",
    "process_map",
    "process_map_dot",
    "process_map_figure",
    "process_map_spec",
    "to_svg",
    "write_model",
    "write_process_map",
]
