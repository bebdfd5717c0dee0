"""Closed-form encounters of straight 3-D legs: exact stays inside cylinders, pure numpy.

An aircraft flies straight legs: constant ground velocity in the simulation plane, altitude
linear in time. For two legs flown at the same time, the relative position is
``p(t) = p0 + v t``, so the squared horizontal separation is a quadratic in ``t`` and the
vertical separation is linear in ``t``. Being inside a cylinder (horizontal < R and vertical
< H, both strict) is therefore the intersection of two open time intervals, clipped to the
legs' common window: no time step, nothing missed between samples. :func:`solve_pairs` does
this for many pairs at once (numpy arrays, no Python loop per pair) and
:func:`closest_approach` gives the time and distance of least separation of a relative motion
within a window (for look-ahead on current legs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.encounters.geometry import DEFAULT_CATEGORIES, Category, Leg, outermost

STILL_MPS = 1e-12
"""Relative speeds (m/s) below this are treated as zero: the separation is then constant."""


def leg_row(leg: Leg) -> list[float]:
    """``[t0, t1, x, y, z at t0, vx, vy, vz]`` of a leg, after checking it is well formed."""
    t0, t1, x0, y0, z0 = leg.t0_s, leg.t1_s, leg.x0_m, leg.y0_m, leg.z0_m
    x1, y1, z1 = leg.x1_m, leg.y1_m, leg.z1_m
    # one test for the usual case: a sum of finite values is finite unless it overflows
    if not math.isfinite(t0 + t1 + x0 + y0 + z0 + x1 + y1 + z1) and not all(
        map(math.isfinite, (t0, t1, x0, y0, z0, x1, y1, z1))
    ):
        raise ValueError(f"leg has a non-finite time or coordinate: {leg}")
    if t1 < t0:
        raise ValueError(f"leg ends before it starts: t0_s={t0}, t1_s={t1}")
    d = t1 - t0  # as Leg.velocity divides
    if d <= 0:
        return [t0, t1, x0, y0, z0, 0.0, 0.0, 0.0]
    return [t0, t1, x0, y0, z0, (x1 - x0) / d, (y1 - y0) / d, (z1 - z0) / d]


@dataclass(frozen=True, slots=True)
class LegArrays:
    """Many legs as parallel arrays: start and end time, position at the start, velocity.

    Keeping the velocity (rather than the end point) lets a leg be cut short without
    changing where it is at any earlier time.
    """

    t0_s: np.ndarray
    t1_s: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    z_m: np.ndarray
    vx_mps: np.ndarray
    vy_mps: np.ndarray
    vz_mps: np.ndarray

    @classmethod
    def from_legs(cls, legs: Sequence[Leg], t1_s: Sequence[float] | None = None) -> LegArrays:
        """Arrays of ``legs``; ``t1_s``, if given, ends each leg early (velocity unchanged).

        Examples
        --------
        >>> arr = LegArrays.from_legs([Leg(0, 10, 0, 0, 0, 100, 0, 0)], t1_s=[5])
        >>> float(arr.t1_s[0]), float(arr.vx_mps[0])
        (5.0, 10.0)
        """
        rows = np.array([leg_row(leg) for leg in legs], dtype=float).reshape(-1, 8)
        if t1_s is not None:
            ends = np.asarray(t1_s, dtype=float).reshape(-1)
            if ends.shape[0] != rows.shape[0] or np.any(~(ends >= rows[:, 0])):
                raise ValueError("t1_s must give one end per leg, none before the leg's start")
            rows[:, 1] = ends
        return cls.from_matrix(rows)

    @classmethod
    def from_matrix(cls, rows: np.ndarray) -> LegArrays:
        """Arrays from an (n, 8) matrix of rows ``t0, t1, x, y, z, vx, vy, vz`` (views)."""
        return cls(*(rows[:, k] for k in range(8)))

    def __len__(self) -> int:
        return int(self.t0_s.shape[0])

    def position_at(self, t_s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions at ``t_s`` along each leg's line (not clamped to its window)."""
        dt = t_s - self.t0_s
        return (
            self.x_m + self.vx_mps * dt,
            self.y_m + self.vy_mps * dt,
            self.z_m + self.vz_mps * dt,
        )


