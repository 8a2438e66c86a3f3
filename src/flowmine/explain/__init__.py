"""Influencing factors and the step card: why a step is slow, costly or deviating, and what stands around it.

``explain`` ranks the factors of a step's (an edge's, the case's) measure by the excess they cause, each
with its support, an effect ratio with a bootstrap interval, a p-value corrected for the many values
tested (Benjamini-Hochberg); small groups are never findings. ``step_card`` describes one step in the
seed's six elements (input, processing, output, control, participants, environment) with the analysts'
annotations (``annotate``, ``read_annotations``). See ``docs/EXPLAIN.md``.

Examples
--------
>>> from flowmine.analytics import stored
>>> from flowmine.explain import explain
>>> result = explain(stored(STORE, "finance"), step="GM approval")  # STORE: a store's path
>>> result.statistic, result.unit
('median', 's')
"""

from flowmine.explain._annotations import KINDS, annotate, annotations_file, read_annotations
from flowmine.explain._card import SECTIONS, StepCard, step_card
from flowmine.explain._cycle import InitiativeContext, initiative_context
from flowmine.explain._explain import FACTOR_COLUMNS, Explanation, explain
from flowmine.explain._labels import FACTOR_LABELS, factor_label, value_label
from flowmine.explain._units import MEASURES

__all__ = [
    "FACTOR_COLUMNS",
    "FACTOR_LABELS",
    "KINDS",
    "MEASURES",
    "SECTIONS",
    "Explanation",
    "InitiativeContext",
    "StepCard",
    "annotate",
    "annotations_file",
    "explain",
    "factor_label",
    "initiative_context",
    "read_annotations",
    "step_card",
    "value_label",
]
