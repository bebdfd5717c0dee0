"""The conflict watch shared by radio calls, controllers and the unilateral rule.

When a flight starts a leg, its straight-line future is compared (closed form, vectorised)
with the current legs of the other side's aircraft. A predicted entry into a rule's cylinder
schedules a check ``lookahead`` before it; if both aircraft are still on those legs then, the
rule acts (at most once per pair in its ``cooldown``): a radio call, a controller's
instruction, a diversion. What a rule does is its mechanism's business; the manoeuvres they
end in (climb or descend away, turn away) are here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from sim import aircraft
from sim.encounters import Category, LegArrays, closest_approach, solve_pairs
from sim.units import MIN

if TYPE_CHECKING:
    import simpy

    from sim.encounters import Leg
    from sim.plans import Point
    from sim.state import Flight, Run

__all__ = [
    "Rule",
    "Watch",
    "climb_away",
    "covered",
    "manoeuvrable",
    "turn_away",
    "watch_of",
]

Act = Callable[["Watch", "Rule", "Flight", "Flight"], Generator["simpy.Event", object, None]]


@dataclass(frozen=True)
class Rule:
    """One conflict watch: its cylinder, look-ahead, cooldown, and what it does (``act``)."""

    name: str
    radius_m: float
    height_m: float
    lookahead_s: float
    cooldown_s: float
    act: Act


@dataclass(eq=False)
class Watch:
    """The state of the watches during one run, with every aircraft's current leg as arrays.

    Row ``i`` of ``legs`` (``t0, t1, x, y, z, vx, vy, vz`` as in ``LegArrays``) is the
    current leg of ``flights[i]``; a row whose leg has ended is simply in the past.
    """

    run: Run
    rules: list[Rule] = field(default_factory=list)
    last_act: dict[tuple[str, str, str], float] = field(default_factory=dict)
    flights: list[Flight] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    legs: np.ndarray = field(default_factory=lambda: np.zeros((0, 8)))
    side: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    sides: dict[str, int] = field(default_factory=dict)

    reach: float = 0.0
    """The widest rule's radius: beyond it no rule can act."""

    def add(self, rule: Rule) -> None:
        """Watch for ``rule``'s cylinder too."""
        self.rules.append(rule)
        self.reach = max(self.reach, rule.radius_m)

    def update(self, f: Flight) -> int:
        """Store the flight's current leg in its row (adding a row the first time)."""
        assert f.leg is not None
        row = self.rows.get(f.id)
        if row is None:
            row = self.rows[f.id] = len(self.flights)
            self.flights.append(f)
            if row >= len(self.legs):
                grow = max(64, len(self.legs))
                self.legs = np.vstack([self.legs, np.full((grow, 8), -np.inf)])
                self.side = np.concatenate([self.side, np.zeros(grow, dtype=np.int8)])
            self.side[row] = self.sides.setdefault(f.side, len(self.sides) + 1)
        leg = f.leg
        self.legs[row] = (leg.t0_s, leg.t1_s, leg.x0_m, leg.y0_m, leg.z0_m, *leg.velocity())
        return row

    def on_leg(self, f: Flight) -> None:
        """Predict conflicts of the flight's new leg with the other side's current legs.

        A cheap closest-approach filter keeps the aircraft that can come within the widest
        rule's radius before either leg ends; those are solved exactly for each rule's cylinder.
        """
        if f.plan.kind == "missile" or f.leg is None or not self.rules:
            return
        row = self.update(f)
        now = self.run.env.now
        n = len(self.flights)
        others = np.nonzero((self.legs[:n, 1] > now) & (self.side[:n] != self.side[row]))[0]
        if len(others) == 0:
            return
        legs, mine = self.legs[others], self.legs[row]  # columns t0, t1, x, y, z, vx, vy, vz
        rel = legs[:, 2:4] + legs[:, 5:7] * (now - legs[:, :1]) - mine[2:4]
        rv = legs[:, 5:7] - mine[5:7]
        horizon = np.minimum(legs[:, 1], mine[1]) - now
        _, d = closest_approach(rel[:, 0], rel[:, 1], rv[:, 0], rv[:, 1], 0.0, horizon)
        near = others[d < self.reach]
        if len(near) == 0:
            return
        arr = LegArrays.from_matrix(self.legs[near])
        for rule in self.rules:
            sol = solve_pairs(f.leg, arr, (Category(rule.name, rule.radius_m, rule.height_m),))
            for k in np.nonzero(sol.inside[:, 0])[0]:
                o = self.flights[int(near[k])]
                at = max(float(sol.t_in_s[k, 0]) - rule.lookahead_s, now)
                self.run.env.process(self.check(rule, f, o, f.leg, o.leg, at))

    def check(
        self, rule: Rule, a: Flight, b: Flight, leg_a: Leg, leg_b: Leg | None, at: float
    ) -> Generator[simpy.Event, object, None]:
        """At ``at``, if both still fly the predicted legs, let the rule act."""
        env = self.run.env
        yield env.timeout(at - env.now)
        if a.leg is not leg_a or b.leg is not leg_b or not (a.airborne and b.airborne):
            return
        first, second = sorted((a.id, b.id))
        key = (rule.name, first, second)
        if env.now - self.last_act.get(key, -math.inf) < rule.cooldown_s:
            return
        self.last_act[key] = env.now
        yield from rule.act(self, rule, a, b)


