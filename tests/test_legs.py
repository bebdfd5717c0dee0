"""legs.csv: every straight leg flown, in latitude/longitude, read back into the plane."""

from __future__ import annotations

import csv
import dataclasses
import functools
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app
from sim.encounters import Leg
from sim.engine import simulate
from sim.errors import InputError
from sim.output import LEG_COLUMNS, legs_csv, read_legs
from sim.records import RunResult
from sim.scenario import load
from sim.units import FT

ROUND_TRIP_M = 0.1
"""Positions are written to six decimals of a degree: half a unit of the last decimal is at
most 0.056 m of latitude and 0.050 m of longitude south of 37° N (0.046 m at 35° N), under
0.075 m together; the plane's scale stays within 2 % of true 2,000 km from its centre (the
farthest a leg goes, the bombers from Engels), so 0.1 m bounds the error of a round trip."""
ROUND_TRIP_FT = 1e-5  # altitudes to six decimals of a foot


def _by_time(result: RunResult) -> list[tuple[str, Leg]]:
    return sorted(result.legs, key=lambda r: (r[1].t0_s, r[0]))


def _assert_same(ours: list[tuple[str, Leg]], back: list[tuple[str, Leg]]) -> None:
    assert [a for a, _ in ours] == [a for a, _ in back]
    for (_, a), (_, b) in zip(ours, back, strict=True):
        assert abs(a.t0_s - b.t0_s) < 1e-6 and abs(a.t1_s - b.t1_s) < 1e-6
        assert math.hypot(a.x0_m - b.x0_m, a.y0_m - b.y0_m) < ROUND_TRIP_M
        assert math.hypot(a.x1_m - b.x1_m, a.y1_m - b.y1_m) < ROUND_TRIP_M
        assert abs(a.z0_m - b.z0_m) < ROUND_TRIP_FT * FT
        assert abs(a.z1_m - b.z1_m) < ROUND_TRIP_FT * FT


def test_every_run_out_writes_legs_csv_that_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["run", "scenarios/mou-2015.toml", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "legs.csv" in res.output
    with (out / "legs.csv").open() as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == LEG_COLUMNS
    result = simulate(load("scenarios/mou-2015.toml"), 1)
    assert len(rows) - 1 == len(result.legs) > 1000
    keys = [(float(r[1]), r[0]) for r in rows[1:]]
    assert keys == sorted(keys)
    _assert_same(_by_time(result), read_legs(out / "legs.csv"))


def test_legs_are_where_the_detector_saw_them() -> None:
    """Two crossing jets: each flies one leg; the file has their route in lat/lon and feet."""
    scenario = load("scenarios/two-jets.toml")
    result = simulate(scenario)
    text = legs_csv(result)
    rows = {r["id"]: r for r in csv.DictReader(text.splitlines())}
    for flight in scenario.flights:
        row = rows[flight.id]
        start, end = flight.route[0], flight.route[-1]
        assert float(row["t0_s"]) == flight.depart_s
        assert float(row["lat0"]) == pytest.approx(start.lat, abs=1e-6)
        assert float(row["lon1"]) == pytest.approx(end.lon, abs=1e-6)
        assert float(row["alt0_ft"]) == pytest.approx(start.alt_ft, abs=1e-6)


coords = st.floats(-1.9e6, 1.9e6)


@functools.cache
def _two_jets() -> RunResult:
    return simulate(load(Path(__file__).resolve().parent.parent / "scenarios" / "two-jets.toml"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C-1"]),
            st.floats(0, 86400),
            st.floats(0, 7200),
            coords,
            coords,
            st.floats(0, 15000),
            coords,
            coords,
            st.floats(0, 15000),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_legs_round_trip(legs: list[tuple]) -> None:
    made = [
        (aid, Leg(t0, t0 + d, x0, y0, z0, x1, y1, z1))
        for aid, t0, d, x0, y0, z0, x1, y1, z1 in legs
    ]
    fake = dataclasses.replace(_two_jets(), legs=tuple(made))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "legs.csv"
        path.write_text(legs_csv(fake))
        _assert_same(sorted(made, key=lambda r: (r[1].t0_s, r[0])), read_legs(path))


def test_read_legs_names_what_is_wrong(tmp_path: Path) -> None:
    bad = tmp_path / "legs.csv"
    bad.write_text("id,t0_s,t1_s,lat0,lon0\nA,0,1,35,38\n")
    with pytest.raises(InputError, match=r"legs.csv: missing column\(s\) alt0_ft, lat1"):
        read_legs(bad)
    bad.write_text(",".join(LEG_COLUMNS) + "\nA,0,1,35,38,0,36,x,0\n")
    with pytest.raises(InputError, match="line 2: lon1: expected a number, got 'x'"):
        read_legs(bad)
    with pytest.raises(InputError, match="cannot read"):
        read_legs(tmp_path / "none.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(LEG_COLUMNS) + "\n")
    assert read_legs(empty) == []
