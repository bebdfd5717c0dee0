"""Conflict watches: radio calls on agreed frequencies, controllers' rule of threes, and the
pre-MOU unilateral 20 NM diversion — each a look-ahead on current legs that ends in a manoeuvre.

When a flight starts a leg, its straight-line future is compared (closed form, vectorised) with
the current legs of the other side's aircraft. A predicted entry into a rule's cylinder
schedules a check ``lookahead`` before it; if both aircraft are still on those legs then, the
rule acts: a radio call that succeeds makes the called aircraft manoeuvre after the pilot's
response delay; a controller (AWACS for the Coalition, ground control around Hmeymim for
Russia) turns its own aircraft when it is under coverage; the unilateral rule diverts a
Coalition aircraft under AWACS coverage.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import shapely
import simpy
from shapely.geometry.base import BaseGeometry

from sim import aircraft
from sim.encounters import Category, LegArrays, closest_approach, solve_pairs
from sim.units import FT, MIN, NM

if TYPE_CHECKING:
    from sim.engine import Flight, Run
    from sim.protocol_spec import Protocol

ANY_HEIGHT = 1e6
"""Half-height of a cylinder that ignores altitude (the unilateral 20 NM rule), metres."""
COOLDOWN_S = 10 * MIN
"""A rule acts at most once per pair of aircraft in this long (the crews are already talking)."""


@dataclass(frozen=True)
class Rule:
    """One conflict watch: its cylinder, look-ahead, who acts and where they can see."""

    name: str
    radius_m: float
    height_m: float
    lookahead_s: float
    delay_s: float
    acting: frozenset[str]
    coverage: dict[str, BaseGeometry | None]
    p_act: float
    manoeuvre: str


@dataclass
class Watch:
    """The state of the watches during one run, with every aircraft's current leg as arrays.

    Row ``i`` of ``legs`` (``t0, t1, x, y, z, vx, vy, vz`` as in ``LegArrays``) is the
    current leg of ``flights[i]``; a row whose leg has ended is simply in the past.
    """

    run: Run
    rules: list[Rule]
    protocol: Protocol
    last_act: dict[tuple[str, ...], float] = field(default_factory=dict)
    test_done: bool = False
    flights: list[Flight] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    legs: np.ndarray = field(default_factory=lambda: np.zeros((0, 8)))
    side: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))

    def __post_init__(self) -> None:
        self.reach = max((r.radius_m for r in self.rules), default=0.0)
        self.cylinders = [(Category(r.name, r.radius_m, r.height_m),) for r in self.rules]

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
            self.side[row] = 1 if f.side == "coalition" else 2
        leg = f.leg
        self.legs[row] = (leg.t0_s, leg.t1_s, leg.x0_m, leg.y0_m, leg.z0_m, *leg.velocity())
        return row


def install(run: Run, p: Protocol) -> None:
    """Build the enabled rules and hook them onto every new leg; schedule the comms test."""
    from sim.scenario import zone_geometry

    def cover(zones: list) -> BaseGeometry | None:
        return shapely.union_all([zone_geometry(z) for z in zones]) if zones else None

    rules = []
    if p.radio.enabled:
        r = p.radio
        rules.append(
            Rule(
                "radio",
                r.alert_range_nm * NM,
                r.alert_height_ft * FT,
                r.lookahead_min * MIN,
                r.response_s,
                frozenset({"coalition", "russia"}),
                {},
                1.0,
                r.manoeuvre,
            )
        )
    if p.separation.enabled:
        s = p.separation
        rules.append(
            Rule(
                "separation",
                s.radius_nm * NM,
                s.height_ft * FT,
                s.lookahead_min * MIN,
                s.controller_delay_s,
                frozenset({"coalition", "russia"}),
                {"coalition": cover(s.awacs_coverage), "russia": cover(s.ground_coverage)},
                1.0,
                "altitude",
            )
        )
    if p.unilateral.enabled:
        u = p.unilateral
        rules.append(
            Rule(
                "unilateral",
                u.divert_range_nm * NM,
                ANY_HEIGHT,
                2 * MIN,
                u.response_s,
                frozenset({"coalition"}),
                {"coalition": cover(u.coverage)},
                u.compliance,
                "heading",
            )
        )
    watch = Watch(run, rules, p)
    if rules:
        run.on_leg.append(lambda f: on_leg(watch, f))
    if p.comms_test.enabled:
        run.env.process(comms_test(watch))


def comms_test(w: Watch) -> Generator[simpy.Event, object, None]:
    """The scheduled air-to-air test: after it, calls on the agreed frequency succeed more."""
    env, t = w.run.env, w.protocol.comms_test
    yield env.timeout(t.at_h * 3600.0)
    w.run.recorder.emit(env.now, "comms_test", "both", detail=f"start;place={t.place}")
    yield env.timeout(t.duration_min * MIN)
    w.test_done = True
    w.run.recorder.emit(env.now, "comms_test", "both", detail=f"end;place={t.place}")


def on_leg(w: Watch, f: Flight) -> None:
    """Predict conflicts of the flight's new leg with the other side's current legs.

    A cheap closest-approach filter keeps the aircraft that can come within the widest rule's
    radius before either leg ends; those are solved exactly for each rule's cylinder.
    """
    if f.plan.kind == "missile" or f.leg is None:
        return
    row = w.update(f)
    now = w.run.env.now
    n = len(w.flights)
    others = np.nonzero((w.legs[:n, 1] > now) & (w.side[:n] != w.side[row]))[0]
    if len(others) == 0:
        return
    legs, mine = w.legs[others], w.legs[row]  # columns t0, t1, x, y, z, vx, vy, vz
    rel = legs[:, 2:4] + legs[:, 5:7] * (now - legs[:, :1]) - mine[2:4]
    rv = legs[:, 5:7] - mine[5:7]
    horizon = np.minimum(legs[:, 1], mine[1]) - now
    _, d = closest_approach(rel[:, 0], rel[:, 1], rv[:, 0], rv[:, 1], 0.0, horizon)
    near = others[d < w.reach]
    if len(near) == 0:
        return
    arr = LegArrays.from_matrix(w.legs[near])
    for rule, cylinder in zip(w.rules, w.cylinders, strict=True):
        sol = solve_pairs(f.leg, arr, cylinder)
        for k in np.nonzero(sol.inside[:, 0])[0]:
            o = w.flights[int(near[k])]
            at = max(float(sol.t_in_s[k, 0]) - rule.lookahead_s, now)
            w.run.env.process(check(w, rule, f, o, f.leg, o.leg, at))


def check(
    w: Watch, rule: Rule, a: Flight, b: Flight, leg_a: object, leg_b: object, at: float
) -> Generator[simpy.Event, object, None]:
    """At ``at``, if both still fly the predicted legs, let the rule act."""
    env = w.run.env
    yield env.timeout(at - env.now)
    if a.leg is not leg_a or b.leg is not leg_b or not (a.airborne and b.airborne):
        return
    key = (rule.name, *sorted((a.id, b.id)))
    if env.now - w.last_act.get(key, -math.inf) < COOLDOWN_S:  # type: ignore[arg-type]
        return
    w.last_act[key] = env.now  # type: ignore[index]
    if rule.name == "radio":
        yield from radio_call(w, rule, a, b)
    else:
        yield from controller(w, rule, a, b)


def radio_call(w: Watch, rule: Rule, a: Flight, b: Flight) -> Generator[simpy.Event, object, None]:
    """A call on the agreed (or guard) frequency; on success the called aircraft manoeuvres."""
    run, radio = w.run, w.protocol.radio
    caller, callee = (a, b) if a.side == "coalition" else (b, a)
    if radio.agreed_frequencies:
        p = radio.p_success_after_test if w.test_done else radio.p_success
        channel = "agreed"
    else:
        p, channel = radio.p_guard, "guard"
    ok = run.rng["radio"].uniform() < p
    run.recorder.emit(
        run.env.now,
        "radio_call",
        caller.side,
        caller.id,
        callee.id,
        detail=f"channel={channel};p={p:.2f}",
    )
    if not ok:
        run.recorder.emit(
            run.env.now,
            "radio_fail",
            caller.side,
            caller.id,
            callee.id,
            detail=f"channel={channel}",
        )
        return
    yield run.env.timeout(rule.delay_s)
    manoeuvre(w, rule, callee, caller)


def controller(w: Watch, rule: Rule, a: Flight, b: Flight) -> Generator[simpy.Event, object, None]:
    """Each acting side's controller turns its own aircraft if it can see it (coverage)."""
    run = w.run
    acting = []
    for own, other in sorted(((a, b), (b, a)), key=lambda p: p[0].id):
        if own.side not in rule.acting or not _covered(rule, own, run.env.now):
            continue
        if run.rng["compliance"].uniform() >= rule.p_act:
            continue
        kind = "divert" if rule.name == "unilateral" else "controller_alert"
        run.recorder.emit(run.env.now, kind, own.side, own.id, other.id, detail=f"rule={rule.name}")
        acting.append((own, other))
    if not acting:
        return
    yield run.env.timeout(rule.delay_s)
    for own, other in acting:
        manoeuvre(w, rule, own, other)


