"""Expected encounters and collisions of a run under the position-error model, in closed form.

From the planned legs of a run (as the protocol left them), every *pass* (a pair of legs of
two aircraft flown at the same time, of a pair that counts) that comes within reach of the
outermost cylinder given the errors is found with the detector's space-time grid
(:mod:`sim.encounters.grid`), and :func:`sim.risk.pass_probability` gives the probability
that it enters each category's cylinder and the pair's collision cylinder (radius the mean
of the two wingspans, half-height the mean of the two heights: two cylinders of the
aircraft's size touch).

Passes of one pair whose planned stays inside the outermost cylinder follow each other
without a gap form one planned encounter (as the detector merges them); a pass with no
planned stay is a group of its own. Each group enters a cylinder with probability
``1 - prod(1 - p_k)`` over its passes (each leg carries its own error, so the passes are
treated as independent; exact for a group of one pass, and for small ``p_k`` the sum), and
the expected number of encounters entering a cylinder is the sum over groups.
``p_nmac`` of an encounter is that probability for the most severe cylinder, over the passes
of the pair whose windows overlap the encounter.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.aircraft import find_type
from sim.encounters import DEFAULT_CATEGORIES, Category, Encounter, Leg, outermost
from sim.encounters.closed_form import LegArrays, solve_arrays
from sim.encounters.grid import (
    grid_keys,
    label_run_pairs,
    lexsorted,
    may_meet,
    pairs_sharing_keys,
    run_starts,
)
from sim.risk import leg_covariance, pass_probability
from sim.uncertainty import ErrorModel

__all__ = [
    "DEFAULT_CATEGORIES",
    "ExpectedCounts",
    "counts_of_rows",
    "expected_counts",
    "with_p_nmac",
]

TAIL = 6.0
"""Passes farther than this many standard deviations of the relative error (bounded from
above) from a cylinder are left out: their probability is below 1e-9."""
_BUCKET_S = 300.0
_LEG_FIELDS = operator.attrgetter("t0_s", "t1_s", "x0_m", "y0_m", "z0_m", "x1_m", "y1_m", "z1_m")


@dataclass(frozen=True)
class ExpectedCounts:
    """What the error model expects of a run.

    ``encounters[c]``: expected number of encounters entering category ``c``'s cylinder (its
    grade or worse, like ``encounters_entered``); ``collisions``: expected number of
    collisions; ``passes``: passes within reach. The per-pass arrays serve ``p_nmac``.
    """

    categories: tuple[str, ...]
    encounters: dict[str, float]
    collisions: float
    passes: int
    pair_ids: tuple[tuple[str, str], ...] = ()
    window_s: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 2)))
    p_first: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))

    @property
    def p_collision_given_nmac(self) -> float:
        """Expected collisions over expected encounters entering the most severe cylinder."""
        first = self.encounters[self.categories[0]]
        return self.collisions / first if first > 0 else math.nan


def expected_counts(
    legs: Sequence[tuple[str, Leg]],
    aircraft: Mapping[str, tuple[str, str]],
    categories: Sequence[Category],
    pairs: str,
    model: ErrorModel,
) -> ExpectedCounts:
    """Expected encounters per category and collisions of planned ``legs``.

    Parameters
    ----------
    legs
        ``(aircraft id, leg)`` as planned (after the protocol), in any order.
    aircraft
        Aircraft id -> ``(side, type)``.
    categories
        Encounter cylinders, most severe first.
    pairs
        ``"cross-side"`` or ``"all"``.
    model
        The position-error model.

    Examples
    --------
    Two jets crossing at the same point and level (the default errors):

    >>> legs = [("a", Leg(0, 200, -30000, 0, 7000, 30000, 0, 7000)),
    ...         ("b", Leg(0, 200, 0, -30000, 7000, 0, 30000, 7000))]
    >>> out = expected_counts(legs, {"a": ("coalition", "F-16"), "b": ("russia", "Su-30SM")},
    ...                       DEFAULT_CATEGORIES, "cross-side", ErrorModel())
    >>> out.passes, round(out.encounters["near_miss"], 2), 0 < out.collisions < 0.01
    (1, 0.79, True)
    """
    rows = leg_rows([leg for _, leg in legs])
    return counts_of_rows(rows, [a for a, _ in legs], aircraft, categories, pairs, model)


def counts_of_rows(
    rows: np.ndarray,
    ids: Sequence[str],
    aircraft: Mapping[str, tuple[str, str]],
    categories: Sequence[Category],
    pairs: str,
    model: ErrorModel,
) -> ExpectedCounts:
    """:func:`expected_counts` of legs given as :func:`leg_rows` and the id of each row."""
    cats = tuple(categories)
    names = tuple(c.name for c in cats)
    names_of = sorted(set(ids))
    index = {a: k for k, a in enumerate(names_of)}
    who = np.array([index[a] for a in ids], dtype=np.int64).reshape(-1)
    types = sorted({aircraft[a][1] for a in names_of})
    type_index = {t: k for k, t in enumerate(types)}
    kind_of = np.array([type_index[aircraft[a][1]] for a in names_of], dtype=np.int64)
    kind = kind_of.reshape(-1)[who]  # each row's type, looked up once per aircraft
    per_type = np.array([_leg_sds(model.sd(t)) for t in types], dtype=float).reshape(-1, 3)
    per_leg = per_type[kind]
    side_names = sorted({aircraft[a][0] for a in names_of})
    side_of = np.array([side_names.index(aircraft[a][0]) for a in names_of], dtype=np.int64)
    i, j = _near_passes(rows, who, side_of[who] if pairs != "all" else None, cats, per_leg)
    if i.size == 0:
        return ExpectedCounts(names, dict.fromkeys(names, 0.0), 0.0, 0)
    swap = who[i] > who[j]  # who numbers the ids in sorted order: first id of a pair first
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    dims = np.array([(find_type(t).wingspan_m, find_type(t).height_m) for t in types])
    prob, window, stays = _pass_probabilities(rows, i, j, per_leg, dims[kind], cats)
    first, second = ([names_of[k] for k in who[leg].tolist()] for leg in (i, j))
    pair_ids = tuple(zip(first, second, strict=True))
    group = _groups(who[i], who[j], window, stays)
    miss = np.zeros((int(group.max()) + 1, prob.shape[1]))
    with np.errstate(divide="ignore"):
        np.add.at(miss, group, np.log1p(-np.minimum(prob, 1.0)))
    p_group = -np.expm1(miss)
    totals = p_group.sum(axis=0)
    return ExpectedCounts(
        names,
        {n: float(totals[k]) for k, n in enumerate(names)},
        float(totals[-1]),
        int(i.size),
        pair_ids,
        window,
        prob[:, 0],
    )


def with_p_nmac(encounters: Sequence[Encounter], expected: ExpectedCounts) -> list[Encounter]:
    """The encounters with ``p_nmac``: the probability of entering the most severe cylinder
    over the passes of the pair whose windows overlap the encounter (0 if none is in reach).
    """
    by_pair: dict[tuple[str, str], list[int]] = {}
    for k, pair in enumerate(expected.pair_ids):
        by_pair.setdefault(pair, []).append(k)
    out = []
    for e in encounters:
        idx = np.array(by_pair.get((e.a_id, e.b_id), []), dtype=np.int64)
        p = 0.0
        if idx.size:
            lo, hi = expected.window_s[idx, 0], expected.window_s[idx, 1]
            if e.t_end_s > e.t_start_s:
                hit = (lo < e.t_end_s) & (hi > e.t_start_s)
            else:
                hit = (lo <= e.t_start_s) & (hi >= e.t_start_s)
            p = float(-np.expm1(np.sum(np.log1p(-np.minimum(expected.p_first[idx[hit]], 1.0)))))
        out.append(dataclasses.replace(e, p_nmac=p))
    return out


def leg_rows(legs: Sequence[Leg]) -> np.ndarray:
    """``(n, 8)`` rows ``t0, t1, x, y, z, vx, vy, vz`` of legs (zero velocity if zero length)."""
    fields = itertools.chain.from_iterable(map(_LEG_FIELDS, legs))
    raw = np.fromiter(fields, dtype=float, count=8 * len(legs)).reshape(-1, 8)
    dt = raw[:, 1] - raw[:, 0]
    if not np.isfinite(raw).all() or (dt < 0).any():
        raise ValueError("legs must be finite and end no earlier than they start")
    safe = np.where(dt > 0, dt, 1.0)[:, None]
    rows = raw.copy()
    rows[:, 5:8] = np.where(dt[:, None] > 0, (raw[:, 5:8] - raw[:, 2:5]) / safe, 0.0)
    return rows


def _leg_sds(sd: object) -> tuple[float, float, float]:
    return (sd.lateral_m, sd.along_s, sd.vertical_m)  # type: ignore[attr-defined]


def _reach(rows: np.ndarray, per_leg: np.ndarray) -> tuple[float, float]:
    """Bounds on the sd of the relative error, horizontally and vertically (m)."""
    speed_h = np.hypot(rows[:, 5], rows[:, 6])
    h = np.sqrt(per_leg[:, 0] ** 2 + (per_leg[:, 1] * speed_h) ** 2)
    v = np.sqrt(per_leg[:, 2] ** 2 + (per_leg[:, 1] * rows[:, 7]) ** 2)
    return float(h.max()) * math.sqrt(2.0), float(v.max()) * math.sqrt(2.0)


def _near_passes(
    rows: np.ndarray,
    who: np.ndarray,
    side: np.ndarray | None,
    cats: tuple[Category, ...],
    per_leg: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of leg rows of two aircraft (of different sides, if ``side`` is given) flown at
    the same time within reach of the outermost cylinder.
    """
    n = rows.shape[0]
    if n < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    outer = cats[outermost(cats)]
    sd_h, sd_v = _reach(rows, per_leg)
    radius, half = outer.radius_m + TAIL * sd_h, outer.half_height_m + TAIL * sd_v
    leg, key = grid_keys(rows, rows[:, 0], 0.5 * radius + 1.0, 4.0 * radius, _BUCKET_S)
    if side is None:
        i, j = pairs_sharing_keys(leg, key, np.ones(n, dtype=bool))
        ok = who[i] != who[j]
    else:
        i, j = _cross_pairs(leg, key, side[leg])
        ok = np.ones(i.size, dtype=bool)
    t0, t1 = rows[:, 0].copy(), rows[:, 1].copy()
    ok &= np.maximum(t0[i], t0[j]) <= np.minimum(t1[i], t1[j])
    code = np.sort(np.minimum(i[ok], j[ok]) * n + np.maximum(i[ok], j[ok]))
    code = code[run_starts(code)]  # distinct, in order
    lo, hi = code // n, code % n
    near = may_meet(rows, lo, hi, radius, half)
    return lo[near], hi[near]


