"""The public API: plain functions to load, run, sweep, compare and replay scenarios.

``sweep``, ``compare`` and ``replay`` import their machinery (pandas, pyarrow, matplotlib,
Dask) when first called, so ``import sim`` stays light. The full sweep and compare options are
documented in :mod:`sim.experiments`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.records import RunResult
from sim.runner import run_scenario
from sim.scenario import Scenario, load

if TYPE_CHECKING:
    import pandas as pd

    from sim.experiments import BackendName, Progress
    from sim.viz import ReplayAnimation

__all__ = ["compare", "load_scenario", "replay", "run", "sweep"]


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
        Runs per point, on seeds shared by every point. Defaults to the scenario's
        ``[sweep] replications``.
    backend : {"pool", "local", "dask"}
        A local process pool, this process, or a Dask cluster.
    workers : int, optional
        Pool size (default: the CPU count); for ``cluster="local"``, the number of workers.
    cluster : str, optional
        ``"local"`` or a Dask scheduler address such as ``"tcp://host:8786"``.
    out : path, optional
        Save runs to ``out/runs`` as they finish (resumable), then ``out/summary.csv`` and
        ``out/plots``.
    progress : callable, optional
        ``progress(done, total)``, called at the start and after each finished run.

    Returns
    -------
    pandas.DataFrame
        One row per (point, replication); see :func:`sim.experiments.sweep`.

    Examples
    --------
    >>> runs = sweep("scenarios/two-jets.toml", vary={"duration_h": [0.5, 1]},
    ...              replications=2, backend="local")
    >>> runs["point"].tolist(), runs["duration_h"].tolist()
    ([0, 0, 1, 1], [0.5, 0.5, 1.0, 1.0])
    """
    from sim.experiments import sweep as sweep_grid

    return sweep_grid(scenario, vary, replications, backend, workers, cluster, out, progress)


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
    **sequential: Any,
) -> dict[str, Any]:
    """Run two scenarios on the same seeds and report paired differences B − A.

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
    **sequential
        ``target_halfwidth``, ``max_replications``, ``category``, ``change``: see
        :func:`sim.experiments.compare`.

    Returns
    -------
    dict
        Per category the paired difference of the rate and of the count entered, upper bounds
        on each arm's rate and the replications a change would need; see
        :func:`sim.experiments.compare`.

    Examples
    --------
    >>> report = compare("scenarios/two-jets.toml", "scenarios/two-jets.toml",
    ...                  replications=2, backend="local")
    >>> report["replications"], report["categories"]["near_miss"]["mean_diff"]
    (2, 0.0)
    """
    from sim.experiments import compare as compare_paired

    return compare_paired(
        a, b, replications, backend, workers, cluster, out, progress, level, **sequential
    )


def replay(
    result: RunResult,
    scenario: Scenario | None = None,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    step_s: float = 60.0,
    fps: float = 12.0,
    follow: str | None = None,
    labels: bool = False,
    width: int = 1280,
    dpi: float = 100.0,
    trail_min: float = 6.0,
) -> ReplayAnimation:
    """An animated map of a run for slides, that plays inline in Jupyter and saves as MP4 or GIF.

    The interactive page for class is :func:`sim.viz.replay_page`.

    Parameters
    ----------
    result : RunResult
        The run to replay.
    scenario : Scenario, optional
        Adds its keep-out zones and the deconfliction line to the map.
    start_s, end_s, step_s, fps, follow, labels, width, dpi, trail_min
        The window, the frames and the look: see :func:`sim.viz.replay`.

    Examples
    --------
    >>> result = run("scenarios/two-jets.toml")
    >>> anim = replay(result, start_s=0, end_s=600, step_s=300)
    >>> [float(t) for t in anim.times]
    [0.0, 300.0]
    """
    from sim.viz import replay as animate

    return animate(
        result,
        scenario,
        start_s=start_s,
        end_s=end_s,
        step_s=step_s,
        fps=fps,
        follow=follow,
        labels=labels,
        width=width,
        dpi=dpi,
        trail_min=trail_min,
    )
