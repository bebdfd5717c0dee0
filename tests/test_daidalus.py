"""The detector's closest points of approach against NASA DAIDALUS encounters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.encounters import DEFAULT_CATEGORIES, Detector, Leg
from sim.units import FT

HERE = Path(__file__).resolve()
CANDIDATES = (
    HERE.parent / "data" / "daidalus_cases.json",
    HERE.parents[2] / "shared" / "validation" / "daidalus" / "cases.json",
)


def load_cases() -> list[dict]:
    for path in CANDIDATES:
        if path.exists():
            return json.loads(path.read_text())["cases"]
    raise FileNotFoundError(f"DAIDALUS cases not found in {[str(p) for p in CANDIDATES]}")


CASES = load_cases()


def fly(case: dict) -> list:
    """Ownship from the origin at t = 0, intruder from its offset; long straight legs."""
    g, tcpa = case["geometry"], case["expected"]["tcpa_s"]
    end = 2 * tcpa + 600
    (ovx, ovy), (ivx, ivy), (ix, iy) = g["own_v_mps"], g["int_v_mps"], g["int_pos_m"]
    zo, zi = g["own_alt_ft"] * FT, g["int_alt_ft"] * FT
    det = Detector()
    det.add_leg("ownship", "coalition", Leg(0.0, end, 0.0, 0.0, zo, ovx * end, ovy * end, zo))
    det.add_leg("intruder", "russia", Leg(0.0, end, ix, iy, zi, ix + ivx * end, iy + ivy * end, zi))
    return det.finish()


def expected_category(dcpa_m: float, dz_m: float) -> str:
    """The most severe cylinder holding the closest point (level flight: that is the grade)."""
    for c in DEFAULT_CATEGORIES:
        if dcpa_m < c.radius_m and dz_m < c.half_height_m:
            return c.name
    raise AssertionError("not an encounter")


def test_cases_are_present() -> None:
    assert len(CASES) >= 7
    assert sum(c["derived"] is not None for c in CASES) == 2


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["derived"] is None], ids=lambda c: c["name"]
)
def test_matches_daidalus_cpa(case: dict) -> None:
    want = case["expected"]
    (enc,) = fly(case)
    assert (enc.a_id, enc.b_id) == ("intruder", "ownship")
    assert enc.t_cpa_s == pytest.approx(want["tcpa_s"], abs=0.5)
    assert enc.min_horizontal_m == pytest.approx(want["dcpa_m"], abs=1.0)
    assert enc.vertical_at_cpa_m == pytest.approx(want["dz_m"], abs=1.0)
    assert enc.category == expected_category(want["dcpa_m"], want["dz_m"])
    assert enc.t_start_s < enc.t_cpa_s < enc.t_end_s


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["derived"] is not None], ids=lambda c: c["name"]
)
def test_derived_cases_report_nothing(case: dict) -> None:
    assert fly(case) == []