def _cross_pairs(
    leg: np.ndarray, key: np.ndarray, label: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of entries ``(leg, key)`` with equal keys and different labels (with repeats).

    The pairs of :func:`~sim.encounters.grid.pairs_sharing_keys` whose legs differ in label,
    without forming the others: in a dense sky most legs sharing a cell are on one side.

    Examples
    --------
    >>> i, j = _cross_pairs(np.array([0, 1, 2, 3]), np.array([5, 5, 5, 6]), np.array([0, 0, 1, 1]))
    >>> i.tolist(), j.tolist()
    ([0, 1], [2, 2])
    """
    key, label, leg = lexsorted(key, label, leg)
    return label_run_pairs(key, leg, label, run_starts(key))


def _pass_probabilities(
    rows: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    per_leg: np.ndarray,
    dims: np.ndarray,
    cats: tuple[Category, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pass: probabilities (categories, then collision), window, planned outer stay."""
    a, b = LegArrays.from_matrix(rows[i]), LegArrays.from_matrix(rows[j])
    radius = np.array([c.radius_m for c in cats])
    half = np.array([c.half_height_m for c in cats])
    k_out = outermost(cats)
    sol = solve_arrays(a, b, radius, half, k_out)
    ts, te = sol.t_start_s, sol.t_end_s
    xa, ya, za = a.position_at(ts)
    xb, yb, zb = b.position_at(ts)
    p = np.stack([xa - xb, ya - yb, za - zb], axis=1)
    v = rows[i, 5:8] - rows[j, 5:8]
    cov = leg_covariance(rows[i, 5:8], *per_leg[i].T) + leg_covariance(rows[j, 5:8], *per_leg[j].T)
    span, height = dims[:, 0], dims[:, 1]
    r_all = np.column_stack(
        [np.broadcast_to(radius, (i.size, radius.size)), (span[i] + span[j]) / 2]
    )
    h_all = np.column_stack(
        [np.broadcast_to(half, (i.size, half.size)), (height[i] + height[j]) / 2]
    )
    prob = np.zeros(r_all.shape)
    reach = _in_reach(p, v, cov, te - ts, r_all, h_all)
    rr, cc = np.nonzero(reach)
    if rr.size:
        prob[rr, cc] = _one_each(p[rr], v[rr], cov[rr], (te - ts)[rr], r_all[rr, cc], h_all[rr, cc])
    stays = np.column_stack([sol.t_in_s[:, k_out], sol.t_out_s[:, k_out]])
    return prob, np.column_stack([ts, te]), stays


def _one_each(
    p: np.ndarray, v: np.ndarray, cov: np.ndarray, span: np.ndarray, r: np.ndarray, h: np.ndarray
) -> np.ndarray:
    """``pass_probability`` of one cylinder per pass."""
    return pass_probability(p, v, cov, span, r[:, None], h[:, None])[:, 0]


def _in_reach(
    p: np.ndarray, v: np.ndarray, cov: np.ndarray, span: np.ndarray, r: np.ndarray, h: np.ndarray
) -> np.ndarray:
    """(pass, cylinder) items whose planned approach is within ``TAIL`` sds of the cylinder."""
    sd_h = np.sqrt(cov[:, 0, 0] + cov[:, 1, 1])
    sd_v = np.sqrt(cov[:, 2, 2])
    sp2 = v[:, 0] ** 2 + v[:, 1] ** 2
    t = np.where(sp2 > 0, -(p[:, 0] * v[:, 0] + p[:, 1] * v[:, 1]) / np.where(sp2 > 0, sp2, 1.0), 0)
    t = np.clip(t, 0.0, span)
    d = np.hypot(p[:, 0] + v[:, 0] * t, p[:, 1] + v[:, 1] * t)
    z0, z1 = p[:, 2], p[:, 2] + v[:, 2] * span
    dz = np.where(z0 * z1 <= 0, 0.0, np.minimum(np.abs(z0), np.abs(z1)))
    return (d[:, None] < r + TAIL * sd_h[:, None]) & (dz[:, None] < h + TAIL * sd_v[:, None])


def _groups(
    first: np.ndarray, second: np.ndarray, window: np.ndarray, stays: np.ndarray
) -> np.ndarray:
    """Group number of each pass: passes of a pair whose planned stays join up share one.

    Passes are taken in order of pair (``first``, ``second``: ranks of the two ids), then
    window (stable); a pass joins the group of the one before it when both have a planned
    stay, of the same pair, and its stay starts no later than that one ends.
    """
    order = np.lexsort((window[:, 1], window[:, 0], second, first))
    a, b, s_in, s_out = first[order], second[order], stays[order, 0], stays[order, 1]
    inside = ~np.isnan(s_in)
    joins = np.zeros(order.size, dtype=bool)
    same_pair = (a[1:] == a[:-1]) & (b[1:] == b[:-1])
    joins[1:] = same_pair & inside[1:] & inside[:-1] & (s_in[1:] <= s_out[:-1])
    group = np.empty(order.size, dtype=np.int64)
    group[order] = np.cumsum(~joins) - 1
    return group
