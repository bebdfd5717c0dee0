"""The conflict watch's arithmetic on leg rows: which legs come close, and their stays inside.

Rows are ``t0, t1, x, y, z, vx, vy, vz`` (``sim.protocol.ahead``). :func:`close_pairs` finds
the pairs of legs flown at the same time and their least horizontal and vertical separations
over their common window; :func:`stays` solves pairs for cylinders in closed form. Both are the
closed forms of ``sim.encounters.closed_form`` cut down to what the watch reads, with the same
floating-point operations in the same order, so they give the same floats as
:func:`~sim.encounters.closed_form.solve_arrays` for the same pairs, with fewer numpy calls.
"""

from __future__ import annotations

import math

import numpy as np

from sim.encounters.closed_form import STILL_MPS, cylinder_intervals
from sim.protocol.watch_kernels import merged_stays_few

__all__ = ["close_pairs", "merged_stays", "pair_reach", "pair_rules", "stays"]

FEW = 20
"""Up to this many pairs are merged one by one by a compiled loop (``merged_stays_few``), more
with numpy arrays."""


def close_pairs(
    mine: np.ndarray, theirs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of a leg of ``mine`` and a leg of ``theirs`` flown at the same time, and how
    close each pair comes over its common window.

    Returns the indices into ``mine`` and ``theirs`` of each pair (row-major order), its least
    horizontal separation and its least vertical separation (0 when the altitudes cross).

    The watch itself runs the compiled :func:`~sim.protocol.watch_kernels.near_leg_pairs`;
    this is the numpy statement of the same arithmetic that it is checked against.

    Examples
    --------
    >>> a = np.array([[0, 200, 0, 0, 1000, 10, 0, 0]], float)
    >>> b = np.array([[50, 150, 2000, 300, 1500, -10, 0, 0], [200, 300, 0, 0, 0, 0, 0, 0]])
    >>> ia, jt, d, dz = close_pairs(a, b)
    >>> ia.tolist(), jt.tolist(), d.tolist(), dz.tolist()
    ([0, 0], [0, 1], [300.0, 2000.0], [500.0, 1000.0])
    """
    ia, jt = np.nonzero(
        np.maximum(mine[:, None, 0], theirs[None, :, 0])
        <= np.minimum(mine[:, None, 1], theirs[None, :, 1])
    )
    if len(ia) == 0:
        empty = np.zeros(0)
        return ia, jt, empty, empty
    a, t = mine[ia], theirs[jt]
    lo = np.maximum(a[:, 0], t[:, 0])
    span = np.minimum(a[:, 1], t[:, 1]) - lo
    # relative position (x, y, z) at the window's start, and relative velocity
    rel = a[:, 2:5] + a[:, 5:8] * (lo - a[:, 0])[:, None] - t[:, 2:5]
    rel -= t[:, 5:8] * (lo - t[:, 0])[:, None]
    rv = a[:, 5:8] - t[:, 5:8]
    # closest approach within the window (as sim.encounters.closest_approach from 0 to span)
    px, py, dz0 = rel[:, 0], rel[:, 1], rel[:, 2]
    vx, vy, vz = rv[:, 0], rv[:, 1], rv[:, 2]
    sp2 = vx * vx + vy * vy
    moving = sp2 > STILL_MPS * STILL_MPS
    if np.logical_and.reduce(moving):
        at = np.minimum(np.maximum(-(px * vx + py * vy) / sp2, 0.0), span)
    else:
        t_min = -(px * vx + py * vy) / np.where(moving, sp2, 1.0)
        at = np.where(moving, np.minimum(np.maximum(t_min, 0.0), span), 0.0)
    d = np.hypot(px + vx * at, py + vy * at)
    # vertical separation is linear in time: its least value over the common window
    dz1 = dz0 + vz * span
    dz = np.where(dz0 * dz1 <= 0, 0.0, np.minimum(np.abs(dz0), np.abs(dz1)))
    return ia, jt, d, dz


def stays(
    a: np.ndarray,
    t: np.ndarray,
    radius: np.ndarray,
    half: np.ndarray,
    need: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Whether each pair of legs (rows of ``a`` and ``t``) is inside each cylinder (radius and
    half-height, last axis) at some instant of their common window, and what the stay's ends
    are made of.

    Returns ``inside`` (pairs x cylinders) and, to be read where ``inside`` holds, ``lo`` and
    ``hi`` (the stay's bounds from the window's start, unclipped) and the window's start and
    end (per pair): the stay runs from ``start`` when ``lo <= 0`` (else ``start + lo``) to
    ``end`` when ``hi >= end - start`` (else ``start + hi``), exactly the ``t_in_s`` and
    ``t_out_s`` of :func:`~sim.encounters.closed_form.solve_arrays`. With ``need`` (pairs x
    cylinders), only the entries it marks are sure to be solved: the others may read as never
    inside.
    """
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ts = np.maximum(a[:, 0], t[:, 0])
        te = np.minimum(a[:, 1], t[:, 1])
        span = (te - ts)[:, None]
        p = a[:, 2:5] + a[:, 5:8] * (ts - a[:, 0])[:, None]
        p -= t[:, 2:5] + t[:, 5:8] * (ts - t[:, 0])[:, None]
        v = a[:, 5:8] - t[:, 5:8]
        _, _, _, lo, hi = cylinder_intervals(
            p[:, 0], p[:, 1], p[:, 2], v[:, 0], v[:, 1], v[:, 2], radius, half
        )
        inside = (span >= 0) & (lo < span) & (hi > 0) & (lo < hi)
    return inside, lo, hi, ts, te


def merged_stays(
    a: np.ndarray,
    t: np.ndarray,
    others: np.ndarray,
    wanted: np.ndarray,
    cylinders: tuple[np.ndarray, np.ndarray],
    floors: list[int],
) -> dict[tuple[int, int], list]:
    """Per rule and other aircraft, the earliest entry into the rule's cylinder over the pairs
    of legs (rows of ``a`` and ``t``, the other aircraft's index in ``others``) the rule
    watches (``wanted``: pairs x rules), the latest exit, and whether one of those pairs also
    comes inside the rule's allowance floor.

    ``cylinders`` are the radii and half-heights of the rules' cylinders, then of the floors;
    ``floors`` gives per rule the index of its floor among those (-1: none). Keys are
    ``(rule, other)``, values ``[t_in, t_out, breach]`` (the entries and exits as
    :func:`stays` gives them).
    """
    n_rules = len(floors)
    floored = [k for k, floor in enumerate(floors) if floor >= 0]
    found: dict[tuple[int, int], list] = {}
    if len(a) <= FEW:  # pair by pair, compiled
        n_others = int(others.max()) + 1 if len(others) else 0
        rows = merged_stays_few(
            a, t, others, n_others, wanted, *cylinders, np.asarray(floors, dtype=np.int64)
        )
        return {(int(k), int(j)): [t_in, t_out, b > 0] for k, j, t_in, t_out, b in rows.tolist()}
    need = np.concatenate([wanted, wanted[:, floored]], axis=1)
    inside, lo, hi, ts, te = stays(a, t, *cylinders, need)
    pair, rule_k = np.nonzero(inside[:, :n_rules] & wanted)
    span = te - ts
    for p, k, j, s0, s1, w, l_, h_ in zip(
        pair.tolist(),
        rule_k.tolist(),
        others[pair].tolist(),
        ts[pair].tolist(),
        te[pair].tolist(),
        span[pair].tolist(),
        lo[pair, rule_k].tolist(),
        hi[pair, rule_k].tolist(),
        strict=True,
    ):
        floor = floors[k]
        breach = floor >= 0 and bool(inside[p, n_rules + floor])
        _merge(found, (k, j), s0, s1, w, l_, h_, breach)
    return found


def _merge(
    found: dict[tuple[int, int], list],
    key: tuple[int, int],
    s0: float,
    s1: float,
    w: float,
    lo: float,
    hi: float,
    breach: bool,
) -> None:
    """Add one pair's stay (window ``s0``-``s1`` of length ``w``; bounds ``lo``, ``hi`` as
    :func:`stays` gives them) to the stays found for its rule and other aircraft.
    """
    t_in = s0 if lo <= 0 else s0 + lo
    t_out = s1 if hi >= w else s0 + hi
    old = found.get(key)
    if old is None:
        found[key] = [t_in, t_out, breach]
    else:
        old[0] = min(old[0], t_in)
        old[1] = max(old[1], t_out)
        old[2] = old[2] or breach


def pair_reach(
    radii: list[tuple[float, bool]],
    a: tuple[int, tuple[bool, ...]],
    b: tuple[int, tuple[bool, ...]],
    widest: float,
) -> float:
    """How far apart the boxes of two aircraft may be for a rule to concern them: the widest
    radius (``radii``: per rule, its radius with some slack and whether it has roles) of the
    rules that watch the pair, never beyond ``widest``; -inf when none does or when the two are
    of one side. ``a`` and ``b`` are each aircraft's side and, per rule, whether it plays the
    rule's first and second role (flattened).

    Examples
    --------
    >>> radii = [(9261.0, False), (37041.0, True)]
    >>> escort, bomber = (1, (True, True, True, False)), (2, (True, True, False, True))
    >>> pair_reach(radii, escort, bomber, 37040.0), pair_reach(radii, bomber, bomber, 37040.0)
    (37040.0, -inf)
    >>> pair_reach(radii, escort, (2, (True, True, False, False)), 37040.0)
    9261.0
    """
    if a[0] == b[0]:
        return -math.inf
    near = [
        radius
        for k, (radius, roled) in enumerate(radii)
        if not roled or (a[1][2 * k] and b[1][2 * k + 1]) or (a[1][2 * k + 1] and b[1][2 * k])
    ]
    return min(max(near), widest) if near else -math.inf


def pair_rules(a: tuple[int, tuple[bool, ...]], b: tuple[int, tuple[bool, ...]]) -> list[bool]:
    """Per rule, whether it watches a pair of aircraft of these roles (as for
    :func:`pair_reach`; a rule without roles plays both of its roles with everyone).

    Examples
    --------
    >>> pair_rules((1, (True, True, True, False)), (2, (True, True, False, True)))
    [True, True]
    """
    r, s = a[1], b[1]
    return [(r[k] and s[k + 1]) or (r[k + 1] and s[k]) for k in range(0, len(r), 2)]
