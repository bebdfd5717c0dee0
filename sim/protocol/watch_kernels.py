"""The conflict watch's per-look arithmetic, compiled with Numba.

A look handles a few rows (about 15 paths listed, 7 legs of the flight's own path, 13 of the
others'), where each numpy call costs more than its arithmetic. These loops do the same
floating-point operations, in the same order, as the code they replace: the box test of the
watch's candidates, :func:`~sim.protocol.lookahead.close_pairs`, the path ahead of
:func:`~sim.protocol.ahead.path_and_box` and the merge of a few pairs' stays in a rule's
cylinders (the closed form of ``sim.encounters.closed_form.cylinder_intervals``), so they give
the same floats; ``tests/test_watch_kernels.py`` and ``tests/test_lookahead.py`` check them
bit for bit. Few arrays are handed back to Python: each costs more than a look's arithmetic.
Compiled code is cached next to this file, so a process loads it instead of compiling it.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim.encounters.closed_form import STILL_MPS

__all__ = ["candidates", "look", "merged_stays_few", "near_leg_pairs", "store_path"]

STILL2 = STILL_MPS * STILL_MPS


@numba.njit(cache=True)
def _maximum(a: float, b: float) -> float:
    """``np.maximum`` of two floats (NaN if either is)."""
    if a != a or b != b:
        return a + b
    return a if a >= b else b


@numba.njit(cache=True)
def _minimum(a: float, b: float) -> float:
    """``np.minimum`` of two floats (NaN if either is)."""
    if a != a or b != b:
        return a + b
    return a if a <= b else b


@numba.njit(cache=True)
def candidates(
    boxes: np.ndarray,
    tops: np.ndarray,
    listed: np.ndarray,
    live: np.ndarray,
    codes: np.ndarray,
    reaches: np.ndarray,
    row: int,
    now: float,
) -> tuple[np.ndarray, bool, np.ndarray, np.ndarray]:
    """The rows whose box comes within their reach of ``row``'s box (see the watch's
    ``_candidates``), after listing ``row`` and dropping the rows whose box ends by ``now``
    from ``listed``.

    Returns the listed rows (``live``, ascending), whether they changed, the rows near
    ``row``'s box and their reaches: ``boxes[c, j] <= tops[c, row] + reach`` for the four
    sides ``c``, with ``reach = reaches[codes[row], codes[j]]``.
    """
    changed = False
    if not listed[row]:
        listed[row] = True
        live = np.flatnonzero(listed)
        changed = True
    alive = 0
    for j in live:
        if boxes[4, j] > now:
            alive += 1
    if alive < len(live):
        kept = np.empty(alive, dtype=np.int64)
        n = 0
        for j in live:
            if boxes[4, j] > now:
                kept[n] = j
                n += 1
            else:
                listed[j] = False
        live = kept
        changed = True
    others = np.empty(len(live), dtype=np.int64)
    reach = np.empty(len(live))
    code = codes[row]
    n = 0
    for j in live:
        r = reaches[code, codes[j]]
        if (
            boxes[0, j] <= tops[0, row] + r
            and boxes[1, j] <= tops[1, row] + r
            and boxes[2, j] <= tops[2, row] + r
            and boxes[3, j] <= tops[3, row] + r
        ):
            others[n] = j
            reach[n] = r
            n += 1
    return live, changed, others[:n], reach[:n]


@numba.njit(cache=True)
def look(
    paths: np.ndarray,
    boxes: np.ndarray,
    tops: np.ndarray,
    listed: np.ndarray,
    live: np.ndarray,
    codes: np.ndarray,
    reaches: np.ndarray,
    row: int,
    now: float,
    height: float,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """One look of the watch: :func:`candidates`, then :func:`near_leg_pairs` with them.

    Returns the new listed rows (None if unchanged) and, if some leg pairs come near, the
    candidate rows (``others``), the pairs' indices (rows ``ka``, ``ib``, ``kb``) and their
    separations (rows ``d``, ``dz``); else three Nones. Few arrays come back to Python:
    handing each over costs more than the look's arithmetic.
    """
    live, changed, others, reach = candidates(boxes, tops, listed, live, codes, reaches, row, now)
    new_live = live if changed else None
    ka, ib, kb, d, dz = near_leg_pairs(paths, row, others, reach, height, now)
    n = len(ka)
    if n == 0:
        return new_live, None, None, None
    index = np.empty((3, n), dtype=np.int64)
    gaps = np.empty((2, n))
    index[0], index[1], index[2] = ka, ib, kb
    gaps[0], gaps[1] = d, dz
    return new_live, others, index, gaps


@numba.njit(cache=True)
def near_leg_pairs(
    paths: np.ndarray,
    row: int,
    others: np.ndarray,
    reach: np.ndarray,
    height: float,
    now: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of a leg of ``row``'s path and a leg of another row's path, both still
    flown after ``now``, flown at the same time and coming within the pair's ``reach``
    horizontally and ``height`` vertically over their common window.

    Returns, in the order of ``row``'s legs and then of ``others`` and their legs, the index
    of ``row``'s leg in its path, the position in ``others``, the other leg's index in its
    path, the least horizontal separation and the least vertical separation (0 when the
    altitudes cross), as :func:`~sim.protocol.lookahead.close_pairs` computes them.
    """
    mine = paths[row]
    n_legs = paths.shape[1]
    cap = n_legs * n_legs * len(others)
    ka = np.empty(cap, dtype=np.int64)
    ib = np.empty(cap, dtype=np.int64)
    kb = np.empty(cap, dtype=np.int64)
    dd = np.empty(cap)
    dzz = np.empty(cap)
    n = 0
    for i in range(n_legs):
        a = mine[i]
        if not a[1] > now:
            continue
        for j in range(len(others)):
            theirs = paths[others[j]]
            for k in range(n_legs):
                t = theirs[k]
                if not t[1] > now:
                    continue
                lo = _maximum(a[0], t[0])
                if not lo <= _minimum(a[1], t[1]):
                    continue
                span = _minimum(a[1], t[1]) - lo
                px = a[2] + a[5] * (lo - a[0]) - t[2]
                px -= t[5] * (lo - t[0])
                py = a[3] + a[6] * (lo - a[0]) - t[3]
                py -= t[6] * (lo - t[0])
                dz0 = a[4] + a[7] * (lo - a[0]) - t[4]
                dz0 -= t[7] * (lo - t[0])
                vx, vy, vz = a[5] - t[5], a[6] - t[6], a[7] - t[7]
                sp2 = vx * vx + vy * vy
                at = 0.0
                if sp2 > STILL2:
                    at = _minimum(_maximum(-(px * vx + py * vy) / sp2, 0.0), span)
                d = np.hypot(px + vx * at, py + vy * at)
                dz1 = dz0 + vz * span
                dz = 0.0 if dz0 * dz1 <= 0 else _minimum(abs(dz0), abs(dz1))
                if d < reach[j] and dz < height:
                    ka[n], ib[n], kb[n], dd[n], dzz[n] = i, j, k, d, dz
                    n += 1
    return ka[:n], ib[:n], kb[:n], dd[:n], dzz[:n]


