"""Global sensitivity: which uncertain parameters an output hangs on (SALib: Sobol or Morris).

Each parameter gets a range ``[low, high]``; SALib draws the points (Saltelli's scheme for
Sobol indices, without second-order terms: ``samples x (D + 2)`` runs for ``D`` parameters;
Morris trajectories: ``samples x (D + 1)`` runs) and computes the indices from the runs'
outputs.

**Common random numbers.** A run also depends on its seed (the day's traffic, every draw of
the mechanisms). Each *base sample* — a Sobol row with its ``D + 1`` variants, or a Morris
trajectory — runs on one seed shared by all its variants (``SeedSequence([scenario seed,
sample])``, the seed of replication ``sample`` of a sweep). The estimators difference outputs
within a base sample, so the day-to-day noise cancels: a parameter that changes nothing gets
an index of exactly zero, and the seed's own effect is not mistaken for a parameter's. The
indices are then those of the output *averaged over the days sampled*; with few samples the
bootstrap intervals (``*_conf``, 95 %) say how far to trust them.

Runs go through the same backends and resumable store as a sweep (``DIR/runs``, one row per
run with ``point``, ``replication`` = 0, ``seed``, ``sample``, one column per parameter, and
the run's figures); ``DIR/indices.csv`` holds ``metric, parameter, S1, S1_conf, ST, ST_conf``
(Sobol) or ``metric, parameter, mu_star, mu_star_conf, sigma`` (Morris), and ``DIR/plots/``
one bar chart per metric.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.experiments.backends import BackendName
from sim.experiments.execution import Progress, execute
from sim.experiments.plan import (
    FORMAT,
    GridPoint,
    RunTask,
    SweepPlan,
    _as_scenario,
    _finish_plan,
    _scenario_identity,
    replication_seed,
)
from sim.output import atomic_write
from sim.scenario import Scenario, parse_value

Method = Literal["sobol", "morris"]
COLUMNS = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "sigma"),
}
"""The index columns of ``indices.csv`` after ``metric, parameter``."""
MORRIS_LEVELS = 4
"""Grid levels of Morris trajectories (SALib's default)."""
COST_METRICS = ("mission_cost_extra_flight_min", "mission_cost_hold_min")
"""Outputs analysed besides the rate of each category."""


def parse_param(text: str) -> tuple[str, tuple[float, float]]:
    """Parse ``--param PATH=LOW:HIGH``.

    Examples
    --------
    >>> parse_param("protocol.notification.compliance=0:1")
    ('protocol.notification.compliance', (0.0, 1.0))
    """
    m = re.match(r"^\s*([^=\s]+)\s*=\s*([^:]+):([^:]+)$", text)
    if not m:
        raise InputError(f"--param {text}: expected PATH=LOW:HIGH, e.g. traffic.scale=0.5:2")
    lo, hi = parse_value(m.group(2).strip()), parse_value(m.group(3).strip())
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, hi)):
        raise InputError(f"--param {text}: LOW and HIGH must be numbers")
    if not lo < hi:
        raise InputError(f"--param {text}: LOW must be below HIGH")
    return m.group(1), (float(lo), float(hi))


