"""Deviations per step, read from the alignments of the variants.

In one case's optimal alignment, a **model move** on activity X means X was required but not
done there, a **log move** on X means X was done where the model does not allow it. When one case
has both a model move and a log move on the same X, X was done, only at the wrong place: each such
pair counts as **out of order**. The remaining model moves are **skipped** steps, the remaining log
moves **inserted** steps (an activity the model does not know is always inserted). Counts are
weighted by the number of cases of each variant.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from flowmine.conformance._align import LOG, MODEL, Alignments

KINDS = ("skipped", "inserted", "out_of_order")

#: Columns of :func:`deviations_per_step`.
STEP_COLUMNS = ("activity", "in_model", "model_moves", "log_moves", "skipped", "inserted", "out_of_order",
                "cases_affected", "cases_skipped", "cases_inserted", "cases_out_of_order", "rate")


def variant_deviations(alignments: Alignments) -> list[dict[tuple[str, str], int]]:
    """Per variant: (kind, activity) -> number of such deviations in one case of that variant."""
    out = []
    for res in alignments.results:
        model = Counter(a for k, a in res.moves if k == MODEL)
        log = Counter(a for k, a in res.moves if k == LOG)
        found: dict[tuple[str, str], int] = {}
        for act in set(model) | set(log):
            pair = min(model[act], log[act])
            for kind, n in (("skipped", model[act] - pair), ("inserted", log[act] - pair), ("out_of_order", pair)):
                if n:
                    found[(kind, act)] = n
        out.append(found)
    return out


def deviations_per_step(alignments: Alignments, model_labels: list[str],
                        per_variant: list[dict[tuple[str, str], int]] | None = None) -> pd.DataFrame:
    """For every step of the model (and every log-only activity), its deviations.

    ``per_variant`` is :func:`variant_deviations` of the alignments when the caller has it already.

    Returns
    -------
    DataFrame
        One row per activity (model activities first, in label order): ``model_moves`` and
        ``log_moves`` (moves over all cases), ``skipped``, ``inserted``, ``out_of_order`` (events),
        ``cases_affected`` (cases with any deviation at the step) and per kind, and ``rate``
        (cases affected / all cases).
    """
    counts = alignments.variants.counts
    total = int(counts.sum())
    per_variant = variant_deviations(alignments) if per_variant is None else per_variant
    acts = list(model_labels) + sorted({a for d in per_variant for _, a in d} - set(model_labels))
    rows = []
    for act in acts:
        sums = dict.fromkeys(KINDS, 0)
        cases = dict.fromkeys(KINDS, 0)
        affected = 0
        for d, n in zip(per_variant, counts.tolist(), strict=True):
            hit = False
            for kind in KINDS:
                k = d.get((kind, act), 0)
                if k:
                    sums[kind] += k * n
                    cases[kind] += n
                    hit = True
            affected += n if hit else 0
        rows.append({
            "activity": act, "in_model": act in model_labels,
            "model_moves": sums["skipped"] + sums["out_of_order"], "log_moves": sums["inserted"] + sums["out_of_order"],
            **sums, "cases_affected": affected,
            **{f"cases_{k}": cases[k] for k in KINDS},
            "rate": affected / total if total else np.nan,
        })
    return pd.DataFrame(rows, columns=list(STEP_COLUMNS))


def case_deviations(alignments: Alignments,
                    per_variant: list[dict[tuple[str, str], int]] | None = None) -> dict[str, list[str]]:
    """Case id -> its deviations as ``"kind: activity"`` labels (empty list: conforming); ``per_variant``
    as in :func:`deviations_per_step`."""
    per_variant = variant_deviations(alignments) if per_variant is None else per_variant
    out: dict[str, list[str]] = {}
    for ids, d in zip(alignments.variants.cases, per_variant, strict=True):
        labels = sorted(f"{kind}: {act}" for kind, act in d)
        for c in ids:
            out[c] = labels
    return out
