"""The closed-form pass probability against Monte Carlo and the collision risk model's formula."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal, norm

from sim.encounters import Category, Leg, LegArrays, solve_pairs
from sim.risk import bivariate_normal_cdf, leg_covariance, pass_probability

NMAC = (152.4, 30.48)
NEAR_MISS = (1852.0, 304.8)
COLLISION = (12.0, 5.0)


def inside_exactly(q: np.ndarray, v: np.ndarray, span: float, r: float, h: float) -> np.ndarray:
    """Whether relative motions ``q + v t`` (one per row of ``q``) enter the cylinder in
    ``[0, span]``: the quadratic and linear inequalities solved per sample."""
    a = v[0] ** 2 + v[1] ** 2
    b = 2 * (q[:, 0] * v[0] + q[:, 1] * v[1])
    c = q[:, 0] ** 2 + q[:, 1] ** 2 - r * r
    disc = b * b - 4 * a * c
    root = np.sqrt(np.maximum(disc, 0.0))
    lo = np.where(disc > 0, (-b - root) / (2 * a), np.inf)
    hi = np.where(disc > 0, (-b + root) / (2 * a), -np.inf)
    if v[2] != 0:
        e1, e2 = (-h - q[:, 2]) / v[2], (h - q[:, 2]) / v[2]
        lo, hi = np.maximum(lo, np.minimum(e1, e2)), np.minimum(hi, np.maximum(e1, e2))
    else:
        level = np.abs(q[:, 2]) < h
        lo, hi = np.where(level, lo, np.inf), np.where(level, hi, -np.inf)
    return np.maximum(lo, 0.0) < np.minimum(hi, span)


def random_pass(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A pass near a cylinder: speeds, climbs, errors and windows of fighters and drones."""
    va = np.array([*rng.uniform(-250, 250, 2), rng.choice([0.0, rng.uniform(-20, 20)])])
    vb = np.array([*rng.uniform(-250, 250, 2), rng.choice([0.0, rng.uniform(-20, 20)])])
    cov = sum(
        leg_covariance(
            vel[None], *(rng.uniform(lo, hi, 1) for lo, hi in ((20, 900), (0, 4), (5, 60)))
        )[0]
        for vel in (va, vb)
    )
    v = va - vb
    span = rng.uniform(0, 60)
    t_cpa = rng.uniform(-5, span + 5)
    u = v[:2] / np.hypot(v[0], v[1])
    across = np.array([-u[1], u[0]]) * rng.uniform(-400, 400)
    p = np.array([*(-v[:2] * t_cpa + across), rng.uniform(-60, 60) - v[2] * t_cpa])
    return p, v, cov, np.array(span)


@pytest.mark.parametrize("seed", range(6))
def test_pass_probability_agrees_with_monte_carlo(seed: int) -> None:
    """Within 4.5 Monte Carlo standard errors (plus 2e-5 for the quadrature), per case."""
    rng = np.random.default_rng(seed)
    for cyl in (NMAC, NEAR_MISS, COLLISION):
        p, v, cov, span = random_pass(rng)
        got = pass_probability(
            p[None], v[None], cov[None], span[None], *(np.array([[x]]) for x in cyl)
        )
        n = 200_000
        draws = rng.multivariate_normal(np.zeros(3), cov, size=n)
        frac = inside_exactly(p + draws, v, float(span), *cyl).mean()
        se = np.sqrt(max(frac * (1 - frac), 1.0 / n) / n)
        assert abs(got[0, 0] - frac) < 4.5 * se + 2e-5, (cyl, got[0, 0], frac, se)


