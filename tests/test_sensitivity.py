"""Global sensitivity on common random numbers: an inert parameter gets an index of zero."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import sim.experiments as ex
from sim.cli import app
from sim.scenario import load

REPEAT = "tests/data/repeat-meetings.toml"
INERT = "protocol.hotline.setup_min"  # no hotline under protocol none


def test_inert_parameter_gets_a_zero_index_and_an_active_one_does_not(tmp_path: Path) -> None:
    scen = load(REPEAT, {"duration_h": 3})
    params = {INERT: (1.0, 5.0), "traffic.scale": (0.3, 1.5)}
    plan = ex.plan_sensitivity(scen, params, samples=16, method="sobol")
    assert plan.n_runs == 16 * (2 + 2) and plan.block == 4
    out = tmp_path / "sens"
    runs, table = ex.run_sensitivity(plan, out, backend="local")
    # every base sample's variants share one seed; base samples have different seeds
    seeds = runs.groupby("sample")["seed"].nunique()
    assert (seeds == 1).all() and runs.groupby("sample")["seed"].first().nunique() == 16
    sep = table[table.metric == "rate_separation"].set_index("parameter")
    assert sep.loc[INERT, "ST"] == pytest.approx(0.0, abs=1e-12)
    assert sep.loc[INERT, "S1"] == pytest.approx(0.0, abs=1e-12)
    assert sep.loc["traffic.scale", "ST"] > 0.5
    # the files
    saved = pd.read_csv(out / "indices.csv")
    assert list(saved.columns) == ["metric", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(pd.read_parquet(out / "runs")) == plan.n_runs
    assert (out / "plots" / "indices_rate_separation.png").stat().st_size > 0
    # resumable: nothing runs again, the same indices come out
    again = ex.run_sensitivity(plan, out, backend="local")[1]
    pd.testing.assert_frame_equal(again, table)


def test_morris_screens_out_the_inert_parameter() -> None:
    scen = load(REPEAT, {"duration_h": 3})
    table = ex.sensitivity(
        scen, {INERT: (1, 5), "traffic.scale": (0.3, 1.5)}, 6, "morris", backend="local"
    )
    assert list(table.columns) == ["metric", "parameter", "mu_star", "mu_star_conf", "sigma"]
    sep = table[table.metric == "rate_separation"].set_index("parameter")
    assert sep.loc[INERT, "mu_star"] == 0.0 and sep.loc[INERT, "sigma"] == 0.0
    assert sep.loc["traffic.scale", "mu_star"] > 0


def test_parameters_from_the_scenario_and_whole_numbers_stay_whole(tmp_path: Path) -> None:
    text = Path(REPEAT).read_text() + (
        '\n[sensitivity]\nsamples = 4\nmethod = "morris"\n'
        '[sensitivity.params]\n"protocol.hotline.operators" = [1, 4]\n"traffic.scale" = [0.5, 1]\n'
    )
    path = tmp_path / "s.toml"
    path.write_text(text)
    plan = ex.plan_sensitivity(load(path))
    assert plan.method == "morris" and plan.samples == 4
    ops = {p.values["protocol.hotline.operators"] for p in plan.points}
    assert ops <= {1, 2, 3, 4} and all(isinstance(v, int) for v in ops)
    # the sensitivity table is not part of what a run depends on
    assert plan.points[0].scenario.protocol.hotline.operators in ops


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--param", "traffic.scale=2:1"], "LOW must be below HIGH"),
        (["--param", "traffic.scale"], "expected PATH=LOW:HIGH"),
        (["--param", "traffic.scale=0:1", "--method", "fast"], "'sobol' or 'morris'"),
        (["--param", "traffic.scael=0:1"], "traffic.scael"),
    ],
)
def test_cli_rejects_bad_ranges_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    res = CliRunner().invoke(
        app, ["sensitivity", REPEAT, "--samples", "2", "--out", str(tmp_path / "o"), *args]
    )
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output


@pytest.mark.slow
def test_mou_benefit_hangs_on_controller_delay_and_notification_not_keep_out(
    tmp_path: Path,
) -> None:
    """The issue's check: on the default day, 64 Sobol samples, the separation rate's total
    indices rank the controllers' delay and notification compliance above keep-out
    compliance."""
    params = {
        "protocol.notification.compliance": (0.0, 1.0),
        "protocol.keep_out.compliance": (0.0, 1.0),
        "protocol.separation.controller_delay_s": (30.0, 600.0),
    }
    table = ex.sensitivity("scenarios/mou-2015.toml", params, 64, "sobol", workers=2)
    st = table[table.metric == "rate_separation"].set_index("parameter")["ST"]
    keep = st["protocol.keep_out.compliance"]
    assert st["protocol.separation.controller_delay_s"] > keep
    assert st["protocol.notification.compliance"] > keep
    assert np.isfinite(st).all()
