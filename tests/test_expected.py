"""Expected NMACs under the position-error model: against an independent calculation, against
brute force (errors drawn into the flown legs over many seeds), and the plumbing around it."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import sim
from sim.engine import simulate
from sim.errors import InputError
from sim.output import encounters_csv, summary_json
from sim.scenario import load
from sim.streams import Streams
from sim.uncertainty import ErrorSd, draw_normals, leg_offset
from sim.units import FT, NM

PAIRS = 10
OFFSETS_S = np.linspace(-0.9, 0.9, PAIRS)
"""How late each Russian jet reaches the crossing point relative to its Coalition partner."""
LIFT_FT = [0, 0, 30, 0, -50, 0, 0, 60, 0, 0]
"""Vertical offsets of some Russian jets (feet above 25,000 ft)."""
ERRORS = {"lateral_sd_nm": 0.03, "along_track_sd_s": 0.3, "vertical_sd_ft": 40.0}


def designed(tmp_path: Path, sample: bool = False) -> sim.scenario.Scenario:
    """Two streams of jets crossing at one point, paired so that each pair passes within a few
    hundred feet: NMACs are frequent. One straight leg each, so one pass per pair."""
    from sim import geo

    x0, _ = geo.to_xy(35.0, 37.9)
    _, y0 = geo.to_xy(34.5, 38.5)
    us_speed, ru_speed = 450 * 1852 / 3600, 480 * 1852 / 3600
    flights = []
    for i in range(PAIRS):
        t_cross = 600.0 * i + abs(x0) / us_speed
        ru_depart = t_cross + OFFSETS_S[i] - abs(y0) / ru_speed
        flights.append(
            f'[[flights]]\nid = "US-{i}"\nside = "coalition"\ntype = "F-16"\n'
            f"depart_s = {600.0 * i}\nspeed_kt = 450\n"
            "route = [{ lat = 35.0, lon = 37.9, alt_ft = 25000 }, "
            "{ lat = 35.0, lon = 39.1, alt_ft = 25000 }]\n"
        )
        alt = 25000 + LIFT_FT[i]
        flights.append(
            f'[[flights]]\nid = "RU-{i}"\nside = "russia"\ntype = "Su-30SM"\n'
            f"depart_s = {ru_depart}\nspeed_kt = 480\n"
            f"route = [{{ lat = 34.5, lon = 38.5, alt_ft = {alt} }}, "
            f"{{ lat = 35.5, lon = 38.5, alt_ft = {alt} }}]\n"
        )
    uncertainty = "".join(f"{k} = {v}\n" for k, v in ERRORS.items())
    text = (
        'name = "crossing-streams"\nprotocol = "none"\nduration_h = 2\nseed = 1\n\n'
        f"[uncertainty]\n{uncertainty}sample = {'true' if sample else 'false'}\n\n"
        + "\n".join(flights)
    )
    path = tmp_path / "crossing.toml"
    path.write_text(text)
    return load(path)


def independent_expectation(result: sim.records.RunResult) -> float:
    """Sum over pairs of the collision risk model's lateral overlap times the vertical overlap,
    with the relative error across the relative track built here from the sds."""
    legs = dict(result.legs)
    lat, tau, vert = (
        ERRORS["lateral_sd_nm"] * NM,
        ERRORS["along_track_sd_s"],
        ERRORS["vertical_sd_ft"] * FT,
    )
    total = 0.0
    for i in range(PAIRS):
        a, b = legs[f"US-{i}"], legs[f"RU-{i}"]
        va, vb = np.array(a.velocity()), np.array(b.velocity())
        cov = np.zeros((2, 2))
        for vel in (va[:2], vb[:2]):
            n = np.array([-vel[1], vel[0]]) / np.hypot(*vel)
            cov += lat**2 * np.outer(n, n) + tau**2 * np.outer(vel, vel)
        t = max(a.t0_s, b.t0_s)
        pa, pb = np.array(a.position_at(t)), np.array(b.position_at(t))
        rel, vrel = pa - pb, (va - vb)[:2]
        u = np.array([-vrel[1], vrel[0]]) / np.hypot(*vrel)
        miss = float(rel[:2] @ u)
        s = math.sqrt(u @ cov @ u)
        r, h, sz = 500 * FT, 100 * FT, math.sqrt(2) * vert
        lateral = norm.cdf((r - miss) / s) - norm.cdf((-r - miss) / s)
        vertical = norm.cdf((h - rel[2]) / sz) - norm.cdf((-h - rel[2]) / sz)
        total += lateral * vertical
    return total


def test_expected_nmacs_equal_an_independent_calculation(tmp_path: Path) -> None:
    result = sim.run(designed(tmp_path))
    expected = result.summary["expected_encounters"]
    want = independent_expectation(result)
    assert 2.0 < want < PAIRS - 2  # a dense case: several NMACs a day, not all pairs
    assert expected["nmac"] == pytest.approx(want, rel=1e-5)
    assert expected["separation"] == pytest.approx(PAIRS, rel=1e-9)


def test_expected_nmacs_equal_the_brute_force_mean(tmp_path: Path) -> None:
    """Errors drawn into the flown legs (``sample = true``) over 300 seeds: the mean count of
    NMACs agrees with the expectation within 4 standard errors (a false alarm once in 16,000)."""
    scenario = designed(tmp_path, sample=True)
    counts, expected = [], set()
    for seed in range(300):
        result = simulate(scenario, seed)
        counts.append(sum(e.category == "nmac" for e in result.encounters))
        expected.add(result.expected.encounters["nmac"])
    assert len(expected) == 1  # computed from the planned legs, whatever was drawn
    want = expected.pop()
    c = np.array(counts, dtype=float)
    se = c.std(ddof=1) / math.sqrt(c.size)
    assert abs(c.mean() - want) < 4 * se, (c.mean(), want, se)
    print(f"brute force {c.mean():.4f} +- {se:.4f} (n={c.size}), expected {want:.4f}")
    assert c.std() > 0.5  # the draws really move the jets


def test_sampled_errors_leave_the_protocol_alone_and_repeat_by_seed() -> None:
    base = load("scenarios/crowded-sky.toml", {"duration_h": 6})
    sampled = base.with_overrides({"uncertainty.sample": True})
    plain, one, two = simulate(base, 3), simulate(sampled, 3), simulate(sampled, 3)
    assert one.events == plain.events  # every mechanism saw the planned legs
    # the legs written (as the detector saw them) are the planned ones, moved
    assert [(a, g.t0_s, g.t1_s) for a, g in one.legs] == [
        (a, g.t0_s, g.t1_s) for a, g in plain.legs
    ]
    assert one.legs != plain.legs
    assert one.expected.encounters == plain.expected.encounters  # from the planned legs
    assert encounters_csv(one) == encounters_csv(two)
    assert encounters_csv(one) != encounters_csv(plain)
    assert summary_json(sim.run(sampled, 3).summary | {"wall_s": 0}) == summary_json(
        sim.run(sampled, 3).summary | {"wall_s": 0}
    )


def test_drawn_offsets_have_the_model_sds() -> None:
    """Offsets of a level eastbound leg: x is the timing error times the speed, y the lateral
    error, z the vertical one; their sds over 4,000 draws match within 6 %."""
    from sim.encounters import Leg

    leg = Leg(0, 100, 0, 0, 7000, 25000, 0, 7000)
    sd = ErrorSd(lateral_m=90.0, along_s=2.0, vertical_m=25.0)
    streams = Streams(11)
    offsets = np.array(
        [leg_offset(leg, sd, draw_normals(streams, f"A-{k}", 0)) for k in range(4000)]
    )
    assert offsets.std(axis=0) == pytest.approx([500.0, 90.0, 25.0], rel=0.06)
    assert (
        np.abs(offsets.mean(axis=0)) < 4 * np.array([500.0, 90.0, 25.0]) / math.sqrt(4000)
    ).all()
    assert abs(np.corrcoef(offsets.T)[0, 1]) < 0.06


def test_no_error_no_expectation() -> None:
    scenario = load(
        "scenarios/two-jets.toml",
        {
            "uncertainty.lateral_sd_nm": 0,
            "uncertainty.along_track_sd_s": 0,
            "uncertainty.vertical_sd_ft": 0,
        },
    )
    result = sim.run(scenario)
    assert result.summary["expected_encounters"] is None
    assert result.summary["collision"] is None
    assert encounters_csv(result).splitlines()[1].endswith(",")  # p_nmac left empty


def test_two_jets_p_nmac_and_collision_figures() -> None:
    result = sim.run("scenarios/two-jets.toml")
    (enc,) = result.encounters
    expected = result.summary["expected_encounters"]
    assert enc.p_nmac == pytest.approx(expected["nmac"])  # the only pass near enough
    col = result.summary["collision"]
    assert 0 < col["expected"] < expected["nmac"]
    assert col["p_given_nmac"] == pytest.approx(col["expected"] / expected["nmac"])


def test_bad_uncertainty_fields_are_named() -> None:
    with pytest.raises(InputError) as info:
        load(
            "scenarios/two-jets.toml", {"uncertainty.lateral_sd_nm": -1, "uncertainty.sampel": True}
        )
    text = "\n".join(info.value.problems)
    assert "uncertainty.lateral_sd_nm: must be >= 0, got -1" in text
    assert "uncertainty.sampel: unknown key" in text


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")
def test_compare_and_sweep_report_expected_rates(tmp_path: Path) -> None:
    a = designed(tmp_path)
    b = a.with_overrides({"uncertainty.vertical_sd_ft": 80.0})
    report = sim.compare(a, b, replications=3, backend="local")
    nmac = report["categories"]["nmac"]["expected"]
    # one more vertical error spreads the same passes: fewer pairs inside 100 ft
    assert nmac["mean_diff"] < 0 and nmac["significant"]
    assert nmac["ci_low"] <= nmac["mean_diff"] <= nmac["ci_high"]
    assert report["collision"]["mean_a"] > 0
    runs = sim.sweep(
        a, vary={"uncertainty.lateral_sd_nm": [0.03, 0.3]}, replications=2, backend="local"
    )
    assert runs["expected_rate_nmac"].iloc[0] > runs["expected_rate_nmac"].iloc[-1] > 0
    from sim.experiments import plan_sweep, summarize_points

    plan = plan_sweep(a, {"uncertainty.lateral_sd_nm": [0.03, 0.3]}, 2)
    summary = summarize_points(runs, plan)
    assert {"mean_expected_rate_nmac", "mean_collision_rate_per_fh"} <= set(summary.columns)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 5)), min_size=0, max_size=60, unique=True
    ),
    st.lists(st.integers(0, 2), min_size=13, max_size=13),
)
def test_cross_pairs_are_the_pairs_sharing_a_key_of_different_labels(
    entries: list[tuple[int, int]], labels: list[int]
) -> None:
    """Same pairs, as often, as all the pairs sharing a key less those of one label."""
    from sim.encounters.grid import pairs_sharing_keys
    from sim.expected import _cross_pairs

    leg = np.array([e[0] for e in entries], dtype=np.int64)
    key = np.array([e[1] for e in entries], dtype=np.int64)
    label = np.array(labels, dtype=np.int64)
    i, j = _cross_pairs(leg, key, label[leg])
    a, b = pairs_sharing_keys(leg, key, np.ones(13, dtype=bool))
    keep = label[a] != label[b]
    got = sorted(zip(np.minimum(i, j).tolist(), np.maximum(i, j).tolist(), strict=True))
    want = sorted(
        zip(np.minimum(a, b)[keep].tolist(), np.maximum(a, b)[keep].tolist(), strict=True)
    )
    assert got == want


def groups_one_by_one(
    pair_ids: list[tuple[str, str]], window: np.ndarray, stays: np.ndarray
) -> list[int]:
    """Group numbers by walking the passes in order of pair and window."""
    order = sorted(range(len(pair_ids)), key=lambda k: (pair_ids[k], window[k, 0], window[k, 1]))
    group, g, prev = [0] * len(pair_ids), -1, None
    for k in order:
        joins = (
            prev is not None
            and pair_ids[prev] == pair_ids[k]
            and not math.isnan(stays[k, 0])
            and not math.isnan(stays[prev, 0])
            and stays[k, 0] <= stays[prev, 1]
        )
        g += 0 if joins else 1
        group[k], prev = g, k
    return group


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a1", "a10", "b2", "B"]),
            st.sampled_from(["r1", "r2", "R"]),
            st.integers(0, 6),
            st.integers(0, 3),
            st.booleans(),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_passes_group_as_when_walked_one_by_one(
    passes: list[tuple[str, str, int, int, bool]],
) -> None:
    from sim.expected import _groups

    names = sorted({n for p in passes for n in p[:2]})
    rank = {n: k for k, n in enumerate(names)}
    pair_ids = [(a, b) for a, b, *_ in passes]
    window = np.array([(10.0 * t, 10.0 * t + 10.0 * d) for _, _, t, d, _ in passes])
    stays = np.array(
        [
            (w0, w1) if inside else (math.nan, math.nan)
            for (w0, w1), (*_, inside) in zip(window.tolist(), passes, strict=True)
        ]
    )
    first = np.array([rank[a] for a, _ in pair_ids], dtype=np.int64)
    second = np.array([rank[b] for _, b in pair_ids], dtype=np.int64)
    got = _groups(first, second, window, stays).tolist()
    assert got == groups_one_by_one(pair_ids, window, stays)
