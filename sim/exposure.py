"""Exposure over Syria: hours flown inside Syria's border, exactly, from the legs flown.

Each straight leg is a segment in the simulation plane flown at constant speed, so the time it
spends inside Syria is its duration times the fraction of its length inside the polygon.
Legs that do not touch the border are wholly in or out (one vectorised point test); only the
legs that cross it are clipped with Shapely. Encounters count as over Syria when the pair's
midpoint at closest approach is inside. Rates per 1,000 flight hours over Syria divide the one
by the other: the exposure where the two air forces actually met, without the transits over
Iraq, Turkey, the Gulf and the sea that move the all-flying rate with the traffic mix.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
from dataclasses import dataclass

import numpy as np
import shapely

from sim import geo
from sim.records import RunResult
from sim.units import H

__all__ = ["encounters_over_syria", "hours_inside", "hours_over_syria"]


def hours_inside(area: shapely.Geometry, legs: np.ndarray) -> np.ndarray:
    """Hours each leg spends inside ``area``.

    Parameters
    ----------
    area : shapely Polygon or MultiPolygon (plane metres).
    legs : array (n, 6)
        Columns ``t0_s, t1_s, x0_m, y0_m, x1_m, y1_m`` (altitude does not matter).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> legs = np.array(
    ...     [[0, 3600, -1, 0.5, 3, 0.5], [0, 3600, 2, 2, 3, 3], [0, 7200, 0.5, 0.5, 0.5, 0.5]]
    ... )
    >>> hours_inside(box(0, 0, 1, 1), legs).tolist()
    [0.25, 0.0, 2.0]
    """
    legs = np.asarray(legs, dtype=float).reshape(-1, 6)
    hours = (legs[:, 1] - legs[:, 0]) / H
    if len(legs) == 0:
        return hours
    raster = _raster(area)
    frac, near = raster.away_from_border(legs[:, 2:6])
    if near.any():  # legs the border may touch: Shapely decides
        frac[near] = _fraction_near(area, legs[near])
    return hours * frac


def _fraction_near(area: shapely.Geometry, legs: np.ndarray) -> np.ndarray:
    """Fraction of each leg inside ``area``: whole or none unless it meets the border."""
    lines = shapely.linestrings(np.stack([legs[:, 2:4], legs[:, 4:6]], axis=1))
    crossing = shapely.intersects(_prepared_boundary(area), lines)
    inside = shapely.contains_xy(area, legs[:, 2], legs[:, 3])
    frac = np.where(inside, 1.0, 0.0)
    if crossing.any():
        frac[crossing] = _fraction_inside(area, legs[crossing, 2:6], lines[crossing])
    return frac


BORDER_CELL_M = 5_000.0
"""Side of the cells of the border raster (A: a speed setting; results do not depend on it)."""
MAX_CELLS = 250_000
"""Larger areas get larger cells, so that a raster holds at most about this many."""


@dataclass(frozen=True)
class _Raster:
    """Square cells over an area's box, with two cells of margin: which cells its border comes
    near (those it meets and their eight neighbours) and, for the others, whether they lie
    inside. A segment whose box covers no near cell cannot meet the border, and is inside or
    outside as its start's cell is; the margin cell absorbs rounding in placing the points.
    """

    x0: float
    y0: float
    cell: float
    shape: tuple[int, int]
    near_sum: np.ndarray
    """Summed-area table of the near cells, ``(ny + 1, nx + 1)``."""
    inside: np.ndarray
    """Per cell (``ny, nx``), whether its centre is inside the area."""

    def away_from_border(self, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For segments ``(n, 4)`` (x0, y0, x1, y1): the fraction inside for those away from
        the border (1 or 0; 0 also where not known) and which ones are near it.
        """
        ny, nx = self.shape
        cx = np.floor((seg[:, [0, 2]] - self.x0) / self.cell)
        cy = np.floor((seg[:, [1, 3]] - self.y0) / self.cell)
        lo_x, hi_x = np.clip(cx.min(axis=1), 0, nx - 1), np.clip(cx.max(axis=1), 0, nx - 1)
        lo_y, hi_y = np.clip(cy.min(axis=1), 0, ny - 1), np.clip(cy.max(axis=1), 0, ny - 1)
        i0, i1, j0, j1 = (v.astype(np.int64) for v in (lo_y, hi_y + 1, lo_x, hi_x + 1))
        s = self.near_sum
        near = (s[i1, j1] - s[i0, j1] - s[i1, j0] + s[i0, j0]) > 0
        start_x, start_y = cx[:, 0], cy[:, 0]
        on = (start_x >= 0) & (start_x < nx) & (start_y >= 0) & (start_y < ny)
        frac = np.zeros(len(seg))
        k = np.flatnonzero(on & ~near)
        frac[k] = self.inside[start_y[k].astype(np.int64), start_x[k].astype(np.int64)]
        return frac, near


