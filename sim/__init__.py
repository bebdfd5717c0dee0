"""deconflict: Coalition and Russian air operations over Syria under the 2015-2017 arrangements.

The public API:

- ``sim.load_scenario(path, **overrides)`` — a validated, frozen scenario;
- ``sim.run(scenario, seed)`` — one run, with DataFrames and the summary;
- ``sim.sweep(scenario, vary=..., replications=..., backend=...)`` — a DataFrame of runs;
- ``sim.compare(a, b, replications=...)`` — paired differences B − A;
- ``sim.replay(result, ...)`` — an animation that plays inline in Jupyter.

They are plain functions (``sim/api.py``); sweeps, comparisons and replays import their
machinery on first use, so ``import sim`` stays light.
"""

from __future__ import annotations

from sim.api import compare, load_scenario, replay, run, sweep
from sim.version import __version__

__all__ = ["__version__", "compare", "load_scenario", "replay", "run", "sweep"]
