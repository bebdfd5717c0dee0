"""Sweeps and comparisons: grids, seeds, backends, the resumable store and the CLI."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim import experiments as ex
from sim.cli import app
from sim.errors import InputError
from sim.scenario import load

MOU = "scenarios/mou-2015.toml"
JETS = "scenarios/two-jets.toml"


def without_wall(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=["wall_s"]).reset_index(drop=True)


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


# --------------------------------------------------------------------------- grids and seeds


def test_parse_vary_lists_forms_and_arrays() -> None:
    assert ex.parse_vary("traffic.scale=0.5,1,2") == ("traffic.scale", [0.5, 1, 2])
    assert ex.parse_vary("protocol=none, mou-2015") == ("protocol", ["none", "mou-2015"])
    assert ex.parse_vary("x=linspace(0, 1, 5)") == ("x", [0.0, 0.25, 0.5, 0.75, 1.0])
    assert ex.parse_vary("x=linspace(0, 60, 5)") == ("x", [0, 15, 30, 45, 60])
    assert ex.parse_vary("x=range(0,60,15)") == ("x", [0, 15, 30, 45])
    assert ex.parse_vary("x=range(0.1, 0.4, 0.1)") == ("x", [0.1, 0.2, 0.3])
    assert ex.parse_vary("a=[20000, 30000],[1, 2]") == ("a", [[20000, 30000], [1, 2]])
    assert ex.parse_vary('a="x,y",z') == ("a", ["x,y", "z"])


@pytest.mark.parametrize(
    "text", ["traffic.scale", "x=", "x=1,,2", "x=linspace(0,1)", "x=range(0,1,0)", "x=range(a,b)"]
)
def test_parse_vary_rejects_malformed(text: str) -> None:
    with pytest.raises(InputError, match="--vary"):
        ex.parse_vary(text)


def test_grid_is_the_cartesian_product_first_path_slowest() -> None:
    points = ex.grid({"a": [1, 2], "b": "linspace(0, 1, 3)"})
    assert len(points) == 6
    assert points[0] == {"a": 1, "b": 0.0} and points[3] == {"a": 2, "b": 0.0}


def test_seeds_depend_on_scenario_seed_and_replication_only() -> None:
    seeds = [ex.replication_seed(1, r) for r in range(50)]
    assert len(set(seeds)) == 50
    assert seeds == [ex.replication_seed(1, r) for r in range(50)]
    assert ex.replication_seed(2, 0) != seeds[0]


# --------------------------------------------------------------------------- validation


def test_every_point_is_validated_before_running(tmp_path: Path) -> None:
    scen = load(JETS)
    with pytest.raises(InputError) as err:
        ex.plan_sweep(scen, {"duration_h": [1, -1, 0], "traffic.scal": [1]})
    text = "\n".join(err.value.problems)
    assert "traffic.scal" in text
    with pytest.raises(InputError) as err:
        ex.plan_sweep(scen, {"duration_h": [1, -1]})
    assert "duration_h" in err.value.problems[0] and "-1" in err.value.problems[0]
    with pytest.raises(InputError, match="seed"):
        ex.plan_sweep(scen, {"seed": [1, 2]})
    with pytest.raises(InputError, match="replications"):
        ex.plan_sweep(scen, {}, replications=0)


def test_cli_reports_bad_vary_in_one_line_and_runs_nothing(tmp_path: Path) -> None:
    out = tmp_path / "s"
    code, text = cli("sweep", JETS, "--vary", "protocol.hotline.operatorz=1,2", "--out", str(out))
    assert code == 2
    assert "protocol.hotline.operatorz" in text and "Traceback" not in text
    assert not out.exists()
    code, text = cli(
        "sweep", JETS, "--vary", "duration_h=1", "--vary", "duration_h=2", "--out", str(out)
    )
    assert code == 2 and "more than once" in text
    code, text = cli("sweep", JETS, "--workers", "0", "--out", str(out))
    assert code == 2 and "--workers" in text
    assert not out.exists()


# --------------------------------------------------------------------------- backends


def test_backends_give_identical_rows() -> None:
    """In-process, a 2-process pool and a Dask LocalCluster of 2 workers: same rows."""
    scen = load(MOU, {"duration_h": 4})
    vary = {"traffic.scale": [1, 2]}
    local = ex.sweep(scen, vary=vary, replications=3, backend="local")
    pool = ex.sweep(scen, vary=vary, replications=3, backend="pool", workers=2)
    dask = ex.sweep(scen, vary=vary, replications=3, cluster="local", workers=2)
    assert len(local) == 6 and local["flights"].gt(0).all()
    pd.testing.assert_frame_equal(without_wall(local), without_wall(pool))
    pd.testing.assert_frame_equal(without_wall(local), without_wall(dask))
    # Common random numbers: replication r has the same seed at every point.
    seeds = local.pivot(index="replication", columns="point", values="seed")
    assert (seeds[0] == seeds[1]).all()
    assert local["seed"].tolist()[:3] == [ex.replication_seed(scen.seed, r) for r in range(3)]


@settings(max_examples=200, deadline=None)
@given(
    points=st.lists(st.integers(1, 30), min_size=1, max_size=5),
    workers=st.integers(1, 8),
    fixed=st.one_of(st.none(), st.integers(1, 10)),
)
def test_dask_batches_cover_every_run_once_within_one_point(
    points: list[int], workers: int, fixed: int | None
) -> None:
    """Batches keep the runs' order, never span two points, stay within BATCH_MAX (or the
    fixed size) and, guided, shrink to single runs at the end, so no worker waits on another's
    last batch."""
    from sim.experiments.backends import BATCH_MAX, _batches

    scenarios = [object() for _ in points]
    tasks = [
        ex.RunTask(p, r, r, scenarios[p])  # type: ignore[arg-type]
        for p, n in enumerate(points)
        for r in range(n)
    ]
    batches = list(_batches(tasks, fixed, workers))
    assert [t for b in batches for t in b] == tasks
    assert all(len({id(t.scenario) for t in b}) == 1 for b in batches)
    assert all(1 <= len(b) <= (fixed or BATCH_MAX) for b in batches)
    if not fixed:
        one_point = list(_batches(tasks[: points[0]], None, workers))
        sizes = [len(b) for b in one_point]
        assert sizes == sorted(sizes, reverse=True) and sizes[-1] == 1


# --------------------------------------------------------------------------- store


def test_sweep_dir_outputs_and_pooled_rate(tmp_path: Path) -> None:
    out = tmp_path / "s"
    code, text = cli(
        "sweep",
        MOU,
        "--set",
        "duration_h=4",
        "--vary",
        "traffic.scale=1,2",
        "--vary",
        "protocol=none,mou-2015",
        "--replications",
        "2",
        "--workers",
        "1",
        "--out",
        str(out),
    )
    assert code == 0, text
    runs = pd.read_parquet(out / "runs").sort_values(["point", "replication"])
    assert list(runs.columns[:5]) == ["point", "replication", "seed", "traffic.scale", "protocol"]
    assert len(runs) == 8 and set(runs["protocol"]) == {"none", "mou-2015"}
    for col in (
        "flights",
        "flight_hours",
        "n_separation",
        "entered_nmac",
        "rate_near_miss",
        "comms_hotline_calls",
        "wall_s",
    ):
        assert col in runs.columns
    summary = pd.read_csv(out / "summary.csv")
    assert summary["n"].tolist() == [2, 2, 2, 2]
    for _, row in summary.iterrows():
        sub = runs[runs["point"] == row["point"]]
        pooled = sub["entered_separation"].sum() / sub["flight_hours"].sum() * 1000
        assert row["pooled_rate_separation"] == pytest.approx(pooled)
        assert row["mean_rate_separation"] == pytest.approx(sub["rate_separation"].mean())
    for name in ("rate_vs_traffic.scale", "rate_vs_protocol"):
        assert (out / "plots" / f"{name}.png").stat().st_size > 0
        assert (out / "plots" / f"{name}.svg").stat().st_size > 0
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["replications"] == 2 and len(manifest["points"]) == 4


def test_finished_sweep_does_nothing_and_other_sweeps_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "s"
    args = ["sweep", JETS, "--vary", "duration_h=0.5,1", "--replications", "2", "--out", str(out)]
    assert cli(*args)[0] == 0
    parts = sorted(p.name for p in (out / "runs").iterdir())
    code, text = cli(*args)
    assert code == 0 and "nothing to do" in text
    assert sorted(p.name for p in (out / "runs").iterdir()) == parts
    for changed in (["--replications", "3"], ["--set", "traffic.scale=2"]):
        code, text = cli(*args, *changed)
        assert code == 2 and "new --out" in text, text
    manifest = json.loads((out / "sweep.json").read_text())
    (out / "sweep.json").write_text(json.dumps({**manifest, "code": "edited"}))
    code, text = cli(*args)
    assert code == 2 and "code has changed" in text
    (out / "sweep.json").write_text(json.dumps(manifest))
    with open(out / ".lock") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        code, text = cli(*args)
    assert code == 2 and "another sweep is writing" in text
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    code, text = cli("sweep", JETS, "--out", str(tmp_path / "other"))
    assert code == 2 and "not a sweep directory" in text


def fake_row(point: int, replication: int, **figures: float) -> dict[str, float]:
    return {
        "point": point,
        "replication": replication,
        "seed": 7,
        "flights": 2,
        "missiles": 0,
        "flight_hours": 1.5,
        "wall_s": 0.1,
        **figures,
    }


def test_store_grows_columns_and_rewrites_saved_parts(tmp_path: Path) -> None:
    """A figure first seen in a later chunk becomes a column of every part (0 where absent);
    a fractional value widens an integer column; a rewrite cut short is finished on open."""
    plan = ex.plan_sweep(load(JETS), {"duration_h": [0.5, 1]}, 2)
    with ex.RunStore(tmp_path).session(plan) as store:
        store.write([plan.row(fake_row(0, 0))])
        store.write([plan.row(fake_row(0, 1, effect_new=3))])
        store.write([plan.row(fake_row(1, 0, effect_new=1.5))])
    runs = ex.tidy(pd.read_parquet(tmp_path / "runs"))
    assert runs["effect_new"].tolist() == [0.0, 3.0, 1.5]
    assert runs["comms_radio_call"].tolist() == [0, 0, 0]
    assert runs["duration_h"].tolist() == [0.5, 0.5, 1.0]
    schemas = {str(pq.read_schema(p)) for p in (tmp_path / "runs").glob("part-*.parquet")}
    assert len(schemas) == 1
    assert list(runs.columns[-2:]) == ["effect_new", "wall_s"]
    # A part left with the old columns (killed mid-rewrite) is conformed on the next open.
    old = pq.read_table(tmp_path / "runs" / "part-000000.parquet").drop_columns(["effect_new"])
    pq.write_table(old, tmp_path / "runs" / "part-000000.parquet")
    with ex.RunStore(tmp_path).session(plan) as store:
        assert store.done_keys() == {(0, 0), (0, 1), (1, 0)}
    assert pd.read_parquet(tmp_path / "runs")["effect_new"].notna().all()


def test_interrupted_sweep_resumes_to_the_same_dataset(tmp_path: Path) -> None:
    """SIGKILL a real sweep process (and its workers) once part files exist, resume it, and
    get exactly the rows of an uninterrupted sweep."""
    out = tmp_path / "killed"
    args = f"sweep {MOU} --set protocol=none --set duration_h=8 --vary traffic.scale=0.5,1"
    cmd = [
        sys.executable,
        "-m",
        "sim.cli",
        *args.split(),
        "--replications",
        "40",
        "--workers",
        "2",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while not list((out / "runs").glob("part-*.parquet")) and proc.poll() is None:
            assert time.monotonic() < deadline, "no part file appeared"
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    saved = pd.read_parquet(out / "runs")
    assert 0 < len(saved) < 80, "the sweep was not interrupted part-way"
    resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{80 - len(saved)} new" in resumed.stdout.replace("\n", " ")
    got = pd.read_parquet(out / "runs").sort_values(["point", "replication"])
    scen = load(MOU, {"protocol": "none", "duration_h": 8})
    ref = ex.sweep(scen, vary={"traffic.scale": [0.5, 1]}, replications=40, workers=2)
    assert len(got) == 80 and not got.duplicated(["point", "replication"]).any()
    pd.testing.assert_frame_equal(without_wall(got), without_wall(ref))


# --------------------------------------------------------------------------- compare


def test_compare_with_itself_is_zero_and_not_significant(tmp_path: Path) -> None:
    code, text = cli(
        "compare",
        MOU,
        MOU,
        "--set",
        "duration_h=4",
        "--replications",
        "3",
        "--workers",
        "1",
        "--out",
        str(tmp_path / "c"),
    )
    assert code == 0, text
    report = json.loads((tmp_path / "c" / "compare.json").read_text())
    assert report["replications"] == 3 and len(report["seeds"]) == 3
    for cat in report["categories"].values():
        assert cat["mean_diff"] == 0.0 and not cat["significant"]
        assert cat["counts"]["mean_diff"] == 0.0 and not cat["counts"]["significant"]
    assert "B - A" in text


def test_compare_doubled_traffic_increases_separation_significantly() -> None:
    base = load(MOU, {"protocol": "none"})
    report = ex.compare(base, base.with_overrides({"traffic.scale": 2}), replications=16, workers=2)
    sep = report["categories"]["separation"]
    assert sep["counts"]["mean_diff"] > 0 and sep["counts"]["significant"]
    assert sep["counts"]["ci_low"] > 0
    assert sep["counts"]["total_b"] > sep["counts"]["total_a"]
    assert np.isclose(sep["mean_diff"], sep["mean_b"] - sep["mean_a"])


@pytest.mark.slow
def test_compare_none_with_mou_over_200_replications(tmp_path: Path) -> None:
    """The headline comparison: the MOU lowers the near-miss rate of the default day's
    chance encounters (intercepts, which `none` does not fly at all, are counted apart)."""
    from sim.experiments import compare

    a = load("scenarios/mou-2015.toml", {"protocol": "none"})
    b = load("scenarios/mou-2015.toml")
    report = compare(a, b, replications=200, workers=2, out=tmp_path / "cmp")
    near = report["categories"]["near_miss"]["by_cause"]["chance"]
    assert near["significant"] and near["ci_high"] < 0, near
    assert report["categories"]["near_miss"]["by_cause"]["intercept"]["counts"]["total_a"] == 0
