"""Paired comparisons: two scenarios run on the same seeds, differences B − A."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sim.experiments.backends import BackendName
from sim.experiments.execution import Progress, SweepOutcome, execute
from sim.experiments.plan import SweepPlan, _as_scenario, plan_compare
from sim.experiments.report import compare_report
from sim.output import atomic_write
from sim.scenario import Scenario


def run_compare(
    plan: SweepPlan,
    out: str | Path | None = None,
    backend: BackendName = "pool",
    workers: int | None = None,
    cluster: str | None = None,
    progress: Progress | None = None,
    level: float = 0.95,
) -> tuple[SweepOutcome, dict[str, Any]]:
    """Execute a compare plan; with ``out``, also write ``compare.json``."""
    outcome = execute(plan, out, backend, workers, cluster, progress)
    report = compare_report(outcome.runs, plan, level)
    if out is not None:
        text = json.dumps(report, indent=2, allow_nan=False) + "\n"
        atomic_write(Path(out) / "compare.json", text)
    return outcome, report


def compare(
    a: Scenario | str | Path,
    b: Scenario | str | Path,
    replications: int | None = None,
    backend: BackendName = "pool",
    workers: int | None = None,
    cluster: str | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
    level: float = 0.95,
) -> dict[str, Any]:
    """Run two scenarios on the same seeds and report paired differences B − A.

    A compare is a sweep of two points (``arm`` ``"A"`` and ``"B"``); replication ``r`` of
    both runs on the seed ``SeedSequence([a.seed, r])``.

    Parameters
    ----------
    a, b : Scenario or path
        The baseline and the alternative.
    replications : int, optional
        Defaults to ``a``'s ``[sweep] replications``.
    backend, workers, cluster, out, progress
        As for :func:`sweep`; ``out`` gets ``runs/`` and ``compare.json``.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    dict
        ``categories[c]``: ``mean_a``, ``mean_b``, ``mean_diff`` (B − A rate per 1,000 flight
        hours), ``ci_low``, ``ci_high``, ``p_value``, ``significant``, ``n``, and ``counts``
        (the same for the count entered, plus ``total_a``, ``total_b``).

    Examples
    --------
    >>> from sim.scenario import load
    >>> base = load("scenarios/mou-2015.toml")
    >>> report = compare(base, base.with_overrides({"traffic.scale": 2}),
    ...                  replications=10)  # doctest: +SKIP
    >>> report["categories"]["separation"]["significant"]  # doctest: +SKIP
    True
    """
    plan = plan_compare(_as_scenario(a), _as_scenario(b), replications)
    return run_compare(plan, out, backend, workers, cluster, progress, level)[1]
