"""Keeping flights clear of areas: when a route passes through one, the detour around it,
and sending one side's flights clear of an area for a while.

Shared by strike notifications (a notified area during its window), keep-out zones (standing
areas) and the deconfliction line (the corridor of a notified crossing).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from sim.protocol.crossing import may_touch
from sim.protocol.reach import RouteArrays, reach
from sim.routing import Router

if TYPE_CHECKING:
    from sim.plans import Point
    from sim.state import Flight, Run


SLACK_M = 1000.0
"""Margin on the distances flown by which a notice's window is looked for along a route (far
more than their rounding)."""


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
    return _times(np.array([start, *route], dtype=float), t0, speed)


def _times(pts: np.ndarray, t0: float, speed: float) -> np.ndarray:
    """Times at which a flight leaving ``pts[0]`` at ``t0`` reaches each of ``pts``."""
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
    pts = np.array([start, *route], dtype=float)
    return path_crosses(pts, t0, speed, area, Extent.of(area.geometry))


def path_crosses(
    pts: np.ndarray,
    t0: float,
    speed: float,
    area: TimedArea,
    extent: Extent,
    among: slice = slice(None),
) -> bool:
    """`crosses_during` for the path through the points ``pts`` (``(n, 3)``, from ``t0``);
    ``extent`` is the extent of ``area.geometry``; only the segments ``among`` are looked at
    (the others known not to be flown while the area is active).

    Segments that cannot reach the area (outside its box or its outer disk, not flown in its
    window or its block) are dropped first (``sim.protocol.crossing``, compiled), and segments
    that pass through its inner disk touch it without asking Shapely.
    """
    first, stop, _ = among.indices(len(pts) - 1)
    found = may_touch(
        pts, first, stop, float(t0), float(speed), extent.bounds, (extent.x_m, extent.y_m),
        extent.radius_m * extent.radius_m, (float(area.from_s), float(area.to_s)),
        (float(area.floor_m), float(area.ceiling_m)), area.all_altitudes,
    )  # fmt: skip
    if found is None:
        return False
    idx, d2 = found
    hit = _touching(pts, idx + first, d2, extent, area.geometry)
    if area.all_altitudes or not hit.any():
        return bool(hit.any())
    return any(
        _over_area_in_block(pts[i], pts[i + 1], _segments(pts, np.array([i]))[0], area)
        for i in idx[hit] + first
    )


def _touching(
    pts: np.ndarray, idx: np.ndarray, d2: np.ndarray, extent: Extent, geometry: BaseGeometry
) -> np.ndarray:
    """Whether each segment from ``pts[i]`` to ``pts[i + 1]`` (``i`` of ``idx``, at squared
    distance ``d2`` from the centre of ``extent``) touches ``geometry``.

    A segment that enters the inner disk, or has an end inside the geometry, touches it;
    Shapely decides the others.
    """
    a, b = pts[idx, :2], pts[idx + 1, :2]
    hit = (d2 < extent.inner_m * extent.inner_m) & np.any(a != b, axis=1)
    unsure = ~hit
    if unsure.any():
        hit[unsure] = shapely.contains_xy(geometry, a[unsure, 0], a[unsure, 1])
        hit[unsure] |= shapely.contains_xy(geometry, b[unsure, 0], b[unsure, 1])
        unsure = ~hit
    if unsure.any():
        i = idx[unsure]
        hit[unsure] = segments_meet(pts[i, :2], pts[i + 1, :2], geometry)
    return hit


REPEATS_FROM = 16
"""From this many segments on, repeats are looked for before asking Shapely."""


def segments_meet(a: np.ndarray, b: np.ndarray, geometry: BaseGeometry) -> np.ndarray:
    """Whether each segment from ``a[i]`` to ``b[i]`` (``(n, 2)``) meets ``geometry`` (Shapely).

    A station pattern flies the same sides lap after lap: Shapely is asked once per distinct
    segment (the same coordinates to the bit), and its answer goes to every repeat.
    """
    ends = np.ascontiguousarray(np.concatenate([a, b], axis=1), dtype=float)
    if len(ends) >= REPEATS_FROM:
        bits = ends.view(np.dtype((np.void, 4 * ends.itemsize))).ravel()
        _, first, back = np.unique(bits, return_index=True, return_inverse=True)
        if len(first) < len(ends):
            return _ask(a[first], b[first], geometry)[back.ravel()]
    return _ask(a, b, geometry)


def _ask(a: np.ndarray, b: np.ndarray, geometry: BaseGeometry) -> np.ndarray:
    """Shapely: whether each segment from ``a[i]`` to ``b[i]`` meets ``geometry``."""
    return shapely.intersects(shapely.linestrings(np.stack([a, b], axis=1)), geometry)


def _segments(pts: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The segments from ``pts[i]`` to ``pts[i + 1]`` for each ``i`` of ``idx`` (Shapely)."""
    return shapely.linestrings(np.stack([pts[idx, :2], pts[idx + 1, :2]], axis=1))


