"""The run function shared by ``deconflict run``, sweeps and the Python API."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from sim.engine import simulate
from sim.metrics import summarize
from sim.records import RunResult
from sim.scenario import Scenario


def run_scenario(
    scenario: Scenario, seed: int | None = None, progress: Callable[[float], None] | None = None
) -> tuple[RunResult, dict[str, Any]]:
    """Simulate once and summarise; ``wall_s`` is the time spent simulating (after loading).

    The result comes back with its ``summary`` attached.
    """
    t0 = time.perf_counter()
    result = simulate(scenario, seed, progress=progress)
    wall_s = time.perf_counter() - t0
    summary = summarize(result, wall_s=round(wall_s, 4))
    return dataclasses.replace(result, summary=summary), summary
