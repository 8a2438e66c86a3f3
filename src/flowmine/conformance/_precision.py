"""ETConformance precision in one pass over a prefix trie of the variants, and its escaping edges per step.

pm4py's ``precision_token_based_replay`` (Muñoz-Gama and Carmona 2010) takes every distinct prefix
of the log, replays it from the initial marking with its token replayer (stopping at the first
transition that cannot fire, walking through silent transitions by its shortest-path heuristic),
and, at each prefix that replays without a missing token, compares the visible transitions the
reached marking eventually enables (``get_visible_transitions_eventually_enabled_by_marking``)
with the activities the log does next after that prefix; the empty prefix counts once per case
with the log's start activities. Precision is ``1 - sum(escaping x cases) / sum(enabled x cases)``.

Here the variants' prefixes form a trie weighted by case counts. Each trie node is replayed once,
one activity from its parent's marking, and each distinct (marking, activity) step and each
marking's visible-enabled set is computed once per reference model (and remembered while the model
lives), with pm4py's own Petri net semantics and hidden-transition walk. The replay of one event
depends on the marking and the activity only (pm4py's replay caches are off in precision), so the
sums are pm4py's sums and the figure equals pm4py's; an activity the model does not know is skipped
as pm4py skips it. pm4py keys a prefix by its activities joined with ``,`` and replays the split
key, so an activity whose name holds a comma is replayed as its comma-separated parts (and such
prefixes can merge): the trie does the same, to give pm4py's number.

The escaping edges are the imprecise places a modeller looks for: per step (the last activity of
a prefix, ``None`` before the first one), each activity the model enables there that no case does
next after that prefix, with how often (``occurrences``: prefix instances, summing to pm4py's
escaping-edge count) and by how many cases.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from copy import copy
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from flowmine.conformance._memo import ModelMemo
from flowmine.discovery import Variants
from flowmine.models import ReferenceModel

#: Columns of :attr:`Precision.escaping_edges`.
ESCAPING_COLUMNS = ("step", "activity", "occurrences", "cases", "step_occurrences", "rate")
#: pm4py's ``DEFAULT_VARIANT_SEP``: the separator of its prefix keys.
_SEP = ","
#: Reason code of the warning of a precision that rests on no fitting prefix (``Precision.warning``).
NO_FITTING_PREFIX = "no_fitting_prefix"


@dataclass(frozen=True)
class Precision:
    """ETConformance precision of a log against a model and what it is made of.

    Attributes
    ----------
    value : float
        pm4py's ``precision_token_based_replay`` (1.0 when the model enables nothing anywhere).
    enabled, escaping : int
        The sums of the formula: visible transitions enabled after each fitting prefix (the empty
        prefix included) and those of them the log never does next, each times its cases.
    prefixes, fitting_prefixes : int
        Non-empty prefix instances (a case of n events has n - 1) and those that replay on the model.
    escaping_edges : DataFrame
        ``step, activity, occurrences, cases, step_occurrences, rate``: per step (``None``: before the
        first activity) each escaping activity, the prefix instances it escapes at (summing to
        ``escaping``), the cases that reach such a prefix, the fitting prefix instances ending in the
        step, and ``occurrences / step_occurrences``; most frequent first.
    """

    value: float
    enabled: int
    escaping: int
    prefixes: int
    fitting_prefixes: int
    escaping_edges: pd.DataFrame = field(repr=False)

    @property
    def warning(self) -> str | None:
        """``NO_FITTING_PREFIX`` when the log has prefixes but none replays on the model: only the
        initial marking then counts, and the value (often 0) says nothing about the log."""
        return NO_FITTING_PREFIX if self.prefixes and not self.fitting_prefixes else None


class _Net:
    """One reference model's replay steps, remembered while the model lives: marking -> marking."""

    def __init__(self, model: ReferenceModel) -> None:
        from pm4py.objects.petri_net.utils.petri_utils import get_places_shortest_path_by_hidden

        self.net, self.im = model.net, model.im
        self.trans_map: dict[str, Any] = {}
        for t in sorted(self.net.transitions, key=lambda x: x.name):  # as pm4py's replay: the last by name wins
            self.trans_map[t.label] = t
        self.paths = get_places_shortest_path_by_hidden(self.net, 50)  # pm4py's MAX_REC_DEPTH
        self.markings: list[Any] = [copy(self.im)]
        self.ids: dict[frozenset[Any], int] = {frozenset(self.im.items()): 0}
        self.steps: dict[tuple[int, str], int] = {}  # (marking, activity) -> marking, -1: not fitting
        self.enabled: dict[int, frozenset[str]] = {}
        self.lock = threading.Lock()

    def step(self, marking: int, activity: str) -> int:
        """The marking after replaying ``activity`` from ``marking`` (-1: a token is missing)."""
        got = self.steps.get((marking, activity))
        if got is None:
            after = self._fire(self.markings[marking], activity)
            got = -1 if after is None else self._id(after)
            self.steps[(marking, activity)] = got
        return got

    def visible(self, marking: int) -> frozenset[str]:
        """Labels of the visible transitions the marking eventually enables (through silent ones)."""
        got = self.enabled.get(marking)
        if got is None:
            from pm4py.objects.petri_net.utils.align_utils import (
                get_visible_transitions_eventually_enabled_by_marking as eventually,
            )

            got = frozenset(t.label for t in eventually(self.net, self.markings[marking]) if t.label is not None)
            self.enabled[marking] = got
        return got

    def _id(self, marking: Any) -> int:
        key = frozenset(marking.items())
        got = self.ids.get(key)
        if got is None:
            got = self.ids[key] = len(self.markings)
            self.markings.append(marking)
        return got

    def _fire(self, marking: Any, activity: str) -> Any | None:
        """One event of pm4py's token replay with precision's parameters (stop at the first missing
        token, walk through silent transitions): the new marking, or None when it cannot fire."""
        from pm4py.algo.conformance.tokenreplay.variants.token_replay import apply_hidden_trans
        from pm4py.objects.petri_net import semantics

        t = self.trans_map.get(activity)
        if t is None:  # not in the model: pm4py's replay skips the event, the prefix still fits
            return marking
        same = [x for x in semantics.enabled_transitions(self.net, marking) if x.label == activity]
        if same:  # a duplicate label enabled here is fired rather than the mapped one
            t = same[0]
        else:
            _, marking, _, _ = apply_hidden_trans(t, self.net, copy(marking), self.paths, [], 0, set(), [], False)
        if not semantics.is_enabled(t, self.net, marking):
            return None
        return semantics.execute(t, self.net, marking)