def test_long_level_pass_is_the_lateral_overlap_of_the_collision_risk_model() -> None:
    """A long level pass: P = [Phi((R - d)/s) - Phi((-R - d)/s)] * P(|dz + e_z| < H), with s the
    error across the relative track (the classic closed form), to 1e-9."""
    va, vb = np.array([240.0, 0, 0]), np.array([0.0, 220.0, 0])
    cov = leg_covariance(
        np.stack([va, vb]), np.array([300.0, 150]), np.array([2.0, 4.0]), np.array([30.0, 20])
    )
    total = cov.sum(axis=0)
    v = va - vb
    u = v[:2] / np.hypot(*v[:2])
    across = np.array([-u[1], u[0]])
    for miss, dz in ((0.0, 0.0), (250.0, 20.0), (-900.0, -45.0), (3000.0, 0.0)):
        p = np.array([*(-v[:2] * 600 + across * miss), dz])  # closest approach 600 s in
        got = pass_probability(
            p[None],
            v[None],
            total[None],
            np.array([1200.0]),
            np.array([[NMAC[0]]]),
            np.array([[NMAC[1]]]),
        )
        s = np.sqrt(across @ total[:2, :2] @ across)
        sz = np.sqrt(total[2, 2])
        lateral = norm.cdf((NMAC[0] - miss) / s) - norm.cdf((-NMAC[0] - miss) / s)
        vertical = norm.cdf((NMAC[1] - dz) / sz) - norm.cdf((-NMAC[1] - dz) / sz)
        assert got[0, 0] == pytest.approx(lateral * vertical, rel=1e-6, abs=1e-12)


def test_without_error_the_probability_is_whether_the_planned_pass_enters() -> None:
    rng = np.random.default_rng(7)
    cat = Category("c", 1000.0, 150.0)
    for _ in range(200):
        a = Leg(
            0,
            100,
            *rng.uniform(-5000, 5000, 2),
            5000,
            *rng.uniform(-5000, 5000, 2),
            5000 + rng.uniform(-300, 300),
        )
        b = Leg(0, 100, *rng.uniform(-5000, 5000, 2), 5000, *rng.uniform(-5000, 5000, 2), 5000)
        sol = solve_pairs(a, LegArrays.from_legs([b]), (cat,))
        arr_a, arr_b = LegArrays.from_legs([a]), LegArrays.from_legs([b])
        pa, pb = arr_a.position_at(0.0), arr_b.position_at(0.0)
        p = np.array([[pa[k][0] - pb[k][0] for k in range(3)]])
        v = np.array(
            [
                [
                    arr_a.vx_mps[0] - arr_b.vx_mps[0],
                    arr_a.vy_mps[0] - arr_b.vy_mps[0],
                    arr_a.vz_mps[0] - arr_b.vz_mps[0],
                ]
            ]
        )
        got = pass_probability(
            p, v, np.zeros((1, 3, 3)), np.array([100.0]), np.array([[1000.0]]), np.array([[150.0]])
        )
        # a 1 mm error is all that is left: 0 or 1 (random geometry never grazes the rim to a mm)
        assert got[0, 0] == pytest.approx(float(sol.inside[0, 0]), abs=1e-3)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    radius=st.floats(5.0, 6000.0),
    grow=st.floats(1.0, 3.0),
)
def test_probability_is_symmetric_and_grows_with_the_cylinder(
    seed: int, radius: float, grow: float
) -> None:
    p, v, cov, span = random_pass(np.random.default_rng(seed))
    half = radius / 5
    cyl = np.array([[radius, radius * grow]]), np.array([[half, half * grow]])
    one = pass_probability(p[None], v[None], cov[None], span[None], *cyl)[0]
    other = pass_probability(-p[None], -v[None], cov[None], span[None], *cyl)[0]
    assert np.all((one >= 0) & (one <= 1))
    assert one == pytest.approx(other, abs=1e-9)
    assert one[1] >= one[0] - 1e-8  # the quadrature's error near 1 is a few 1e-9 (seed 1005)


def test_bivariate_normal_cdf_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    h, k = rng.normal(0, 2, 200), rng.normal(0, 2, 200)
    h[:20] = 0.0
    rho = rng.uniform(-0.999, 0.999, 200)
    want = [
        multivariate_normal(cov=[[1, r], [r, 1]]).cdf([a, b])
        for a, b, r in zip(h, k, rho, strict=True)
    ]
    assert bivariate_normal_cdf(h, k, rho) == pytest.approx(np.array(want), abs=1e-7)


