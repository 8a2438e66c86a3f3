"""The improvement cycle's third step from data: an initiative's key steps and influencing factors.

Step 3 of the seed's eight ("identify the key steps and the factors that influence them") is filled
from the baseline, the initiative's scope before its change date: the key steps are the top step
bottlenecks there, the factors those of the goal step's measure (``explain``). Its evaluation can be
split by the top factor: the before/after comparison (:func:`flowmine.monitor.evaluate_initiative`)
for the cases with the factor's value and for the rest, so a team sees whether the change helped the
group that caused the excess.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from flowmine.analytics import CaseFilter, attribute_values, profile, stored
from flowmine.explain._explain import explain
from flowmine.explain._labels import factor_label, value_label
from flowmine.explain._units import bin_labels
from flowmine.monitor import Initiative, evaluate_initiative
from flowmine.store import Store

#: The goal metric of an initiative -> the measure (and target) explained.
_MEASURE = {"waiting_time": "waiting", "service_time": "service", "throughput_time": "throughput",
            "cost_per_case": "cost", "rework_rate": "rework"}


@dataclass
class InitiativeContext:
    """What :func:`initiative_context` returns.

    Attributes
    ----------
    initiative, step, measure:
        The initiative's id, the step explained (None: the case) and the measure.
    baseline:
        The case filter of the baseline (the scope, started before the change date).
    key_steps:
        The top step bottlenecks of the baseline: name, total and median waiting (sojourn), share.
    factors:
        The findings of the measure on the baseline (as :meth:`Explanation.to_dict` gives them).
    split:
        The evaluation split by the top factor (a categorical case attribute): one entry per side
        (``value`` and ``"(rest)"``), each with its evaluation's dict; empty when the top factor is not a
        case attribute or there is no finding.
    """

    initiative: str
    step: str | None
    measure: str
    baseline: dict[str, Any]
    key_steps: list[dict[str, Any]]
    factors: list[dict[str, Any]]
    split: list[dict[str, Any]] = field(default_factory=list)
    split_note: str | None = None

    def record(self, lang: str = "en", name: Callable[[str], str] = str) -> dict[str, list[str]]:
        """The eight-step record's ``key_steps`` and ``influencing_factors`` as sentences; ``name`` says a
        step (the process's Chinese labels, as the dashboard's labeller does)."""
        steps = [f"{name(k['name'])}: {k['share']:.0%}" for k in self.key_steps]
        factors = []
        for f in self.factors:
            ratio = f"×{f['effect_ratio']:.2f}" if f["effect_ratio"] is not None else ""
            what = f"{factor_label(f['attribute'], lang)} = {value_label(f['attribute'], str(f['value']), lang, name)}"
            cases = f"（{f['cases']} 个案例）" if lang == "zh" else f" ({f['cases']} cases)"
            factors.append(f"{what} {ratio}{cases}")
        return {"key_steps": steps, "influencing_factors": factors}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dataclasses.asdict(self)


def _baseline(ini: Initiative) -> CaseFilter:
    lo = ini.baseline[0]
    end = ini.change_date.isoformat()
    hi = ini.baseline[1] if ini.baseline[1] and ini.baseline[1] < end else end
    return dataclasses.replace(ini.scope, started=(lo, hi))


def initiative_context(store: str | Path | Store, ini: Initiative, *, top: int = 3, seed: int = 0
                       ) -> InitiativeContext:
    """Key steps and influencing factors of an initiative's baseline, and its evaluation split by the top
    factor.

    Examples
    --------
    >>> from flowmine.explain import initiative_context
    >>> from flowmine.monitor import load_initiatives
    >>> ini = load_initiatives(process="finance")[0]
    >>> ctx = initiative_context(STORE, ini)  # STORE: a store's path
    >>> ctx.step, ctx.measure
    ('GM approval', 'waiting')
    """
    st = store if isinstance(store, Store) else Store(store, create=False)
    base = _baseline(ini)
    log = stored(st, ini.process).where(base)
    p = profile(log, n_boot=0)
    key = [{"name": b["name"], "waiting_total_s": b["waiting_total_s"], "waiting_median_s": b["waiting_median_s"],
            "share": b["share"]} for b in p["bottlenecks"] if b["kind"] == "activity"][:top]
    measure = _MEASURE.get(ini.metric, "waiting")
    step = ini.step if measure in ("waiting", "service", "rework") else None
    if step is None and measure in ("waiting", "service"):
        measure = "throughput"
    if measure == "waiting" and p.get("time_basis") != "waiting":
        measure = "sojourn"
    found = explain(log, step=step, measure=measure, seed=seed, decompose=False).to_dict()
    factors = [f for f in found["factors"] if f["excess"] is not None and f["excess"] > 0][:top]
    ctx = InitiativeContext(initiative=ini.id, step=step, measure=measure, baseline=base.conditions(),
                            key_steps=key, factors=factors)
    top_case = next((f for f in factors if f["attribute"].startswith("case:") and f["kind"] == "case attribute"),
                    None)
    sides = _sides(st, ini, top_case, found["bins"]) if top_case is not None else None
    if sides is None:
        ctx.split_note = ("no case attribute among the top factors, or a middle bin of a number: the evaluation "
                          "cannot be split by it")
        return ctx
    for label, scope in sides:
        scoped = dataclasses.replace(ini, scope=scope)
        ctx.split.append({"attribute": top_case["attribute"], "value": label,  # type: ignore[index]
                          "evaluation": evaluate_initiative(st, scoped).to_dict()})
    return ctx


def _sides(st: Store, ini: Initiative, top: dict[str, Any], bins: dict[str, list[float]]
           ) -> list[tuple[str, CaseFilter]] | None:
    """The initiative's scope for the factor's cases and for the rest: a categorical value and the other
    values; a numeric bin at either end and the numbers beyond its edge (a middle bin has two rests, which
    one case filter cannot hold: None)."""
    attr, value = top["attribute"], str(top["value"])
    scope = ini.scope
    if attr in bins:
        edges = bins[attr]
        labels = bin_labels(edges)
        if value not in labels:
            return None
        k = labels.index(value)
        ranges = dict(scope.ranges or {})
        inside: tuple[float | None, float | None]
        outside: tuple[float | None, float | None]
        if k == len(labels) - 1:
            inside, outside = (edges[k], None), (None, float(np.nextafter(edges[k], -np.inf)))
        elif k == 0:
            inside, outside = (None, float(np.nextafter(edges[1], -np.inf))), (edges[1], None)
        else:
            return None
        return [(value, dataclasses.replace(scope, ranges={**ranges, attr: inside})),
                ("(rest)", dataclasses.replace(scope, ranges={**ranges, attr: outside}))]
    values = attribute_values(stored(st, ini.process)).get(attr, [])
    if value not in values:
        return None
    attrs = dict(scope.attributes)
    return [(value, dataclasses.replace(scope, attributes={**attrs, attr: [value]})),
            ("(rest)", dataclasses.replace(scope, attributes={**attrs, attr: [v for v in values if v != value]}))]
