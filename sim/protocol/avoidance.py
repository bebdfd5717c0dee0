"""Keeping flights clear of areas: when a route passes through one, the detour around it,
and sending one side's flights clear of an area for a while.

Shared by strike notifications (a notified area during its window), keep-out zones (standing
areas) and the deconfliction line (the corridor of a notified crossing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import shapely
import shapely.ops
from shapely.geometry.base import BaseGeometry

from sim.routing import Router

if TYPE_CHECKING:
    from sim.plans import Point
    from sim.state import Flight, Run


@dataclass(frozen=True)
class TimedArea:
    """An area to keep clear of during ``[from_s, to_s]`` (the whole run for standing zones),
    between ``floor_m`` and ``ceiling_m`` (every altitude by default).
    """

    name: str
    geometry: BaseGeometry
    from_s: float = 0.0
    to_s: float = math.inf
    floor_m: float = -math.inf
    ceiling_m: float = math.inf

    @property
    def all_altitudes(self) -> bool:
        """Whether the block has neither floor nor ceiling."""
        return self.floor_m == -math.inf and self.ceiling_m == math.inf


def schedule(start: Point, route: list[Point], t0: float, speed: float) -> np.ndarray:
    """Times at which a flight starting at ``start`` at ``t0`` reaches each point of ``route``."""
    pts = np.array([start, *route], dtype=float)
    seg = np.hypot(np.diff(pts[:, 0]), np.diff(pts[:, 1]))
    return t0 + np.concatenate([[0.0], np.cumsum(seg / speed)])


def crosses_during(
    start: Point, route: list[Point], t0: float, speed: float, area: TimedArea
) -> bool:
    """Whether the planned path enters ``area`` while the area is active, inside its block.

    Each straight segment is tested against the area (Shapely, vectorised); a segment counts if
    it touches the area, its time span overlaps the area's window, and the altitude it flies
    while over the area (linear along the segment) reaches into ``[floor_m, ceiling_m]``.
    """
    if not route:
        return False
    times = schedule(start, route, t0, speed)
    pts = np.array([start, *route], dtype=float)
    active = (times[1:] >= area.from_s) & (times[:-1] <= area.to_s)
    if not area.all_altitudes:  # cheap first: the whole segment's altitudes
        z0, z1 = pts[:-1, 2], pts[1:, 2]
        active &= (np.maximum(z0, z1) >= area.floor_m) & (np.minimum(z0, z1) <= area.ceiling_m)
    if not active.any():
        return False
    idx = np.nonzero(active)[0]
    segments = shapely.linestrings(np.stack([pts[idx, :2], pts[idx + 1, :2]], axis=1))
    hit = shapely.intersects(segments, area.geometry)
    if area.all_altitudes or not hit.any():
        return bool(hit.any())
    return any(
        _over_area_in_block(pts[i], pts[i + 1], seg, area)
        for i, seg in zip(idx[hit], segments[hit], strict=True)
    )


def _over_area_in_block(a: np.ndarray, b: np.ndarray, seg: BaseGeometry, area: TimedArea) -> bool:
    """Whether the segment from ``a`` to ``b`` is inside the block while over the area."""
    cut = shapely.get_coordinates(shapely.intersection(seg, area.geometry))
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    if len(cut) == 0 or length == 0:
        return bool(area.floor_m <= a[2] <= area.ceiling_m)
    f = np.hypot(cut[:, 0] - a[0], cut[:, 1] - a[1]) / length
    z = a[2] + f * (b[2] - a[2])
    return bool(z.max() >= area.floor_m and z.min() <= area.ceiling_m)


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


def keep_clear(
    run: Run,
    side: str,
    area: TimedArea,
    compliance: float,
    action: Literal["reroute", "hold"],
    buffer_m: float,
    by: str,
    key: str,
) -> None:
    """Reroute (or hold) ``side``'s flights whose plans cross ``area`` while it is active
    (and, when the area has an altitude block, at an altitude inside it).

    Each flight complies with probability ``compliance``, drawn from the stream of the
    mechanism ``by`` and keyed by the area and the flight, so whether a flight complies never
    depends on what else happened in the run.
    """
    now = run.env.now
    grown = replace(area, geometry=area.geometry.buffer(buffer_m))
    x0, y0, x1, y1 = grown.geometry.bounds
    router: Router | None = None  # one visibility graph for every flight sent around the area
    for _, f in sorted(run.flights.items()):
        if f.side != side or f.landed or f.plan.kind == "missile":
            continue
        if not f.airborne and f.depart_s > area.to_s:
            continue  # takes off after the window closes
        xy = np.asarray(f.route if f.position is None else [f.position, *f.route])[:, :2]
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        if lo[0] > x1 or hi[0] < x0 or lo[1] > y1 or hi[1] < y0:
            continue  # nowhere near the area
        start, route, t0 = ahead_of(f, now)
        if not crosses_during(start, route, t0, f.plan.speed_mps, grown):
            continue
        if compliance < 1.0 and run.streams.uniform(by, "comply", key, f.unit) >= compliance:
            continue
        if action == "hold" and not f.airborne:
            f.hold(area.to_s, by, key)
        else:
            router = router or Router([area.geometry], buffer_m)
            window = (area.from_s, area.to_s)
            new = detour(
                start, route, [area.geometry], buffer_m, t0, f.plan.speed_mps, window, router=router
            )
            f.reroute(new, by, key)


def ahead_of(f: Flight, now: float) -> tuple[Point, list[Point], float]:
    """Where the flight is (or will take off), the waypoints ahead, and from when."""
    if f.airborne:
        return f.where(now), list(f.route), now
    return f.route[0], list(f.route[1:]), max(f.depart_s, now)
