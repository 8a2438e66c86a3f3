"""Generalization and simplicity, the two quality dimensions computed on request (``check(..., extra=True)``).

Generalization is pm4py's token-based one (Buijs et al. 2014: 1 - mean over transitions of
1/sqrt(times fired), a never-fired transition counting 1). The transitions each trace activates in
pm4py's token replay are the same for every case of a variant, so one replay per variant with its
firings counted once per case gives exactly pm4py's ``generalization_tbr`` on the full log.
Simplicity is pm4py's ``simplicity_petri_net`` (arc degree by default): a property of the model only.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from typing import Any

from flowmine._params import Options, validate_params
from flowmine.conformance._replay import _log
from flowmine.discovery import Variants
from flowmine.models import ReferenceModel

SIMPLICITY_VARIANTS = ("arc_degree", "extended_cardoso", "extended_cyclomatic")


def generalization(model: ReferenceModel, variants: Variants) -> float:
    """Token-based generalization, equal to ``pm4py.generalization_tbr`` on the full log.

    Examples
    --------
    >>> from flowmine.conformance import generalization, read_reference
    >>> from flowmine.discovery import collect_variants
    >>> model = read_reference("src/flowmine/processes/definitions/finance/model.bpmn")
    >>> g = generalization(model, collect_variants(STORE, "finance"))
    >>> 0 <= g <= 1
    True
    """
    from pm4py.algo.conformance.tokenreplay import algorithm as executor
    from pm4py.algo.conformance.tokenreplay.variants import token_replay as tr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = executor.apply(_log(variants.traces), model.net, model.im, model.fm,
                             variant=executor.Variants.TOKEN_REPLAY,
                             parameters={tr.Parameters.SHOW_PROGRESS_BAR: False})
    fired: Counter[Any] = Counter()
    for r, n in zip(res, variants.counts.tolist(), strict=True):
        for t in r["activated_transitions"]:
            fired[t] += n
    transitions = model.net.transitions
    if not transitions:
        return 1.0
    total = sum(1.0 / math.sqrt(k) for k in fired.values()) + sum(1 for t in transitions if t not in fired)
    return 1.0 - total / float(len(transitions))


@validate_params({"variant": [Options(SIMPLICITY_VARIANTS)]})
def simplicity(model: ReferenceModel, variant: str = "arc_degree") -> float:
    """pm4py's ``simplicity_petri_net`` of the reference model."""
    import pm4py

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(pm4py.simplicity_petri_net(model.net, model.im, model.fm, variant=variant))
