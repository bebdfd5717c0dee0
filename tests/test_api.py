"""The public API: plain functions, importable without the heavy dependencies."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pandas as pd

import sim

JETS = "scenarios/two-jets.toml"


def test_api_names_are_plain_functions() -> None:
    for name in ("load_scenario", "run", "sweep", "compare"):
        assert inspect.isfunction(getattr(sim, name)), name


def test_import_sim_stays_light() -> None:
    code = (
        "import sim, sys; "
        "print(sorted(m for m in ('pandas', 'matplotlib', 'dask', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_sweep_returns_a_dataframe_of_runs() -> None:
    runs = sim.sweep(JETS, vary={"duration_h": [0.5, 1]}, replications=2, backend="local")
    assert isinstance(runs, pd.DataFrame)
    assert runs[["point", "replication"]].values.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert runs["duration_h"].tolist() == [0.5, 0.5, 1.0, 1.0]
    assert runs["entered_separation"].tolist() == [1, 1, 1, 1]


def test_compare_returns_the_paired_report() -> None:
    report = sim.compare(JETS, sim.load_scenario(JETS), replications=2, backend="local")
    assert report["replications"] == 2 and len(report["seeds"]) == 2
    assert report["a"]["scenario"] == report["b"]["scenario"]
    assert set(report["categories"]) >= {"separation", "near_miss"}
    for cat in report["categories"].values():
        assert cat["mean_diff"] == 0.0 and not cat["significant"]
        assert cat["counts"]["total_a"] == cat["counts"]["total_b"]
