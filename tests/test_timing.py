"""Expected counts over the traffic's timing (sim.timing): re-timing, paths, and the estimate
against an exact integral over the departures."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.encounters import DEFAULT_CATEGORIES, Leg
from sim.engine import simulate
from sim.expected import expected_counts
from sim.scenario import load
from sim.sorties import units_of, whole_paths
from sim.streams import Streams
from sim.timing import Unit, expected_over_timing
from sim.traffic import plan_flights, stream_prefix
from sim.uncertainty import ErrorModel
from sim.units import FT, NM

NMAC = DEFAULT_CATEGORIES[0]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 50_000), st.floats(1, 20_000)), min_size=1, max_size=4).map(
        lambda ws: sorted(ws)
    ),
    st.integers(0, 2**31),
)
def test_draws_fall_in_the_windows_in_proportion_to_their_length(ws, seed):
    """A unit departs within its windows, each hit in proportion to its length."""
    windows, lo = [], 0.0
    for start, width in ws:
        lo = max(lo, start)
        windows.append((lo, lo + width))
        lo += width + 1.0
    unit = Unit(("a",), windows[0][0], tuple(windows))
    rng = np.random.default_rng(seed)
    draws = np.array([unit.draw(rng) for _ in range(2000)])
    where = [((draws >= a) & (draws <= b)).sum() for a, b in windows]
    assert sum(where) == draws.size
    lengths = np.array([b - a for a, b in windows])
    expected = lengths / lengths.sum() * draws.size
    sd = np.sqrt(expected * (1 - lengths / lengths.sum())) + 1e-9
    assert np.all(np.abs(np.array(where) - expected) <= 5 * sd + 1)


def _crossing(depart_b: float) -> list[tuple[str, Leg]]:
    """Two level legs at 200 m/s crossing at right angles over the origin, ``a`` there at
    t = 1,500 s and ``b`` at ``depart_b`` + 1,500 s.
    """
    v, half = 200.0, 1500.0
    z = 20_000 * FT
    a = Leg(0.0, 2 * half, -v * half, 0.0, z, v * half, 0.0, z)
    b = Leg(depart_b, depart_b + 2 * half, 0.0, -v * half, z, 0.0, v * half, z)
    return [("a", a), ("b", b)]


def test_the_estimate_meets_the_exact_integral_over_departures():
    """Two crossing legs whose departures are uniform over 600 s each: the mean over
    re-timings equals the exact integral of the pass probability over the triangular density
    of their time difference (computed here from the geometry alone, not the closed form).
    """
    sd_nm, window = 0.5, 600.0
    model = ErrorModel(lateral_sd_nm=sd_nm, along_track_sd_s=sd_nm * NM / 200.0)
    aircraft = {"a": ("coalition", "F-16"), "b": ("russia", "Su-30SM")}
    units = [Unit(("a",), 0.0, ((0.0, window),)), Unit(("b",), 0.0, ((0.0, window),))]
    draws = 3000
    got = expected_over_timing(
        _crossing(0.0),
        units,
        aircraft,
        (NMAC,),
        "cross-side",
        model,
        draws,
        np.random.default_rng(7),
        end_s=1e6,
    )
    # Exact: b late by d crosses the origin d after a; the miss distance is c |d| with
    # c = |va x vb| / |va - vb|; the pass enters the disc when the miss plus the relative
    # error across the relative track (sd sqrt(2) sigma) is under r; vertical error alone
    # decides the height (both level at one altitude).
    s = math.sqrt(2.0) * sd_nm * NM
    c = 200.0 * 200.0 / math.hypot(200.0, 200.0)
    r, h = NMAC.radius_m, NMAC.half_height_m
    sv = math.sqrt(2.0) * 97.0 * FT
    p_v = 2.0 * NormalDist().cdf(h / sv) - 1.0
    d = np.linspace(-window, window, 400_001)
    phi = NormalDist().cdf
    p_h = np.array([phi((r - c * x) / s) - phi((-r - c * x) / s) for x in d[::100]])
    p_h = np.interp(d, d[::100], p_h)
    density = (window - np.abs(d)) / window**2
    exact = float(np.trapezoid(p_h * p_v * density, d))
    mc_error = got.sd["nmac"] / math.sqrt(draws)
    assert abs(got.encounters["nmac"] - exact) < 4 * mc_error
    assert mc_error < 0.1 * exact  # the comparison has teeth


def test_without_room_to_move_it_is_the_closed_form():
    """Windows of zero length at the departures flown give back the plain expected counts."""
    model = ErrorModel()
    aircraft = {"a": ("coalition", "F-16"), "b": ("russia", "Su-30SM")}
    legs = _crossing(20.0)
    units = [Unit(("a",), 0.0, ((0.0, 0.0),)), Unit(("b",), 20.0, ((20.0, 20.0),))]
    got = expected_over_timing(
        legs, units, aircraft, DEFAULT_CATEGORIES, "cross-side", model, 3,
        np.random.default_rng(1), end_s=1e6,
    )  # fmt: skip
    plain = expected_counts(legs, aircraft, DEFAULT_CATEGORIES, "cross-side", model)
    for c in plain.categories:
        assert got.encounters[c] == pytest.approx(plain.encounters[c], rel=1e-12)
        assert got.sd[c] == pytest.approx(0.0, abs=1e-15)
    assert got.collisions == pytest.approx(plain.collisions, rel=1e-12)


@pytest.fixture(scope="module")
def short_day():
    """The default day under no protocol, cut at 8 h (many flights still airborne)."""
    scenario = load("scenarios/mou-2015.toml", {"protocol": "none", "duration_h": 8})
    return scenario, simulate(scenario, 2)


def test_units_cover_every_sortie_and_keep_formations_together(short_day):
    scenario, _ = short_day
    plans = plan_flights(scenario, Streams(2)["traffic"])
    units = units_of(scenario, {p.id: p.depart_s for p in plans})
    member = {f: u for u in units for f in u.flights}
    assert set(member) == {p.id for p in plans if not p.explicit}
    for p in plans:
        u = member[p.id]
        assert u.depart_s <= p.depart_s
        assert any(lo <= u.depart_s <= hi for lo, hi in u.windows)
        if p.formation:
            assert member[p.formation] is u
    assert len(units) < len(plans)  # formations and salvos depart as one


def test_sortie_numbers_past_999_stay_apart(short_day):
    """Sortie 100 and sortie 1000 of a stream (a long or dense run) are different units."""
    scenario, _ = short_day
    prefix = stream_prefix(scenario.traffic.sorties[0], 0)
    plans = {f"{prefix}-100": 10.0, f"{prefix}-100-2": 40.0, f"{prefix}-1000": 20.0}
    plans[f"{prefix}-1000-e1"] = 25.0
    units = {u.flights: u.depart_s for u in units_of(scenario, plans)}
    assert units == {
        (f"{prefix}-100", f"{prefix}-100-2"): 10.0,
        (f"{prefix}-1000", f"{prefix}-1000-e1"): 20.0,
    }


def test_whole_paths_are_the_plans_when_nothing_changed_them(short_day, monkeypatch):
    """Under no protocol the flown legs, completed past the end of the run, are the plans:
    the same points (and the point where the end cut a leg), flown at the plan's speed.
    """
    import sim.engine as engine

    scenario, _ = short_day
    seen: dict[str, list] = {}

    def keep(legs, flights):
        paths = whole_paths(legs, flights)
        seen["paths"] = paths
        return paths

    monkeypatch.setattr(engine, "whole_paths", keep)
    simulate(scenario.with_overrides({"uncertainty.timing_draws": 1}), 2)
    plans = {p.id: p for p in plan_flights(scenario, Streams(2)["traffic"])}
    by_id: dict[str, list[Leg]] = {}
    for a, leg in seen["paths"]:
        by_id.setdefault(a, []).append(leg)
    assert set(by_id) == set(plans)
    cut = 0
    for fid, legs in by_id.items():
        plan = plans[fid]
        points = [(g.x0_m, g.y0_m, g.z0_m) for g in legs] + [
            (legs[-1].x1_m, legs[-1].y1_m, legs[-1].z1_m)
        ]
        kept = [p for p in points if min(math.dist(p, q) for q in plan.points) < 1e-6]
        cut += len(points) - len(kept)
        assert len(kept) == len(plan.points)
        np.testing.assert_allclose(np.array(kept), np.array(plan.points), rtol=0, atol=1e-6)
        assert legs[0].t0_s == plan.depart_s
        assert legs[-1].t1_s == pytest.approx(
            plan.depart_s + sum(g.duration_s for g in legs), rel=1e-12
        )
        flown = sum(math.hypot(g.x1_m - g.x0_m, g.y1_m - g.y0_m) for g in legs) / plan.speed_mps
        assert flown == pytest.approx(legs[-1].t1_s - legs[0].t0_s, rel=1e-9)
    assert cut > 0  # the 8-h day does cut flights


def test_runs_report_it_only_when_asked_and_exact_only_without_mechanisms():
    base = load("scenarios/mou-2015.toml", {"duration_h": 6})
    none = simulate(base.with_overrides({"protocol": "none"}), 1)
    assert none.expected_over_timing is None
    asked = simulate(base.with_overrides({"protocol": "none", "uncertainty.timing_draws": 3}), 1)
    assert asked.expected_over_timing is not None
    assert asked.expected_over_timing.exact and asked.expected_over_timing.draws == 3
    assert asked.legs == none.legs and asked.encounters == none.encounters  # nothing else moves
    mou = simulate(base.with_overrides({"uncertainty.timing_draws": 2}), 1)
    assert mou.expected_over_timing is not None and not mou.expected_over_timing.exact
    again = simulate(base.with_overrides({"uncertainty.timing_draws": 2}), 1)
    assert again.expected_over_timing == mou.expected_over_timing  # a function of the seed


def _day_estimates(path: str, seeds: range, draws: int, overrides: dict) -> np.ndarray:
    """Per day: (plain expected NMACs, expected NMACs over timing)."""
    scenario = load(path, {**overrides, "uncertainty.timing_draws": draws})
    out = []
    for seed in seeds:
        r = simulate(scenario, seed)
        assert r.expected is not None and r.expected_over_timing is not None
        out.append((r.expected.encounters["nmac"], r.expected_over_timing.encounters["nmac"]))
    return np.array(out)


def test_over_timing_estimates_what_the_closed_form_does_with_less_spread():
    """Both estimate the expected NMACs of a day: over 30 days of two sides patrolling the
    same ground their paired difference is within sampling error of zero, and the days
    re-timed vary less (200 days by hand: z = -0.5, coefficient of variation 1.44 -> 0.74).
    """
    days = _day_estimates("tests/data/repeat-meetings.toml", range(30), 5, {})
    diff = days[:, 0] - days[:, 1]
    z = diff.mean() / (diff.std(ddof=1) / math.sqrt(len(diff)))
    assert abs(z) < 4
    assert days[:, 1].std() < days[:, 0].std()
    assert days[:, 1].mean() > 0.1  # NMACs are expected here: the test has teeth


@pytest.mark.slow
def test_thirty_default_days_give_the_nmac_rate_within_30_percent():
    """The issue's bar: the default day under no protocol, 30 days, 40 re-timings each: the
    relative standard error of the mean NMAC expectation is under 30 % (the plain closed
    form's is not).
    """
    days = _day_estimates("scenarios/mou-2015.toml", range(30), 40, {"protocol": "none"})
    rse = days.std(axis=0, ddof=1) / math.sqrt(len(days)) / days.mean(axis=0)
    assert rse[1] < 0.30
    assert rse[0] > rse[1]


def test_compare_shows_the_rates_over_timing_only_where_they_are_exact():
    """Paired days with no mechanism in either arm get ``expected_over_timing``; with the MOU
    in one arm (paths that keep their reactions to the timing flown) only the plain figure.
    """
    import sim

    day = {"duration_h": 4, "uncertainty.timing_draws": 2}
    none = load("scenarios/mou-2015.toml", {**day, "protocol": "none"})
    wider = none.with_overrides({"uncertainty.lateral_sd_nm": 1.0})
    mou = load("scenarios/mou-2015.toml", day)
    both = sim.compare(none, wider, replications=2, workers=1)
    assert all("expected_over_timing" in c for c in both["categories"].values())
    nmac = both["categories"]["nmac"]["expected_over_timing"]
    assert nmac["mean_b"] >= 0 and nmac["mean_a"] >= 0
    one = sim.compare(none, mou, replications=2, workers=1)
    assert all("expected" in c for c in one["categories"].values())
    assert not any("expected_over_timing" in c for c in one["categories"].values())
