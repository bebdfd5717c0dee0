"""The space-time grid's rasterising (``sim.encounters.grid.grid_keys``), compiled with Numba.

Splitting legs into time buckets and listing the cells each piece's widened box covers is a
loop over pieces and cells: numpy needs a dozen passes over arrays as long as the cells, this
is one. The floating-point operations on the legs are those of the numpy version, in the same
order, and the keys are exact integers (below 2**53), so the cells and keys are the same.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["EXACT_KEYS", "cell_keys", "pieces"]

EXACT_KEYS = 2.0**53
"""Keys are packed into one float-exact integer below this many (bucket, x, y) triples."""


@numba.njit(cache=True)
def pieces(
    rows: np.ndarray, t_from: np.ndarray, reach: float, cell: float, bucket: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each leg from ``t_from`` on split at multiples of ``bucket`` seconds: per piece, its
    leg, bucket and the cells ``[x_lo, x_hi] x [y_lo, y_hi]`` (integral floats) its box,
    widened by ``reach``, covers.
    """
    n = rows.shape[0]
    total = 0
    for i in range(n):
        total += int(math.floor(rows[i, 1] / bucket) - math.floor(t_from[i] / bucket)) + 1
    leg = np.empty(total, dtype=np.int64)
    b_out = np.empty(total)
    x_lo, x_hi = np.empty(total), np.empty(total)
    y_lo, y_hi = np.empty(total), np.empty(total)
    s = 0
    for i in range(n):
        t0, t1 = rows[i, 0], rows[i, 1]
        x, y, vx, vy = rows[i, 2], rows[i, 3], rows[i, 5], rows[i, 6]
        b_first = math.floor(t_from[i] / bucket)
        count = int(math.floor(t1 / bucket) - b_first) + 1
        for r in range(count):
            b = b_first + r
            lo_t = b * bucket
            ta = (t_from[i] if t_from[i] >= lo_t else lo_t) - t0
            hi_t = (b + 1.0) * bucket
            tb = (t1 if t1 <= hi_t else hi_t) - t0
            xa, xb, ya, yb = x + vx * ta, x + vx * tb, y + vy * ta, y + vy * tb
            leg[s], b_out[s] = i, b
            x_lo[s] = math.floor(((xa if xa <= xb else xb) - reach) / cell)
            x_hi[s] = math.floor(((xa if xa >= xb else xb) + reach) / cell)
            y_lo[s] = math.floor(((ya if ya <= yb else yb) - reach) / cell)
            y_hi[s] = math.floor(((ya if ya >= yb else yb) + reach) / cell)
            s += 1
    return leg, b_out, x_lo, x_hi, y_lo, y_hi


@numba.njit(cache=True)
def cell_keys(
    b: np.ndarray, x_lo: np.ndarray, x_hi: np.ndarray, y_lo: np.ndarray, y_hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Every cell of each piece: (piece index, key) per cell, the key being the cell's rank
    in the box holding them all, ``((b - b_min) * nx + ix - ix_min) * ny + iy - iy_min``.
    The flag is False (and nothing listed) when that box holds :data:`EXACT_KEYS` cells or
    more.
    """
    n = b.shape[0]
    none = np.zeros(0, dtype=np.int64)
    if n == 0:
        return none, none, True
    b_min, b_max = b.min(), b.max()
    x_min, x_max = x_lo.min(), x_hi.max()
    y_min, y_max = y_lo.min(), y_hi.max()
    span_x = x_max - x_min + 1.0
    span_y = y_max - y_min + 1.0
    if (b_max - b_min + 1.0) * span_x * span_y >= EXACT_KEYS:
        return none, none, False
    total = 0
    for s in range(n):
        total += (int(x_hi[s] - x_lo[s]) + 1) * (int(y_hi[s] - y_lo[s]) + 1)
    seg = np.empty(total, dtype=np.int64)
    key = np.empty(total, dtype=np.int64)
    sx, sy = int(span_x), int(span_y)
    c = 0
    for s in range(n):
        first = (int(b[s] - b_min) * sx + int(x_lo[s] - x_min)) * sy + int(y_lo[s] - y_min)
        for ix in range(int(x_hi[s] - x_lo[s]) + 1):
            for iy in range(int(y_hi[s] - y_lo[s]) + 1):
                seg[c] = s
                key[c] = first + ix * sy + iy
                c += 1
    return seg, key, True