#: Steps remembered per model (beyond it the memo starts afresh: a bound on memory).
MAX_REMEMBERED_STEPS = 1_000_000
_NETS: ModelMemo[_Net] = ModelMemo(_Net)


def _net(model: ReferenceModel) -> _Net:
    return _NETS.get(model, keep=lambda memo: len(memo.steps) <= MAX_REMEMBERED_STEPS)


class _Trie:
    """The variants' prefixes: one node per distinct prefix, its marking, cases and next activities."""

    def __init__(self, net: _Net) -> None:
        self.net = net
        self.child: dict[tuple[int, str], int] = {}
        self.marking = [0]  # the root: the empty prefix, at the initial marking
        self.count = [0]
        self.nexts: list[set[str]] = [set()]

    def node(self, parent: int, activity: str) -> int:
        """The node of a prefix extended by one activity (replayed once, when first seen)."""
        node = parent
        for part in activity.split(_SEP):  # pm4py replays its comma-joined prefix key split again
            nxt = self.child.get((node, part))
            if nxt is None:
                m = self.marking[node]
                nxt = self.child[(node, part)] = len(self.marking)
                self.marking.append(-1 if m < 0 else self.net.step(m, part))
                self.count.append(0)
                self.nexts.append(set())
            node = nxt
        return node

    def add(self, trace: tuple[str, ...], n: int) -> list[int]:
        """Count a variant's ``n`` cases at each of its prefixes (their nodes, the empty one first)."""
        path = [0]
        self.count[0] += n
        if trace:
            self.nexts[0].add(trace[0])
        node = 0
        for i in range(len(trace) - 1):
            node = self.node(node, trace[i])
            self.count[node] += n
            self.nexts[node].add(trace[i + 1])
            path.append(node)
        return path

    def escaping(self, node: int) -> frozenset[str] | None:
        """What the model enables after the node's prefix and the log never does next (None: not fitting)."""
        m = self.marking[node]
        return None if m < 0 else self.net.visible(m).difference(self.nexts[node])

    def nodes(self) -> Iterator[int]:
        return iter(range(len(self.marking)))


