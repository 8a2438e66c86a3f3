"""What-if simulation calibrated on the log: discover a simulation model from a store's log, run it (SimPy
processes, on an event loop that keeps SimPy's order, or on SimPy itself), and measure how close the
simulated as-is log is to the real one (its fidelity).

    >>> from flowmine.analytics import stored
    >>> from flowmine.simulation import discover, fidelity, simulate
    >>> log = stored(STORE, "finance")  # STORE: a store's path
    >>> model = discover(log)
    >>> sim = simulate(model, seed=1)
    >>> fidelity(log, sim)["activity_l1"] < 0.1
    True

A scenario (``load_scenario``: a TOML file of ``[[change]]`` tables) changes the model; ``whatif`` runs the
as-is and the changed model as replications and reports each KPI with its interval and the delta
(``flowmine whatif``).
"""

from flowmine.simulation._discover import discover, fit
from flowmine.simulation._fidelity import fidelity
from flowmine.simulation._model import (
    END,
    START,
    Batch,
    Distribution,
    Pool,
    SimulationModel,
    State,
    StateDuration,
    StepModel,
)
from flowmine.simulation._run import simulate
from flowmine.simulation._scenario import Scenario, apply, load_scenario, scenario_from_dict
from flowmine.simulation._whatif import Measure, WhatIf, kpis, mean_interval, whatif

__all__ = [
    "END", "START", "Batch", "Distribution", "Measure", "Pool", "Scenario", "SimulationModel", "State", "StateDuration",
    "StepModel", "WhatIf",
    "apply", "discover", "fidelity", "fit", "kpis", "load_scenario", "mean_interval", "scenario_from_dict", "simulate",
    "whatif",
]
