"""Experiments: parameter sweeps and paired comparisons, grids × replications.

A sweep runs one scenario at every point of a parameter grid (the cartesian product of the
values of each varied dotted path), ``replications`` times per point. Replication ``r`` runs
on seed ``SeedSequence([scenario.seed, r])`` at every point, so points are compared on common
random numbers. A run is a pure function of (scenario, seed), so the rows do not depend on
the backend that ran them: this process, a local process pool or a Dask cluster.

With an output directory the sweep is resumable: ``DIR/sweep.json`` fingerprints what is being
run (scenario, grid, replications, package version and code), and finished runs are flushed
in chunks to Parquet part files in ``DIR/runs/``; running the same sweep again runs only what
is missing. A row of ``DIR/runs`` holds ``point``, ``replication``, ``seed``, one column per
varied path, then the run's figures (see :func:`flatten_summary`).

The modules, each with one job:

- :mod:`~sim.experiments.plan` — varied values, grids, seeds and validated plans;
- :mod:`~sim.experiments.rows` — one run as one flat row of figures;
- :mod:`~sim.experiments.dataset` — the columns of the runs dataset and how they grow;
- :mod:`~sim.experiments.store` — the resumable sweep directory;
- :mod:`~sim.experiments.backends` — this process, a process pool or a Dask cluster;
- :mod:`~sim.experiments.execution` — running what is missing of a plan;
- :mod:`~sim.experiments.stats` — intervals, paired differences and pooled rates;
- :mod:`~sim.experiments.report` — per-point summaries and paired comparison reports;
- :mod:`~sim.experiments.power` — how many replications a question needs;
- :mod:`~sim.experiments.sequential` — paired days added until an interval is narrow enough;
- :mod:`~sim.experiments.sensitivity` — global sensitivity (Sobol, Morris) on common seeds;
- :mod:`~sim.experiments.plots` — the plots of a sweep;
- :mod:`~sim.experiments.sweeps`, :mod:`~sim.experiments.comparisons` — the entry points.

Examples
--------
>>> import sim
>>> jets = sim.load_scenario("scenarios/two-jets.toml")
>>> runs = sim.sweep(jets, vary={"duration_h": [0.5, 1]}, replications=2, backend="local")
>>> runs[["point", "replication", "duration_h", "entered_separation"]]
   point  replication  duration_h  entered_separation
0      0            0         0.5                   1
1      0            1         0.5                   1
2      1            0         1.0                   1
3      1            1         1.0                   1
"""

from sim.experiments.backends import (
    BackendName,
    MapFn,
    SweepError,
    dask_cluster,
    in_process,
    make_backend,
    process_pool,
)
from sim.experiments.comparisons import compare, run_compare
from sim.experiments.dataset import KEY, conform, evolve_schema, run_schema, tidy, to_table
from sim.experiments.execution import Progress, SweepOutcome, execute
from sim.experiments.plan import (
    FORMAT,
    GridPoint,
    RunTask,
    SweepPlan,
    expand_values,
    grid,
    parse_vary,
    plan_compare,
    plan_sweep,
    replication_seed,
)
from sim.experiments.plots import write_plots
from sim.experiments.power import (
    compare_replications,
    paired_power,
    point_replications,
    replications_needed,
)
from sim.experiments.report import compare_report, summarize_points, write_summary
from sim.experiments.rows import flatten_summary, run_task
from sim.experiments.sensitivity import (
    SensitivityPlan,
    parse_param,
    plan_sensitivity,
    run_sensitivity,
    sensitivity,
)
from sim.experiments.sequential import next_replications, sequential_compare, sequential_looks
from sim.experiments.stats import (
    Interval,
    PairedDifference,
    day_dispersion,
    mean_interval,
    paired_difference,
    pooled_rate,
    pooled_upper,
)
from sim.experiments.store import MANIFEST, RunStore, code_fingerprint
from sim.experiments.sweeps import run_sweep, sweep

__all__ = [
    "FORMAT",
    "KEY",
    "MANIFEST",
    "BackendName",
    "Interval",
    "MapFn",
    "PairedDifference",
    "GridPoint",
    "Progress",
    "RunStore",
    "RunTask",
    "SweepError",
    "SweepOutcome",
    "SweepPlan",
    "code_fingerprint",
    "compare_replications",
    "day_dispersion",
    "next_replications",
    "paired_power",
    "point_replications",
    "pooled_upper",
    "replications_needed",
    "sequential_compare",
    "SensitivityPlan",
    "parse_param",
    "plan_sensitivity",
    "run_sensitivity",
    "sensitivity",
    "sequential_looks",
    "compare",
    "compare_report",
    "conform",
    "dask_cluster",
    "evolve_schema",
    "execute",
    "expand_values",
    "flatten_summary",
    "grid",
    "in_process",
    "make_backend",
    "mean_interval",
    "paired_difference",
    "parse_vary",
    "plan_compare",
    "plan_sweep",
    "pooled_rate",
    "process_pool",
    "replication_seed",
    "run_compare",
    "run_schema",
    "run_sweep",
    "run_task",
    "summarize_points",
    "sweep",
    "tidy",
    "to_table",
    "write_plots",
    "write_summary",
]