def replay_prefixes(model: ReferenceModel, variants: Variants) -> Precision:
    """ETConformance precision with its escaping edges, from one replay of each distinct prefix.

    Equal to ``pm4py.precision_token_based_replay`` on the full log (the variants weighted by their
    cases). See the module docstring for how it is computed.

    Examples
    --------
    >>> from flowmine.conformance import read_reference, replay_prefixes
    >>> from flowmine.discovery import collect_variants
    >>> model = read_reference("src/flowmine/processes/definitions/finance/model.bpmn")
    >>> p = replay_prefixes(model, collect_variants(STORE, "finance"))
    >>> 0.9 < p.value <= 1 and p.escaping == int(p.escaping_edges.occurrences.sum())
    True
    """
    net = _net(model)
    with net.lock:  # the memo is shared by the threads of a server
        trie = _Trie(net)
        paths = [trie.add(t, n) for t, n in zip(variants.traces, variants.counts.tolist(), strict=True)]
        enabled = escaping = prefixes = fitting = 0
        for node in trie.nodes():
            esc = trie.escaping(node)
            if node:
                prefixes += trie.count[node]
            if esc is None:
                continue
            if node:
                fitting += trie.count[node]
            enabled += len(net.visible(trie.marking[node])) * trie.count[node]
            escaping += len(esc) * trie.count[node]
        edges = _edges(trie, variants, paths)
    value = 1 - escaping / enabled if enabled > 0 else 1.0
    return Precision(value, enabled, escaping, prefixes, fitting, edges)


def _edges(trie: _Trie, variants: Variants, paths: list[list[int]]) -> pd.DataFrame:
    """The escaping edges per step, from each variant's prefix nodes."""
    occ: dict[tuple[str | None, str], int] = {}
    cases: dict[tuple[str | None, str], int] = {}
    step_occ: dict[str | None, int] = {}
    for trace, n, path in zip(variants.traces, variants.counts.tolist(), paths, strict=True):
        seen: set[tuple[str | None, str]] = set()
        for i, node in enumerate(path):
            esc = trie.escaping(node)
            if esc is None:
                break  # a prefix that does not fit: neither do the longer ones
            step = trace[i - 1] if i else None
            step_occ[step] = step_occ.get(step, 0) + n
            for a in esc:
                occ[(step, a)] = occ.get((step, a), 0) + n
                seen.add((step, a))
        for key in seen:
            cases[key] = cases.get(key, 0) + n
    rows = [(s, a, k, cases[(s, a)], step_occ[s], k / step_occ[s]) for (s, a), k in occ.items()]
    rows.sort(key=lambda r: (-r[2], r[0] is not None, r[0] or "", r[1]))
    return pd.DataFrame(rows, columns=list(ESCAPING_COLUMNS)).astype(
        {"occurrences": "int64", "cases": "int64", "step_occurrences": "int64", "rate": "float64"})


def precision(model: ReferenceModel, variants: Variants) -> float:
    """ETConformance precision with variant frequencies (equals ``pm4py.precision_token_based_replay``)."""
    return replay_prefixes(model, variants).value