@dataclass(frozen=True)
class Extent:
    """Where a geometry can be: its bounding box, a disk holding all its points and a disk
    inside it (both around the centre of the box).

    A segment that touches the geometry meets the box and the outer disk, so segments that miss
    either are passed over without asking Shapely; a segment that enters the inner disk touches
    the geometry.

    Examples
    --------
    >>> e = Extent.of(shapely.Point(0, 0).buffer(10.0))
    >>> a = np.array([[-20.0, 9.0], [-20.0, 12.0], [-20.0, -20.0], [-20.0, 1.0]])
    >>> b = np.array([[20.0, 9.0], [20.0, 12.0], [-12.0, -12.0], [20.0, 1.0]])
    >>> d = np.sqrt(e.distance2(a, b))
    >>> (d <= e.radius_m).tolist()  # the third one's box meets the box, but it misses the disk
    [True, False, False, True]
    >>> (d < e.inner_m).tolist()  # only the last one surely passes through
    [False, False, False, True]
    """

    bounds: tuple[float, float, float, float]
    x_m: float
    y_m: float
    radius_m: float
    """Radius of the outer disk (every vertex within it, with a metre to spare for rounding)."""
    inner_m: float
    """Radius of the inner disk (inside the geometry with a metre to spare; 0 if the centre is
    not inside)."""

    @classmethod
    def of(cls, geometry: BaseGeometry) -> Extent:
        """The extent of ``geometry`` (empty: a box and disk nothing meets)."""
        x0, y0, x1, y1 = geometry.bounds
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        xy = shapely.get_coordinates(geometry)
        r = float(np.hypot(xy[:, 0] - cx, xy[:, 1] - cy).max()) if len(xy) else math.nan
        inner = 0.0
        if len(xy) and shapely.contains_xy(geometry, cx, cy):
            edge = shapely.distance(shapely.Point(cx, cy), geometry.boundary)
            inner = max(float(edge) * (1.0 - 1e-9) - 1.0, 0.0)
        return cls((x0, y0, x1, y1), cx, cy, r * (1.0 + 1e-9) + 1.0, inner)

    def distance2(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Squared distance from the centre to each segment from ``a[i]`` to ``b[i]``: the numpy
        statement of what ``sim.protocol.crossing.may_touch`` computes in its loop (and is
        checked against).
        """
        dx, dy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
        px, py = self.x_m - a[:, 0], self.y_m - a[:, 1]
        length2 = dx * dx + dy * dy
        t = np.clip((px * dx + py * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
        ex, ey = px - t * dx, py - t * dy
        return ex * ex + ey * ey


def _boxes_meet(
    a: np.ndarray, b: np.ndarray, bounds: tuple[float, float, float, float]
) -> np.ndarray:
    """Whether the bounding box of each segment from ``a[i]`` to ``b[i]`` meets ``bounds``."""
    x0, y0, x1, y1 = bounds
    return (
        (np.maximum(a[:, 0], b[:, 0]) >= x0)
        & (np.minimum(a[:, 0], b[:, 0]) <= x1)
        & (np.maximum(a[:, 1], b[:, 1]) >= y0)
        & (np.minimum(a[:, 1], b[:, 1]) <= y1)
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
    inside = _points_inside(xy, area) & active
    inside[-1] = False
    margin = max(50.0, 0.04 * math.sqrt(area.area / math.pi))  # chords of the rim stay outside
    moved = list(route)
    bad = np.flatnonzero(inside).tolist()
    for i, p in zip(bad, _to_edge([route[i] for i in bad], area, margin), strict=True):
        moved[i] = p
    pts = np.array([start, *moved], dtype=float)[:, :2]
    hit = _segments_meet(pts, area, active)
    out: list[Point] = []
    prev = start
    for nxt, crosses in zip(moved, hit, strict=True):
        path = router.route((prev[0], prev[1]), (nxt[0], nxt[1])) if crosses else None
        if path is not None and len(path) > 2:
            out += _with_altitude(prev, nxt, path[1:-1])
        out.append(nxt)
        prev = nxt
    return out


def _points_inside(xy: np.ndarray, area: BaseGeometry) -> np.ndarray:
    """Whether each point of ``xy`` lies inside ``area`` (only those in its box are tested)."""
    x0, y0, x1, y1 = area.bounds
    inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
    if inside.any():
        inside[inside] = shapely.contains_xy(area, xy[inside, 0], xy[inside, 1])
    return inside


def _segments_meet(pts: np.ndarray, area: BaseGeometry, among: np.ndarray) -> np.ndarray:
    """Whether each segment of the polyline ``pts`` (``(n, 2)``) is one of ``among`` and meets
    ``area`` (only those whose box meets its box are tested).
    """
    meet = _boxes_meet(pts[:-1], pts[1:], area.bounds) & among
    if meet.any():
        idx = np.flatnonzero(meet)
        meet[idx] = segments_meet(pts[idx], pts[idx + 1], area)
    return meet


def _to_edge(points: list[Point], area: BaseGeometry, margin: float) -> list[Point]:
    """The nearest points ``margin`` metres outside ``area``, one for each of ``points``."""
    if not points:
        return []
    xy = shapely.points(np.array([(p[0], p[1]) for p in points], dtype=float))
    edges = shapely.get_coordinates(shapely.shortest_line(area.boundary, xy))[0::2].tolist()
    within = shapely.contains(area, xy).tolist()
    c = area.centroid if any(within) else None
    out = []
    for p, (ex, ey), w in zip(points, edges, within, strict=True):
        dx, dy = ex - p[0], ey - p[1]
        d = math.hypot(dx, dy)
        if d < 1e-9 and w and c is not None:
            dx, dy, d = ex - c.x, ey - c.y, math.hypot(ex - c.x, ey - c.y)
        f = (d + margin) / d if d > 0 else 1.0
        out.append((p[0] + f * dx, p[1] + f * dy, p[2]))
    return out


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
    geometry, extent = grown_area(shapely.to_wkb(area.geometry), float(buffer_m))
    grown = replace(area, geometry=geometry)
    index = reach(run)
    router: Router | None = None  # one visibility graph for every flight sent around the area
    for f in index.candidates(side, area.to_s):
        if not f.airborne and f.depart_s > area.to_s:
            continue  # takes off after the window closes
        arrays, k = index.route(f)
        if not _ahead_meets(f.position, arrays, k, extent.bounds):
            continue  # nowhere near the area
        pts, t0 = _ahead_arrays(f, now, arrays.xyz[k:])
        speed = f.plan.speed_mps
        lead = math.dist(pts[0, :2], pts[1, :2]) if f.airborne and len(pts) > 1 else None
        lo, hi = (area.from_s - t0) * speed - SLACK_M, (area.to_s - t0) * speed + SLACK_M
        among = arrays.window(k, lead, lo, hi) if len(pts) > 1 else None
        if among is None or not path_crosses(pts, t0, speed, grown, extent, among):
            continue
        if compliance < 1.0 and run.streams.uniform(by, "comply", key, f.unit) >= compliance:
            continue
        if action == "hold" and not f.airborne:
            f.hold(area.to_s, by, key)
        else:
            router = router or index.router([area.geometry], buffer_m)
            window = (area.from_s, area.to_s)
            start, route, t0 = ahead_of(f, now)
            new = detour(
                start, route, [area.geometry], buffer_m, t0, f.plan.speed_mps, window, router=router
            )
            f.reroute(new, by, key)


@functools.lru_cache(maxsize=1024)
def grown_area(wkb: bytes, buffer_m: float) -> tuple[BaseGeometry, Extent]:
    """The area given as WKB (exact) grown by ``buffer_m``, prepared (many segments are tested
    against it), and its extent; made once per process for each area and buffer (the 1,024
    most recently used are kept).
    """
    geometry = shapely.from_wkb(wkb).buffer(buffer_m)
    shapely.prepare(geometry)
    return geometry, Extent.of(geometry)


def _ahead_meets(
    position: Point | None, arrays: RouteArrays, k: int, bounds: tuple[float, float, float, float]
) -> bool:
    """Whether the bounding box of the flight's position and route ahead meets ``bounds``."""
    x0, y0, x1, y1 = bounds
    if k < len(arrays.xyz):
        lo_x, lo_y = arrays.lo[k]
        hi_x, hi_y = arrays.hi[k]
        if position is not None:
            lo_x, lo_y = min(lo_x, position[0]), min(lo_y, position[1])
            hi_x, hi_y = max(hi_x, position[0]), max(hi_y, position[1])
    elif position is not None:
        lo_x, lo_y, hi_x, hi_y = position[0], position[1], position[0], position[1]
    else:
        return False
    return not (lo_x > x1 or hi_x < x0 or lo_y > y1 or hi_y < y0)


def _ahead_arrays(f: Flight, now: float, route: np.ndarray) -> tuple[np.ndarray, float]:
    """The points of `ahead_of` (from where the flight is) as one array, and from when;
    ``route`` holds the points of the flight's route.
    """
    if f.airborne:
        return np.vstack([np.array([f.where(now)], dtype=float), route]), now
    return route, max(f.depart_s, now)


def ahead_of(f: Flight, now: float) -> tuple[Point, list[Point], float]:
    """Where the flight is (or will take off), the waypoints ahead, and from when."""
    if f.airborne:
        return f.where(now), list(f.route), now
    return f.route[0], list(f.route[1:]), max(f.depart_s, now)
