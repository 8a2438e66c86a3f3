"""Conformance against a reference model: fitness, precision, deviations per step, business rules, impact.

Everything runs on variants (computed by the engine), each replayed or aligned once and weighted
by its number of cases; the figures equal pm4py's own functions on the full log. Alignments run in
Rust (r4pm) with pm4py's cost function. See ``docs/CONFORMANCE.md`` for definitions.

Examples
--------
>>> from flowmine.conformance import check
>>> report = check(STORE, "finance")  # STORE: a store's path
>>> 0.9 < report.fitness <= 1 and 0.9 < report.precision <= 1
True
"""

from flowmine.conformance._align import Alignments, VariantAlignment, align
from flowmine.conformance._check import CASE_IDS_LIMIT, CHECK_PHASES, ConformanceReport, check
from flowmine.conformance._deviations import case_deviations, deviations_per_step
from flowmine.conformance._figures import deviation_bar_figure, deviation_model_figure, model_graph, model_positions
from flowmine.conformance._impact import case_figures, deviation_impact
from flowmine.conformance._labels import LabelMatch, match_labels
from flowmine.conformance._precision import ESCAPING_COLUMNS, NO_FITTING_PREFIX, Precision, precision, replay_prefixes
from flowmine.conformance._quality import generalization, simplicity
from flowmine.conformance._relabel import LABEL_MAP_FORMATS, read_label_map, relabel
from flowmine.conformance._replay import Replay, token_replay
from flowmine.conformance._rules import check_business_rules, read_rules
from flowmine.models import ReferenceModel, read_reference  # re-exported: a reference model is what a check reads

__all__ = [
    "CASE_IDS_LIMIT",
    "CHECK_PHASES",
    "ESCAPING_COLUMNS",
    "LABEL_MAP_FORMATS",
    "NO_FITTING_PREFIX",
    "Alignments",
    "ConformanceReport",
    "LabelMatch",
    "Precision",
    "ReferenceModel",
    "Replay",
    "VariantAlignment",
    "align",
    "case_deviations",
    "case_figures",
    "check",
    "check_business_rules",
    "deviation_bar_figure",
    "deviation_impact",
    "deviation_model_figure",
    "deviations_per_step",
    "generalization",
    "match_labels",
    "model_graph",
    "model_positions",
    "precision",
    "read_label_map",
    "read_reference",
    "read_rules",
    "relabel",
    "replay_prefixes",
    "simplicity",
    "token_replay",
]
