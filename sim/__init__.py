"""deconflict: Coalition and Russian air operations over Syria under the 2015-2017 arrangements.

The public API:

- ``sim.load_scenario(path, **overrides)`` — a validated, frozen scenario;
- ``sim.run(scenario, seed)`` — one run, with DataFrames and the summary;
- ``sim.sweep(scenario, vary=..., replications=..., backend=...)`` — a DataFrame of runs;
- ``sim.compare(a, b, replications=...)`` — paired differences B − A;
- ``sim.replay(result, ...)`` — an animation that plays inline in Jupyter.

``sim.sweep`` is a module (``sim/sweep.py``) that can be called like its main function, and
``sim.replay`` is the function :func:`sim.viz.replay`; both are imported on first use, so
``import sim`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from sim.api import load_scenario, run
from sim.version import __version__

__all__ = ["__version__", "compare", "load_scenario", "replay", "run", "sweep"]


def __getattr__(name: str) -> Any:
    """Import ``sweep``, ``replay`` and ``compare`` on first use (they bring pandas, matplotlib)."""
    if name == "sweep":
        return importlib.import_module("sim.sweep")
    if name == "replay":
        return importlib.import_module("sim.viz").replay
    if name == "compare":
        return importlib.import_module("sim.sweep").compare
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
