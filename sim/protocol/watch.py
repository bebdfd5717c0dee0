"""The conflict watch shared by radio calls, controllers, the unilateral rule and intercepts.

When a flight starts a leg, where it will be is compared (closed form, vectorised) with where
the other side's aircraft will be. A rule that is ``plan_aware`` looks along each aircraft's
plan: its current leg and the legs its route has next, up to the widest look-ahead beyond the
current leg's end (``sim.protocol.ahead``); other rules compare current legs only. A predicted
entry into a rule's cylinder schedules a check ``lookahead`` before it; if the prediction
still holds then (neither plan changed since: same legs, or for plan-aware rules the same
plan versions), the rule acts, at most once per pair in its ``cooldown``: a radio call, a
controller's instruction, a diversion, an intercept. A rule with an ``allowance`` leaves a
predicted intrusion alone when it lasts no longer than the allowance and stays outside the
``allowance_floor`` cylinder (the rule of threes: "closer for up to 3 minutes"). Pairs one of
which is intercepting the other are left to the intercept (``Run.engaged``) unless the rule
says otherwise. What a rule does is its mechanism's business; the manoeuvres they end in
(climb or descend away, turn away) are here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from sim import aircraft
from sim.protocol.ahead import path_and_box, store_ahead, store_rows
from sim.protocol.lookahead import merged_stays, pair_reach, pair_rules
from sim.protocol.reach import reach
from sim.protocol.watch_kernels import candidates, look
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
    "stay_end",
    "turn_away",
    "watch_of",
]

Act = Callable[["Watch", "Rule", "Flight", "Flight"], Generator["simpy.Event", object, None]]

MAX_LEGS = 12
"""At most this many legs of a plan are looked at (the current one and the next ones)."""
MARGIN_S = 60.0
"""Plans are looked at this much beyond the widest look-ahead."""
SLACK_M = 1.0
"""Boxes farther apart than a rule's radius and this (far above the rounding of positions) are
out of that rule's reach."""


@dataclass(frozen=True)
class Rule:
    """One conflict watch: its cylinder, look-ahead, cooldown, and what it does (``act``)."""

    name: str
    radius_m: float
    height_m: float
    lookahead_s: float
    cooldown_s: float
    act: Act
    plan_aware: bool = False
    """Look along the plans (next legs within the look-ahead), not only the current legs."""
    allowance_s: float = 0.0
    """A predicted stay inside the cylinder this short is allowed (0: none is)."""
    allowance_floor_m: float = 0.0
    """... unless it comes within this horizontal distance ..."""
    allowance_floor_height_m: float = 0.0
    """... and this vertical distance (a near miss is never allowed)."""
    exempt_engaged: bool = True
    """Leave alone pairs one of which intercepts the other."""
    roles: tuple[Callable[[Flight], bool], Callable[[Flight], bool]] | None = None
    """Only pairs of an aircraft the first accepts and one the second accepts are watched
    (an intercept's protected aircraft and the aircraft it goes after); None: every pair."""


