"""Sweeps: one scenario at every point of a parameter grid, ``replications`` times each."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.backends import BackendName
from sim.experiments.execution import Progress, SweepOutcome, execute
from sim.experiments.plan import SweepPlan, _as_scenario, plan_sweep
from sim.experiments.plots import write_plots
from sim.experiments.report import summarize_points, write_summary
from sim.scenario import Scenario


def run_sweep(
    plan: SweepPlan,
    out: str | Path | None = None,
    backend: BackendName = "pool",
    workers: int | None = None,
    cluster: str | None = None,
    progress: Progress | None = None,
) -> SweepOutcome:
    """Execute a plan; with ``out``, also write ``summary.csv`` and ``plots/`` when it is done
    (again only if something new ran or they are missing).
    """
    outcome = execute(plan, out, backend, workers, cluster, progress)
    if out is not None and (outcome.ran or not (Path(out) / "summary.csv").exists()):
        summary = summarize_points(outcome.runs, plan)
        write_summary(summary, out)
        write_plots(summary, plan, out)
    return outcome


def sweep(
    scenario: Scenario | str | Path,
    vary: Mapping[str, Any] | None = None,
    replications: int | None = None,
    backend: BackendName = "pool",
    workers: int | None = None,
    cluster: str | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Run a scenario at every point of a grid, ``replications`` times each.

    Parameters
    ----------
    scenario : Scenario or path
        The base scenario.
    vary : mapping, optional
        Dotted path -> values (a list, or ``"linspace(a, b, n)"`` / ``"range(a, b[, step])"``);
        the points are the cartesian product. Defaults to the scenario's ``[sweep] vary``.
    replications : int, optional
        Runs per point, on the seeds ``SeedSequence([scenario.seed, r])`` shared by every
        point. Defaults to the scenario's ``[sweep] replications``.
    backend : {"pool", "local", "dask"}
        A local process pool, this process, or a Dask cluster.
    workers : int, optional
        Pool size (default: the CPU count); for ``cluster="local"``, the number of workers.
    cluster : str, optional
        ``"local"`` (a ``distributed.LocalCluster`` for the duration) or a scheduler address
        such as ``"tcp://host:8786"``; implies the Dask backend.
    out : path, optional
        Save runs to ``out/runs`` as they finish (resumable), then ``out/summary.csv`` and
        ``out/plots``.
    progress : callable, optional
        ``progress(done, total)``, called at the start and after each finished run.

    Returns
    -------
    pandas.DataFrame
        One row per (point, replication), sorted: ``point``, ``replication``, ``seed``, a
        column per varied path, then the run's metrics.

    Raises
    ------
    InputError
        A path or value the scenario rejects (every point is checked before anything runs),
        or an ``out`` holding a different sweep.

    Examples
    --------
    >>> runs = sweep("scenarios/mou-2015.toml", vary={"traffic.scale": [1, 2]},
    ...              replications=5, workers=2)  # doctest: +SKIP
    >>> runs.groupby("traffic.scale")["rate_near_miss"].mean()  # doctest: +SKIP
    """
    plan = plan_sweep(_as_scenario(scenario), vary, replications)
    return run_sweep(plan, out, backend, workers, cluster, progress).runs
