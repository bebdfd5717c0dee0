"""deconflict: Coalition and Russian air operations over Syria under the 2015-2017 arrangements.

The public API:

- ``sim.load_scenario(path, **overrides)`` — a validated, frozen scenario;
- ``sim.run(scenario, seed)`` — one run, with DataFrames and the summary;
- ``sim.sweep(scenario, vary=..., replications=..., backend=...)`` — a DataFrame of runs;
- ``sim.compare(a, b, replications=...)`` — paired differences B − A;
- ``sim.replay(result, ...)`` — an animation that plays inline in Jupyter.

``sim.replay`` is a module (``sim/replay.py``) that can be called like its main function; the
others are plain functions (``sim/api.py``). Sweeps, comparisons and replays import their
machinery on first use, so ``import sim`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

from sim.api import compare, load_scenario, run, sweep  # noqa: E402

__all__ = ["__version__", "compare", "load_scenario", "replay", "run", "sweep"]


def __getattr__(name: str) -> Any:
    """Import ``replay`` on first use (it brings matplotlib)."""
    if name == "replay":
        return importlib.import_module("sim.replay")
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