@dataclass(eq=False)
class Watch:
    """The state of the watches during one run, with every aircraft's path ahead as arrays.

    ``paths[i]`` holds up to ``max_legs`` rows (``t0, t1, x, y, z, vx, vy, vz``) of the
    current leg and next legs of ``flights[i]`` as they were when its current leg began;
    unused rows have ``t1 = -inf``. ``boxes[:, i]`` is the horizontal box of that path and
    its end time, its maxima negated (``x_min, y_min, -x_max, -y_max, t_end``), and
    ``tops[:, i]`` the same box the other way round (``x_max, y_max, -x_min, -y_min``): two
    boxes ``i`` and ``j`` are at most ``r`` apart when ``boxes[:4, j] <= tops[:, i] + r``
    holds throughout.
    """

    run: Run
    max_legs: int = MAX_LEGS
    """Legs of each plan looked at (1 when no rule is plan-aware)."""
    rules: list[Rule] = field(default_factory=list)
    last_act: dict[tuple[str, str, str], float] = field(default_factory=dict)
    pending: dict[tuple[str, str, str], tuple[float, int, int]] = field(default_factory=dict)
    stays: dict[tuple[str, str, str], float] = field(default_factory=dict)
    """Predicted end of each pair's stay inside a rule's cylinder (the last prediction)."""
    flights: list[Flight] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    paths: np.ndarray = field(default_factory=lambda: np.zeros((0, 1, 8)))
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((5, 0)))
    tops: np.ndarray = field(default_factory=lambda: np.zeros((4, 0)))
    side: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    sides: dict[str, int] = field(default_factory=dict)
    versions: list[int] = field(default_factory=list)
    """The plan version each stored path was made from."""
    ends: list[float] = field(default_factory=list)
    """When each stored path ends (as ``boxes[4]``)."""
    counts: list[int] = field(default_factory=list)
    """How many rows of each stored path are in use."""
    listed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """Per row, whether its path may still be ahead (its box ends after the last look)."""
    live: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """The listed rows, ascending: the only ones a new look compares with."""
    kinds: dict[tuple[int, tuple[bool, ...]], int] = field(default_factory=dict)
    """A code per side and roles (per rule, whether the aircraft plays each of its roles)."""
    codes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Per row, the code of its aircraft's side and roles."""
    reaches: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    """Per pair of codes, how far apart two boxes may be for some rule to concern the pair."""
    watched: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0), dtype=bool))
    """Per pair of codes and rule, whether the rule watches the pair (sides aside)."""

    reach: float = 0.0
    """The widest rule's radius: beyond it no rule can act."""
    horizon_s: float = 0.0
    """How far beyond the current leg's end plans are looked at (0: current legs only)."""

    height: float = 0.0
    """The tallest rule's half-height: above it no rule can act."""
    by_role: bool = False
    """Whether every rule watches only the pairs its ``roles`` accept."""
    all_aware: bool = False
    """Whether every rule is plan-aware (then a flight's stored path serves until it runs out
    or the plan changes)."""
    roles: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 2), dtype=bool))
    """Per row and rule, whether the flight plays the rule's first and second role."""

    radii: np.ndarray = field(default_factory=lambda: np.zeros(0))
    heights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    with_roles: bool = False
    """Whether some rule watches only the pairs its ``roles`` accept."""
    aware: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    floors: list[int] = field(default_factory=list)
    """Per rule, the index of its allowance floor cylinder (-1: no allowance)."""
    cylinders: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))
    """Radii and half-heights of the rules' cylinders, then of their allowance floors."""

    def add(self, rule: Rule) -> None:
        """Watch for ``rule``'s cylinder too."""
        self.rules.append(rule)
        self.reach = max(r.radius_m for r in self.rules)
        self.height = max(r.height_m for r in self.rules)
        self.radii = np.array([r.radius_m for r in self.rules])
        self.heights = np.array([r.height_m for r in self.rules])
        self.aware = np.array([r.plan_aware for r in self.rules])
        floored = [r for r in self.rules if r.allowance_s > 0]
        ranks = itertools.count()
        self.floors = [next(ranks) if r.allowance_s > 0 else -1 for r in self.rules]
        self.cylinders = (
            np.concatenate([self.radii, [r.allowance_floor_m for r in floored]]),
            np.concatenate(
                [self.heights, [max(r.allowance_floor_height_m, 1e-9) for r in floored]]
            ),
        )
        self.with_roles = any(r.roles is not None for r in self.rules)
        self.by_role = all(r.roles is not None for r in self.rules)
        self.all_aware = all(r.plan_aware for r in self.rules)
        aware = [r.lookahead_s for r in self.rules if r.plan_aware]
        self.horizon_s = max(aware) + MARGIN_S if aware else 0.0

    def role_of(self, f: Flight) -> list[tuple[bool, bool]]:
        """Per rule, whether ``f`` plays its first and its second role (both without roles)."""
        return [
            (True, True) if r.roles is None else (r.roles[0](f), r.roles[1](f)) for r in self.rules
        ]

    def update(self, f: Flight) -> int:
        """Store the flight's path ahead in its row (adding a row the first time)."""
        assert f.leg is not None
        row = self.rows.get(f.id)
        if row is None:
            row = self.rows[f.id] = len(self.flights)
            self.flights.append(f)
            self.versions.append(f.version)
            self.ends.append(-math.inf)
            self.counts.append(self.max_legs)
            if row >= len(self.paths):
                grow = max(64, len(self.paths))
                empty = np.zeros((grow, self.max_legs, 8))
                empty[:, :, :2] = -np.inf
                self.paths = np.concatenate([self.paths, empty])
                self.boxes = np.hstack([self.boxes, np.full((5, grow), np.nan)])
                self.tops = np.hstack([self.tops, np.full((4, grow), np.nan)])
                self.codes = np.concatenate([self.codes, np.zeros(grow, dtype=np.int64)])
                self.side = np.concatenate([self.side, np.zeros(grow, dtype=np.int8)])
                self.listed = np.concatenate([self.listed, np.zeros(grow, dtype=bool)])
                more = np.zeros((grow, len(self.rules), 2), dtype=bool)
                self.roles = np.concatenate([self.roles.reshape(-1, len(self.rules), 2), more])
            self.side[row] = self.sides.setdefault(f.side, len(self.sides) + 1)
            self.roles[row] = self.role_of(f)
            self.codes[row] = self._code(row)
        horizon = self.horizon_s
        # twice the horizon: the next few legs of the plan need no new look (see on_leg)
        until = f.leg.t1_s + 2 * horizon
        max_legs = self.max_legs if horizon > 0 else 1
        arrays = (self.paths, self.boxes, self.tops, row, self.counts[row])
        if f.airborne:
            k, end = store_ahead(*arrays, reach(self.run), f, until, max_legs)
        else:  # no path: nothing ahead, an empty box
            k, end = store_rows(*arrays, *path_and_box(f, until, max_legs))
        self.counts[row] = k
        self.versions[row] = f.version
        self.ends[row] = end
        return row

    def on_leg(self, f: Flight) -> None:
        """Predict conflicts of the flight's path ahead with the other side's paths ahead.

        Boxes pick the aircraft whose paths ahead can come within the radius of a rule that
        watches the pair; of their legs, those flown at the same time as one of the flight's
        and passing within a rule's cylinder (closest approach) are solved in closed form.
        """
        if f.plan.kind == "missile" or f.leg is None or not self.rules:
            return
        if self.by_role and f.id not in self.rows and not any(map(any, self.role_of(f))):
            return  # no rule concerns it: not even stored
        row = self.rows.get(f.id)
        if (
            self.all_aware
            and row is not None
            and self.versions[row] == f.version
            and self.ends[row] >= f.leg.t1_s + self.horizon_s
        ):
            return  # the next leg of a plan already looked along far enough: nothing new
        row = self.update(f)
        now = self.run.env.now
        # the aircraft whose boxes come within reach, and their legs that come close
        live, others, index, gaps = look(
            self.paths, self.boxes, self.tops, self.listed, self.live, self.codes, self.reaches,
            row, now, self.height,
        )  # fmt: skip
        if live is not None:
            self.live = live
        if index is None:
            return
        ka, ib, kb = index
        d, dz = gaps
        # per rule: within its radius and height, and (with roles) a pair it watches
        fits = (d[:, None] < self.radii) & (dz[:, None] < self.heights)
        if self.with_roles:
            fits &= self.watched[self.codes[row]][self.codes[others[ib]]]
        if not np.logical_or.reduce(fits, axis=None):
            return
        a, t = self.paths[row][ka], self.paths[others[ib], kb]
        self._predict(f, others, ib, kb, a, t, fits, now)

    def _candidates(self, row: int, now: float) -> tuple[np.ndarray, np.ndarray]:
        """The rows (ascending) of the other sides' aircraft whose paths ahead can come within
        the radius of a rule that watches them and ``row``'s aircraft, and for each how near
        (its reach from ``row``'s aircraft: see :func:`~sim.protocol.lookahead.pair_reach`).

        Only listed rows are looked at: a path whose box ends before now is dropped from the
        list (it stays out until its flight looks ahead again). With roles, a pair no rule
        watches is dropped, and so is one farther apart than the radii of the rules that do.
        """
        self.live, _, others, reach = candidates(
            self.boxes, self.tops, self.listed, self.live, self.codes, self.reaches, row, now
        )
        return others, reach

    def _code(self, row: int) -> int:
        """The code of the row's side and roles, adding it (and its reaches) if it is new."""
        key = (int(self.side[row]), tuple(self.roles[row].ravel().tolist()))
        code = self.kinds.get(key)
        if code is None:
            code = self.kinds[key] = len(self.kinds)
            radii = [(r.radius_m + SLACK_M, r.roles is not None) for r in self.rules]
            self.reaches = np.array(
                [[pair_reach(radii, a, b, self.reach) for b in self.kinds] for a in self.kinds]
            )
            self.watched = np.array([[pair_rules(a, b) for b in self.kinds] for a in self.kinds])
        return code

    def _predict(
        self,
        f: Flight,
        others: np.ndarray,
        ib: np.ndarray,
        kb: np.ndarray,
        a: np.ndarray,
        t: np.ndarray,
        fits: np.ndarray,
        now: float,
    ) -> None:
        """Solve the leg pairs for every rule's cylinder; schedule a check per rule and pair
        (``fits``: per pair and rule, whether the rule may concern the pair at all; a rule
        that does not look along the plans watches only pairs of current legs).
        """
        rules = self.rules
        wanted = fits
        if not self.all_aware:
            assert f.leg is not None
            current = (a[:, 0] == f.leg.t0_s) & (kb == 0)
            wanted = fits & (self.aware[None, :] | current[:, None])
        found = merged_stays(a, t, ib, wanted, self.cylinders, self.floors)
        my_end = self.ends[self.rows[f.id]]
        for (k, j), (tin, tout, near) in sorted(found.items()):
            rule = rules[k]
            o = int(others[j])
            g = self.flights[o]
            brief = rule.allowance_s > 0 and not near and tout - tin <= rule.allowance_s
            if brief and tout < min(my_end, self.ends[o]):
                continue  # closer only briefly (and the stay ends within both looks): allowed
            self._schedule(rule, f, g, tin, tout, now)

    def _schedule(
        self, rule: Rule, a: Flight, b: Flight, t_in: float, t_out: float, now: float
    ) -> None:
        at = max(t_in - rule.lookahead_s, now)
        first, second = sorted((a.id, b.id))
        key = (rule.name, first, second)
        self.stays[key] = t_out
        versions = (self.versions[self.rows[a.id]], self.versions[self.rows[b.id]])
        vkey = versions if a.id == first else versions[::-1]
        old = self.pending.get(key)
        if old is not None and old[1:] == vkey and old[0] <= at:
            return  # already foreseen from the same plans
        self.pending[key] = (at, *vkey)
        self.run.env.process(self.check(rule, a, b, a.leg, b.leg, at, versions))

    def check(
        self,
        rule: Rule,
        a: Flight,
        b: Flight,
        leg_a: Leg | None,
        leg_b: Leg | None,
        at: float,
        versions: tuple[int, int] | None = None,
    ) -> Generator[simpy.Event, object, None]:
        """At ``at``, if the prediction still holds, let the rule act."""
        env = self.run.env
        yield env.timeout(at - env.now)
        first, second = sorted((a.id, b.id))
        key = (rule.name, first, second)
        mine = self.pending.get(key)
        if mine is not None and mine[0] == at:
            del self.pending[key]
        if not (a.airborne and b.airborne):
            return
        if rule.plan_aware:
            if (a.version, b.version) != versions:
                return
        elif a.leg is not leg_a or b.leg is not leg_b:
            return
        if rule.exempt_engaged and (first, second) in self.run.engaged:
            return
        if env.now - self.last_act.get(key, -math.inf) < rule.cooldown_s:
            return
        self.last_act[key] = env.now
        yield from rule.act(self, rule, a, b)


