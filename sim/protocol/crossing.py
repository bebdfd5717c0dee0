"""The cheap first pass of ``sim.protocol.avoidance.path_crosses``, compiled with Numba.

Which segments of a path may touch an area while it is active: their box meets the area's
box, they come within its outer disk, they are flown during its window, and (with a block)
their altitudes reach into it. A path has a few dozen segments, where each numpy call costs
more than its arithmetic; this loop does the same floating-point operations as the numpy
version in the same order (times accumulated leg by leg as ``np.cumsum`` does), so the same
segments pass, with the same squared distances.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["may_touch"]


@numba.njit(cache=True)
def may_touch(
    pts: np.ndarray,
    first: int,
    stop: int,
    t0: float,
    speed: float,
    bounds: tuple[float, float, float, float],
    centre: tuple[float, float],
    radius2: float,
    window: tuple[float, float],
    block: tuple[float, float],
    all_altitudes: bool,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The segments ``first..stop-1`` of the path through ``pts`` (``(n, 3)``, flown from
    ``t0`` at ``speed``) that pass every cheap test, as indices from ``first`` with their
    squared distances from the area's centre; None when none does.
    """
    x0, y0, x1, y1 = bounds
    cx, cy = centre
    idx = np.empty(max(stop - first, 0), dtype=np.int64)
    d2s = np.empty(max(stop - first, 0))
    n = 0
    t = t0  # time at pts[i], accumulated as np.cumsum(seg / speed) is
    acc = 0.0
    for i in range(stop):
        ax, ay, az = pts[i, 0], pts[i, 1], pts[i, 2]
        bx, by, bz = pts[i + 1, 0], pts[i + 1, 1], pts[i + 1, 2]
        acc_next = acc + np.hypot(bx - ax, by - ay) / speed
        t_a, t_b = t, t0 + acc_next
        acc, t = acc_next, t0 + acc_next
        if i < first:
            continue
        if not (
            max(ax, bx) >= x0 and min(ax, bx) <= x1 and max(ay, by) >= y0 and min(ay, by) <= y1
        ):
            continue
        dx, dy = bx - ax, by - ay
        px, py = cx - ax, cy - ay
        length2 = dx * dx + dy * dy
        s = (px * dx + py * dy) / (length2 if length2 > 0 else 1.0)
        s = 0.0 if not s > 0.0 else s  # np.clip(s, 0, 1) (finite s)
        s = 1.0 if s > 1.0 else s
        ex, ey = px - s * dx, py - s * dy
        d2 = ex * ex + ey * ey
        if not d2 <= radius2:
            continue
        if not (t_b >= window[0] and t_a <= window[1]):
            continue
        if not all_altitudes and not (max(az, bz) >= block[0] and min(az, bz) <= block[1]):
            continue
        idx[n], d2s[n] = i - first, d2
        n += 1
    if n == 0:
        return None
    return idx[:n], d2s[:n]
