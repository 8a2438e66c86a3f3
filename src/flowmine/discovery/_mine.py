"""Process models discovered with pm4py from engine aggregates (variants, directly-follows counts).

The inductive miner runs on the variants (pm4py's ``IMDataStructureUVCL``: the same tree as on the
full log, about 100x faster); ``noise`` > 0 selects the infrequent variant (IMf). The heuristics
miner runs on the directly-follows counts. Results are a :class:`DiscoveredModel`: Petri net with
markings, the process tree when there is one, and BPMN on request.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from flowmine._params import Interval, Options, validate_params
from flowmine.discovery._variants import Variants

ALGORITHMS = ("inductive", "heuristics", "dfg")
#: The inductive miner's noise threshold: 0 is IM, above 0 IMf.
NOISE = Interval(float, 0, 1)


@dataclass(frozen=True)
class DiscoveredModel:
    """A discovered accepting Petri net ``(net, im, fm)``; ``tree`` for the inductive miner."""

    algorithm: str
    net: Any
    im: Any
    fm: Any
    tree: Any = None

    def bpmn(self) -> Any:
        """The model as a pm4py BPMN graph (from the tree when there is one)."""
        import pm4py

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.tree is not None:
                return pm4py.convert_to_bpmn(self.tree)
            return pm4py.convert_to_bpmn(self.net, self.im, self.fm)


def dfg_counts(variants: Variants) -> tuple[Counter[tuple[str, str]], Counter[str], Counter[str], Counter[str]]:
    """Directly-follows, start, end and activity counts of the variants, weighted by cases."""
    dfg: Counter[tuple[str, str]] = Counter()
    start: Counter[str] = Counter()
    end: Counter[str] = Counter()
    acts: Counter[str] = Counter()
    for trace, n in zip(variants.traces, variants.counts.tolist(), strict=True):
        if not trace:
            continue
        start[trace[0]] += n
        end[trace[-1]] += n
        for a in trace:
            acts[a] += n
        for a, b in pairwise(trace):
            dfg[(a, b)] += n
    return dfg, start, end, acts


@validate_params({"noise": [NOISE]})
def discover_inductive(variants: Variants, noise: float = 0.0) -> DiscoveredModel:
    """Inductive miner (IM, or IMf with ``noise`` > 0) on the variants.

    Examples
    --------
    >>> from flowmine.discovery import discover_inductive, collect_variants
    >>> model = discover_inductive(collect_variants(STORE, "finance"), noise=0.2)
    """
    import pm4py
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.im import IMUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.objects.process_tree.utils import generic as pt_util
    from pm4py.objects.process_tree.utils.generic import tree_sort

    uvcl: Counter[tuple[str, ...]] = Counter()
    for trace, n in zip(variants.traces, variants.counts.tolist(), strict=True):
        uvcl[tuple(trace)] += n
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # what pm4py's inductive apply does with a log (its type check rejects a Counter): mine, fold, sort
        params = {"noise_threshold": noise}
        miner = IMFUVCL(params) if noise > 0 else IMUVCL(params)
        tree = pt_util.fold(miner.apply(IMDataStructureUVCL(uvcl), params))
        tree_sort(tree)
        net, im, fm = pm4py.convert_to_petri_net(tree)
    return DiscoveredModel("inductive", net, im, fm, tree)


def discover_heuristics(variants: Variants, dependency_threshold: float = 0.5) -> DiscoveredModel:
    """Heuristics miner on the directly-follows counts of the variants."""
    from pm4py.algo.discovery.heuristics.variants import classic as heuristics

    dfg, start, end, acts = dfg_counts(variants)
    params = {heuristics.Parameters.DEPENDENCY_THRESH: dependency_threshold}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net, im, fm = heuristics.apply_dfg(dict(dfg), activities=list(acts), activities_occurrences=dict(acts),
                                           start_activities=dict(start), end_activities=dict(end), parameters=params)
    return DiscoveredModel("heuristics", net, im, fm)


def discover_dfg_net(variants: Variants) -> DiscoveredModel:
    """The directly-follows graph as a Petri net (one place per activity; every observed path allowed)."""
    import pm4py

    dfg, start, end, _ = dfg_counts(variants)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net, im, fm = pm4py.convert_to_petri_net(dict(dfg), dict(start), dict(end))
    return DiscoveredModel("dfg", net, im, fm)


@validate_params({"algorithm": [Options(ALGORITHMS)], "noise": [NOISE]})
def discover_model(variants: Variants, algorithm: str = "inductive", noise: float = 0.0) -> DiscoveredModel:
    """Dispatch to :func:`discover_inductive`, :func:`discover_heuristics` or :func:`discover_dfg_net`."""
    if algorithm == "inductive":
        return discover_inductive(variants, noise)
    if algorithm == "heuristics":
        return discover_heuristics(variants)
    return discover_dfg_net(variants)