@dataclass(frozen=True, slots=True)
class PairSolution:
    """Closed-form results for pairs of legs, one entry per pair (arrays of shape (n,) or (n, k)).

    Times are absolute seconds. ``inside[:, k]`` says whether the pair was inside category
    ``k`` at some instant of the common window; ``t_in_s`` / ``t_out_s`` bound that (open)
    stay. The closest-approach fields refer to the stay inside the outermost category
    (index ``outer``) and are NaN where the pair never entered it.
    """

    outer: int
    t_start_s: np.ndarray
    t_end_s: np.ndarray
    inside: np.ndarray
    t_in_s: np.ndarray
    t_out_s: np.ndarray
    t_cpa_s: np.ndarray
    min_horizontal_m: np.ndarray
    vertical_at_cpa_m: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray

    @property
    def overlap(self) -> np.ndarray:
        """Whether the two legs share at least one instant."""
        return self.t_end_s >= self.t_start_s

    @property
    def hit(self) -> np.ndarray:
        """Whether the pair was inside the outermost category."""
        return self.inside[..., self.outer]

    @property
    def severity(self) -> np.ndarray:
        """Index of the most severe (first) category entered, -1 where none."""
        return np.where(self.inside.any(axis=-1), self.inside.argmax(axis=-1), -1)


def closest_approach(
    px: np.ndarray | float,
    py: np.ndarray | float,
    vx: np.ndarray | float,
    vy: np.ndarray | float,
    t_lo: np.ndarray | float,
    t_hi: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray]:
    """Time in ``[t_lo, t_hi]`` and distance of the least ``|p + v t|`` (vectorised).

    ``p`` is a relative horizontal position at ``t = 0`` and ``v`` the relative velocity,
    so this answers "how close will these two get within the next so many seconds" for
    aircraft on their current legs. Where the relative velocity is zero the separation is
    constant and the earliest time is returned.

    Examples
    --------
    >>> t, d = closest_approach(-1000.0, 50.0, 10.0, 0.0, 0.0, 60.0)
    >>> float(t), round(float(d), 3)
    (60.0, 403.113)
    """
    # numpy broadcasting does the rest: scalars and arrays mix freely
    px, py = np.asarray(px, dtype=float), np.asarray(py, dtype=float)
    vx, vy = np.asarray(vx, dtype=float), np.asarray(vy, dtype=float)
    t_lo, t_hi = np.asarray(t_lo, dtype=float), np.asarray(t_hi, dtype=float)
    sp2 = vx * vx + vy * vy
    moving = sp2 > STILL_MPS * STILL_MPS
    t_min = -(px * vx + py * vy) / np.where(moving, sp2, 1.0)
    t = np.where(moving, np.minimum(np.maximum(t_min, t_lo), t_hi), t_lo)
    return t, np.hypot(px + vx * t, py + vy * t)


def solve_pairs(
    leg: Leg | LegArrays,
    others: LegArrays,
    categories: Sequence[Category] = DEFAULT_CATEGORIES,
) -> PairSolution:
    """Solve one leg (or legs, elementwise) against many legs in closed form.

    For every pair: the common window ``[max(t0), min(t1)]``; per category the stay inside
    the cylinder (horizontal < radius and vertical < half-height, both strict, so a pure
    tangency is not inside); and, inside the outermost category, the time of least horizontal
    separation, that separation, the vertical separation then and the midpoint of the two
    aircraft. The result is exactly symmetric in the two legs.

    Parameters
    ----------
    leg
        A single leg (compared with each of ``others``) or arrays broadcastable with them.
    others
        The other legs.
    categories
        Encounter cylinders, most severe first; one must contain all others.

    Returns
    -------
    PairSolution
        Arrays with one entry per leg of ``others``.

    Examples
    --------
    >>> own = Leg(0, 600, 0, 0, 7000, 0, 60000, 7000)
    >>> other = Leg(0, 600, 30000, 30000, 7100, -30000, 30000, 7100)
    >>> sol = solve_pairs(own, LegArrays.from_legs([other]))
    >>> float(sol.t_cpa_s[0]), float(sol.min_horizontal_m[0]), sol.severity.tolist()
    (300.0, 0.0, [1])
    """
    cats = tuple(categories)
    outer = outermost(cats)
    a = LegArrays.from_legs([leg]) if isinstance(leg, Leg) else leg
    radius = np.array([c.radius_m for c in cats], dtype=float)
    half = np.array([c.half_height_m for c in cats], dtype=float)
    return solve_arrays(a, others, radius, half, outer)


