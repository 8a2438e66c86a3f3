"""A reference model (BPMN 2.0, read by :mod:`flowmine.models`) as a pm4py Petri net, and whether it is sound."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from flowmine.models import read_reference
from flowmine.processes._config import ProcessConfig, load_process


def reference_net(process: str | Path | ProcessConfig) -> tuple[Any, Any, Any]:
    """The reference model of a process as a pm4py accepting Petri net ``(net, im, fm)``.

    Parameters
    ----------
    process : str, Path or ProcessConfig
        A process name, a ``.bpmn`` path, or a loaded configuration.

    Examples
    --------
    >>> from flowmine.processes import reference_net
    >>> net, im, fm = reference_net("production")
    >>> sorted(t.label for t in net.transitions if t.label)[0]
    'Finished goods warehousing'
    """
    if isinstance(process, ProcessConfig):
        path = process.reference_model
    elif str(process).endswith(".bpmn"):
        path = Path(process)
    else:
        path = load_process(str(process)).reference_model
    model = read_reference(path)  # the one BPMN reader: refuses what pm4py would convert into a wrong net
    return model.net, model.im, model.fm


def is_sound(net: Any, im: Any, fm: Any) -> bool:
    """Whether ``(net, im, fm)`` is a sound workflow net (pm4py's Woflan)."""
    from pm4py.algo.analysis.woflan import algorithm as woflan

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = {"return_asap_when_not_sound": True, "print_diagnostics": False}
        return bool(woflan.apply(net, im, fm, parameters=params))
