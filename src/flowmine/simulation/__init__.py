"""What-if simulation calibrated on the log: discover a simulation model from a store's log, run it on
SimPy, and measure how close the simulated as-is log is to the real one (its fidelity).

    >>> from flowmine.analytics import stored
    >>> from flowmine.simulation import discover, fidelity, simulate
    >>> log = stored(STORE, "finance")  # STORE: a store's path
    >>> model = discover(log)
    >>> sim = simulate(model, seed=1)
    >>> fidelity(log, sim)["activity_l1"] < 0.1
    True

Scenarios (changes to the model), replications with intervals and the command line come next (issue 18).
"""

from flowmine.simulation._discover import discover, fit
from flowmine.simulation._fidelity import fidelity
from flowmine.simulation._model import END, START, Distribution, Pool, SimulationModel, StepModel
from flowmine.simulation._run import simulate

__all__ = ["END", "START", "Distribution", "Pool", "SimulationModel", "StepModel", "discover", "fidelity", "fit",
           "simulate"]
