"""Geofences: log the moment a flight enters a keep-out zone or crosses the Euphrates line.

Each new leg is intersected with the fences that apply to its side (Shapely); an entry or a
crossing found on the leg is reported at its exact time, to the fence's owner, by a small
process that first checks the flight is still on that leg (a manoeuvre may have replaced it).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
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


def entry_times(leg: Leg, fence: Fence) -> list[float]:
    """Times during ``leg`` at which it enters the fence's zone or crosses its line.

    A leg starting inside a zone has no entry at its start (the entry was on an earlier leg).
    """
    if leg.duration_s <= 0 or not _boxes_meet(leg, fence.bounds):
        return []
    seg = shapely.linestrings([[leg.x0_m, leg.y0_m], [leg.x1_m, leg.y1_m]])
    if not shapely.intersects(fence.edge, seg):
        return []
    polygon, geometry = fence.polygon, fence.geometry
    hits = shapely.get_coordinates(shapely.intersection(seg, fence.edge))
    if len(hits) == 0:
        return []
    length = seg.length
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


def by_side(fences: list[Fence]) -> dict[str, list[tuple[Fence, Bounds]]]:
    """The fences that watch each side, in their order, with their bounding boxes."""
    sides = sorted({s for fence in fences for s in fence.sides})
    return {s: [(fence, fence.bounds) for fence in fences if s in fence.sides] for s in sides}


def watch_leg(
    env: simpy.Environment,
    fences: dict[str, list[tuple[Fence, Bounds]]],
    flight: Flight,
) -> None:
    """Schedule a report for every fence (of `by_side`) the flight's current leg enters or
    crosses.
    """
    leg = flight.leg
    if leg is None:
        return
    for fence, bounds in fences.get(flight.side, ()):
        if _boxes_meet(leg, bounds):  # the cheap test first; entry_times makes sure
            for t in entry_times(leg, fence):
                env.process(_at(env, t, flight, leg, fence))


def _at(
    env: simpy.Environment, t: float, flight: Flight, leg: Leg, fence: Fence
) -> Generator[simpy.Event, object, None]:
    yield env.timeout(max(t - env.now, 0.0))
    if flight.leg is leg and flight.airborne:  # not replaced by a manoeuvre meanwhile
        fence.on_enter(flight, env.now)