def stay_end(w: Watch, rule: Rule, a: Flight, b: Flight) -> float | None:
    """When the predicted stay of ``a`` and ``b`` inside the rule's cylinder ends (None when the
    rule does not look along the plans).
    """
    if not rule.plan_aware:
        return None
    return w.stays.get((rule.name, *sorted((a.id, b.id))))


def watch_of(run: Run, name: str = "watch", max_legs: int = MAX_LEGS) -> Watch:
    """The run's watch called ``name``, created (and hooked onto every new leg) by the first
    rule installed; ``max_legs`` is 1 for a watch of current legs only.
    """
    watch = run.services.get(name)
    if watch is None:
        watch = run.services[name] = Watch(run, max_legs)
        watch.paths = np.zeros((0, max_legs, 8))
        run.on_leg.append(watch.on_leg)
    return watch


def manoeuvrable(f: Flight) -> bool:
    """Whether the flight can be sent elsewhere now (airborne, on a leg, with a route ahead)."""
    return f.airborne and f.leg is not None and bool(f.route) and f.pilot is None


def covered(area: BaseGeometry | None, f: Flight, now: float) -> bool:
    """Whether ``f`` is inside ``area`` now (everywhere when there is no area)."""
    if area is None:
        return True
    x, y, _ = f.where(now)
    return bool(shapely.contains_xy(area, x, y))


