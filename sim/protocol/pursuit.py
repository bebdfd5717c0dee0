"""One interceptor after one target: the pilot of a pursuit, leg by short straight leg.

A :class:`Pursuit` is a :data:`sim.state.Pilot`: each time the interceptor's leg ends it
chooses the next one. While it approaches, it flies at its dash speed towards where the
target will be (lead pursuit), re-planned every ``approach_step_s``. Within ``join_m`` it
*joins*: from then on it holds a station ``standoff_m`` from the target at a bearing relative
to the target's heading and ``vertical_m`` above or below it, re-planned every ``step_s``
from where the target's plan takes it next; an *unsafe* pursuit closes to a shorter distance
for a while. After ``duration_s`` of shadowing (or when the target lands, or if it cannot
join in time) it breaks off and hands the aircraft back to its route. Every leg is straight,
so the encounter detector stays exact.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.protocol.ahead import path_rows

if TYPE_CHECKING:
    from sim.plans import Point
    from sim.state import Flight

__all__ = ["Pursuit", "Unsafe"]

FLOOR_M = 150.0
"""The pursuit never takes an aircraft lower than this (about 500 ft)."""
CLOSING = 0.8
"""Each leg closes in on the station to at most this share of the present distance (an
assumption of the model: joining takes a few legs and never cuts across the target's track)."""
MAX_SWING_RAD = math.radians(40.0)
"""The station swings round the target by at most this much per leg (when the target
turns), so that each straight leg between two stations keeps its distance: the chord of a
40 degree arc stays within 94 % of the radius (an assumption of the model, not a source)."""


@dataclass(frozen=True)
class Unsafe:
    """A close pass during the shadowing: from ``after_s`` after joining, for ``for_s``."""

    after_s: float
    for_s: float
    distance_m: float
    vertical_m: float


@dataclass(eq=False)
class Pursuit:
    """The pilot of one interceptor after one target (see the module docstring)."""

    own: Flight
    target: Flight
    standoff_m: float
    vertical_m: float
    bearing_rad: float
    """Station relative to the target's heading (0 ahead, +pi/2 its left, pi behind)."""
    duration_s: float
    dash_mps: float
    climb_mps: float
    join_m: float
    step_s: float
    approach_step_s: float
    steady_step_s: float
    give_up_s: float
    """Absolute time by which it must have joined, or it breaks off (``lost``)."""
    done: simpy.Event
    on_join: Callable[[Pursuit, float], None]
    on_end: Callable[[Pursuit, float, str], None]
    unsafe: Unsafe | None = None
    t_join: float | None = None
    t_end: float | None = None
    reason: str = ""
    heading: float = 0.0

    def __call__(self, f: Flight, now: float) -> tuple[Point, float] | None:
        """The next leg: approach, join, hold the station, or break off (``None``)."""
        if self.reason:
            return None
        if not self.target.airborne:
            return self._end(now, "target landed")
        assert f.position is not None
        here = f.position
        if self.t_join is None:
            there = self._target_at(now)
            if math.hypot(there[0] - here[0], there[1] - here[1]) > self.join_m:
                if now >= self.give_up_s:
                    return self._end(now, "lost")
                return self._approach(here, there, now)
            self.t_join = now
            self.on_join(self, now)
        if now >= self.t_join + self.duration_s:
            return self._end(now, "time")
        return self._station(here, now)

    @property
    def shadowed_s(self) -> float:
        """How long it held its station (so far, or until it broke off)."""
        if self.t_join is None:
            return 0.0
        end = self.t_end if self.t_end is not None else self.t_join + self.duration_s
        return max(end - self.t_join, 0.0)

    def _end(self, now: float, reason: str) -> None:
        self.reason, self.t_end = reason, now
        self.on_end(self, now, reason)
        if not self.done.triggered:
            self.done.succeed()
        return None

    def _target_path(self, t_s: float) -> list[list[float]]:
        return path_rows(self.target, t_s, 8)

    def _target_at(self, t_s: float) -> Point:
        rows = self._target_path(t_s)
        if not rows:
            return self.target.where(t_s)
        return _position_on(rows, t_s)

    def _heading_at(self, rows: list[list[float]], t_s: float) -> float:
        if rows:
            row = rows[_row_at(rows, t_s)]
            vx, vy = row[5], row[6]
            if math.hypot(vx, vy) > 1.0:
                self.heading = math.atan2(vy, vx)
        return self.heading

    def _approach(self, here: Point, there: Point, now: float) -> tuple[Point, float]:
        """Towards the station off the target, where the target will be when reached at dash
        speed (one short leg): never straight at the target itself.
        """
        lead_s = math.hypot(there[0] - here[0], there[1] - here[1]) / self.dash_mps
        t = now + lead_s
        rows = self._target_path(t)
        aim = _position_on(rows, t) if rows else self.target.where(t)
        a = self._heading_at(rows, t) + self.bearing_rad
        spot = (
            aim[0] + self.standoff_m * math.cos(a),
            aim[1] + self.standoff_m * math.sin(a),
            aim[2] + self.vertical_m,
        )
        return self._towards(here, spot, self.approach_step_s)

    def _station(self, here: Point, now: float) -> tuple[Point, float]:
        """The station off the target one step from now (closer during an unsafe pass).

        On station behind a target flying straight, the step lengthens to the end of the
        target's leg (at most ``steady_step_s``): the station moves in a straight line then.
        """
        step = self._steady_step(here, now)
        t = now + step
        rows = self._target_path(t)
        there = _position_on(rows, t) if rows else self.target.where(t)
        heading = self._heading_at(rows, t)
        distance, vertical = self.standoff_m, self.vertical_m
        u, closing = self.unsafe, CLOSING
        if u is not None and self.t_join is not None:
            since = t - self.t_join
            if u.after_s <= since <= u.after_s + u.for_s:
                distance, vertical, closing = u.distance_m, u.vertical_m, 0.0
        a = heading + self.bearing_rad
        now_there = self._target_at(now)
        a = _swing(math.atan2(here[1] - now_there[1], here[0] - now_there[0]), a, MAX_SWING_RAD)
        # close in gradually (a spiral, not a straight line across the target's track)
        current = math.hypot(here[0] - now_there[0], here[1] - now_there[1])
        distance = max(distance, closing * current)
        spot = (
            there[0] + distance * math.cos(a),
            there[1] + distance * math.sin(a),
            there[2] + vertical,
        )
        return self._towards(here, spot, step)

    def _steady_step(self, here: Point, now: float) -> float:
        """``step_s``, or longer when on station behind a target flying straight; shorter when
        the target turns within it (a leg never spans the target's turn).
        """
        rows = self._target_path(now + self.step_s)
        if not rows or self.t_join is None:
            return self.step_s
        k = _row_at(rows, now)
        straight = np.float64(rows[k][1]) - now  # a numpy float, as a step of the leg rows was
        if 1.0 < straight < self.step_s and k + 1 < len(rows):
            return float(straight)  # up to the target's turn
        if self.steady_step_s <= self.step_s:
            return self.step_s
        end = self.t_join + self.duration_s - now
        u = self.unsafe
        if u is not None:
            start = self.t_join + u.after_s - now
            if start + u.for_s >= 0:
                end = min(end, max(start, 0.0))
        step = min(straight, end, self.steady_step_s)
        if step < 2 * self.step_s:
            return self.step_s
        there = _position_on(rows, now)
        a = self._heading_at(rows, now) + self.bearing_rad
        d = math.hypot(
            there[0] + self.standoff_m * math.cos(a) - here[0],
            there[1] + self.standoff_m * math.sin(a) - here[1],
        )
        if d > max(50.0, 0.05 * self.standoff_m) or abs(there[2] + self.vertical_m - here[2]) > 30:
            return self.step_s
        return step

    def _towards(self, here: Point, spot: Point, step_s: float) -> tuple[Point, float]:
        """A leg of ``step_s`` towards ``spot``: there if the dash speed and climb allow."""
        dx, dy = spot[0] - here[0], spot[1] - here[1]
        d = math.hypot(dx, dy)
        reach = self.dash_mps * step_s
        f = 1.0 if d <= reach else reach / d
        dz_max = self.climb_mps * step_s
        z = here[2] + max(-dz_max, min(dz_max, spot[2] - here[2]))
        return (here[0] + f * dx, here[1] + f * dy, max(z, FLOOR_M)), step_s


_T0 = itemgetter(0)
"""A leg row's start time."""


def _row_at(rows: list[list[float]], t_s: float) -> int:
    """Index of the leg row flown at ``t_s`` (rows in time order; the first or last outside)."""
    return min(max(bisect_right(rows, t_s, key=_T0) - 1, 0), len(rows) - 1)


def _position_on(rows: list[list[float]], t_s: float) -> tuple[float, float, float]:
    """Position at ``t_s`` along a path of leg rows, held at the ends (as
    :func:`sim.protocol.ahead.position_on`, on plain lists).

    Examples
    --------
    >>> rows = [[0, 10, 0, 0, 0, 1, 0, 0], [10, 20, 10, 0, 0, 0, 1, 0]]
    >>> _position_on(rows, 15.0), _position_on(rows, 99.0), _position_on(rows, -5.0)
    ((10.0, 5.0, 0.0), (10.0, 10.0, 0.0), (0.0, 0.0, 0.0))
    """
    r = rows[_row_at(rows, t_s)]
    dt = min(max(t_s - r[0], 0.0), r[1] - r[0])
    return (float(r[2] + r[5] * dt), float(r[3] + r[6] * dt), float(r[4] + r[7] * dt))


def _swing(current: float, wanted: float, limit: float) -> float:
    """``wanted`` (an angle), or ``current`` turned towards it by at most ``limit``.

    Examples
    --------
    >>> round(math.degrees(_swing(0.0, math.radians(170), math.radians(40))), 6)
    40.0
    >>> round(math.degrees(_swing(0.0, math.radians(-20), math.radians(40))), 6)
    -20.0
    """
    delta = (wanted - current + math.pi) % (2 * math.pi) - math.pi
    return current + max(-limit, min(limit, delta))
