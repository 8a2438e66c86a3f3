"""Match model labels and log activity names explicitly, and say what did not match.

A log activity matches a model label when the two are equal after Unicode normalisation
(NFKC), case folding and whitespace collapsing, or when the process configuration declares them
as the English and Chinese label of one activity. Unmatched names on both sides are listed before
any conformance figure is computed: an unmatched log activity is always a log move, an unmatched
model label always a model move, which is usually a naming problem rather than a deviation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_SPACE = re.compile(r"\s+")


def normalize(label: str) -> str:
    """The comparison key of a label: NFKC, case-folded, whitespace collapsed and trimmed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", label)).strip().casefold()


@dataclass(frozen=True)
class LabelMatch:
    """Log activity -> model label, and the names left unmatched on each side (sorted)."""

    mapping: dict[str, str]
    unmatched_log: list[str] = field(default_factory=list)
    unmatched_model: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        renamed = {k: v for k, v in sorted(self.mapping.items()) if k != v}
        return {"renamed": renamed, "unmatched_log": self.unmatched_log, "unmatched_model": self.unmatched_model}


def match_labels(
    model_labels: Iterable[str],
    log_activities: Iterable[str],
    activities: Mapping[str, Mapping[str, Any]] | None = None,
) -> LabelMatch:
    """Match log activities to model labels.

    Parameters
    ----------
    model_labels : iterable of str
        Labels of the model's visible transitions.
    log_activities : iterable of str
        Activity names found in the log.
    activities : mapping, optional
        The configuration's ``[activities]`` table: English name -> {"zh": Chinese label, ...}; an
        ``aliases`` list names what other sources write for the activity (an SAP extract's
        ``Create order`` for ``Order entry and review``).

    Returns
    -------
    LabelMatch

    Examples
    --------
    >>> m = match_labels(["Approve PO"], ["approve  po", "审批"], {"Approve PO": {"zh": "审批"}})
    >>> m.mapping
    {'approve  po': 'Approve PO', '审批': 'Approve PO'}
    >>> config = {"Invoicing": {"zh": "开票", "aliases": ["Create invoice"]}}
    >>> match_labels(["Invoicing"], ["Create invoice"], config).mapping
    {'Create invoice': 'Invoicing'}
    """
    labels = sorted(set(model_labels))
    index: dict[str, str] = {normalize(m): m for m in labels}
    for en, spec in (activities or {}).items():
        names = [en, *(str(spec[k]) for k in ("zh", "en") if k in spec), *map(str, spec.get("aliases", ()))]
        target = next((index[normalize(n)] for n in names if normalize(n) in index), None)
        if target is not None:
            for n in names:
                index.setdefault(normalize(n), target)
    mapping: dict[str, str] = {}
    unmatched_log: list[str] = []
    for a in sorted(set(log_activities)):
        m = index.get(normalize(a))
        if m is None:
            unmatched_log.append(a)
        else:
            mapping[a] = m
    used = set(mapping.values())
    return LabelMatch(mapping, unmatched_log, [m for m in labels if m not in used])
