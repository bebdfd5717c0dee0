"""Flight levels, altitude-keeping errors and attack profiles of generated sorties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from sim import aircraft, profiles
from sim.engine import simulate
from sim.scenario import load
from sim.streams import Streams
from sim.traffic import plan_flights
from sim.units import FT


@given(
    lo=st.floats(0, 40000),
    width=st.floats(0, 20000),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_level_is_a_round_altitude_inside_the_band(lo: float, width: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    level = profiles.draw_level((lo, lo + width), rng, step_ft=1000.0)
    assert lo - 1e-6 <= level <= lo + width + 1e-6
    if math.floor((lo + width) / 1000) >= math.ceil(lo / 1000):  # the band holds a level
        assert level % 1000 == 0


def test_levels_are_drawn_evenly_and_errors_are_normal() -> None:
    """Every level of a block equally likely (chi-square); keeping errors N(0, sd) (KS)."""
    f16 = aircraft.find_type("F-16")
    rng = np.random.default_rng(3)
    draws = [profiles.draw_altitude(f16, "strike", rng) for _ in range(3000)]
    levels = np.array([lv for lv, _ in draws]) / FT
    counts = np.unique(levels, return_counts=True)[1]
    assert len(counts) == 11  # 15,000 to 25,000 ft
    assert stats.chisquare(counts).pvalue > 0.01
    errors = np.array([z - lv for lv, z in draws]) / FT
    sd = profiles.profile_table().levels.keeping_sd_ft
    assert stats.kstest(errors, "norm", args=(0.0, sd)).pvalue > 0.01


def test_mission_blocks_and_stream_bands() -> None:
    kc = aircraft.find_type("KC-135R")
    assert profiles.cruise_band(kc, "tanker") == (20000.0, 26000.0)
    assert profiles.cruise_band(kc, "tanker", (12000, 14000)) == (12000.0, 14000.0)
    kalibr = aircraft.find_type("Kalibr")
    rng = np.random.default_rng(0)
    level, z = profiles.draw_altitude(kalibr, "cruise_missile", rng)
    assert level == z and kalibr.min_alt_m <= z <= kalibr.max_alt_m  # no levels for missiles


def test_default_day_cruises_at_levels() -> None:
    """The issue's check: at least 85 % of the level cruise legs (5 minutes or longer, above
    5,000 ft) lie within 300 ft of a 1,000 ft level (uniform bands would give about 60 %)."""
    s = load("scenarios/mou-2015.toml")
    near, n = 0, 0
    for seed in range(3):
        for _, leg in simulate(s, seed).legs:
            if leg.duration_s >= 300 and abs(leg.z1_m - leg.z0_m) < 1.0 and leg.z0_m > 5000 * FT:
                ft = leg.z0_m / FT
                near += abs(ft - round(ft / 1000) * 1000) <= 300
                n += 1
    assert n > 200
    assert near / n >= 0.85


@pytest.mark.parametrize("type_name", ["Su-25SM", "Su-24M"])
def test_dive_attacks_reach_their_release_levels(type_name: str) -> None:
    """Strikes of a dive type pass over the aim point at a release level, then climb back."""
    spec = profiles.profile_table().attack[type_name]
    assert spec.release_ft is not None
    s = load("scenarios/mou-2015.toml")
    plans = [
        p
        for p in plan_flights(s, Streams(5)["traffic"])
        if p.type == type_name and p.mission == "strike" and p.formation in ("", p.id)
    ]  # leads and singles: a wingman flies the lead's profile with its own altitude error
    assert len(plans) > 5
    dives = 0
    for p in plans:
        aim, cruise = p.points[p.aim_index], p.points[1][2]
        if aim[2] == cruise:  # the release level drawn was not below the cruise level
            assert cruise <= spec.release_ft[1] * FT + 400 * FT
            continue
        dives += 1
        before, after = p.points[p.aim_index - 1], p.points[p.aim_index + 1]
        assert spec.release_ft[0] * FT <= aim[2] <= spec.release_ft[1] * FT
        assert aim[2] % (1000 * FT) == pytest.approx(0.0, abs=1e-6) or aim[2] % (
            1000 * FT
        ) == pytest.approx(1000 * FT)
        assert before[2] == cruise and after[2] == cruise
        # the dive: the angle of the leg into the aim point
        angle = math.degrees(math.atan2(before[2] - aim[2], math.dist(before[:2], aim[:2])))
        assert angle == pytest.approx(spec.dive_deg, abs=0.5)
    assert dives > len(plans) / 3


def test_level_release_types_release_at_cruise() -> None:
    s = load("scenarios/mou-2015.toml")
    plans = [
        p
        for p in plan_flights(s, Streams(5)["traffic"])
        if p.type in ("Su-34", "F-15E") and p.mission == "strike"
    ]
    assert plans
    for p in plans:
        assert p.points[p.aim_index][2] == pytest.approx(p.points[1][2])


def test_bad_profile_table_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"profiles.toml: attack.Su-25SM.profile"):
        profiles.parse_profile_table(
            {"levels": {"step_ft": 1000, "keeping_sd_ft": 100}, "attack": {"Su-25SM": {}}}
        )
    with pytest.raises(ValueError, match="unknown aircraft type"):
        profiles.parse_profile_table(
            {
                "levels": {"step_ft": 1000, "keeping_sd_ft": 100},
                "attack": {"Su-26": {"profile": "level"}},
            }
        )