@numba.njit(cache=True)
def store_path(
    paths: np.ndarray,
    boxes: np.ndarray,
    tops: np.ndarray,
    row: int,
    stored: int,
    leg: np.ndarray,
    route: np.ndarray,
    seg_m: np.ndarray,
    start: int,
    first_m: float,
    speed: float,
    until_s: float,
    max_legs: int,
) -> tuple[int, float]:
    """Write a flight's path ahead into ``paths[row]`` (``stored``: legs held there before)
    and its box into ``boxes`` and ``tops``, as :func:`~sim.protocol.ahead.path_and_box`
    builds them. Returns the number of legs and the path's end time.

    ``leg`` is the current leg's row and its end point (11 floats); ``route[start:]`` the
    waypoints after it, ``first_m`` the distance from the leg's end to the first of them and
    ``seg_m[k]`` the distance from ``route[k]`` to ``route[k + 1]`` (by ``math.hypot``, as the
    plain loop measures them).
    """
    path = paths[row]
    path[0, :8] = leg[:8]
    t, x, y, z = leg[1], leg[8], leg[9], leg[10]
    # the box as min() and max() of the points in order give it (the first of equal ones)
    x_lo, x_hi, y_lo, y_hi = leg[2], leg[2], leg[3], leg[3]
    if x < x_lo:
        x_lo = x
    if x > x_hi:
        x_hi = x
    if y < y_lo:
        y_lo = y
    if y > y_hi:
        y_hi = y
    n = 1
    for i in range(start, len(route)):
        if t >= until_s or n >= max_legs:
            break
        px, py, pz = route[i, 0], route[i, 1], route[i, 2]
        dt = (first_m if i == start else seg_m[i - 1]) / speed
        t_next = t + dt
        if dt > 0:
            r = path[n]
            r[0], r[1], r[2], r[3], r[4] = t, t_next, x, y, z
            r[5], r[6], r[7] = (px - x) / dt, (py - y) / dt, (pz - z) / dt
            n += 1
        t, x, y, z = t_next, px, py, pz
        if x < x_lo:
            x_lo = x
        if x > x_hi:
            x_hi = x
        if y < y_lo:
            y_lo = y
        if y > y_hi:
            y_hi = y
    for k in range(n, stored):
        path[k, 0] = -np.inf
        path[k, 1] = -np.inf
    end = path[n - 1, 1]
    boxes[0, row], boxes[1, row], boxes[2, row], boxes[3, row] = x_lo, y_lo, -x_hi, -y_hi
    boxes[4, row] = end
    tops[0, row], tops[1, row], tops[2, row], tops[3, row] = x_hi, y_hi, -x_lo, -y_lo
    return n, end


