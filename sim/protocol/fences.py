"""Geofences: log the moment a flight enters a keep-out zone or crosses the Euphrates line.

Each new leg is intersected with the fences that apply to its side (Shapely); an entry or a
crossing found on the leg is reported at its exact time, to the fence's owner, by a small
process that first checks the flight is still on that leg (a manoeuvre may have replaced it).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING

import numpy as np
import shapely
import simpy
from shapely.geometry.base import BaseGeometry

from sim.encounters import Leg

if TYPE_CHECKING:
    from sim.state import Flight, Run

Bounds = tuple[float, float, float, float]
"""A bounding box: (x min, y min, x max, y max), metres."""


@dataclass(frozen=True, eq=False)
class Fence:
    """A boundary that matters to one side: entering a zone, or crossing a line."""

    name: str
    geometry: BaseGeometry
    sides: frozenset[str]
    """The sides whose aircraft the fence watches."""
    on_enter: Callable[[Flight, float], None]
    """Called at the moment a watched aircraft enters the zone or crosses the line."""

    @property
    def polygon(self) -> bool:
        """Whether the fence is an area (entered) rather than a line (crossed)."""
        return self.geometry.geom_type in ("Polygon", "MultiPolygon")

    @cached_property
    def edge(self) -> BaseGeometry:
        """What a leg must cut to enter or cross: the polygon's boundary, or the line (prepared)."""
        edge = self.geometry.boundary if self.polygon else self.geometry
        shapely.prepare(edge)
        return edge

    @cached_property
    def bounds(self) -> Bounds:
        """Bounding box of the edge, for a cheap test before Shapely."""
        return self.edge.bounds

    @cached_property
    def core(self) -> tuple[float, float, float]:
        """A disk inside a zone, clear of its edge: centre x, y and squared radius (radius 0
        for a line, or a zone whose box centre is not inside it). A leg with both ends in the
        disk stays in it, so it cannot cut the edge.
        """
        x0, y0, x1, y1 = self.bounds
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if not self.polygon or not shapely.contains_xy(self.geometry, cx, cy):
            return cx, cy, 0.0
        clear = float(shapely.distance(shapely.Point(cx, cy), self.edge))
        r = max(clear * (1.0 - 1e-9) - 1.0, 0.0)  # a metre to spare for rounding
        return cx, cy, r * r


def entry_times(leg: Leg, fence: Fence) -> list[float]:
    """Times during ``leg`` at which it enters the fence's zone or crosses its line.

    A leg starting inside a zone has no entry at its start (the entry was on an earlier leg).
    """
    if leg.duration_s <= 0 or not _boxes_meet(leg, fence.bounds) or _in_core(leg, fence):
        return []
    return _entries(leg, fence)


def _entries(leg: Leg, fence: Fence) -> list[float]:
    """:func:`entry_times` for a leg of positive duration whose box meets the fence's."""
    seg = shapely.linestrings([[leg.x0_m, leg.y0_m], [leg.x1_m, leg.y1_m]])
    if not shapely.intersects(fence.edge, seg):
        return []
    polygon, geometry = fence.polygon, fence.geometry
    hits = shapely.get_coordinates(shapely.intersection(seg, fence.edge))
    if len(hits) == 0:
        return []
    length = seg.length
    if not length > 0.0:  # a leg too short to measure (a point) enters and crosses nothing
        return []
    fracs = np.unique(np.round(np.hypot(hits[:, 0] - leg.x0_m, hits[:, 1] - leg.y0_m) / length, 12))
    times = []
    for f in fracs:
        if polygon:
            ahead = min(f + 1e-6, 1.0)
            x = leg.x0_m + ahead * (leg.x1_m - leg.x0_m)
            y = leg.y0_m + ahead * (leg.y1_m - leg.y0_m)
            if f <= 0.0 or not shapely.contains_xy(geometry, x, y):
                continue
        times.append(leg.t0_s + f * leg.duration_s)
    return times


def _in_core(leg: Leg, fence: Fence) -> bool:
    """Whether both ends of the leg lie in the fence's `Fence.core` (no entry on it)."""
    cx, cy, r2 = fence.core
    d0 = (leg.x0_m - cx) ** 2 + (leg.y0_m - cy) ** 2
    return d0 < r2 and (leg.x1_m - cx) ** 2 + (leg.y1_m - cy) ** 2 < r2


def _boxes_meet(leg: Leg, bounds: Bounds) -> bool:
    """Whether the leg's bounding box meets ``bounds`` (a cheap test before Shapely)."""
    x0, y0, x1, y1 = bounds
    return not (
        max(leg.x0_m, leg.x1_m) < x0
        or min(leg.x0_m, leg.x1_m) > x1
        or max(leg.y0_m, leg.y1_m) < y0
        or min(leg.y0_m, leg.y1_m) > y1
    )


def watch(run: Run, fences: list[Fence]) -> None:
    """From now on, report every entry into (or crossing of) ``fences`` on every new leg."""
    if fences:
        run.on_leg.append(partial(watch_leg, run.env, by_side(fences)))


def by_side(fences: list[Fence]) -> dict[str, tuple[Bounds, list[tuple[Fence, Bounds]]]]:
    """The fences that watch each side, in their order, with their bounding boxes, after the
    box holding them all (one test rules out a leg far from every fence of its side).
    """
    sides = sorted({s for fence in fences for s in fence.sides})
    out = {}
    for s in sides:
        mine = [(fence, fence.bounds) for fence in fences if s in fence.sides]
        out[s] = (_union(b for _, b in mine), mine)
    return out


def _union(boxes: Iterable[Bounds]) -> Bounds:
    """The least box holding all ``boxes``."""
    x0, y0, x1, y1 = zip(*boxes, strict=True)
    return min(x0), min(y0), max(x1), max(y1)


def watch_leg(
    env: simpy.Environment,
    fences: dict[str, tuple[Bounds, list[tuple[Fence, Bounds]]]],
    flight: Flight,
) -> None:
    """Schedule a report for every fence (of `by_side`) the flight's current leg enters or
    crosses.
    """
    leg = flight.leg
    if leg is None:
        return
    watched = fences.get(flight.side)
    if watched is None or leg.t1_s <= leg.t0_s:  # no fence, or no time to enter one
        return
    # the leg's box, tested against the boxes before Shapely makes sure (entry_times)
    x_lo, x_hi = (leg.x0_m, leg.x1_m) if leg.x0_m <= leg.x1_m else (leg.x1_m, leg.x0_m)
    y_lo, y_hi = (leg.y0_m, leg.y1_m) if leg.y0_m <= leg.y1_m else (leg.y1_m, leg.y0_m)
    (bx0, by0, bx1, by1), mine = watched
    if x_hi < bx0 or x_lo > bx1 or y_hi < by0 or y_lo > by1:
        return
    for fence, (bx0, by0, bx1, by1) in mine:
        if x_hi < bx0 or x_lo > bx1 or y_hi < by0 or y_lo > by1 or _in_core(leg, fence):
            continue
        for t in _entries(leg, fence):
            env.process(_at(env, t, flight, leg, fence))


def _at(
    env: simpy.Environment, t: float, flight: Flight, leg: Leg, fence: Fence
) -> Generator[simpy.Event, object, None]:
    yield env.timeout(max(t - env.now, 0.0))
    if flight.leg is leg and flight.airborne:  # not replaced by a manoeuvre meanwhile
        fence.on_enter(flight, env.now)
