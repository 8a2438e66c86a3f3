"""One call for the whole check of a stored process against its reference model.

:func:`check` reads the variants from the store, matches labels, aligns (or replays) every variant
once, computes precision with frequencies, deviations per step, business rules and their impact,
and returns a :class:`ConformanceReport`; ``report.to_dict()`` is the JSON of ``flowmine check``.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flowmine._params import Options, validate_params
from flowmine._remember import remembered
from flowmine._schema import ACTIVITY, CASE, CASE_PREFIX, COST, EVENT_ID, RESOURCE, START, TIMESTAMP
from flowmine.analytics import CaseFilter, StoredLog, Variants, as_table, kept_case_ids, stored
from flowmine.conformance._align import ALIGNMENT_PARAMS, Alignments, align
from flowmine.conformance._deviations import case_deviations, deviations_per_step, variant_deviations
from flowmine.conformance._impact import IMPACT_COLUMNS, case_figures, deviation_impact
from flowmine.conformance._labels import LabelMatch, match_labels
from flowmine.conformance._precision import ESCAPING_COLUMNS, Precision, replay_prefixes
from flowmine.conformance._quality import generalization, simplicity
from flowmine.conformance._relabel import relabel
from flowmine.conformance._replay import token_replay
from flowmine.conformance._rules import read_rules, rule_results
from flowmine.discovery import collect_variants
from flowmine.errors import InputError, OptionError
from flowmine.models import ReferenceModel, read_reference
from flowmine.processes import Rule, check_rules, configured
from flowmine.store import Store

METHODS = ("alignments", "token-replay")
#: The parts of :func:`check`, in order, as its ``progress`` callback names them.
CHECK_PHASES = ("events", "variants", "alignments", "precision", "deviations", "rules", "impact")
#: Most case ids one list of :meth:`ConformanceReport.case_ids` holds (its ``total`` always counts them all).
CASE_IDS_LIMIT = 100


@dataclass
class ConformanceReport:
    """Everything :func:`check` found; tables are tidy DataFrames, ``to_dict`` gives the JSON."""

    process: str
    method: str
    reference: str
    cases: int
    variants: int
    fitness: float
    fitting_cases_share: float
    average_case_fitness: float
    precision: float | None
    exact: bool
    fallback: dict[str, int]
    labels: LabelMatch
    steps: pd.DataFrame
    rules: pd.DataFrame
    impact: pd.DataFrame
    case_fitness: pd.Series
    case_deviations: dict[str, list[str]] = field(default_factory=dict)
    case_rules: dict[str, list[str]] = field(default_factory=dict)
    alignments: Alignments | None = None
    model: ReferenceModel | None = None
    generalization: float | None = None
    simplicity: float | None = None
    filters: CaseFilter | None = None  # the cases covered: all of the process's cases when None
    #: Per step, what the model enables that no case does next (``Precision.escaping_edges``; empty without
    #: precision).
    escaping_edges: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(ESCAPING_COLUMNS)))
    #: Non-empty prefix instances of the log and those that replay on the model (None without precision).
    precision_prefixes: dict[str, int] | None = None
    #: ``"no_fitting_prefix"`` when no prefix replays on the model (precision then rests on the initial
    #: marking alone and says nothing about the log), else None.
    precision_warning: str | None = None
    #: The model labels made silent (invisible transitions) for this check, sorted (``check(silent=...)``).
    silent: list[str] = field(default_factory=list)
    #: The model labels renamed for this check: model label -> log activity (``check(label_map=...)``).
    label_map: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``flowmine check`` (NaN written as null)."""
        return _clean({
            "process": self.process, "method": self.method, "reference": self.reference,
            "filters": filter_dict(self.filters), "cases": self.cases, "variants": self.variants,
            "fitness": self.fitness,
            "fitting_cases_share": self.fitting_cases_share, "average_case_fitness": self.average_case_fitness,
            "precision": self.precision, "precision_prefixes": self.precision_prefixes,
            "precision_warning": self.precision_warning,
            "generalization": self.generalization, "simplicity": self.simplicity,
            "rule_violation_rate": self.rule_violation_rate, "exact": self.exact, "fallback": self.fallback,
            "budget": self._budget(),
            "labels": self.labels.to_dict(),
            "silent": self.silent, "label_map": dict(sorted(self.label_map.items())),
            "steps": self.steps.to_dict(orient="records"),
            "rules": self.rules.to_dict(orient="records"),
            "impact": self.impact.to_dict(orient="records"),
            "escaping_edges": self.escaping_edges.to_dict(orient="records"),
            "case_ids": self.case_ids(),
        })

    def case_ids(self, limit: int = CASE_IDS_LIMIT) -> dict[str, dict[str, Any]]:
        """The cases behind each number: per step and deviation kind, and per business rule, the first
        ``limit`` case ids (sorted) and how many there are in all.

        ``{"steps": {activity: {kind: {"ids": [...], "total": n}}}, "rules": {rule id: {"ids": ..., "total": n}}}``
        with kind ``skipped``, ``inserted`` or ``out_of_order``: the cases counted by the steps table's
        ``cases_<kind>`` and by the rules table's ``violating_cases``.

        Examples
        --------
        >>> report = check(STORE, "finance")  # STORE: a store's path
        >>> gm = report.case_ids()["steps"]["GM approval"]["skipped"]
        >>> gm["total"] == int(report.steps.set_index("activity").loc["GM approval", "cases_skipped"])
        True
        >>> gm["ids"] == sorted(gm["ids"]) and len(gm["ids"]) == min(gm["total"], CASE_IDS_LIMIT)
        True
        """
        steps: dict[str, dict[str, list[str]]] = {}
        for case, labels in self.case_deviations.items():
            for lab in labels:  # "kind: activity" (a kind never holds ": ")
                kind, act = lab.split(": ", 1)
                steps.setdefault(act, {}).setdefault(kind, []).append(str(case))
        rules: dict[str, list[str]] = {}
        for case, broken in self.case_rules.items():
            for rule in broken:
                rules.setdefault(rule, []).append(str(case))

        def capped(ids: list[str]) -> dict[str, Any]:
            return {"ids": sorted(ids)[:limit], "total": len(ids)}

        return {"steps": {a: {k: capped(ids) for k, ids in sorted(kinds.items())}
                          for a, kinds in sorted(steps.items())},
                "rules": {r: capped(ids) for r, ids in sorted(rules.items())}}

    @property
    def rule_violation_rate(self) -> float:
        """Share of the cases that break at least one business rule (NaN without cases)."""
        broken = sum(1 for rules in self.case_rules.values() if rules)
        return broken / self.cases if self.cases else float("nan")

    def conforming_cases(self) -> tuple[list[str], list[str]]:
        """Ids of the conforming cases (case fitness 1: the model replays them fully, as counted by
        ``fitting_cases_share``) and of the deviating ones, each sorted."""
        fit = self.case_fitness
        return sorted(str(c) for c in fit.index[fit >= 1.0]), sorted(str(c) for c in fit.index[fit < 1.0])

    def _budget(self) -> dict[str, Any]:
        ali = self.alignments
        if ali is None:
            return {}
        return {"engine": ali.engine, "max_states": ali.max_states, "max_seconds": ali.max_seconds,
                "states_per_second": ali.states_per_second}


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if all(type(v) is str for v in value):  # e.g. a filter's case ids (up to every case of the log)
            return list(value)
        return [_clean(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def filter_dict(flt: CaseFilter | None) -> dict[str, Any] | None:
    """The conditions of a case filter that are set, as JSON values (None: no filter, every case)."""
    return None if flt is None or flt.is_empty() else flt.conditions()


def _events(log: StoredLog, rule_set: tuple[Rule, ...]) -> pa.Table:
    """The columns the check reads, in store order (case, completion time, event_id)."""
    wanted = [EVENT_ID, CASE, ACTIVITY, TIMESTAMP, START, RESOURCE, COST]
    attrs = {str(r.params["attribute"]) for r in rule_set if r.kind == "amount_threshold"}
    if attrs:  # case attributes that amount rules read
        names = set(pq.read_schema(log.path).names)
        wanted += sorted(a for a in attrs & names if a.startswith(CASE_PREFIX) and a not in wanted)
    table = as_table(log, columns=wanted)
    if table.num_rows > 1:
        keys = [table.column(CASE), table.column(TIMESTAMP), table.column(EVENT_ID)]
        if not _store_ordered(keys):
            table = table.sort_by([(CASE, "ascending"), (TIMESTAMP, "ascending"), (EVENT_ID, "ascending")])
    return table


def _labelled(events: pa.Table, mapping: dict[str, str], rule_set: tuple[Rule, ...]) -> pa.Table:
    """The events with the activity names the rules are written in: the log's names matched to the model's
    labels (``Create invoice`` -> ``Invoicing`` through an alias), so a rule reads the same step the
    alignment does. Unchanged when every name already is a label."""
    renames = {a: m for a, m in mapping.items() if a != m}
    if not renames or not rule_set:
        return events
    acts = events.column(ACTIVITY).combine_chunks()
    keys = pa.array(list(renames), pa.string())
    idx = pc.index_in(acts, value_set=keys)
    new = pc.if_else(pc.is_null(idx), acts, pc.take(pa.array(list(renames.values()), pa.string()), idx))
    return events.set_column(events.schema.get_field_index(ACTIVITY), ACTIVITY, new)


def _store_ordered(keys: list[pa.ChunkedArray]) -> bool:
    case, ts, eid = (k.combine_chunks() for k in keys)
    n = len(case)

    def head(a: pa.Array) -> pa.Array:
        return a.slice(0, n - 1)

    def tail(a: pa.Array) -> pa.Array:
        return a.slice(1)

    same_case = pc.equal(tail(case), head(case))
    same_ts = pc.equal(tail(ts), head(ts))
    ok = pc.or_(pc.greater(tail(case), head(case)),
                pc.and_(same_case, pc.or_(pc.greater(tail(ts), head(ts)),
                                          pc.and_(same_ts, pc.greater_equal(tail(eid), head(eid))))))
    return bool(np.all(ok.fill_null(False).to_numpy(zero_copy_only=False)))


def _fitness(model: ReferenceModel, v: Variants, ali: Alignments, method: str
             ) -> tuple[float, float, float, pd.Series]:
    """Fitness, share of fitting cases, average case fitness (by ``method``) and each case's fitness."""
    if method == "alignments":
        fit, share, avg = ali.fitness, ali.fitting_cases_share, ali.average_trace_fitness
        per_variant = ali.trace_fitness
    else:
        rep = token_replay(model, v)
        fit, share, avg = rep.fitness, rep.fitting_cases_share, rep.average_trace_fitness
        per_variant = rep.trace_fitness
    case_fit = pd.Series(np.repeat(np.asarray(per_variant, dtype=float), [len(ids) for ids in v.cases]),
                         index=pd.Index([c for ids in v.cases for c in ids]), name="fitness").sort_index()
    return fit, share, avg, case_fit


def _impact(figures: pd.DataFrame, deviations: dict[str, list[str]], per_case: dict[str, list[str]]
            ) -> pd.DataFrame:
    """The impact of each deviation and broken rule on the cases that show it (``deviation_impact`` of the
    cases' ``case_figures``)."""
    combined = dict(deviations)  # lists shared per variant, never modified
    for c, broken in per_case.items():
        if c in combined:
            combined[c] = combined[c] + [f"rule: {r}" for r in broken]
    return deviation_impact(figures, combined)


@dataclass(frozen=True)
class _Basis:
    """What a check reads from the events of every case of a version, kept after an unfiltered check so
    that a filtered check of the same version restricts it instead of reading its events again. A filter
    keeps whole cases, and each case's trace, broken rules and figures depend on its own events only, so
    the restriction is what the filtered events give: the variants of the kept cases, each rule's
    violating cases among them, their figures (``tests/test_conformance_restricted.py`` keeps them equal).
    Cases are addressed by their position in the variants' case lists laid end to end (``flat``)."""

    raw: Variants  # every case's variant (the log's activity names)
    found: dict[str, list[str]]  # rule id -> violating case ids, sorted
    figures: pd.DataFrame  # case_figures of every case (index: case id, sorted)
    rules: tuple[Rule, ...]  # what ``found`` was decided with (compared by identity)
    calendar: Any
    activities: Any
    flat: pd.Index  # every case id, variant after variant, each variant's cases in their order
    variant: np.ndarray  # the variant of each flat position
    found_at: dict[str, np.ndarray]  # rule id -> flat positions of its violating cases, in ``found``'s order
    figures_at: np.ndarray  # flat position of each row of ``figures``

    @classmethod
    def of(cls, raw: Variants, found: dict[str, list[str]], figures: pd.DataFrame, rules: tuple[Rule, ...],
           calendar: Any, activities: Any) -> _Basis | None:
        """The basis (None when a figure's or a rule's case has no variant: then nothing is restricted)."""
        flat = pd.Index([c for ids in raw.cases for c in ids], dtype=object)
        variant = np.repeat(np.arange(len(raw), dtype=np.int64), [len(ids) for ids in raw.cases])
        found_at = {r: flat.get_indexer(pd.Index(ids, dtype=object)) for r, ids in found.items()}
        figures_at = flat.get_indexer(figures.index)
        if not flat.is_unique or (figures_at < 0).any() or any((at < 0).any() for at in found_at.values()):
            return None
        return cls(raw, found, figures, rules, calendar, activities, flat, variant, found_at, figures_at)

    def restricted(self, kept: pa.Array) -> tuple[Variants, dict[str, list[str]], int, pd.DataFrame] | None:
        """The variants, rule findings, number of cases and case figures of the ``kept`` cases (None when
        one of them is not in the basis)."""
        at = self.flat.get_indexer(pd.Index(kept.to_numpy(zero_copy_only=False), dtype=object))
        if (at < 0).any():
            return None
        at.sort()
        keep = np.zeros(len(self.flat), dtype=bool)
        keep[at] = True
        names = self.flat.take(at).tolist()
        var = self.variant[at]
        cut = np.flatnonzero(np.diff(var)) + 1
        starts, ends = np.concatenate([[0], cut]), np.concatenate([cut, [len(at)]])
        raw = Variants.of((self.raw.traces[int(var[a])], int(b - a), names[a:b])
                          for a, b in zip(starts.tolist(), ends.tolist(), strict=True) if b > a)
        found = {r: self.flat.take(pos[keep[pos]]).tolist() for r, pos in self.found_at.items()}
        figures = self.figures.iloc[np.flatnonzero(keep[self.figures_at])]
        return raw, found, raw.n_cases, figures


#: The bases of the last few checked versions (a dashboard checks one version per process).
_BASES: OrderedDict[tuple[Any, ...], _Basis] = OrderedDict()
_BASES_LOCK = threading.Lock()
MAX_BASES = 4


def _remember_basis(key: tuple[Any, ...], basis: _Basis) -> None:
    with _BASES_LOCK:
        _BASES[key] = basis
        _BASES.move_to_end(key)
        while len(_BASES) > MAX_BASES:
            _BASES.popitem(last=False)


def _basis_of(key: tuple[Any, ...], rules: tuple[Rule, ...], calendar: Any, activities: Any) -> _Basis | None:
    """The remembered basis of ``key`` when it was decided with these very rules, calendar and activity
    table (a changed configuration is a new object: the filtered check then reads its events)."""
    with _BASES_LOCK:
        b = _BASES.get(key)
    if b is None or b.rules is not rules or b.calendar is not calendar or b.activities is not activities:
        return None
    return b


@validate_params({"method": [Options(METHODS)], **ALIGNMENT_PARAMS})
def check(
    store: str | Path | Store,
    process: str,
    reference: str | Path | None = None,
    rules: str | Path | None = None,
    method: str = "alignments",
    engine: str = "r4pm",
    with_precision: bool = True,
    with_impact: bool = True,
    max_states: int | None = 5_000_000,
    max_seconds: float | None = 10.0,
    extra: bool = False,
    filters: CaseFilter | None = None,
    variants_of_log: Variants | None = None,
    definition: str | None = None,
    progress: Callable[[str], None] | None = None,
    silent: Iterable[str] = (),
    label_map: Mapping[str, str] | None = None,
) -> ConformanceReport:
    """Check a stored process against its reference model and business rules.

    Parameters
    ----------
    store : path or Store
    process : str
        Process name in the store; its definition's ``process.toml`` (when there is
        one) gives the reference model, labels, rules and calendar.
    reference : path, optional
        A ``.bpmn`` or ``.pnml`` model instead of the configuration's.
    rules : path, optional
        A TOML file of ``[[rule]]`` tables instead of the configuration's rules.
    method : {"alignments", "token-replay"}
        How fitness is computed. Deviations per step always come from alignments.
    engine : {"r4pm", "pm4py"}
        Alignment engine.
    with_precision : bool
        Compute ETConformance precision, its escaping edges per step (``escaping_edges``) and the
        prefix counts it rests on (``precision_prefixes``, ``precision_warning``).
    with_impact : bool
        Compute what each deviation and broken rule costs (``impact``, ``deviation_impact``); False
        leaves that table empty, for callers that need only fitness, deviations and rules.
    max_states : int, optional
        Per-variant alignment budget in search states (r4pm).
    max_seconds : float, optional
        Per-variant alignment time budget (pm4py's limit; for r4pm mapped onto search states with
        the measured rate). A variant that runs out makes the report ``exact=False`` and is counted
        in ``fallback`` with its cases.
    extra : bool
        Also compute generalization (token-based) and simplicity (arc degree), as pm4py does.
    filters : CaseFilter, optional
        Check only the whole cases that pass it (``flowmine.analytics.CaseFilter``): variants,
        fitness, precision, deviations, rules and impact all cover those cases only, as if the store
        held nothing else; ``report.filters`` and the JSON's ``filters`` say so.
    variants_of_log : Variants, optional
        The log's variants computed elsewhere, e.g. on Spark (``flowmine.engines.variants``) for a log
        too large for one machine; they must cover exactly the checked cases (checked). Rules and
        impact still read the events here.
    definition : str, optional
        The process definition to check against instead of the one named like ``process``: a stored
        process ``sales_sap`` (an SAP extract, flattened on the order) checked as ``"sales"``; the
        definition's activity ``aliases`` match the extract's event names to the model's labels.
    progress : callable, optional
        Called with the name of each part as it starts (``CHECK_PHASES``: "events", "variants", "alignments",
        "precision", "deviations", "rules", "impact"), e.g. to show progress on a long run.
    silent : iterable of str
        Model labels of tasks the log never records (a ``Start`` and an ``End`` task): their transitions
        are made invisible (tau) for alignments, token replay, precision, fitness and deviations, so a
        case without them can fit. ``report.silent`` and the JSON's ``silent`` list them.
    label_map : mapping, optional
        Model label -> log activity, applied to the model before its labels are matched to the log
        (normalisation and the definition's aliases still apply); ``report.label_map``, JSON ``label_map``.
        A label in ``silent`` or ``label_map`` that is not the model's raises an ``OptionError`` naming
        it with the closest model labels (``read_label_map`` reads a map from a TOML or CSV file).

    Examples
    --------
    >>> from flowmine.conformance import check
    >>> report = check(STORE, "finance")  # STORE: a store's path
    >>> report.steps.loc[report.steps.cases_skipped > 0, "activity"].tolist()
    ['GM approval']
    """
    silent = [silent] if isinstance(silent, str) else list(silent)  # one label given as a string is one label
    st = store if isinstance(store, Store) else Store(store, create=False)
    found = configured()
    cfg = found.get(definition or process)
    if definition is not None and cfg is None and not found.problems_of(definition):
        raise OptionError(f"no process definition {definition!r}; known: {', '.join(sorted(found.processes))}",
                          parameter="definition", function="check")
    if reference is None:
        if cfg is None:
            problems = found.problems_of(definition or process)
            if problems:  # a broken definition: say what is wrong in it
                raise InputError(problems[0].file, "; ".join(str(p) for p in problems))
            raise InputError(process, "no process configuration names a reference model; give --reference FILE")
        reference = cfg.reference_model
    model = _model(reference, silent, label_map)
    log = stored(st, process).where(filters) if filters is not None else stored(st, process)
    rule_set: tuple[Rule, ...] = read_rules(rules, cfg.activities if cfg else None) if rules else (
        cfg.rules if cfg else ())
    step = progress or (lambda _phase: None)
    calendar = cfg.calendar if cfg else None
    activities = cfg.activities if cfg else None
    key = (log.base.path, str(reference), tuple(sorted(set(silent))), tuple(sorted((label_map or {}).items())))
    basis = _basis_of(key, rule_set, calendar, activities) if (
        filters is not None and not filters.is_empty() and variants_of_log is None) else None
    step("events")
    part = basis.restricted(kept_case_ids(log)) if basis is not None else None
    if part is not None:  # the cases the filters keep, and what the events say of each of them
        raw, broken, n_rules, figures = part
    else:
        basis = None
        events = _events(log, rule_set)
        raw = collect_variants(events) if variants_of_log is None else variants_of_log
    step("variants")
    if variants_of_log is not None:
        n_events = len(pc.unique(events.column(CASE)))
        if variants_of_log.n_cases != n_events:
            raise OptionError(f"check: the variants given cover {variants_of_log.n_cases:,} cases, the checked log "
                              f"{n_events:,}; compute them on the same (filtered) log", parameter="variants_of_log",
                              function="check")
    labels = match_labels(model.labels, raw.activities, activities)
    v = raw.renamed(labels.mapping)
    step("alignments")
    ali = align(model, v, engine=engine, max_states=max_states, max_seconds=max_seconds)
    fit, share, avg, case_fit = _fitness(model, v, ali, method)
    step("precision")
    prec: Precision | None = replay_prefixes(model, v) if with_precision else None
    step("deviations")
    per_variant = variant_deviations(ali)  # read once, by the steps table and the per-case labels
    steps = deviations_per_step(ali, model.labels, per_variant)
    deviations = case_deviations(ali, per_variant)
    step("rules")
    if basis is None:
        broken = check_rules(_labelled(events, labels.mapping, rule_set), rule_set, calendar, ties=EVENT_ID)
        n_rules = pc.count_distinct(events.column(CASE)).as_py() if events.num_rows else 0
    rules_table, per_case = rule_results(rule_set, broken, n_rules)
    step("impact")
    if basis is None and (with_impact or (variants_of_log is None and (filters is None or filters.is_empty()))):
        figures = case_figures(events)
    if basis is None and variants_of_log is None and (filters is None or filters.is_empty()):
        made = _Basis.of(raw, broken, figures, rule_set, calendar, activities)
        if made is not None:
            _remember_basis(key, made)
    impact = _impact(figures, deviations, per_case) if with_impact else pd.DataFrame(columns=list(IMPACT_COLUMNS))
    return ConformanceReport(
        process=process, method=method, reference=str(reference), cases=v.n_cases, variants=len(v),
        fitness=fit, fitting_cases_share=share, average_case_fitness=avg,
        precision=prec.value if prec is not None else None,
        exact=ali.exact, fallback=ali.fallback(), labels=labels, steps=steps, rules=rules_table, impact=impact,
        case_fitness=case_fit, case_deviations=deviations, case_rules=per_case, alignments=ali, model=model,
        generalization=generalization(model, v) if extra else None, simplicity=simplicity(model) if extra else None,
        filters=filters if filters is not None and not filters.is_empty() else None,
        **_precision_fields(prec), silent=sorted(set(silent)), label_map=dict(label_map or {}),
    )


def _model(reference: str | Path, silent: Iterable[str], label_map: Mapping[str, str] | None) -> ReferenceModel:
    """The reference model with the check's silent labels and label map applied (``relabel``), remembered
    per file and options, so that repeated checks reuse the model's replay caches (precision, alignments)."""
    quiet, renames = tuple(sorted(set(silent))), tuple(sorted((label_map or {}).items()))
    model: ReferenceModel = remembered("model", reference, lambda: read_reference(reference))
    if not quiet and not renames:
        return model
    return remembered(f"model silent={quiet!r} label_map={renames!r}", reference,
                      lambda: relabel(model, quiet, dict(renames)))


def _precision_fields(prec: Precision | None) -> dict[str, Any]:
    """The report's escaping edges, prefix counts and warning of a precision (none without one)."""
    if prec is None:
        return {}
    return {"escaping_edges": prec.escaping_edges, "precision_warning": prec.warning,
            "precision_prefixes": {"total": prec.prefixes, "fitting": prec.fitting_prefixes}}
