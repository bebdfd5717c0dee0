"""Loading and running from Python: the first two names of the public API.

The other three — ``sim.sweep(...)``, ``sim.compare(...)`` and ``sim.replay(...)`` — live in
their own modules (``sim/sweep.py``, ``sim/replay.py``); ``sim.sweep`` and ``sim.replay`` are
modules that can be called like their main function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.records import RunResult
from sim.runner import run_scenario
from sim.scenario import Scenario, load

__all__ = ["load_scenario", "run"]


def load_scenario(path: str | Path, **overrides: Any) -> Scenario:
    """Load and validate a scenario file, with dotted-path overrides.

    Parameters
    ----------
    path : the scenario TOML file.
    **overrides : dotted paths to values, as ``--set`` gives them; since the paths contain
        dots, pass them as a dict: ``load_scenario(p, **{"protocol.hotline.operators": 1})``.

    Examples
    --------
    >>> s = load_scenario("scenarios/mou-2015.toml", **{"traffic.scale": 0.5})
    >>> s.traffic.scale, s.protocol.name
    (0.5, 'mou-2015')
    >>> s.with_overrides({"protocol.hotline.operators": 1}).protocol.hotline.operators
    1
    """
    return load(path, overrides)


def run(scenario: Scenario | str | Path, seed: int | None = None) -> RunResult:
    """Simulate one run; the result has ``summary`` and ``flights_df``, ``encounters_df``,
    ``events_df`` (pandas), and shows its rate table in a notebook.

    Examples
    --------
    >>> result = run("scenarios/two-jets.toml")
    >>> result.encounters_df[["a_id", "b_id", "category"]].values.tolist()
    [['RU-Su30', 'US-F16', 'near_miss']]
    >>> result.summary["encounters"]["near_miss"]
    1
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    return run_scenario(scenario, seed)[0]
