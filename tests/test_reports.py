"""What sweeps and compares report: upper bounds where nothing was seen, days needed, cost."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

import sim.experiments as ex
from sim import tables
from sim.cli import app
from sim.intervals import poisson_upper
from sim.scenario import load

REPEAT = "tests/data/repeat-meetings.toml"


def _text(table: object) -> str:
    console = Console(width=250, record=True)
    console.print(table)
    return console.export_text()


def test_compare_gives_upper_bounds_and_no_zero_width_interval(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        ["compare", REPEAT, REPEAT, "--set", "duration_h=2", "--set-b", "traffic.scale=0.5",
         "--replications", "4", "--workers", "1", "--out", str(tmp_path / "c")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "c" / "compare.json").read_text())
    for c in report["categories"].values():
        assert c["a_upper_95"] > 0 and c["b_upper_95"] > 0
        assert "replications_needed" in c
    nmac = report["categories"]["nmac"]
    assert nmac["counts"]["total_a"] == nmac["counts"]["total_b"] == 0  # on these seeds
    assert nmac["ci_low"] < 0 < nmac["ci_high"] and not nmac["significant"]
    assert "none in 4 days, <" in _text(tables.compare_table(report))
    assert "+0.00 [+0.00, +0.00]" not in _text(tables.compare_table(report))
    assert set(report["mission_cost"]) == {
        "extra_flight_min", "hold_min", "strikes_displaced", "strikes_dropped"
    }  # fmt: skip


def test_upper_bound_of_nothing_seen_allows_for_clustering_between_days() -> None:
    """A category never entered, while the widest varies more than Poisson between days: its
    bound is the rule of three times that dispersion, so never below the Poisson bound."""
    scen = load(REPEAT, {"duration_h": 2})
    runs = ex.sweep(scen, replications=6, backend="local")
    plan = ex.plan_sweep(scen, replications=6)
    row = ex.summarize_points(runs, plan).iloc[0]
    fh = runs["flight_hours"].to_numpy()
    phi = ex.day_dispersion(runs["entered_separation"], fh)
    for c in plan.categories:
        poisson = poisson_upper(row[f"entered_{c}"], fh.sum() / 1000)
        assert row[f"upper_95_{c}"] >= poisson - 1e-12
        if row[f"entered_{c}"] == 0:
            assert row[f"upper_95_{c}"] == pytest.approx(poisson_upper(0, fh.sum() / 1000, phi))
    assert row["replications_needed_separation"] >= 2
    assert np.isfinite(row["mean_extra_flight_min"])
