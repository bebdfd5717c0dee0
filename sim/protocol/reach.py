"""Which flights can reach an area while it is active: a per-run index for keeping clear.

Each notice (a strike area and its window, a line crossing's corridor) must find the flights of
one side whose route ahead passes through its area while it is active. Scanning every flight
of the run, and turning every route into an array, for every notice costs notices x flights x
waypoints; this index, kept for the whole run, answers from what it already knows:

- the flights of each side in order of planned departure, so a notice looks only at flights
  that have taken off or may take off before its window closes (a hold only ever delays a
  departure), and flights that have landed drop out for good;
- each route's waypoints as an array, made once per route rather than once per notice, with
  the bounding box of every tail of the route, so the box of the route still ahead is one
  look-up.

A route changes only by being replaced (a reroute, a manoeuvre, a replan: a new list) or by
losing its first waypoint as it is flown; :meth:`Reach.route` recognises both and makes a new
array only for a new route.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import shapely

from sim.plans import points_array
from sim.routing import Router

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from sim.plans import Point
    from sim.state import Flight, Run

__all__ = ["Reach", "RouteArrays", "reach"]

SERVICE = "reach"
"""Where a run keeps its index (``run.services``)."""


@dataclass(frozen=True, eq=False)
class RouteArrays:
    """A route's waypoints as arrays, with the bounding box of each of its tails, the
    distance flown to each waypoint and the steps between them (each made on first use).

    Examples
    --------
    >>> r = RouteArrays.of([(0.0, 5.0, 1.0), (4.0, -2.0, 1.0), (1.0, 1.0, 2.0)])
    >>> r.lo.tolist(), r.hi.tolist()
    ([[0.0, -2.0], [1.0, -2.0], [1.0, 1.0]], [[4.0, 5.0], [4.0, 1.0], [1.0, 1.0]])
    """

    source: list[Point]
    """The route list the arrays were made from."""
    points: tuple[Point, ...]
    """Its waypoints when they were made."""
    xyz: np.ndarray
    """The waypoints, ``(n, 3)`` metres."""

    @classmethod
    def of(cls, route: list[Point]) -> RouteArrays:
        """The arrays of ``route``."""
        return cls(route, tuple(route), points_array(route))

    @functools.cached_property
    def lo(self) -> np.ndarray:
        """``lo[k]``: the smallest x and y of waypoints ``k`` onwards, ``(n, 2)``."""
        return np.minimum.accumulate(self.xyz[::-1, :2], axis=0)[::-1]

    @functools.cached_property
    def hi(self) -> np.ndarray:
        """``hi[k]``: the largest x and y of waypoints ``k`` onwards, ``(n, 2)``."""
        return np.maximum.accumulate(self.xyz[::-1, :2], axis=0)[::-1]

    @functools.cached_property
    def along(self) -> np.ndarray:
        """Distance flown from the first waypoint to each, metres."""
        xy = self.xyz[:, :2]
        return np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])

    @functools.cached_property
    def step_m(self) -> np.ndarray:
        """``step_m[k]``: horizontal distance from waypoint ``k`` to ``k + 1``, measured by
        ``math.hypot`` one step at a time, as ``sim.protocol.ahead.path_and_box`` measures it.

        Examples
        --------
        >>> RouteArrays.of([(0.0, 0.0, 0.0), (3.0, 4.0, 0.0), (3.0, 4.0, 9.0)]).step_m.tolist()
        [5.0, 0.0]
        """
        hypot, p = math.hypot, self.points
        steps = [hypot(q[0] - a[0], q[1] - a[1]) for a, q in zip(p, p[1:], strict=False)]
        return np.array(steps, dtype=float)

    def offset(self, route: list[Point]) -> int | None:
        """Where ``route`` starts in the arrays (it has lost that many waypoints since), or
        ``None`` if it is not the route they were made from.
        """
        n, k = len(self.points), len(self.points) - len(route)
        if route is not self.source or not route or k < 0:
            return None
        if route[0] is not self.points[k] or route[-1] is not self.points[n - 1]:
            return None
        return k

    def window(self, k: int, lead_m: float | None, lo_m: float, hi_m: float) -> slice | None:
        """The segments of a path that may be flown between ``lo_m`` and ``hi_m`` metres
        from its start, or ``None`` if none are.

        The path runs through the waypoints ``k`` onwards, from a point ``lead_m`` metres
        before waypoint ``k`` (``None``: from waypoint ``k`` itself); its segments are
        numbered from its start. A segment is in the slice if it ends at or after ``lo_m``
        and starts at or before ``hi_m``, by the waypoints' distances (add a margin to the
        bounds for rounding).

        Examples
        --------
        >>> r = RouteArrays.of([(0.0, 0.0, 0.0), (10.0, 0.0, 0.0), (20.0, 0.0, 0.0)])
        >>> r.window(0, None, 12.0, 15.0), r.window(1, 5.0, 0.0, 2.0), r.window(0, None, 30, 40)
        (slice(1, 2, None), slice(0, 1, None), None)
        """
        lead = lead_m is not None
        offset = self.along[k] - (lead_m or 0.0)
        n = len(self.along) - k + lead  # points on the path
        j = int(np.searchsorted(self.along, lo_m + offset, side="left"))
        first = 0 if lead and lo_m <= 0.0 else max(j, k) - k + lead  # first point at >= lo_m
        j = int(np.searchsorted(self.along, hi_m + offset, side="right")) - 1
        last = j - k + lead if j >= k else (0 if lead and hi_m >= 0.0 else -1)
        lo, hi = max(first - 1, 0), min(last, n - 2)
        return slice(lo, hi + 1) if lo <= hi else None


@dataclass(eq=False)
class Reach:
    """The flights of a run by side and departure, and their routes as arrays (see module)."""

    run: Run
    _indexed: int = 0
    _waiting: dict[str, list[tuple[float, str, Flight]]] = field(default_factory=dict)
    _flying: dict[str, list[tuple[str, Flight]]] = field(default_factory=dict)
    _routes: dict[str, RouteArrays] = field(default_factory=dict)

    def candidates(self, side: str, until_s: float) -> list[Flight]:
        """The flights of ``side`` that may be in the air before ``until_s`` (or now), in id
        order: every flight, not a missile and not landed, planned to depart by then.

        A flight missing from the list departs after ``until_s`` (and after now), so is on the
        ground until then, or has landed, or is a missile.
        """
        self._admit()
        bound = max(until_s, self.run.env.now)
        waiting = self._waiting.get(side, [])
        flying = self._flying.setdefault(side, [])
        while waiting and waiting[-1][0] <= bound:
            _, fid, f = waiting.pop()
            bisect.insort(flying, (fid, f), key=lambda e: e[0])
        flying[:] = [(fid, f) for fid, f in flying if not f.landed]
        return [f for _, f in flying]

    def route(self, f: Flight) -> tuple[RouteArrays, int]:
        """The arrays of the flight's route and where its route ahead starts in them."""
        arrays = self._routes.get(f.id)
        k = None if arrays is None else arrays.offset(f.route)
        if arrays is None or k is None:
            arrays = self._routes[f.id] = RouteArrays.of(f.route)
            k = 0
        return arrays, k

    def router(self, obstacles: list[BaseGeometry], buffer_m: float) -> Router:
        """A router around ``obstacles`` grown by ``buffer_m``: the one made for the same
        areas before, if any, in this run or an earlier one of the process (its visibility
        graph and the routes found on it are kept; both depend on nothing but the areas).
        """
        return shared_router(tuple(shapely.to_wkb(g) for g in obstacles), float(buffer_m))

    def _admit(self) -> None:
        """Index the flights added to the run since the last look (all of them at first)."""
        flights = self.run.flights
        if len(flights) == self._indexed:
            return
        new: dict[str, list[tuple[float, str, Flight]]] = {}
        for f in itertools.islice(flights.values(), self._indexed, None):
            if f.plan.kind != "missile":
                new.setdefault(f.side, []).append((f.plan.depart_s, f.id, f))
        for side, entries in new.items():
            waiting = self._waiting.setdefault(side, [])
            waiting += entries
            waiting.sort(key=lambda e: (-e[0], e[1]))  # latest first: the next to go is last
        self._indexed = len(flights)


@functools.lru_cache(maxsize=256)
def shared_router(obstacles_wkb: tuple[bytes, ...], buffer_m: float) -> Router:
    """The router around the areas given as WKB (exact), grown by ``buffer_m``, made once per
    process (the 256 most recently used are kept).
    """
    return Router([shapely.from_wkb(w) for w in obstacles_wkb], buffer_m)


def reach(run: Run) -> Reach:
    """The run's index (made on first use)."""
    index = run.services.get(SERVICE)
    if index is None:
        index = run.services[SERVICE] = Reach(run)
    return index