@functools.lru_cache(maxsize=8)
def _raster(area: shapely.Geometry) -> _Raster:
    """The border raster of ``area`` (see :class:`_Raster`), made once per area."""
    bx0, by0, bx1, by1 = area.bounds
    c = max(BORDER_CELL_M, math.sqrt((bx1 - bx0) * (by1 - by0) / MAX_CELLS))
    x0, y0 = bx0 - 2 * c, by0 - 2 * c
    nx, ny = int(math.ceil((bx1 - x0) / c)) + 2, int(math.ceil((by1 - y0) / c)) + 2
    gx, gy = np.meshgrid(x0 + c * np.arange(nx), y0 + c * np.arange(ny))
    cells = shapely.box(gx, gy, gx + c, gy + c)
    meets = shapely.intersects(_prepared_boundary(area), cells)
    near = meets.copy()
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            near[max(di, 0) : ny + min(di, 0), max(dj, 0) : nx + min(dj, 0)] |= meets[
                max(-di, 0) : ny + min(-di, 0), max(-dj, 0) : nx + min(-dj, 0)
            ]
    near_sum = np.zeros((ny + 1, nx + 1), dtype=np.int64)
    near_sum[1:, 1:] = near.astype(np.int64).cumsum(axis=0).cumsum(axis=1)
    inside = shapely.contains_xy(area, gx + c / 2, gy + c / 2).astype(float)
    return _Raster(x0, y0, c, (ny, nx), near_sum, inside)


@functools.lru_cache(maxsize=8)
def _prepared_boundary(area: shapely.Geometry) -> shapely.Geometry:
    """The area's boundary, prepared (kept for the few areas used, e.g. Syria)."""
    shapely.prepare(area)
    boundary = area.boundary
    shapely.prepare(boundary)
    return boundary


@functools.lru_cache(maxsize=8)
def _edges(area: shapely.Geometry) -> tuple[np.ndarray, shapely.STRtree]:
    """The area's border as straight edges ``(n, 4)`` (x0, y0, x1, y1) and their tree."""
    rings = shapely.get_rings(shapely.get_parts(area))
    chunks = [np.asarray(shapely.get_coordinates(r)) for r in rings]
    edges = np.vstack([np.hstack([c[:-1], c[1:]]) for c in chunks if len(c) > 1])
    lines = shapely.linestrings(edges.reshape(-1, 2, 2))
    return edges, shapely.STRtree(lines)


def _fraction_inside(area: shapely.Geometry, seg: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Exact fraction of each segment ``(n, 4)`` inside ``area``: the segment is cut where it
    meets the border, and each piece is in or out as its midpoint is.
    """
    edges, tree = _edges(area)
    li, ei = tree.query(lines, predicate="intersects")
    p, r = seg[li, :2], seg[li, 2:] - seg[li, :2]
    q, e = edges[ei, :2], edges[ei, 2:] - edges[ei, :2]
    denom = r[:, 0] * e[:, 1] - r[:, 1] * e[:, 0]
    qp = q - p
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (qp[:, 0] * e[:, 1] - qp[:, 1] * e[:, 0]) / denom
    keep = np.isfinite(t)
    n = len(seg)
    owner = np.concatenate([li[keep], np.arange(n), np.arange(n)])
    ts = np.clip(np.concatenate([t[keep], np.zeros(n), np.ones(n)]), 0.0, 1.0)
    order = np.lexsort((ts, owner))
    owner, ts = owner[order], ts[order]
    same = owner[1:] == owner[:-1]
    a, b, who = ts[:-1][same], ts[1:][same], owner[:-1][same]
    mid = (a + b) / 2
    x = seg[who, 0] + mid * (seg[who, 2] - seg[who, 0])
    y = seg[who, 1] + mid * (seg[who, 3] - seg[who, 1])
    inside = shapely.contains_xy(area, x, y)
    frac = np.zeros(n)
    np.add.at(frac, who, (b - a) * inside)
    return frac


def _leg_table(result: RunResult) -> tuple[np.ndarray, list[str]]:
    """The aircraft legs (missiles left out) as ``[t0, t1, x0, y0, x1, y1]`` and their ids."""
    missiles = {f.id for f in result.flights if f.kind == "missile"}
    flown = [(fid, leg) for fid, leg in result.legs if fid not in missiles]
    ends = operator.attrgetter("t0_s", "t1_s", "x0_m", "y0_m", "x1_m", "y1_m")
    values = itertools.chain.from_iterable(ends(leg) for _, leg in flown)
    table = np.fromiter(values, dtype=float, count=6 * len(flown)).reshape(-1, 6)
    return table, [fid for fid, _ in flown]


def hours_over_syria(result: RunResult) -> tuple[float, dict[str, float]]:
    """Aircraft flight hours inside Syria's border, in all and per side."""
    table, ids = _leg_table(result)
    hours = hours_inside(geo.syria(), table)
    names = sorted({f.side for f in result.flights})
    code = {f.id: names.index(f.side) for f in result.flights}
    sides = np.fromiter((code.get(i, -1) for i in ids), dtype=np.int64, count=len(ids))
    by_side = {s: float(hours[sides == k].sum()) for k, s in enumerate(names)}
    return float(hours.sum()), by_side


def encounters_over_syria(result: RunResult) -> list[bool]:
    """For each encounter, whether the pair's midpoint at closest approach is inside Syria."""
    if not result.encounters:
        return []
    x = np.array([e.x_m for e in result.encounters])
    y = np.array([e.y_m for e in result.encounters])
    return shapely.contains_xy(geo.syria(), x, y).tolist()
