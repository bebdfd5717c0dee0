"""The detector's broad phase: which pairs of legs are worth solving.

Candidate pairs come from a uniform space-time hash grid. Each leg (from the batch start on)
is split into time buckets of ``bucket_s``; the bounding box of each piece, widened by half
the outermost radius, is rasterised into square cells of ``cell_m``. Two aircraft can only be
inside the outermost cylinder at time ``t`` if their pieces for ``t``'s bucket share a cell,
so only pairs sharing a (bucket, cell) key are solved. Grouping equal keys is one sort, and
groups holding no new leg are dropped before pairs are formed; the detector forms only pairs
of two labels (sides, or aircraft when every pair counts): most legs sharing a cell are of
one side, often of one formation. So a batch costs about
O(legs + nearby pairs): linear in traffic at fixed density instead of quadratic. A purely
spatial grid (or sweep-and-prune on one axis) would pair long legs that cross the same
ground minutes apart; the time bucket removes those, and current legs are all the grid ever
holds.
"""

from __future__ import annotations

import numpy as np

from sim.encounters.cells import cell_keys, pieces

_CHUNK = 8192
"""Pairs handled per vectorised step (keeps temporaries in cache)."""


def _ranks(counts: np.ndarray) -> np.ndarray:
    """``0..c-1`` for each count ``c``, concatenated."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


def grid_keys(
    rows: np.ndarray, t_from: np.ndarray, reach: float, cell: float, bucket: float
) -> tuple[np.ndarray, np.ndarray]:
    """Space-time cells touched by each leg from ``t_from`` on: (row index, key) per cell.

    A leg is split at multiples of ``bucket`` seconds; each piece's bounding box, widened by
    ``reach``, is rasterised into square cells of side ``cell``. Equal keys mean the same
    (bucket, cell); keys are only comparable within one call.
    """
    leg, b, x_lo, x_hi, y_lo, y_hi = pieces(
        np.ascontiguousarray(rows, dtype=float), np.ascontiguousarray(t_from, dtype=float),
        float(reach), float(cell), float(bucket),
    )  # fmt: skip
    seg, key, packed = cell_keys(b, x_lo, x_hi, y_lo, y_hi)
    if not packed:  # too many cells for float-exact keys: number the distinct ones
        seg, key = _numbered_cells(b, x_lo, x_hi, y_lo, y_hi)
    return leg[seg], key


def _numbered_cells(
    b: np.ndarray, x_lo: np.ndarray, x_hi: np.ndarray, y_lo: np.ndarray, y_hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every cell ``(b, ix, iy)`` with ``ix`` in ``[x_lo, x_hi]`` and ``iy`` in ``[y_lo, y_hi]``
    of each piece (integral floats), in the order of ``sim.encounters.cells.cell_keys``:
    (piece index, key) per cell, the key numbering the distinct triples (for boxes of
    2**53 cells or more, where packed keys would no longer be exact floats).
    """
    ny = (y_hi - y_lo).astype(np.int64) + 1
    count = ((x_hi - x_lo).astype(np.int64) + 1) * ny
    seg = np.repeat(np.arange(b.shape[0]), count)
    k = _ranks(count)
    ny_cell = ny[seg]
    cells = np.stack([b[seg], x_lo[seg] + k // ny_cell, y_lo[seg] + k % ny_cell], axis=1)
    _, inverse = np.unique(cells, axis=0, return_inverse=True)
    return seg, inverse.reshape(-1).astype(np.int64)


def may_meet(
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
    """:func:`may_meet` for one chunk of row pairs."""
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


def pairs_across_labels(
    leg: np.ndarray, key: np.ndarray, label: np.ndarray, is_new: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of :func:`pairs_sharing_keys` whose legs differ in label (as often), without
    forming the others: most legs sharing a cell are of one side, often of one formation.

    ``label`` is given per entry (``label[k]`` belongs to ``leg[k]``).

    Examples
    --------
    >>> leg, key = np.array([0, 1, 2, 3]), np.array([5, 5, 5, 6])
    >>> i, j = pairs_across_labels(leg, key, np.array([0, 0, 1, 1]), np.ones(4, dtype=bool))
    >>> i.tolist(), j.tolist()
    ([0, 1], [2, 2])
    """
    if key.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    key, label, leg = lexsorted(key, label, leg)
    new_key = run_starts(key)
    start = np.flatnonzero(new_key)
    end = np.r_[start[1:], key.size]
    mixed = label[start] != label[end - 1]  # labels ascend within a group
    new_seen = np.r_[0, np.cumsum(is_new[leg])]
    keep = np.repeat(mixed & (new_seen[end] > new_seen[start]), end - start)
    return label_run_pairs(key[keep], leg[keep], label[keep], new_key[keep])


def label_run_pairs(
    key: np.ndarray, leg: np.ndarray, label: np.ndarray, new_key: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Of entries sorted by key, then label: each entry paired with every entry of a later
    label in its key's group (``new_key``: where a group starts), as ``(leg, leg)``.

    Examples
    --------
    >>> key, label = np.array([5, 5, 5, 6]), np.array([0, 0, 1, 1])
    >>> i, j = label_run_pairs(key, np.arange(4), label, np.array([1, 0, 0, 1], dtype=bool))
    >>> i.tolist(), j.tolist()
    ([0, 1], [2, 2])
    """
    new_run = new_key | run_starts(label)
    group_end = np.r_[np.flatnonzero(new_key)[1:], key.size]
    run_end = np.r_[np.flatnonzero(new_run)[1:], key.size]
    ends_g = group_end[np.cumsum(new_key) - 1]
    ends_r = run_end[np.cumsum(new_run) - 1]
    partners = ends_g - ends_r
    i = np.repeat(np.arange(key.size), partners)
    j = np.repeat(ends_r, partners) + _ranks(partners)
    return leg[i], leg[j]


def lexsorted(
    a: np.ndarray, b: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer triples ``(a, b, c)`` in ascending order (by ``a``, then ``b``, then ``c``).

    One sort of a single integer per triple where it fits in 62 bits (several times faster
    than ``np.lexsort``), else ``np.lexsort``.

    Examples
    --------
    >>> a, b, c = lexsorted(np.array([2, 1, 2]), np.array([0, 5, 0]), np.array([9, 3, 4]))
    >>> a.tolist(), b.tolist(), c.tolist()
    ([1, 2, 2], [5, 0, 0], [3, 4, 9])
    """
    if a.size == 0:
        return a, b, c
    lows = [int(v.min()) for v in (a, b, c)]
    spans = [int(v.max()) - lo + 1 for v, lo in zip((a, b, c), lows, strict=True)]
    if spans[0] * spans[1] * spans[2] >= 2**62:
        order = np.lexsort((c, b, a))
        return a[order], b[order], c[order]
    code = ((a - lows[0]) * spans[1] + (b - lows[1])) * spans[2] + (c - lows[2])
    code.sort()
    c_sorted = code % spans[2] + lows[2]
    code //= spans[2]
    return code // spans[1] + lows[0], code % spans[1] + lows[1], c_sorted


def run_starts(values: np.ndarray) -> np.ndarray:
    """Whether each value differs from the one before it (the first always does)."""
    out = np.ones(values.size, dtype=bool)
    out[1:] = values[1:] != values[:-1]
    return out


def pairs_sharing_keys(
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