@numba.njit(cache=True)
def _stay_bounds(
    moving: bool,
    speed: float,
    t_min: float,
    d_line: float,
    climbing: bool,
    pz: float,
    vz: float,
    r: float,
    h: float,
) -> tuple[float, float]:
    """A pair's stay in one cylinder, from the window's start (``lo``, ``hi``), as
    ``sim.protocol.lookahead._stays_listed`` bounds it (Python's ``min`` and ``max``).
    """
    if d_line < r:
        half_w = math.sqrt((r - d_line) * (r + d_line)) / speed
        lo_h, hi_h = (t_min - half_w, t_min + half_w) if moving else (-math.inf, math.inf)
    else:
        lo_h, hi_h = math.inf, -math.inf
    if climbing:
        e1, e2 = (-h - pz) / vz, (h - pz) / vz
        lo_v = e2 if e2 < e1 else e1
        hi_v = e2 if e2 > e1 else e1
    else:
        lo_v, hi_v = (-math.inf, math.inf) if abs(pz) < h else (math.inf, -math.inf)
    lo = lo_v if lo_v > lo_h else lo_h
    hi = hi_v if hi_v < hi_h else hi_h
    return lo, hi


@numba.njit(cache=True)
def merged_stays_few(
    a: np.ndarray,
    t: np.ndarray,
    others: np.ndarray,
    n_others: int,
    wanted: np.ndarray,
    radius: np.ndarray,
    half: np.ndarray,
    floors: np.ndarray,
) -> np.ndarray:
    """:func:`~sim.protocol.lookahead.merged_stays` pair by pair: one row ``rule, other,
    t_in, t_out, breach`` per rule and other aircraft, in the order they are first met.
    """
    n_rules = len(floors)
    slot = np.full((n_rules, n_others), -1, dtype=np.int64)
    out = np.empty((len(a) * n_rules, 5))
    m = 0
    for p in range(len(a)):
        ra, rt = a[p], t[p]
        ts = rt[0] if rt[0] > ra[0] else ra[0]
        te = rt[1] if rt[1] < ra[1] else ra[1]
        span = te - ts
        px = ra[2] + ra[5] * (ts - ra[0]) - (rt[2] + rt[5] * (ts - rt[0]))
        py = ra[3] + ra[6] * (ts - ra[0]) - (rt[3] + rt[6] * (ts - rt[0]))
        pz = ra[4] + ra[7] * (ts - ra[0]) - (rt[4] + rt[7] * (ts - rt[0]))
        vx, vy, vz = ra[5] - rt[5], ra[6] - rt[6], ra[7] - rt[7]
        sp2 = vx * vx + vy * vy
        moving = sp2 > STILL2
        speed = math.sqrt(sp2) if moving else 1.0
        t_min = -(px * vx + py * vy) / sp2 if moving else 0.0
        d_line = abs(px * vy - py * vx) / speed if moving else np.hypot(px, py)
        climbing = abs(vz) > STILL_MPS
        for k in range(n_rules):
            if not wanted[p, k]:
                continue
            lo, hi = _stay_bounds(
                moving, speed, t_min, d_line, climbing, pz, vz, radius[k], half[k]
            )
            if not (span >= 0 and lo < span and hi > 0 and lo < hi):
                continue
            breach = False
            if floors[k] >= 0:
                c = n_rules + floors[k]
                f_lo, f_hi = _stay_bounds(
                    moving, speed, t_min, d_line, climbing, pz, vz, radius[c], half[c]
                )
                breach = span >= 0 and f_lo < span and f_hi > 0 and f_lo < f_hi
            t_in = ts if lo <= 0 else ts + lo
            t_out = te if hi >= span else ts + hi
            j = others[p]
            s = slot[k, j]
            if s < 0:
                slot[k, j] = m
                out[m, 0], out[m, 1], out[m, 2], out[m, 3] = k, j, t_in, t_out
                out[m, 4] = 1.0 if breach else 0.0
                m += 1
            else:
                if t_in < out[s, 2]:
                    out[s, 2] = t_in
                if t_out > out[s, 3]:
                    out[s, 3] = t_out
                if breach:
                    out[s, 4] = 1.0
    return out[:m]
