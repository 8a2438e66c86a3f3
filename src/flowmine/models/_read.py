"""Reference models: BPMN 2.0 or PNML files, or a process configuration's model, as a Petri net.

pm4py converts BPMN to a Petri net, but some constructs come out wrong without any warning
(an inclusive gateway becomes an exclusive choice, pm4py issue #465). Such elements are refused
here with an error naming the element, never turned into a silently wrong net.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from flowmine.errors import InputError

#: BPMN elements pm4py's converter gets wrong or ignores, and why.
UNSUPPORTED = {
    "inclusiveGateway": "pm4py converts an inclusive (OR) gateway into a wrong net",
    "complexGateway": "pm4py cannot convert a complex gateway",
    "eventBasedGateway": "pm4py cannot convert an event-based gateway",
    "subProcess": "pm4py flattens no sub-processes",
}


@dataclass(frozen=True)
class ReferenceModel:
    """An accepting Petri net ``(net, im, fm)`` and where it came from."""

    net: Any
    im: Any
    fm: Any
    source: str

    @property
    def labels(self) -> list[str]:
        """Labels of the visible transitions, sorted."""
        return sorted({t.label for t in self.net.transitions if t.label is not None})


def _check_bpmn(path: Path) -> None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise InputError(str(path), f"not valid BPMN XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise InputError(str(path), "a DOCTYPE is not allowed in a BPMN model")
    problems = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local in UNSUPPORTED:
            name = el.get("name") or ""
            problems.append(f"{local} id={el.get('id')!r} name={name!r}: {UNSUPPORTED[local]}")
    if problems:
        raise InputError(str(path), "cannot be checked without a wrong net; " + "; ".join(problems))


def read_reference(path: str | Path) -> ReferenceModel:
    """Read a reference model from a ``.bpmn`` or ``.pnml`` file.

    Raises
    ------
    flowmine.errors.InputError
        Missing file, unknown extension, invalid XML, or an element pm4py cannot convert
        correctly (named with its id).

    Examples
    --------
    >>> from flowmine.conformance import read_reference
    >>> read_reference("src/flowmine/processes/definitions/finance/model.bpmn").labels[0]
    'Cashier payment'
    """
    import pm4py

    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "reference model not found")
    suffix = p.suffix.lower()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if suffix == ".bpmn":
            _check_bpmn(p)
            net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(p)))
        elif suffix == ".pnml":
            net, im, fm = pm4py.read_pnml(str(p))
        else:
            raise InputError(str(p), f"a reference model must be .bpmn or .pnml, got {suffix or 'no extension'!r}")
    if not im or not fm:
        raise InputError(str(p), "the Petri net needs an initial and a final marking")
    return ReferenceModel(net, im, fm, str(p))