def reference_cdf(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """The bivariate normal cdf by the Owen's T formula, one call per ``(h, k, rho)``."""
    from scipy.special import ndtr, owens_t

    h, k, rho = np.clip(h, -40.0, 40.0), np.clip(k, -40.0, 40.0), np.clip(rho, -1.0, 1.0)
    s = np.sqrt(np.maximum(1.0 - rho * rho, 0.0))
    degenerate = s < 1e-9
    s = np.where(degenerate, 1.0, s)
    h0, k0 = np.where(h == 0.0, 1e-100, h), np.where(k == 0.0, 1e-100, k)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        t = owens_t(h0, (k0 - rho * h0) / (h0 * s)) + owens_t(k0, (h0 - rho * k0) / (k0 * s))
    half = np.where((h0 * k0 < 0) | ((h0 * k0 == 0) & (h0 + k0 < 0)), 0.5, 0.0)
    out = 0.5 * (ndtr(h) + ndtr(k)) - t - half
    limit = np.where(rho > 0, ndtr(np.minimum(h, k)), np.maximum(ndtr(h) - ndtr(-k), 0.0))
    return np.clip(np.where(degenerate, limit, out), 0.0, 1.0)


def awkward_arguments(rng: np.random.Generator, n: int) -> np.ndarray:
    """Normal arguments with zeros, far tails and values beyond the clipping point mixed in."""
    x = rng.normal(0, 3, n)
    pick = rng.uniform(size=n)
    x[pick < 0.1] = 0.0
    x[(pick >= 0.1) & (pick < 0.2)] *= 20.0
    return x


@pytest.mark.parametrize("seed", range(3))
def test_shared_arguments_give_the_cdf_of_the_formula_bit_for_bit(seed: int) -> None:
    """The terms that share ``k`` and ``rho`` (or ``h``) are the one-call formula's floats."""
    from sim.risk import _cdf, _Correlated, _End

    rng = np.random.default_rng(seed)
    h_lo, h_hi, k = (awkward_arguments(rng, 4000) for _ in range(3))
    rho = rng.uniform(-1.0, 1.0, 4000)
    rho[:200] = rng.choice([-1.0, 1.0, -0.9999999999, 0.0], 200)
    c = _Correlated(k, rho)
    for h in (h_lo, h_hi):
        want = reference_cdf(h, k, rho)
        assert _cdf(_End(h), c).tobytes() == want.tobytes()
        assert bivariate_normal_cdf(h, k, rho).tobytes() == want.tobytes()


@pytest.mark.parametrize("seed", range(4))
def test_nodes_left_out_carry_no_weight(seed: int) -> None:
    """The quadrature keeps every node of non-zero weight: summed weights equal those of all
    the nodes, bit for bit (so any integrand sums to the same floats)."""
    from sim.risk import _W, _X, _frame, _Nodes, _theta_pieces

    rng = np.random.default_rng(seed)
    drawn = [random_pass(rng) for _ in range(60)]
    p, v, cov, span = (np.stack([d[k] for d in drawn]) for k in range(4))
    p[::3, :2] *= rng.uniform(1, 40, (20, 1))  # some passes far across: most nodes off the disc
    f = _frame(p, v, cov, span)
    r = np.repeat(np.arange(60), 3)
    radius = np.tile([152.4, 1852.0, 12.0], 60)
    nodes = _Nodes(f, r, radius)
    edges = _theta_pieces(f, r, radius)
    width = np.diff(edges, axis=1)
    theta = (edges[:, :-1, None] + width[:, :, None] * _X).reshape(r.size, -1)
    wq = (width[:, :, None] * _W).reshape(r.size, -1)
    l11 = f.chol[r, 0, 0][:, None]
    g1 = (radius[:, None] * np.sin(theta) - f.d0[r][:, None]) / l11
    w = radius[:, None] * np.cos(theta)
    weight = wq * w * np.exp(-0.5 * g1 * g1) / (np.sqrt(2.0 * np.pi) * l11)
    assert nodes.weight.size == np.count_nonzero(weight) < weight.size
    assert nodes.integral(np.ones(nodes.weight.size)).tobytes() == weight.sum(axis=1).tobytes()
    integrand = rng.uniform(size=weight.shape)
    got = nodes.integral(integrand.reshape(-1)[nodes.at])
    assert got.tobytes() == np.sum(weight * integrand, axis=1).tobytes()
