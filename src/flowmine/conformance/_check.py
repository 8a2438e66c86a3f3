"""One call for the whole check of a stored process against its reference model.

:func:`check` reads the variants from the store, matches labels, aligns (or replays) every variant
once, computes precision with frequencies, deviations per step, business rules and their impact,
and returns a :class:`ConformanceReport`; ``report.to_dict()`` is the JSON of ``flowmine check``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from flowmine.conformance._align import Alignments, align
from flowmine.conformance._deviations import case_deviations, deviations_per_step
from flowmine.conformance._impact import case_figures, deviation_impact
from flowmine.conformance._labels import LabelMatch, match_labels
from flowmine.conformance._model import ReferenceModel, read_reference
from flowmine.conformance._quality import generalization, simplicity
from flowmine.conformance._replay import precision, token_replay
from flowmine.conformance._rules import check_business_rules, read_rules
from flowmine.discovery._variants import Variants, variants
from flowmine.errors import InputError
from flowmine.processes import ProcessConfig, Rule, load_process
from flowmine.store import Store

METHODS = ("alignments", "token-replay")


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

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``flowmine check`` (NaN written as null)."""
        return _clean({
            "process": self.process, "method": self.method, "reference": self.reference,
            "cases": self.cases, "variants": self.variants, "fitness": self.fitness,
            "fitting_cases_share": self.fitting_cases_share, "average_case_fitness": self.average_case_fitness,
            "precision": self.precision, "generalization": self.generalization, "simplicity": self.simplicity,
            "exact": self.exact, "fallback": self.fallback, "budget": self._budget(),
            "labels": self.labels.to_dict(),
            "steps": self.steps.to_dict(orient="records"),
            "rules": self.rules.to_dict(orient="records"),
            "impact": self.impact.to_dict(orient="records"),
        })

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
        return [_clean(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _config(process: str) -> ProcessConfig | None:
    try:
        return load_process(process)
    except InputError:
        return None


def check(
    store: str | Path | Store,
    process: str,
    reference: str | Path | None = None,
    rules: str | Path | None = None,
    method: str = "alignments",
    engine: str = "r4pm",
    with_precision: bool = True,
    max_states: int | None = 5_000_000,
    max_seconds: float | None = 10.0,
    extra: bool = False,
) -> ConformanceReport:
    """Check a stored process against its reference model and business rules.

    Parameters
    ----------
    store : path or Store
    process : str
        Process name in the store; its configuration ``dashboards/<process>.toml`` (when there is
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
        Compute ETConformance precision (the slowest part on logs with many distinct prefixes).
    max_states : int, optional
        Per-variant alignment budget in search states (r4pm).
    max_seconds : float, optional
        Per-variant alignment time budget (pm4py's limit; for r4pm mapped onto search states with
        the measured rate). A variant that runs out makes the report ``exact=False`` and is counted
        in ``fallback`` with its cases.
    extra : bool
        Also compute generalization (token-based) and simplicity (arc degree), as pm4py does.

    Examples
    --------
    >>> from flowmine.conformance import check
    >>> report = check("/tmp/demo-store", "finance")  # doctest: +SKIP
    >>> report.steps.loc[report.steps.cases_skipped > 0, "activity"].tolist()  # doctest: +SKIP
    ['GM approval']
    """
    if method not in METHODS:
        raise ValueError(f"The 'method' parameter of check must be one of {set(METHODS)}. Got {method!r} instead.")
    st = store if isinstance(store, Store) else Store(store, create=False)
    cfg = _config(process)
    if reference is None:
        if cfg is None:
            raise InputError(process, "no process configuration names a reference model; give --reference FILE")
        reference = cfg.reference_model
    model: ReferenceModel = read_reference(reference)
    raw: Variants = variants(st, process)
    labels = match_labels(model.labels, raw.activities, cfg.activities if cfg else None)
    v = raw.renamed(labels.mapping)
    ali = align(model, v, engine=engine, max_states=max_states, max_seconds=max_seconds)
    if method == "alignments":
        fit, share, avg = ali.fitness, ali.fitting_cases_share, ali.average_trace_fitness
        per_variant = ali.trace_fitness
    else:
        rep = token_replay(model, v)
        fit, share, avg = rep.fitness, rep.fitting_cases_share, rep.average_trace_fitness
        per_variant = rep.trace_fitness
    case_fit = pd.Series({c: float(f) for ids, f in zip(v.cases, per_variant.tolist(), strict=True) for c in ids},
                         name="fitness").sort_index()
    prec = precision(model, v) if with_precision else None
    steps = deviations_per_step(ali, model.labels)
    deviations = case_deviations(ali)
    rule_set: tuple[Rule, ...] = read_rules(rules, cfg.activities if cfg else None) if rules else (
        cfg.rules if cfg else ())
    events = st.load(process)
    rules_table, per_case = check_business_rules(events, rule_set, cfg.calendar if cfg else None)
    combined = {c: list(d) + [f"rule: {r}" for r in per_case.get(c, [])] for c, d in deviations.items()}
    impact = deviation_impact(case_figures(events), combined)
    return ConformanceReport(
        process=process, method=method, reference=str(reference), cases=v.n_cases, variants=len(v),
        fitness=fit, fitting_cases_share=share, average_case_fitness=avg, precision=prec,
        exact=ali.exact, fallback=ali.fallback(), labels=labels, steps=steps, rules=rules_table, impact=impact,
        case_fitness=case_fit, case_deviations=deviations, case_rules=per_case, alignments=ali, model=model,
        generalization=generalization(model, v) if extra else None, simplicity=simplicity(model) if extra else None,
    )
