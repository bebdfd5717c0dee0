"""The engine end to end: exact two-jet geometry, determinism, output files."""

from __future__ import annotations

import csv
import gc
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim import geo
from sim.cli import app
from sim.engine import simulate
from sim.scenario import load
from sim.state import Run
from sim.streams import Streams
from sim.traffic import plan_flights
from sim.units import FT, KT


def _hand_cpa() -> dict[str, float]:
    """Closest approach of the two-jets crossing, from plain vector algebra in the plane."""
    a0 = np.array(geo.to_xy(35.0, 37.9))
    a1 = np.array(geo.to_xy(35.0, 39.1))
    b0 = np.array(geo.to_xy(34.5, 38.55))
    b1 = np.array(geo.to_xy(35.5, 38.55))
    va = (a1 - a0) / np.linalg.norm(a1 - a0) * 450 * KT
    vb = (b1 - b0) / np.linalg.norm(b1 - b0) * 480 * KT
    # b departs at t = 30 s: position of b at t is b0 + vb (t - 30)
    p = (b0 - vb * 30.0) - a0
    v = vb - va
    t = -float(p @ v) / float(v @ v)
    d = float(np.linalg.norm(p + v * t))
    return {"t": t, "d": d, "dz": 600 * FT}


def test_two_jets_matches_hand_geometry(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["run", "scenarios/two-jets.toml", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader((out / "encounters.csv").open()))
    assert len(rows) == 1
    row, hand = rows[0], _hand_cpa()
    assert (row["a_id"], row["b_id"]) == ("RU-Su30", "US-F16")
    assert abs(float(row["t_cpa_s"]) - hand["t"]) < 0.01
    assert abs(float(row["min_horizontal_m"]) - hand["d"]) < 0.01
    assert abs(float(row["vertical_at_cpa_m"]) - hand["dz"]) < 0.01
    assert row["category"] == ("near_miss" if hand["d"] < 1852 else "separation")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["flights"] == 2
    assert summary["encounters"]["near_miss"] == 1
    assert "near_miss" in res.output


def test_explicit_flight_flown_exactly() -> None:
    result = simulate(load("scenarios/two-jets.toml"))
    f16 = next(f for f in result.flights if f.id == "US-F16")
    a0, a1 = geo.to_xy(35.0, 37.9), geo.to_xy(35.0, 39.1)
    assert f16.takeoff_s == 0.0
    assert math.isclose(f16.landing_s, math.dist(a0, a1) / (450 * KT), rel_tol=1e-12)
    legs = [leg for fid, leg in result.legs if fid == "US-F16"]
    assert len(legs) == 1 and math.isclose(legs[0].z0_m, 25000 * FT)


def _files(tmp_path: Path, name: str, *args: str) -> dict[str, bytes]:
    out = tmp_path / name
    res = CliRunner().invoke(
        app, ["run", "scenarios/mou-2015.toml", "--out", str(out), "--set", "duration_h=6", *args]
    )
    assert res.exit_code == 0, res.output
    return {f: (out / f).read_bytes() for f in ("encounters.csv", "flights.csv", "events.csv")}


def test_same_seed_same_bytes_different_seed_differs(tmp_path: Path) -> None:
    a = _files(tmp_path, "a", "--seed", "7")
    b = _files(tmp_path, "b", "--seed", "7")
    c = _files(tmp_path, "c", "--seed", "8")
    assert a == b
    assert a["flights.csv"] != c["flights.csv"]


def test_default_day_is_plausible() -> None:
    result = simulate(load("scenarios/mou-2015.toml"), seed=3)
    sides = {f.side for f in result.flights}
    assert sides == {"coalition", "russia"}
    aircraft = [f for f in result.flights if f.kind != "missile"]
    assert 100 < len(aircraft) < 250
    for f in result.flights:
        assert 0 <= f.takeoff_s <= f.landing_s <= 24 * 3600
    # legs are continuous in space and time for each flight
    by_id: dict[str, list] = {}
    for fid, leg in result.legs:
        by_id.setdefault(fid, []).append(leg)
    for legs in by_id.values():
        for prev, nxt in zip(legs, legs[1:], strict=False):
            assert math.isclose(prev.t1_s, nxt.t0_s, abs_tol=1e-6)
            assert math.dist((prev.x1_m, prev.y1_m), (nxt.x0_m, nxt.y0_m)) < 1e-3


def test_traffic_is_common_to_protocol_overrides() -> None:
    """Traffic planning draws only from its own stream: other settings don't change it."""
    a = simulate(load("scenarios/mou-2015.toml", {"duration_h": 6}), seed=5)
    b = simulate(
        load("scenarios/mou-2015.toml", {"duration_h": 6, "protocol.hotline.operators": 4}), seed=5
    )
    assert [(f.id, f.takeoff_s) for f in a.flights] == [(f.id, f.takeoff_s) for f in b.flights]


def test_scale_multiplies_tempo() -> None:
    """Planned sorties grow with ``traffic.scale`` (Poisson: within a few standard errors)."""

    def planned(scale: float) -> int:
        s = load("scenarios/mou-2015.toml", {"traffic.scale": scale})
        return sum(len(plan_flights(s, Streams(seed)["traffic"])) for seed in range(10))

    n1, n3 = planned(1), planned(3)
    assert abs(n3 - 3 * n1) < 4 * (3 * n3) ** 0.5, (n1, n3)
    assert planned(0) == 0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["coalition", "russia"]))))
def test_airborne_lists_the_flights_in_the_air_in_id_order(moves: list[tuple[int, str]]) -> None:
    """Take-offs and landings in any order: `Run.airborne` is ``in_air`` sorted by id."""
    run = Run(None, None, None, None, None)  # type: ignore[arg-type]
    sides: dict[str, str] = {}
    for n, side in moves:
        fid = f"F-{n}"
        flight = SimpleNamespace(id=fid, side=sides.setdefault(fid, side))
        if fid in run.in_air:
            run.touch_down(flight)  # type: ignore[arg-type]
        else:
            run.take_off(flight)  # type: ignore[arg-type]
        for s in (None, "coalition", "russia"):
            plain = [run.in_air[i] for i in sorted(run.in_air)]
            plain = [f for f in plain if s is None or f.side == s]
            assert run.airborne(s) == plain


def test_a_run_leaves_the_collector_as_it_found_it() -> None:
    """Objects set aside from the collector during a run are handed back; a process's own
    frozen objects stay frozen; the run is the same either way."""
    scen = load(Path("scenarios/two-jets.toml"))
    assert gc.get_freeze_count() == 0
    plain = repr(simulate(scen, seed=1).encounters)
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert repr(simulate(scen, seed=1).encounters) == plain
        assert 0 < gc.get_freeze_count() <= frozen  # some may have been freed meanwhile
    finally:
        gc.unfreeze()