def solve_arrays(
    a: LegArrays, b: LegArrays, radius: np.ndarray, half: np.ndarray, outer: int
) -> PairSolution:
    """:func:`solve_pairs` on validated inputs (radius and half-height arrays of the categories)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ts = np.maximum(a.t0_s, b.t0_s)
        te = np.minimum(a.t1_s, b.t1_s)
        span = te - ts
        xa, ya, za = a.position_at(ts)
        xb, yb, zb = b.position_at(ts)
        px, py, pz = xa - xb, ya - yb, za - zb
        vx, vy, vz = a.vx_mps - b.vx_mps, a.vy_mps - b.vy_mps, a.vz_mps - b.vz_mps
        moving, t_min, d_line, lo, hi = cylinder_intervals(px, py, pz, vx, vy, vz, radius, half)
        span_k = span[..., None]
        inside = (span_k >= 0) & (lo < span_k) & (hi > 0) & (lo < hi)
        lo_c = np.maximum(lo, 0.0)
        hi_c = np.minimum(hi, span_k)
        ts_k, te_k = ts[..., None], te[..., None]
        t_in = np.where(inside, np.where(lo <= 0, ts_k, ts_k + lo_c), np.nan)
        t_out = np.where(inside, np.where(hi >= span_k, te_k, ts_k + hi_c), np.nan)
        hit = inside[..., outer]
        lo_o, hi_o = lo_c[..., outer], hi_c[..., outer]
        tau = np.where(moving, np.minimum(np.maximum(t_min, lo_o), hi_o), lo_o)
        tau = np.where(hit, tau, 0.0)
        at_min = moving & (tau == t_min)
        d = np.where(at_min, d_line, np.hypot(px + vx * tau, py + vy * tau))
        vert = np.abs(pz + vz * tau)
        t_cpa = np.where(tau >= span, te, ts + tau)
        mx = (xa + xb) * 0.5 + (a.vx_mps + b.vx_mps) * 0.5 * tau
        my = (ya + yb) * 0.5 + (a.vy_mps + b.vy_mps) * 0.5 * tau
    nan = np.nan
    return PairSolution(
        outer=outer,
        t_start_s=ts,
        t_end_s=te,
        inside=inside,
        t_in_s=t_in,
        t_out_s=t_out,
        t_cpa_s=np.where(hit, t_cpa, nan),
        min_horizontal_m=np.where(hit, d, nan),
        vertical_at_cpa_m=np.where(hit, vert, nan),
        x_m=np.where(hit, mx, nan),
        y_m=np.where(hit, my, nan),
    )


def cylinder_intervals(
    px: np.ndarray,
    py: np.ndarray,
    pz: np.ndarray,
    vx: np.ndarray,
    vy: np.ndarray,
    vz: np.ndarray,
    radius: np.ndarray,
    half: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Open intervals of relative time (from the window start) inside each cylinder, unclipped.

    Returns ``moving`` (horizontal relative speed not zero), the time and distance of least
    horizontal separation on the infinite line, and per category (last axis) the bounds
    ``lo < hi`` of the stay inside (``lo = +inf, hi = -inf`` when never inside).
    """
    inf = np.inf
    sp2 = vx * vx + vy * vy
    moving = sp2 > STILL_MPS * STILL_MPS
    sp2 = np.where(moving, sp2, 1.0)
    speed = np.sqrt(sp2)
    t_min = np.where(moving, -(px * vx + py * vy) / sp2, 0.0)
    d_line = np.where(moving, np.abs(px * vy - py * vx) / speed, np.hypot(px, py))
    dl, mv, tm = d_line[..., None], moving[..., None], t_min[..., None]
    in_h = dl < radius
    half_w = np.sqrt(np.where(in_h, (radius - dl) * (radius + dl), 0.0)) / speed[..., None]
    lo_h = np.where(in_h, np.where(mv, tm - half_w, -inf), inf)
    hi_h = np.where(in_h, np.where(mv, tm + half_w, inf), -inf)
    climbing = (np.abs(vz) > STILL_MPS)[..., None]
    pzk = pz[..., None]
    wz = np.where(climbing, vz[..., None], 1.0)
    e1, e2 = (-half - pzk) / wz, (half - pzk) / wz
    in_v = np.abs(pzk) < half
    lo_v = np.where(climbing, np.minimum(e1, e2), np.where(in_v, -inf, inf))
    hi_v = np.where(climbing, np.maximum(e1, e2), np.where(in_v, inf, -inf))
    return moving, t_min, d_line, np.maximum(lo_h, lo_v), np.minimum(hi_h, hi_v)
