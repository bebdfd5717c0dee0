"""Exact encounter detection for straight 3-D legs (pure numpy).

An aircraft flies straight legs: constant ground velocity in the simulation plane, altitude
linear in time. For two legs flown at the same time, the relative position is
``p(t) = p0 + v t``, so the squared horizontal separation is a quadratic in ``t`` and the
vertical separation is linear in ``t``. Being inside a cylinder (horizontal < R and vertical
< H, both strict) is therefore the intersection of two open time intervals, clipped to the
legs' common window: no time step, nothing missed between samples. :func:`solve_pairs` does
this for many pairs at once (numpy arrays, no Python loop per pair) and
:func:`closest_approach` gives the time and distance of least separation of a relative motion
within a window (for look-ahead on current legs).

:class:`Detector` turns the legs of a run into encounters. It is fed leg by leg in time order,
the way the engine flies them.

Broad phase
-----------
Legs reach the detector in nondecreasing start time and a new leg can only meet legs that are
*current* (flown now or later), so the detector keeps only current legs. It logs arriving
legs and handles them in batches about as large as the number of current legs. By then the
cut end of every logged leg is known (a manoeuvre or a landing later in the batch shortens
it), so almost every pair is solved once with its final window; only pieces still running at
the end of a batch are kept provisionally and re-clipped if a leg is cut later.

Candidate pairs come from a uniform space-time hash grid. Each leg (from the batch start on)
is split into time buckets of ``bucket_s``; the bounding box of each piece, widened by half
the outermost radius, is rasterised into square cells of ``cell_m``. Two aircraft can only be
inside the outermost cylinder at time ``t`` if their pieces for ``t``'s bucket share a cell,
so only pairs sharing a (bucket, cell) key are solved. Grouping equal keys is one sort, and
groups holding no new leg are dropped before pairs are formed, so a batch costs about
O(legs + nearby pairs): linear in traffic at fixed density instead of quadratic. A purely
spatial grid (or sweep-and-prune on one axis) would pair long legs that cross the same
ground minutes apart; the time bucket removes those, and current legs are all the grid ever
holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Leg:
    """A straight leg in the simulation plane: constant ground velocity, altitude linear in time.

    Positions in metres (x east, y north, z altitude), times in seconds since the run start.
    A leg with ``t1_s == t0_s`` is a point in time (allowed; it can still touch a cylinder).
    """

    t0_s: float
    t1_s: float
    x0_m: float
    y0_m: float
    z0_m: float
    x1_m: float
    y1_m: float
    z1_m: float

    @property
    def duration_s(self) -> float:
        return self.t1_s - self.t0_s

    def velocity(self) -> tuple[float, float, float]:
        """Velocity (m/s) along x, y, z; zero for a zero-duration leg."""
        d = self.duration_s
        if d <= 0:
            return (0.0, 0.0, 0.0)
        return (
            (self.x1_m - self.x0_m) / d,
            (self.y1_m - self.y0_m) / d,
            (self.z1_m - self.z0_m) / d,
        )

    def position_at(self, t_s: float) -> tuple[float, float, float]:
        """Position at time ``t_s`` (clamped to the leg's time window)."""
        d = self.duration_s
        f = 0.0 if d <= 0 else min(max((t_s - self.t0_s) / d, 0.0), 1.0)
        return (
            self.x0_m + f * (self.x1_m - self.x0_m),
            self.y0_m + f * (self.y1_m - self.y0_m),
            self.z0_m + f * (self.z1_m - self.z0_m),
        )


@dataclass(frozen=True, slots=True)
class Category:
    """An encounter cylinder: inside when horizontal < radius and vertical < half-height."""

    name: str
    radius_m: float
    half_height_m: float


NM, FT = 1852.0, 0.3048
DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category("nmac", 500 * FT, 100 * FT),
    Category("near_miss", 1 * NM, 1000 * FT),
    Category("separation", 3 * NM, 3000 * FT),
)
"""Most severe first: NMAC 500 ft / 100 ft; near miss 1 NM / 1,000 ft;
MOU 'rule of threes' 3 NM / 3,000 ft."""


