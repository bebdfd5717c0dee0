"""Keeping flights clear of areas: when a route passes through one, and the detour around it.

Shared by strike notifications (a notified area during its window), keep-out zones (standing
areas) and the deconfliction line (the corridor of a notified crossing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.ops
from shapely.geometry.base import BaseGeometry

from sim.routing import Router
from sim.traffic import Point


@dataclass(frozen=True)
class Area:
    """An area to keep clear of during ``[from_s, to_s]`` (the whole run for standing zones)."""

    name: str
    geometry: BaseGeometry
    from_s: float = 0.0
    to_s: float = math.inf


def schedule(start: Point, route: list[Point], t0: float, speed: float) -> np.ndarray:
    """Times at which a flight starting at ``start`` at ``t0`` reaches each point of ``route``."""
    pts = np.array([start, *route], dtype=float)
    seg = np.hypot(np.diff(pts[:, 0]), np.diff(pts[:, 1]))
    return t0 + np.concatenate([[0.0], np.cumsum(seg / speed)])


def crosses_during(start: Point, route: list[Point], t0: float, speed: float, area: Area) -> bool:
    """Whether the planned path enters ``area`` while the area is active.

    Each straight segment is tested against the area (Shapely, vectorised); a segment counts if
    it touches the area and its time span overlaps the area's window.
    """
    if not route:
        return False
    times = schedule(start, route, t0, speed)
    pts = np.array([start, *route], dtype=float)[:, :2]
    active = (times[1:] >= area.from_s) & (times[:-1] <= area.to_s)
    if not active.any():
        return False
    idx = np.nonzero(active)[0]
    segments = shapely.linestrings(np.stack([pts[idx], pts[idx + 1]], axis=1))
    return bool(shapely.intersects(segments, area.geometry).any())


def detour(
    start: Point,
    route: list[Point],
    obstacles: list[BaseGeometry],
    buffer_m: float,
    t0: float = 0.0,
    speed: float = 1.0,
    window: tuple[float, float] | None = None,
    router: Router | None = None,
) -> list[Point]:
    """The route ahead rewritten to stay out of ``obstacles`` (during ``window`` if given).

    Waypoints that would be flown inside the blocked area (the obstacles grown by
    ``buffer_m``) while it is active are moved out to the nearest point of its edge — a
    station pattern flown over a notified strike area is flown around its rim instead — and
    each segment that would still cut through it is replaced by the shortest way around on a
    visibility graph (``sim.routing``; pass ``router`` to reuse one built for the same
    obstacles). The last waypoint (the base) never moves. Inserted points take the altitude
    interpolated along the original segment.
    """
    if not route or not obstacles:
        return list(route)
    router = router or Router(obstacles, buffer_m)
    area = router.area
    times = schedule(start, route, t0, speed)
    lo, hi = window if window is not None else (-math.inf, math.inf)
    active = (times[1:] >= lo) & (times[:-1] <= hi)
    xy = np.array(route, dtype=float)[:, :2]
    inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1]) & active
    inside[-1] = False
    margin = max(50.0, 0.04 * math.sqrt(area.area / math.pi))  # chords of the rim stay outside
    moved = [_to_edge(p, area, margin) if bad else p for p, bad in zip(route, inside, strict=True)]
    pts = np.array([start, *moved], dtype=float)[:, :2]
    hit = shapely.intersects(shapely.linestrings(np.stack([pts[:-1], pts[1:]], axis=1)), area)
    hit &= active
    out: list[Point] = []
    prev = start
    for nxt, crosses in zip(moved, hit, strict=True):
        path = router.route((prev[0], prev[1]), (nxt[0], nxt[1])) if crosses else None
        if path is not None and len(path) > 2:
            out += _with_altitude(prev, nxt, path[1:-1])
        out.append(nxt)
        prev = nxt
    return out


def _to_edge(p: Point, area: BaseGeometry, margin: float) -> Point:
    """The nearest point ``margin`` metres outside ``area``."""
    edge = shapely.ops.nearest_points(area.boundary, shapely.Point(p[0], p[1]))[0]
    c = area.centroid if area.contains(shapely.Point(p[0], p[1])) else None
    dx, dy = edge.x - p[0], edge.y - p[1]
    d = math.hypot(dx, dy)
    if d < 1e-9 and c is not None:
        dx, dy, d = edge.x - c.x, edge.y - c.y, math.hypot(edge.x - c.x, edge.y - c.y)
    f = (d + margin) / d if d > 0 else 1.0
    return (p[0] + f * dx, p[1] + f * dy, p[2])


def _with_altitude(a: Point, b: Point, xy: list[tuple[float, float]]) -> list[Point]:
    """Points along a detour from ``a`` to ``b`` with altitude linear in distance flown."""
    pts = [(a[0], a[1]), *xy, (b[0], b[1])]
    dist = np.concatenate(
        [[0.0], np.cumsum([math.dist(p, q) for p, q in zip(pts, pts[1:], strict=False)])]
    )
    frac = dist / dist[-1] if dist[-1] > 0 else np.zeros_like(dist)
    return [(x, y, a[2] + f * (b[2] - a[2])) for (x, y), f in zip(xy, frac[1:-1], strict=True)]
