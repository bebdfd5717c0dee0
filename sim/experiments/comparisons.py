"""Paired comparisons: two scenarios run on the same seeds, differences B − A."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.experiments.backends import BackendName
from sim.experiments.execution import Progress, SweepOutcome, execute
from sim.experiments.plan import SweepPlan, _as_scenario, plan_compare
from sim.experiments.power import CHANGE
from sim.experiments.report import compare_report
from sim.experiments.sequential import sequential_compare
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
    change: float = CHANGE,
) -> tuple[SweepOutcome, dict[str, Any]]:
    """Execute a compare plan; with ``out``, also write ``compare.json``."""
    outcome = execute(plan, out, backend, workers, cluster, progress)
    report = compare_report(outcome.runs, plan, level, change)
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
    *,
    target_halfwidth: float | None = None,
    max_replications: int | None = None,
    category: str | None = None,
    change: float = CHANGE,
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
    target_halfwidth, max_replications : float, int, optional
        Sequential: keep adding paired days (from ``replications``) until the interval of
        the difference in ``category``'s rate (the widest category by default) is at most
        ``target_halfwidth`` either side, or ``max_replications`` have run; see
        :mod:`sim.experiments.sequential`.
    change : float
        The relative change ``replications_needed`` is worked out for (0.5: halving).

    Returns
    -------
    dict
        ``categories[c]``: ``mean_a``, ``mean_b``, ``mean_diff`` (B − A rate per 1,000 flight
        hours), ``ci_low``, ``ci_high``, ``p_value``, ``significant``, ``n``, ``a_upper_95``,
        ``b_upper_95`` (one-sided 95 % upper bounds on each arm's rate), and
        ``replications_needed``, and ``counts`` (the same for the count entered, plus
        ``total_a``, ``total_b``); ``mission_cost``: the paired differences of what the
        protocol cost; with a target half-width, ``sequential``.

    Examples
    --------
    >>> from sim.scenario import load
    >>> base = load("scenarios/mou-2015.toml")
    >>> report = compare(base, base.with_overrides({"traffic.scale": 2}),
    ...                  replications=10)  # doctest: +SKIP
    >>> report["categories"]["separation"]["significant"]  # doctest: +SKIP
    True
    """
    a, b = _as_scenario(a), _as_scenario(b)
    if target_halfwidth is not None or max_replications is not None:
        if target_halfwidth is None or max_replications is None:
            raise InputError("--target-halfwidth and --max-replications go together")
        return sequential_compare(
            a,
            b,
            target_halfwidth,
            max_replications,
            replications,
            category,
            out,
            backend,
            workers,
            cluster,
            progress,
            level,
            change,
        )[1]
    plan = plan_compare(a, b, replications)
    return run_compare(plan, out, backend, workers, cluster, progress, level, change)[1]