@dataclass(frozen=True, slots=True)
class Encounter:
    """One encounter: the columns of ``encounters.csv`` plus the plane position at closest
    approach."""

    a_id: str
    b_id: str
    a_side: str
    b_side: str
    category: str
    t_start_s: float
    t_end_s: float
    t_cpa_s: float
    min_horizontal_m: float
    vertical_at_cpa_m: float
    lat: float
    lon: float
    x_m: float
    y_m: float


ENCOUNTER_COLUMNS = (
    "a_id",
    "b_id",
    "a_side",
    "b_side",
    "category",
    "t_start_s",
    "t_end_s",
    "t_cpa_s",
    "min_horizontal_m",
    "vertical_at_cpa_m",
    "lat",
    "lon",
)


PAIR_MODES = ("cross-side", "all")
"""Which pairs of aircraft count: only pairs from different sides, or every pair."""

_STILL_MPS = 1e-12
"""Relative speeds (m/s) below this are treated as zero: the separation is then constant."""

_CHUNK = 8192
"""Pairs handled per vectorised step (keeps temporaries in cache)."""


def outermost(categories: Sequence[Category]) -> int:
    """Index of the outermost category: the one with both the largest radius and half-height.

    An encounter is a stay inside this cylinder, so every other category must fit in it.

    Raises
    ------
    ValueError
        If there are no categories, a size is not positive and finite, or no single category
        has both the largest radius and the largest half-height.
    """
    cats = tuple(categories)
    if not cats:
        raise ValueError("at least one encounter category is needed")
    for c in cats:
        for name, value in (("radius_m", c.radius_m), ("half_height_m", c.half_height_m)):
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"category {c.name!r}: {name} must be > 0, got {value}")
    r_max = max(c.radius_m for c in cats)
    h_max = max(c.half_height_m for c in cats)
    for k, c in enumerate(cats):
        if c.radius_m == r_max and c.half_height_m == h_max:
            return k
    raise ValueError(
        "encounter categories must be nested: one must have both the largest radius "
        f"({r_max} m) and the largest half-height ({h_max} m)"
    )


def _leg_row(leg: Leg) -> list[float]:
    """``[t0, t1, x, y, z at t0, vx, vy, vz]`` of a leg, after checking it is well formed."""
    values = (leg.t0_s, leg.t1_s, leg.x0_m, leg.y0_m, leg.z0_m, leg.x1_m, leg.y1_m, leg.z1_m)
    if not all(map(math.isfinite, values)):
        raise ValueError(f"leg has a non-finite time or coordinate: {leg}")
    if leg.t1_s < leg.t0_s:
        raise ValueError(f"leg ends before it starts: t0_s={leg.t0_s}, t1_s={leg.t1_s}")
    return [leg.t0_s, leg.t1_s, leg.x0_m, leg.y0_m, leg.z0_m, *leg.velocity()]


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
        rows = np.array([_leg_row(leg) for leg in legs], dtype=float).reshape(-1, 8)
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
    moving = sp2 > _STILL_MPS * _STILL_MPS
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
    return _solve(a, others, radius, half, outer)