@dataclass(frozen=True)
class SensitivityPlan(SweepPlan):
    """A plan whose points are SALib's samples; each base sample's variants share a seed."""

    method: str = "sobol"
    samples: int = 0
    block: int = 1
    """Runs per base sample (``D + 2`` for Sobol, ``D + 1`` for Morris)."""
    problem: dict[str, Any] = field(default_factory=dict, repr=False)
    x: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), repr=False)

    @property
    def seeds(self) -> list[int]:
        """One seed per base sample (replication ``sample``'s seed of a sweep)."""
        return [replication_seed(self.base_seed, s) for s in range(self.samples)]

    def tasks(
        self, skip: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset()
    ) -> list[RunTask]:
        """The runs still to do, each on the seed of its base sample."""
        seeds = self.seeds
        return [
            RunTask(p.index, 0, seeds[p.index // self.block], p.scenario)
            for p in self.points
            if (p.index, 0) not in skip
        ]

    def row(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """A dataset row: the run's metrics, its parameter values and its base ``sample``."""
        return {**super().row(metrics), "sample": int(metrics["point"]) // self.block}


def _value_at(scenario: Scenario, path: str) -> Any:
    """The current value at a dotted path (``protocol.`` into the resolved protocol)."""
    node: Any = scenario.model_dump(mode="python", exclude={"protocol"})
    node["protocol"] = scenario.protocol.model_dump(mode="python")
    for seg in path.split("."):
        m = re.match(r"^([^\[\]]+)((?:\[\d+\])*)$", seg)
        if not m or not isinstance(node, dict) or m.group(1) not in node:
            return None
        node = node[m.group(1)]
        for idx in re.findall(r"\[(\d+)\]", m.group(2)):
            node = node[int(idx)] if isinstance(node, list) and int(idx) < len(node) else None
    return node


def plan_sensitivity(
    scenario: Scenario,
    params: Mapping[str, tuple[float, float]] | None = None,
    samples: int | None = None,
    method: Method | None = None,
) -> SensitivityPlan:
    """Draw SALib's samples and validate every run before anything runs.

    Parameters default to the scenario's ``[sensitivity]`` table. A parameter whose current
    value is a whole number (``hotline.operators``) is rounded to one.
    """
    spec = scenario.sensitivity
    params = dict(spec.params if params is None else params)
    samples = spec.samples if samples is None else samples
    method = spec.method if method is None else method
    if not params:
        raise InputError("sensitivity: no parameters (give --param PATH=LOW:HIGH, or a "
                         "[sensitivity.params] table in the scenario)")  # fmt: skip
    if method not in COLUMNS:
        raise InputError(f"--method: expected 'sobol' or 'morris', got {method!r}")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
        raise InputError(f"--samples: must be a whole number >= 2, got {samples!r}")
    names = list(params)
    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [[float(params[n][0]), float(params[n][1])] for n in names],
    }
    x = _draw(problem, samples, method, scenario.seed)
    whole = [isinstance(_value_at(scenario, n), int) for n in names]
    x[:, whole] = np.round(x[:, whole])
    points, problems = [], []
    for i, row in enumerate(x):
        values = {n: int(v) if w else float(v) for n, v, w in zip(names, row, whole, strict=True)}
        try:
            points.append(GridPoint(i, values, scenario.with_overrides(values)))
        except InputError as exc:
            problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise InputError(problems)
    identity = {
        "kind": "sensitivity",
        "scenario": _scenario_identity(scenario),
        "method": method,
        "samples": samples,
        "params": {n: list(problem["bounds"][i]) for i, n in enumerate(names)},
        "format": FORMAT,
    }
    base = _finish_plan("sensitivity", points, 1, scenario.seed, identity)
    block = len(names) + (2 if method == "sobol" else 1)
    return SensitivityPlan(
        **{f: getattr(base, f) for f in SweepPlan.__dataclass_fields__},
        method=method,
        samples=samples,
        block=block,
        problem=problem,
        x=x,
    )


def _draw(problem: dict[str, Any], samples: int, method: str, seed: int) -> np.ndarray:
    if method == "sobol":
        from SALib.sample import sobol

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # SALib prefers powers of two
            return sobol.sample(problem, samples, calc_second_order=False, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)


def indices(runs: pd.DataFrame, plan: SensitivityPlan, level: float = 0.95) -> pd.DataFrame:
    """The indices of every metric (the rate of each category, then :data:`COST_METRICS`)."""
    runs = runs.sort_values("point")
    if runs["point"].tolist() != list(range(len(plan.points))):
        raise ValueError("sensitivity: runs are missing; run the plan to the end first")
    metrics = [f"rate_{c}" for c in plan.categories] + list(COST_METRICS)
    rows = []
    for metric in metrics:
        y = runs[metric].to_numpy(dtype=float) if metric in runs else np.zeros(len(runs))
        result = _analyze(plan, np.nan_to_num(y), level)
        for i, name in enumerate(plan.problem["names"]):
            cells = {k: float(result[k][i]) for k in COLUMNS[plan.method]}
            rows.append({"metric": metric, "parameter": name, **cells})
    return pd.DataFrame(rows, columns=["metric", "parameter", *COLUMNS[plan.method]])


def _analyze(plan: SensitivityPlan, y: np.ndarray, level: float) -> dict[str, np.ndarray]:
    d = plan.problem["num_vars"]
    if float(np.var(y)) == 0.0:  # nothing varied: no effect to find, no variance to share
        fill = np.nan if plan.method == "sobol" else 0.0
        return {k: np.full(d, fill) for k in COLUMNS[plan.method]}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if plan.method == "sobol":
            from SALib.analyze import sobol

            return sobol.analyze(
                plan.problem, y, calc_second_order=False, conf_level=level, seed=plan.base_seed
            )
        from SALib.analyze import morris

        return morris.analyze(
            plan.problem, plan.x, y, conf_level=level, num_levels=MORRIS_LEVELS,
            seed=plan.base_seed,
        )  # fmt: skip


def run_sensitivity(
    plan: SensitivityPlan,
    out: str | Path | None = None,
    backend: BackendName = "pool",
    workers: int | None = None,
    cluster: str | None = None,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run what is missing of the plan; return (runs, indices). With ``out``, write
    ``runs/``, ``indices.csv`` and ``plots/``.
    """
    outcome = execute(plan, out, backend, workers, cluster, progress)
    table = indices(outcome.runs, plan)
    if out is not None:
        text = table.to_csv(index=False, lineterminator="\n", float_format="%.6g")
        atomic_write(Path(out) / "indices.csv", text)
        write_index_plots(table, plan.method, out)
    return outcome.runs, table


def sensitivity(
    scenario: Scenario | str | Path,
    params: Mapping[str, tuple[float, float]] | None = None,
    samples: int | None = None,
    method: Method | None = None,
    backend: BackendName = "pool",
    workers: int | None = None,
    cluster: str | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Global sensitivity of the rates (and mission cost) to parameters over ranges.

    Parameters
    ----------
    scenario : Scenario or path
        The base scenario.
    params : mapping of dotted path to (low, high), optional
        Defaults to the scenario's ``[sensitivity.params]``.
    samples : int, optional
        Base samples (Sobol: ``samples x (D + 2)`` runs, a power of two is best; Morris:
        trajectories, ``samples x (D + 1)`` runs). Defaults to ``[sensitivity] samples``.
    method : {"sobol", "morris"}, optional
        Defaults to ``[sensitivity] method``.
    backend, workers, cluster, out, progress
        As for :func:`~sim.experiments.sweep`.

    Returns
    -------
    pandas.DataFrame
        ``indices.csv``: ``metric, parameter, S1, S1_conf, ST, ST_conf`` (Sobol) or
        ``metric, parameter, mu_star, mu_star_conf, sigma`` (Morris).

    Examples
    --------
    Two crossing jets under no protocol: the hotline's set-up time changes nothing, the
    length of the day cuts the flights short (fewer flight hours, the same near miss).

    >>> table = sensitivity("scenarios/two-jets.toml",
    ...                     {"protocol.hotline.setup_min": (1, 5), "duration_h": (0.1, 0.3)},
    ...                     samples=4, method="morris", backend="local")
    >>> mu = table[table.metric == "rate_near_miss"].set_index("parameter")["mu_star"]
    >>> float(mu["protocol.hotline.setup_min"]), bool(mu["duration_h"] > 0)
    (0.0, True)
    """
    plan = plan_sensitivity(_as_scenario(scenario), params, samples, method)
    return run_sensitivity(plan, out, backend, workers, cluster, progress)[1]


def write_index_plots(table: pd.DataFrame, method: str, out: str | Path) -> list[Path]:
    """``DIR/plots/indices_<metric>.png|svg``: one bar per parameter with its interval."""
    from matplotlib.figure import Figure

    paths = []
    for metric, sub in table.groupby("metric", sort=False):
        fig = Figure(figsize=(6.4, 0.5 + 0.45 * len(sub)), layout="constrained")
        ax = fig.subplots()
        y = np.arange(len(sub))
        if method == "sobol":
            ax.barh(y - 0.2, sub["ST"], 0.4, xerr=sub["ST_conf"], label="total (ST)")
            ax.barh(y + 0.2, sub["S1"], 0.4, xerr=sub["S1_conf"], label="first order (S1)")
            ax.set_xlabel("Sobol index (share of variance), 95 % bootstrap interval")
            ax.legend(loc="lower right", fontsize="small")
        else:
            ax.barh(y, sub["mu_star"], 0.6, xerr=sub["mu_star_conf"])
            ax.set_xlabel("Morris mu* (mean |elementary effect|), 95 % bootstrap interval")
        ax.set_yticks(y, sub["parameter"])
        ax.invert_yaxis()
        ax.set_title(metric)
        for fmt in ("png", "svg"):
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=120, metadata={"Date": None} if fmt == "svg" else {})
            path = Path(out) / "plots" / f"indices_{metric}.{fmt}"
            atomic_write(path, buf.getvalue())
            paths.append(path)
    return paths
