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
from sim.units import FT, MIN, NM

if TYPE_CHECKING:
    from sim.engine import Flight, Run
    from sim.protocol_spec import Protocol

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

    Row ``i`` of the arrays holds the current leg of ``flights[i]``: its start position and
    time, velocity and end time; a row whose leg has ended is simply in the past.
    """

    run: Run
    rules: list[Rule]
    protocol: Protocol
    last_act: dict[tuple[str, ...], float] = field(default_factory=dict)
    test_done: bool = False
    flights: list[Flight] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    p0: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    v: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    t: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    side: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))

    def __post_init__(self) -> None:
        self.radius = np.array([r.radius_m for r in self.rules])
        self.height = np.array([r.height_m for r in self.rules])

    def update(self, f: Flight) -> int:
        """Store the flight's current leg in its row (adding a row the first time)."""
        assert f.leg is not None
        row = self.rows.get(f.id)
        if row is None:
            row = self.rows[f.id] = len(self.flights)
            self.flights.append(f)
            if row >= len(self.t):
                grow = max(64, 2 * len(self.t))
                self.p0 = np.vstack([self.p0, np.zeros((grow, 3))])
                self.v = np.vstack([self.v, np.zeros((grow, 3))])
                self.t = np.vstack([self.t, np.full((grow, 2), -np.inf)])
                self.side = np.concatenate([self.side, np.zeros(grow, dtype=np.int8)])
            self.side[row] = 1 if f.side == "coalition" else 2
        leg = f.leg
        self.p0[row] = (leg.x0_m, leg.y0_m, leg.z0_m)
        self.v[row] = leg.velocity()
        self.t[row] = (leg.t0_s, leg.t1_s)
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
                math.inf,
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


def entry_times(
    p0: np.ndarray,
    v: np.ndarray,
    dz0: np.ndarray,
    dvz: np.ndarray,
    horizon: np.ndarray,
    radius: np.ndarray,
    height: np.ndarray,
) -> np.ndarray:
    """First time in ``[0, horizon]`` each relative motion is inside each cylinder, else NaN.

    Motions are rows of ``p0``/``v`` (N); cylinders are ``radius``/``height`` (R), so the
    result is (R, N). Horizontal: ``|p0 + v t| < radius`` (a quadratic in t); vertical:
    ``|dz0 + dvz t| < height`` (linear); an infinite height ignores altitude.
    """
    radius, height = radius[:, None], height[:, None]
    a = np.einsum("ij,ij->i", v, v)
    b = 2 * np.einsum("ij,ij->i", p0, v)
    c = np.einsum("ij,ij->i", p0, p0) - radius * radius
    disc = b * b - 4 * a * c
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.sqrt(np.maximum(disc, 0.0))
        moving = a > 1e-12
        h_lo = np.where(moving, (-b - root) / (2 * a), np.where(c < 0, -np.inf, np.inf))
        h_hi = np.where(moving, (-b + root) / (2 * a), np.where(c < 0, np.inf, -np.inf))
        h_lo = np.where(moving & (disc <= 0), np.inf, h_lo)
        climbing = np.abs(dvz) > 1e-12
        t1, t2 = (-height - dz0) / dvz, (height - dz0) / dvz
        level_in = np.abs(dz0) < height
        v_lo = np.where(climbing, np.minimum(t1, t2), np.where(level_in, -np.inf, np.inf))
        v_hi = np.where(climbing, np.maximum(t1, t2), np.where(level_in, np.inf, -np.inf))
        unbounded = np.isinf(height)
        v_lo, v_hi = np.where(unbounded, -np.inf, v_lo), np.where(unbounded, np.inf, v_hi)
    lo = np.maximum(np.maximum(h_lo, v_lo), 0.0)
    hi = np.minimum(np.minimum(h_hi, v_hi), horizon)
    return np.where(lo < hi, lo, np.nan)


def _min_distance(p0: np.ndarray, v: np.ndarray, horizon: np.ndarray) -> np.ndarray:
    """Least horizontal distance over ``[0, horizon]`` of each relative motion (a cheap filter)."""
    px, py, vx, vy = p0[:, 0], p0[:, 1], v[:, 0], v[:, 1]
    a = vx * vx + vy * vy + 1e-12
    t = np.minimum(np.maximum(-(px * vx + py * vy) / a, 0.0), np.maximum(horizon, 0.0))
    return np.hypot(px + vx * t, py + vy * t)


def on_leg(w: Watch, f: Flight) -> None:
    """Predict conflicts of the flight's new leg with the other side's current legs."""
    if f.plan.kind == "missile" or f.leg is None:
        return
    row = w.update(f)
    now = w.run.env.now
    n = len(w.flights)
    others = np.nonzero((w.t[:n, 1] > now) & (w.side[:n] != w.side[row]))[0]
    if len(others) == 0:
        return
    pos = w.p0[others] + w.v[others] * (now - w.t[others, 0])[:, None]
    here = w.p0[row] + w.v[row] * (now - w.t[row, 0])
    rel, rv = pos - here, w.v[others] - w.v[row]
    horizon = np.minimum(w.t[others, 1], f.leg.t1_s) - now
    near = np.nonzero(_min_distance(rel[:, :2], rv[:, :2], horizon) < w.radius.max())[0]
    if len(near) == 0:
        return
    rel, rv, horizon = rel[near], rv[near], horizon[near]
    t_in = entry_times(rel[:, :2], rv[:, :2], rel[:, 2], rv[:, 2], horizon, w.radius, w.height)
    for r, k in zip(*np.nonzero(~np.isnan(t_in)), strict=True):
        rule, o = w.rules[int(r)], w.flights[int(others[near[k]])]
        at = now + max(float(t_in[r, k]) - rule.lookahead_s, 0.0)
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