def _solve(
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
        moving, t_min, d_line, lo, hi = _intervals(px, py, pz, vx, vy, vz, radius, half)
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


def _intervals(
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
    moving = sp2 > _STILL_MPS * _STILL_MPS
    sp2 = np.where(moving, sp2, 1.0)
    speed = np.sqrt(sp2)
    t_min = np.where(moving, -(px * vx + py * vy) / sp2, 0.0)
    d_line = np.where(moving, np.abs(px * vy - py * vx) / speed, np.hypot(px, py))
    dl, mv, tm = d_line[..., None], moving[..., None], t_min[..., None]
    in_h = dl < radius
    half_w = np.sqrt(np.where(in_h, (radius - dl) * (radius + dl), 0.0)) / speed[..., None]
    lo_h = np.where(in_h, np.where(mv, tm - half_w, -inf), inf)
    hi_h = np.where(in_h, np.where(mv, tm + half_w, inf), -inf)
    climbing = (np.abs(vz) > _STILL_MPS)[..., None]
    pzk = pz[..., None]
    wz = np.where(climbing, vz[..., None], 1.0)
    e1, e2 = (-half - pzk) / wz, (half - pzk) / wz
    in_v = np.abs(pzk) < half
    lo_v = np.where(climbing, np.minimum(e1, e2), np.where(in_v, -inf, inf))
    hi_v = np.where(climbing, np.maximum(e1, e2), np.where(in_v, inf, -inf))
    return moving, t_min, d_line, np.maximum(lo_h, lo_v), np.minimum(hi_h, hi_v)


def _ranks(counts: np.ndarray) -> np.ndarray:
    """``0..c-1`` for each count ``c``, concatenated."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


def _grid_keys(
    rows: np.ndarray, t_from: np.ndarray, reach: float, cell: float, bucket: float
) -> tuple[np.ndarray, np.ndarray]:
    """Space-time cells touched by each leg from ``t_from`` on: (row index, key) per cell.

    A leg is split at multiples of ``bucket`` seconds; each piece's bounding box, widened by
    ``reach``, is rasterised into square cells of side ``cell``. Equal keys mean the same
    (bucket, cell); keys are only comparable within one call.
    """
    t0, t1 = rows[:, 0], rows[:, 1]
    b_first = np.floor(t_from / bucket)
    n_buckets = (np.floor(t1 / bucket) - b_first).astype(np.int64) + 1
    leg = np.repeat(np.arange(rows.shape[0]), n_buckets)
    b = b_first[leg] + _ranks(n_buckets)
    ta = np.maximum(t_from[leg], b * bucket) - t0[leg]
    tb = np.minimum(t1[leg], (b + 1.0) * bucket) - t0[leg]
    x, y, vx, vy = rows[leg, 2], rows[leg, 3], rows[leg, 5], rows[leg, 6]
    xa, xb, ya, yb = x + vx * ta, x + vx * tb, y + vy * ta, y + vy * tb
    x_lo = np.floor((np.minimum(xa, xb) - reach) / cell)
    x_hi = np.floor((np.maximum(xa, xb) + reach) / cell)
    y_lo = np.floor((np.minimum(ya, yb) - reach) / cell)
    y_hi = np.floor((np.maximum(ya, yb) + reach) / cell)
    nx = (x_hi - x_lo).astype(np.int64) + 1
    ny = (y_hi - y_lo).astype(np.int64) + 1
    count = nx * ny
    seg = np.repeat(np.arange(b.shape[0]), count)
    k = _ranks(count)
    ix = x_lo[seg] + k // ny[seg]
    iy = y_lo[seg] + k % ny[seg]
    return leg[seg], _pack(b[seg], ix, iy)


def _pack(b: np.ndarray, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    """One integer per distinct (b, ix, iy) triple of integral floats."""
    if b.size == 0:
        return np.zeros(0, dtype=np.int64)
    cols = [b, ix, iy]
    lows = [float(c.min()) for c in cols]
    spans = [float(c.max()) - lo + 1.0 for c, lo in zip(cols, lows, strict=True)]
    if spans[0] * spans[1] * spans[2] < 2.0**53:
        rel = [(c - lo) for c, lo in zip(cols, lows, strict=True)]
        return ((rel[0] * spans[1] + rel[1]) * spans[2] + rel[2]).astype(np.int64)
    _, inverse = np.unique(np.stack(cols, axis=1), axis=0, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64)


def _may_meet(
    rows: np.ndarray, i: np.ndarray, j: np.ndarray, radius: float, half: float
) -> np.ndarray:
    """Cheap necessary test for pairs ``(i, j)`` of rows to enter a cylinder (chunked).

    Both the least horizontal and the least vertical separation over the common window
    must be under the cylinder's size (slightly widened); the exact solve decides the rest.
    """
    out = np.zeros(i.shape[0], dtype=bool)
    r2 = (radius * (1.0 + 1e-9) + 1e-6) ** 2
    h = half * (1.0 + 1e-9) + 1e-6
    for s in range(0, i.shape[0], _CHUNK):
        out[s : s + _CHUNK] = _near_chunk(rows[i[s : s + _CHUNK]], rows[j[s : s + _CHUNK]], r2, h)
    return out


def _near_chunk(a: np.ndarray, b: np.ndarray, r2: float, h: float) -> np.ndarray:
    """:func:`_may_meet` for one chunk of row pairs."""
    with np.errstate(over="ignore", invalid="ignore"):
        ts = np.maximum(a[:, 0], b[:, 0])
        span = np.minimum(a[:, 1], b[:, 1]) - ts
        p = a[:, 2:5] + a[:, 5:8] * (ts - a[:, 0])[:, None]
        p -= b[:, 2:5] + b[:, 5:8] * (ts - b[:, 0])[:, None]
        v = a[:, 5:8] - b[:, 5:8]
        px, py, pz, vx, vy, vz = p[:, 0], p[:, 1], p[:, 2], v[:, 0], v[:, 1], v[:, 2]
        sp2 = vx * vx + vy * vy
        t = -(px * vx + py * vy) / np.maximum(sp2, 1e-300)
        t = np.minimum(np.maximum(t, 0.0), np.maximum(span, 0.0))
        qx, qy = px + vx * t, py + vy * t
        z1 = pz + vz * np.maximum(span, 0.0)
        near_v = (np.minimum(np.abs(pz), np.abs(z1)) < h) | (pz * z1 <= 0)
        return (span >= 0) & (qx * qx + qy * qy < r2) & near_v


def _pairs_sharing_keys(
    leg: np.ndarray, key: np.ndarray, is_new: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of legs that share a key, in groups holding at least one new leg (with repeats)."""
    if key.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    order = np.lexsort((leg, key))
    key, leg = key[order], leg[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    size = np.diff(np.r_[start, key.size])
    has_new = np.maximum.reduceat(is_new[leg].astype(np.int8), start) > 0
    keep_group = (size > 1) & has_new
    leg = leg[np.repeat(keep_group, size)]
    size = size[keep_group]
    first = np.cumsum(size) - size
    partners = np.repeat(first + size, size) - np.arange(leg.size) - 1
    i = np.repeat(np.arange(leg.size), partners)
    j = i + 1 + _ranks(partners)
    return leg[i], leg[j]


class _Flight:
    """An aircraft in the air: its side, current leg, effective end, and where its row is."""

    __slots__ = ("side", "leg", "t1_s", "row", "in_log")

    def __init__(self, side: str, leg: Leg, row: int) -> None:
        self.side = side
        self.leg = leg
        self.t1_s = leg.t1_s
        self.row: int | None = row
        self.in_log = True


_Piece = tuple[float, float, float, float, int, float, float, float, float, float, str, str]
"""Part of an encounter from one pair of legs: window start and end, stay start and end,
category index, CPA time, horizontal and vertical separation, midpoint x and y, sides."""

_Pending = tuple[_Piece, int, int]
"""A piece that may still be cut, with the store rows of the two legs (a_id's first)."""


class Detector:
    """Exact encounters of a run, fed leg by leg in time order (see the module's broad phase).

    Parameters
    ----------
    categories
        Encounter cylinders, most severe first; the outermost must contain all others.
    pairs
        ``"cross-side"`` counts only pairs whose sides differ; ``"all"`` every pair.
    to_latlon
        Maps a plane position ``(x, y)`` in metres to ``(lat, lon)``; NaN if not given.
    cell_m, bucket_s
        Broad-phase grid cell side (default four outermost radii) and time bucket.
    batch_legs
        Smallest number of logged legs handled together.

    Examples
    --------
    >>> det = Detector()
    >>> det.add_leg("US-1", "coalition", Leg(0, 600, 0, -30_000, 7_100, 0, 30_000, 7_100))
    >>> det.add_leg("RU-1", "russia", Leg(0, 600, -30_000, 0, 7_000, 30_000, 0, 7_000))
    >>> [(e.a_id, e.b_id, e.category, e.t_cpa_s, e.min_horizontal_m) for e in det.finish()]
    [('RU-1', 'US-1', 'near_miss', 300.0, 0.0)]
    """

    def __init__(
        self,
        categories: Sequence[Category] = DEFAULT_CATEGORIES,
        pairs: str = "cross-side",
        to_latlon: Callable[[float, float], tuple[float, float]] | None = None,
        *,
        cell_m: float | None = None,
        bucket_s: float = 120.0,
        batch_legs: int = 256,
    ) -> None:
        self._cats = tuple(categories)
        self._outer = outermost(self._cats)
        if pairs not in PAIR_MODES:
            raise ValueError(f"pairs must be one of {PAIR_MODES}, got {pairs!r}")
        self._all_pairs = pairs == "all"
        self._radius = np.array([c.radius_m for c in self._cats], dtype=float)
        self._half = np.array([c.half_height_m for c in self._cats], dtype=float)
        r_out = float(self._radius[self._outer])
        self._reach = 0.5 * r_out + 1.0
        self._cell = 4.0 * r_out if cell_m is None else float(cell_m)
        self._bucket = float(bucket_s)
        if not (self._cell > 0 and self._bucket > 0 and batch_legs >= 1):
            raise ValueError("cell_m and bucket_s must be > 0 and batch_legs >= 1")
        self._batch_min = int(batch_legs)
        self._to_latlon = to_latlon
        self._clock = -math.inf
        self._finished = False
        self._flying: dict[str, _Flight] = {}
        self._store = np.zeros((0, 8))
        self._store_ids: list[str] = []
        self._store_sides: list[str] = []
        self._store_cut: dict[int, float] = {}
        self._log_rows: list[list[float]] = []
        self._log_ids: list[str] = []
        self._log_sides: list[str] = []
        self._side_codes: dict[str, int] = {}
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._open: dict[tuple[str, str], list] = {}
        self._done: list[Encounter] = []

    @property
    def categories(self) -> tuple[Category, ...]:
        """The encounter cylinders, most severe first."""
        return self._cats

    @property
    def pairs(self) -> str:
        """Which pairs count: ``"cross-side"`` or ``"all"``."""
        return "all" if self._all_pairs else "cross-side"

    def add_leg(self, aircraft_id: str, side: str, leg: Leg) -> None:
        """Hand the detector an aircraft's next leg.

        A current leg of the same aircraft that runs past ``leg.t0_s`` is cut there (a
        manoeuvre replaced it); one ending exactly then is simply continued.

        Raises
        ------
        ValueError
            If the leg is malformed, starts before the latest leg or flight end already seen,
            or the aircraft changes side.
        """
        self._check_running()
        row = _leg_row(leg)
        if leg.t0_s < self._clock:
            raise ValueError(
                f"legs must arrive in time order: {aircraft_id!r} starts a leg at "
                f"{leg.t0_s} s, after the detector has reached {self._clock} s"
            )
        flight = self._flying.get(aircraft_id)
        if flight is not None and flight.side != side:
            raise ValueError(f"{aircraft_id!r} is on side {flight.side!r}, got {side!r}")
        self._clock = leg.t0_s
        if flight is not None:
            self._cut(flight, leg.t0_s)
        self._log_rows.append(row)
        self._log_ids.append(aircraft_id)
        self._log_sides.append(side)
        self._side_codes.setdefault(side, len(self._side_codes))
        self._flying[aircraft_id] = _Flight(side, leg, len(self._log_rows) - 1)
        if len(self._log_rows) >= max(self._batch_min, len(self._store_ids)):
            self._flush()

    def end_flight(self, aircraft_id: str, t_s: float) -> None:
        """The aircraft is gone from ``t_s`` on (landed): its current leg is cut there.

        Raises
        ------
        ValueError
            If the aircraft is not flying or ``t_s`` is before the latest time already seen.
        """
        self._check_running()
        if not math.isfinite(t_s) or t_s < self._clock:
            raise ValueError(
                f"end of {aircraft_id!r} at {t_s} s: must be finite and not before the "
                f"detector's time {self._clock} s"
            )
        flight = self._flying.pop(aircraft_id, None)
        if flight is None:
            raise ValueError(f"{aircraft_id!r} is not flying")
        self._clock = t_s
        self._cut(flight, t_s)

    def current_legs(self) -> dict[str, tuple[str, Leg]]:
        """Aircraft still flying, by id: their side and current leg (as cut, if it was)."""
        out: dict[str, tuple[str, Leg]] = {}
        for aircraft_id in sorted(self._flying):
            f = self._flying[aircraft_id]
            out[aircraft_id] = (f.side, f.leg if f.t1_s == f.leg.t1_s else _cut_leg(f.leg, f.t1_s))
        return out

    def advance(self, t_s: float) -> list[Encounter]:
        """Encounters certainly over by ``t_s``, not returned before, sorted; frees their memory.

        This promises that no later leg starts (and no flight ends) before ``t_s``. It is
        optional: :meth:`finish` returns whatever was not returned here.
        """
        self._check_running()
        if not math.isfinite(t_s) or t_s < self._clock:
            raise ValueError(f"cannot advance to {t_s} s: the detector is at {self._clock} s")
        self._clock = t_s
        self._flush()
        return self._take_done()

    def finish(self) -> list[Encounter]:
        """Close everything, legs as planned; return all encounters not returned yet, sorted.

        Sorted by ``(t_start_s, a_id, b_id)``. The detector takes no more legs afterwards.
        """
        self._check_running()
        self._flush()
        for pair, entry in list(self._pending.items()):
            self._merge(pair, entry[0])
        self._pending.clear()
        for pair, op in list(self._open.items()):
            self._close(pair, op)
        self._open.clear()
        self._finished = True
        self._flying.clear()
        self._store = np.zeros((0, 8))
        self._store_ids, self._store_sides = [], []
        return self._take_done()

    # -- internals -------------------------------------------------------------------------

    def _check_running(self) -> None:
        if self._finished:
            raise RuntimeError("the detector has finished; start a new one")

    def _take_done(self) -> list[Encounter]:
        done = sorted(self._done, key=lambda e: (e.t_start_s, e.a_id, e.b_id))
        self._done = []
        return done

    def _cut(self, flight: _Flight, t_s: float) -> None:
        """End a flight's current leg at ``t_s`` if it runs past it."""
        if t_s >= flight.t1_s:
            return
        flight.t1_s = t_s
        if flight.row is None:
            return
        if flight.in_log:
            self._log_rows[flight.row][1] = t_s
        else:
            self._store_cut[flight.row] = t_s

    def _flush(self) -> None:
        """Solve the logged legs against each other and the stored legs; settle what is final."""
        m = self._store.shape[0]
        cut_rows = set(self._store_cut)
        for r, t in self._store_cut.items():
            self._store[r, 1] = t
        batch = np.array(self._log_rows, dtype=float).reshape(-1, 8)
        rows = np.concatenate([self._store, batch]) if batch.shape[0] else self._store
        ids = self._store_ids + self._log_ids
        sides = self._store_sides + self._log_sides
        self._reclip(rows, cut_rows)
        new = self._solve_batch(rows, ids, sides, m) if batch.shape[0] else {}
        self._settle(new)
        self._close_finished()
        self._compact(rows, ids, sides, m)

    def _reclip(self, rows: np.ndarray, cut_rows: set[int]) -> None:
        """Re-solve provisional pieces whose legs were cut since the last batch."""
        redo = [(p, e) for p, e in self._pending.items() if e[1] in cut_rows or e[2] in cut_rows]
        if not redo:
            return
        ra = np.array([e[1] for _, e in redo])
        rb = np.array([e[2] for _, e in redo])
        sol = self._solve_rows(rows, ra, rb)
        fresh = self._pieces(sol, [(p, e[0][10], e[0][11]) for p, e in redo])
        for (pair, entry), piece in zip(redo, fresh, strict=True):
            if piece is None:
                del self._pending[pair]
            else:
                self._pending[pair] = (piece, entry[1], entry[2])

    def _solve_rows(self, rows: np.ndarray, ra: np.ndarray, rb: np.ndarray) -> PairSolution:
        a, b = LegArrays.from_matrix(rows[ra]), LegArrays.from_matrix(rows[rb])
        return _solve(a, b, self._radius, self._half, self._outer)

    def _pieces(
        self, sol: PairSolution, labels: list[tuple[tuple[str, str], str, str]]
    ) -> list[_Piece | None]:
        """One piece per solved pair (None where the pair never entered the outermost cylinder)."""
        k = self._outer
        cols = zip(
            sol.hit.tolist(),
            sol.t_start_s.tolist(),
            sol.t_end_s.tolist(),
            sol.t_in_s[:, k].tolist(),
            sol.t_out_s[:, k].tolist(),
            sol.severity.tolist(),
            sol.t_cpa_s.tolist(),
            sol.min_horizontal_m.tolist(),
            sol.vertical_at_cpa_m.tolist(),
            sol.x_m.tolist(),
            sol.y_m.tolist(),
            labels,
            strict=True,
        )
        out: list[_Piece | None] = []
        for hit, ts, te, t_in, t_out, cat, t_cpa, d, dz, x, y, (_, sa, sb) in cols:
            out.append((ts, te, t_in, t_out, cat, t_cpa, d, dz, x, y, sa, sb) if hit else None)
        return out

    def _solve_batch(
        self, rows: np.ndarray, ids: list[str], sides: list[str], m: int
    ) -> dict[tuple[str, str], list[_Pending]]:
        """Pieces of every pair with a logged leg, found through the space-time grid."""
        n = rows.shape[0]
        is_new = np.arange(n) >= m
        t_first = float(rows[m, 0])
        cand = np.flatnonzero(is_new | (rows[:, 1] >= t_first))
        t_from = np.where(is_new[cand], rows[cand, 0], t_first)
        leg, key = _grid_keys(rows[cand], t_from, self._reach, self._cell, self._bucket)
        i, j = _pairs_sharing_keys(cand[leg], key, is_new)
        codes: dict[str, int] = {}
        aircraft = np.array([codes.setdefault(a, len(codes)) for a in ids], dtype=np.int64)
        ok = (aircraft[i] != aircraft[j]) & (is_new[i] | is_new[j])
        ok &= np.maximum(rows[i, 0], rows[j, 0]) <= np.minimum(rows[i, 1], rows[j, 1])
        if not self._all_pairs:
            side = np.array([self._side_codes[s] for s in sides], dtype=np.int64)
            ok &= side[i] != side[j]
        lo, hi = np.minimum(i[ok], j[ok]), np.maximum(i[ok], j[ok])
        code = np.unique(lo * n + hi)
        lo, hi = code // n, code % n
        near = _may_meet(rows, lo, hi, self._radius[self._outer], self._half[self._outer])
        lo, hi = lo[near], hi[near]
        sol = self._solve_rows(rows, lo, hi)
        hits = np.flatnonzero(sol.hit)
        if hits.size == 0:
            return {}
        sub = _take(sol, hits)
        labels, row_pairs = [], []
        for r, s in zip(lo[hits].tolist(), hi[hits].tolist(), strict=True):
            if ids[r] > ids[s]:
                r, s = s, r
            labels.append(((ids[r], ids[s]), sides[r], sides[s]))
            row_pairs.append((r, s))
        out: dict[tuple[str, str], list[_Pending]] = {}
        for (pair, _, _), (r, s), piece in zip(
            labels, row_pairs, self._pieces(sub, labels), strict=True
        ):
            out.setdefault(pair, []).append((piece, r, s))
        return out

    def _settle(self, new: dict[tuple[str, str], list[_Pending]]) -> None:
        """Merge pieces that can no longer change into encounters, in time order per pair."""
        clock = self._clock
        pairs = list(self._pending) + [p for p in new if p not in self._pending]
        for pair in pairs:
            seq = list(new.get(pair, ()))
            old = self._pending.pop(pair, None)
            if old is not None:
                seq.append(old)
            seq.sort(key=_window_order)
            for entry in seq:
                if entry[0][1] > clock:
                    self._pending[pair] = entry
                else:
                    self._merge(pair, entry[0])

    def _merge(self, pair: tuple[str, str], piece: _Piece) -> None:
        """Add a final piece to the pair's open encounter, or start a new one."""
        op = self._open.get(pair)
        if op is not None and piece[2] <= op[1]:
            op[1] = max(op[1], piece[3])
            op[2] = min(op[2], piece[4])
            if (piece[6], piece[5]) < (op[4], op[3]):
                op[3:8] = piece[5:10]
            return
        if op is not None:
            self._close(pair, op)
        self._open[pair] = [piece[2], piece[3], *piece[4:]]

    def _close_finished(self) -> None:
        """Close open encounters that nothing still to come can extend."""
        for pair, op in list(self._open.items()):
            if op[1] >= self._clock:
                continue
            pend = self._pending.get(pair)
            if pend is None or pend[0][2] > op[1]:
                self._close(pair, op)
                del self._open[pair]

    def _close(self, pair: tuple[str, str], op: list) -> None:
        t_start, t_end, cat, t_cpa, d, dz, x, y, sa, sb = op
        lat, lon = (math.nan, math.nan) if self._to_latlon is None else self._to_latlon(x, y)
        self._done.append(
            Encounter(
                pair[0],
                pair[1],
                sa,
                sb,
                self._cats[cat].name,
                t_start,
                t_end,
                t_cpa,
                d,
                dz,
                float(lat),
                float(lon),
                x,
                y,
            )
        )

    def _compact(self, rows: np.ndarray, ids: list[str], sides: list[str], m: int) -> None:
        """Keep only legs that can still meet a later leg; renumber what points at them."""
        keep = rows[:, 1] >= self._clock
        index = (np.cumsum(keep) - 1).tolist()
        kept = keep.tolist()
        self._store = rows[keep].copy()
        self._store_ids = [a for a, k in zip(ids, kept, strict=True) if k]
        self._store_sides = [s for s, k in zip(sides, kept, strict=True) if k]
        for f in self._flying.values():
            if f.row is not None:
                old = f.row + m if f.in_log else f.row
                f.row = index[old] if kept[old] else None
            f.in_log = False
        for pair, (piece, r, s) in self._pending.items():
            self._pending[pair] = (piece, index[r], index[s])
        self._store_cut.clear()
        self._log_rows, self._log_ids, self._log_sides = [], [], []


def _window_order(entry: _Pending) -> tuple[float, float]:
    """Pieces of one pair in time order: by window start, then window end."""
    return entry[0][0], entry[0][1]


def _take(sol: PairSolution, idx: np.ndarray) -> PairSolution:
    """The pairs ``idx`` of a solution."""
    return PairSolution(
        sol.outer,
        *(getattr(sol, f)[idx] for f in PairSolution.__slots__ if f != "outer"),
    )


def _cut_leg(leg: Leg, t1_s: float) -> Leg:
    """``leg`` ended early at ``t1_s``, keeping its velocity."""
    vx, vy, vz = leg.velocity()
    dt = t1_s - leg.t0_s
    return Leg(
        leg.t0_s,
        t1_s,
        leg.x0_m,
        leg.y0_m,
        leg.z0_m,
        leg.x0_m + vx * dt,
        leg.y0_m + vy * dt,
        leg.z0_m + vz * dt,
    )


__all__ = [
    "Leg",
    "Category",
    "DEFAULT_CATEGORIES",
    "Encounter",
    "ENCOUNTER_COLUMNS",
    "PAIR_MODES",
    "LegArrays",
    "PairSolution",
    "Detector",
    "closest_approach",
    "outermost",
    "solve_pairs",
    "np",
]