def watch_of(run: Run) -> Watch:
    """The run's watch, created (and hooked onto every new leg) by the first rule installed."""
    watch = run.services.get("watch")
    if watch is None:
        watch = run.services["watch"] = Watch(run)
        run.on_leg.append(watch.on_leg)
    return watch


def manoeuvrable(f: Flight) -> bool:
    """Whether the flight can be sent elsewhere now (airborne, on a leg, with a route ahead)."""
    return f.airborne and f.leg is not None and bool(f.route)


def covered(area: BaseGeometry | None, f: Flight, now: float) -> bool:
    """Whether ``f`` is inside ``area`` now (everywhere when there is no area)."""
    if area is None:
        return True
    x, y, _ = f.where(now)
    return bool(shapely.contains_xy(area, x, y))


def climb_away(
    own: Flight, other: Flight, now: float, change_m: float, floor_m: float
) -> tuple[list[Point], float]:
    """Climb (or descend) ``change_m`` away from the other aircraft, then resume the plan.

    Returns the route ahead and the altitude change actually made (never below ``floor_m``).
    """
    here, there, dest = own.where(now), other.where(now), own.route[0]
    dz = change_m * (1 if here[2] >= there[2] else -1)
    climb = max(aircraft.find_type(own.plan.type).climb_mps, 1.0)
    ahead = _ahead_point(here, dest, abs(dz) / climb * own.plan.speed_mps)
    new_z = max(here[2] + dz, floor_m)
    route = [
        (ahead[0], ahead[1], new_z),
        (dest[0], dest[1], max(dest[2] + dz, floor_m)),
        *own.route[1:],
    ]
    return route, new_z - here[2]


def turn_away(
    own: Flight, other: Flight, now: float, offset_deg: float
) -> tuple[list[Point], float]:
    """Turn ``offset_deg`` away from the other aircraft for two minutes, then resume the plan.

    Returns the route ahead and the turn made (degrees, positive to the left).
    """
    here, there, dest = own.where(now), other.where(now), own.route[0]
    heading = math.atan2(dest[1] - here[1], dest[0] - here[0])
    side = math.copysign(
        1.0,
        (dest[0] - here[0]) * (there[1] - here[1]) - (dest[1] - here[1]) * (there[0] - here[0]),
    )
    turn = heading - side * math.radians(offset_deg)
    d = own.plan.speed_mps * 2 * MIN
    route = [(here[0] + d * math.cos(turn), here[1] + d * math.sin(turn), here[2]), *own.route]
    return route, -side * offset_deg


def _ahead_point(here: Point, dest: Point, dist: float) -> tuple[float, float]:
    """The point ``dist`` along the track to ``dest`` (at most 90 % of the way)."""
    dx, dy = dest[0] - here[0], dest[1] - here[1]
    d = math.hypot(dx, dy)
    if d < 1.0:
        return (here[0], here[1])
    f = min(dist / d, 0.9)
    return (here[0] + f * dx, here[1] + f * dy)