def climb_away(
    own: Flight,
    other: Flight,
    now: float,
    change_m: float,
    floor_m: float,
    until_s: float | None = None,
) -> tuple[list[Point], float]:
    """Climb (or descend) ``change_m`` away from the other aircraft, then resume the plan.

    Without ``until_s`` the aircraft is back on its planned altitudes from the next waypoint
    on; with it, it keeps the change along its plan for every waypoint reached before
    ``until_s`` (the predicted end of the conflict), then returns to its planned altitudes.
    Returns the route ahead and the altitude change actually made (never below ``floor_m``).
    """
    here, there, dest = own.where(now), other.where(now), own.route[0]
    dz = change_m * (1 if here[2] >= there[2] else -1)
    climb = max(aircraft.find_type(own.plan.type).climb_mps, 1.0)
    speed = own.plan.speed_mps
    ahead = _ahead_point(here, dest, abs(dz) / climb * speed)
    new_z = max(here[2] + dz, floor_m)
    route = [(ahead[0], ahead[1], new_z), (dest[0], dest[1], max(dest[2] + dz, floor_m))]
    rest = list(own.route[1:])
    if until_s is not None:
        t = now + (math.dist(here[:2], ahead) + math.dist(ahead, dest[:2])) / speed
        prev = dest
        while rest and t < until_s and len(rest) > 1:  # the last point (the base) stays
            p = rest.pop(0)
            t += math.dist(prev[:2], p[:2]) / speed
            route.append((p[0], p[1], max(p[2] + dz, floor_m)))
            prev = p
    return [*route, *rest], new_z - here[2]


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