def _covered(rule: Rule, f: Flight, now: float) -> bool:
    area = rule.coverage.get(f.side)
    if area is None:
        return True
    x, y, _ = f.where(now)
    return bool(shapely.contains_xy(area, x, y))


def manoeuvre(w: Watch, rule: Rule, own: Flight, other: Flight) -> None:
    """Change the route ahead: climb/descend away, or turn away, then resume the plan."""
    run = w.run
    if not (own.airborne and own.leg is not None) or not own.route:
        return
    now = run.env.now
    here = own.where(now)
    there = other.where(now)
    dest = own.route[0]
    speed = own.plan.speed_mps
    if rule.manoeuvre == "altitude":
        radio = w.protocol.radio
        dz = radio.altitude_change_ft * FT * (1 if here[2] >= there[2] else -1)
        climb = max(aircraft.find_type(own.plan.type).climb_mps, 1.0)
        ahead = _ahead_point(here, dest, abs(dz) / climb * speed)
        new_z = max(here[2] + dz, 150.0)
        route = [
            (ahead[0], ahead[1], new_z),
            (dest[0], dest[1], max(dest[2] + dz, 150.0)),
            *own.route[1:],
        ]
        detail = f"rule={rule.name};dz_m={new_z - here[2]:.0f}"
    else:
        heading = math.atan2(dest[1] - here[1], dest[0] - here[0])
        side = math.copysign(
            1.0,
            (dest[0] - here[0]) * (there[1] - here[1]) - (dest[1] - here[1]) * (there[0] - here[0]),
        )
        turn = heading - side * math.radians(w.protocol.radio.heading_offset_deg)
        d = speed * 2 * MIN
        route = [(here[0] + d * math.cos(turn), here[1] + d * math.sin(turn), here[2]), *own.route]
        detail = f"rule={rule.name};turn_deg={-side * w.protocol.radio.heading_offset_deg:.0f}"
    own.record.manoeuvres += 1
    run.recorder.emit(now, "manoeuvre", own.side, own.id, other.id, detail=detail)
    own.change_route(route)


def _ahead_point(here: tuple, dest: tuple, dist: float) -> tuple[float, float]:
    """The point ``dist`` along the track to ``dest`` (at most 90 % of the way)."""
    dx, dy = dest[0] - here[0], dest[1] - here[1]
    d = math.hypot(dx, dy)
    if d < 1.0:
        return (here[0], here[1])
    f = min(dist / d, 0.9)
    return (here[0] + f * dx, here[1] + f * dy)
