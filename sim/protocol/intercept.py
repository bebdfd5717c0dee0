"""Intercepts and shadowing: one side sends fighters after the other side's aircraft.

What sets an intercept off is a list of ``triggers``, each naming the side that intercepts:

- ``line_crossing`` - an aircraft of the other side crosses the Euphrates line onto the
  intercepting side's bank (with ``unnotified_only``, only crossings not notified first; the
  2017 line's notices are read from the ``deconfliction_line`` mechanism);
- ``area`` - an aircraft of the other side enters one of ``zones`` (a defended area);
- ``approach`` - an aircraft of the other side comes within ``range_nm`` of one of the side's
  own aircraft flying a mission in ``protect`` (a strike package, a tanker, an AWACS).

Each trigger acts with probability ``p`` (a draw of the ``intercept`` stream), at most once per
target formation in ``cooldown_min``. The interceptor is a real aircraft: an escort of the
protected package, else the nearest airborne fighter of the side on a mission in ``fighters``
within ``max_vector_nm`` (with its formation), turned after ``vector_min``; else an alert pair
launched from the nearest ``alert`` base within its ``radius_nm`` after ``launch_min`` (the
alert aircraft are a SimPy resource of ``pairs`` slots, held until they land).

The pursuit itself (``sim.protocol.pursuit``) is a sequence of short straight legs. Each
intercept draws a stand-off distance (log-uniform in ``standoff_ft``, never under
``min_standoff_ft``: professional airmanship), a vertical offset (uniform within
``vertical_ft``), a station abeam or behind the target, and a duration (log-uniform in
``duration_min``); with probability ``p_unsafe`` it closes for ``unsafe_s`` to a distance
log-uniform in ``unsafe_ft`` at most ``unsafe_vertical_ft`` apart. Every interceptor-target
pair is recorded (``Run.intervals``) from the order to the break-off, so that encounters
between them are labelled ``cause = intercept``; the conflict watch leaves those pairs alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import simpy
from pydantic import Field, model_validator

from sim import aircraft, geo, places
from sim.causes import Interval
from sim.events import EventInfo, EventKind
from sim.plans import FlightPlan
from sim.protocol.fences import Fence, watch
from sim.protocol.line import OWN_BANK, LineState, syrian_line
from sim.protocol.mechanism import FlightTally, Mechanism, TableRow, ZoneRef
from sim.protocol.notification import OTHER
from sim.protocol.pursuit import Pursuit, Unsafe
from sim.protocol.spec import (
    MechanismSpec,
    Probability,
    ProtocolBase,
    Provenance,
    Side,
    Strict,
    ZoneSpec,
)
from sim.protocol.watch import Rule, Watch, watch_of
from sim.units import FT, MIN, NM

if TYPE_CHECKING:
    from sim.records import RunResult
    from sim.state import Flight, Run

__all__ = ["INTERCEPT", "AlertSpec", "InterceptSpec", "Interceptions", "TriggerSpec"]

Kind = Literal["fixed_wing", "uav", "support"]


class TriggerSpec(Strict):
    """What makes ``side`` send a fighter after an aircraft of the other side."""

    side: Side
    on: Literal["line_crossing", "area", "approach"]
    p: Probability = Field(1.0, ge=0, le=1, description="P(an intercept is ordered)")
    targets: list[Kind] = Field(default_factory=lambda: ["fixed_wing", "uav", "support"])
    unnotified_only: bool = Field(True, description="line_crossing: only unnotified crossings")
    zones: list[ZoneSpec] = Field(default_factory=list, description="area: the defended areas")
    protect: list[str] = Field(default_factory=list, description="approach: own missions")
    range_nm: float = Field(10.0, gt=0, description="approach: how close the other comes")

    @model_validator(mode="after")
    def _complete(self) -> TriggerSpec:
        if self.on == "area" and not self.zones:
            raise ValueError("an area trigger needs zones")
        if self.on == "approach" and not self.protect:
            raise ValueError("an approach trigger needs protect (missions of own aircraft)")
        return self

    @property
    def name(self) -> str:
        return f"{self.side}:{self.on}"


class AlertSpec(Strict):
    """Fighters on ground alert at a base: ``pairs`` formations of ``size`` ready to launch."""

    side: Side
    base: str
    type: str
    pairs: int = Field(1, ge=1)
    size: int = Field(2, ge=1, le=4)
    launch_min: float = Field(10.0, ge=0, description="from the order to take-off")
    radius_nm: float = Field(150.0, gt=0, description="farthest from the base it is sent")


class InterceptSpec(MechanismSpec):
    """Intercepts and shadowing of the other side's aircraft (see the module docstring)."""

    provenance: Provenance = "reported practice"
    triggers: list[TriggerSpec] = Field(default_factory=list)
    fighters: list[str] = Field(default_factory=lambda: ["cap", "escort", "alert"])
    max_vector_nm: float = Field(100.0, gt=0)
    vector_min: float = Field(2.0, ge=0, description="from the trigger to the turn")
    alert: list[AlertSpec] = Field(default_factory=list)
    dash_factor: float = Field(1.5, ge=1, description="pursuit speed over cruise speed")
    join_nm: float = Field(5.0, gt=0, description="pursuit turns into shadowing inside this")
    give_up_min: float = Field(20.0, gt=0, description="breaks off if not joined by then")
    step_s: float = Field(10.0, gt=0, description="shadowing legs re-planned this often")
    approach_step_s: float = Field(30.0, gt=0, description="approach legs re-planned this often")
    steady_step_s: float = Field(
        60.0, gt=0, description="longest leg on station behind a target flying straight"
    )
    standoff_ft: tuple[float, float] = (500.0, 9843.0)
    min_standoff_ft: float = Field(0.0, ge=0, description="never closer (professional airmanship)")
    vertical_ft: float = Field(500.0, ge=0)
    bearing_deg: tuple[float, float] = (100.0, 160.0)
    duration_min: tuple[float, float] = (2.0, 40.0)
    p_unsafe: Probability = Field(0.0, ge=0, le=1)
    unsafe_ft: tuple[float, float] = (100.0, 500.0)
    unsafe_vertical_ft: float = Field(100.0, ge=0)
    unsafe_s: float = Field(30.0, gt=0)
    cooldown_min: float = Field(30.0, ge=0, description="a target is not intercepted again sooner")

    @model_validator(mode="after")
    def _ranges(self) -> InterceptSpec:
        for name in ("standoff_ft", "duration_min", "unsafe_ft", "bearing_deg"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise ValueError(f"{name} must be [low, high] with 0 < low <= high")
        if self.min_standoff_ft > self.standoff_ft[1]:
            raise ValueError("min_standoff_ft must not exceed the top of standoff_ft")
        return self


@dataclass(frozen=True, slots=True)
class InterceptOrder(EventInfo):
    """A fighter is sent after the other aircraft: why, from where, and how far it has to go."""

    episode: str
    trigger: str
    source: Literal["cap", "escort", "alert"]
    range_m: float


@dataclass(frozen=True, slots=True)
class InterceptStart(EventInfo):
    """The fighter joins and shadows: its station and how long it means to stay."""

    episode: str
    standoff_m: float
    vertical_m: float
    duration_s: float
    unsafe: bool


@dataclass(frozen=True, slots=True)
class InterceptEnd(EventInfo):
    """The fighter breaks off: why, and how long it shadowed."""

    episode: str
    reason: str
    shadowed_s: float


INTERCEPT_EVENTS = (
    EventKind(
        "intercept_ordered",
        InterceptOrder,
        "a fighter is sent to intercept an aircraft of the other side",
        lambda e: (
            "scrambled to intercept"
            if getattr(e.info, "source", "") == "alert"
            else "vectored to intercept"
        ),
    ),
    EventKind(
        "intercept_start",
        InterceptStart,
        "the interceptor joins and shadows the other aircraft",
        lambda e: "shadowing, UNSAFE" if getattr(e.info, "unsafe", False) else "shadowing",
    ),
    EventKind("intercept_end", InterceptEnd, "the interceptor breaks off", "breaks off"),
)


def log_uniform(rng: np.random.Generator, band: tuple[float, float]) -> float:
    """A draw whose logarithm is uniform between the logs of ``band``.

    Examples
    --------
    >>> x = [log_uniform(np.random.default_rng(s), (500.0, 9843.0)) for s in range(200)]
    >>> 500.0 <= min(x) and max(x) <= 9843.0
    True
    """
    lo, hi = band
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi)))) if hi > lo else float(lo)


@dataclass(eq=False)
class Interceptions:
    """The intercepts of one run (the ``intercept`` service): triggers in, pursuits out."""

    run: Run
    spec: InterceptSpec
    last: dict[tuple[str, str], float]
    alerts: list[tuple[AlertSpec, simpy.Resource, tuple[float, float]]]
    count: int = 0
    launched: int = 0

    def trigger(self, trig: TriggerSpec, target: Flight, protected: Flight | None = None) -> None:
        """An aircraft of the other side set ``trig`` off now: maybe order an intercept."""
        if target.side == trig.side or target.plan.kind not in trig.targets:
            return
        if not target.airborne or target.plan.kind == "missile":
            return
        now = self.run.env.now
        key = (trig.side, target.unit)
        if now - self.last.get(key, -math.inf) < self.spec.cooldown_min * MIN:
            return
        if trig.p < 1.0 and self.run.streams["intercept"].uniform() >= trig.p:
            return
        self.last[key] = now
        self.run.env.process(self._episode(trig, target, protected))

    # -- choosing the interceptor ------------------------------------------------------------

    def _free(self, f: Flight) -> bool:
        return (
            f.airborne
            and f.pilot is None
            and f.plan.kind == "fixed_wing"
            and f.plan.mission in self.spec.fighters
        )

    def _unit(self, f: Flight) -> list[Flight]:
        """The flight and its free formation mates, lead first."""
        unit = f.unit
        mates = [g for g in self.run.airborne(f.side) if g.unit == unit and self._free(g)]
        return sorted(mates, key=lambda g: (g.id != unit, g.id))

    def _fighters(
        self, side: str, target: Flight, protected: Flight | None
    ) -> tuple[list[Flight], str, float]:
        """An escort of the protected package, else the nearest free fighter on CAP."""
        here = target.where(self.run.env.now)
        if protected is not None and protected.plan.formation:
            escorts = [
                g
                for g in self.run.airborne(side)
                if g.unit == protected.unit and g.plan.mission == "escort" and self._free(g)
            ]
            if escorts:
                return sorted(escorts, key=lambda g: g.id), "escort", _dist(escorts[0], here)
        best, best_d = None, self.spec.max_vector_nm * NM
        for g in self.run.airborne(side):
            d = _dist(g, here) if self._free(g) else math.inf
            if d <= best_d:
                best, best_d = g, d
        if best is None:
            return [], "", math.inf
        return self._unit(best), "cap", best_d

    def _alert(self, side: str, target: Flight) -> tuple[AlertSpec, simpy.Resource] | None:
        """The nearest alert base of the side with a free slot that may send it this far."""
        x, y, _ = target.where(self.run.env.now)
        best = None
        for a, res, (bx, by) in self.alerts:
            d = math.hypot(x - bx, y - by)
            free = a.side == side and res.count < res.capacity and d <= a.radius_nm * NM
            if free and (best is None or d < best[0]):
                best = (d, a, res)
        return None if best is None else (best[1], best[2])

    # -- one intercept -------------------------------------------------------------------------

    def _episode(
        self, trig: TriggerSpec, target: Flight, protected: Flight | None
    ) -> Generator[simpy.Event, object, None]:
        run, spec, env = self.run, self.spec, self.run.env
        members, source, range_m = self._fighters(trig.side, target, protected)
        alert = None
        if not members:
            alert = self._alert(trig.side, target)
            if alert is None:
                return
            source = "alert"
        self.count += 1
        episode = f"I{self.count:03d}"
        t_order = env.now
        if alert is None:
            for m in members:
                info = InterceptOrder(episode, trig.name, source, range_m)  # type: ignore[arg-type]
                run.emit("intercept_ordered", m.side, m.id, target.id, info=info)
            yield env.timeout(spec.vector_min * MIN)
        else:
            a, res = alert
            slot = res.request()
            yield slot
            members = self._launch(a, target, episode, trig)
            yield env.timeout(a.launch_min * MIN)
        pursuits = self._pursue(members, target, t_order)
        if pursuits:
            yield simpy.AllOf(env, [p.done for p in pursuits])
        if alert is not None:
            for m in members:
                if m.process is not None and m.process.is_alive:
                    yield m.process
            alert[1].release(slot)

    def _launch(
        self, a: AlertSpec, target: Flight, episode: str, trig: TriggerSpec
    ) -> list[Flight]:
        """Put the alert formation on the runway, ``launch_min`` from now."""
        run = self.run
        t = aircraft.find_type(a.type)
        base = places.find_place(a.base)
        bx, by = base.xy
        self.launched += 1
        lead_id = f"{'RU' if a.side == 'russia' else 'CO'}-{t.name}-alert-{self.launched:03d}"
        depart = run.env.now + a.launch_min * MIN
        out = []
        for k in range(a.size):
            fid = lead_id if k == 0 else f"{lead_id}-{k + 1}"
            plan = FlightPlan(
                fid,
                a.side,
                t.name,
                t.kind,
                "alert",
                base.name,
                "",
                depart + 15.0 * k,
                t.cruise_mps,
                ((bx, by, 0.0), (bx, by, 0.0)),
                formation=lead_id if a.size > 1 else "",
            )
            f = run.launch(plan)
            d = math.dist((bx, by), target.where(run.env.now)[:2])
            info = InterceptOrder(episode, trig.name, "alert", d)
            run.emit("intercept_ordered", f.side, f.id, target.id, info=info)
            out.append(f)
        return out

    def _pursue(self, members: list[Flight], target: Flight, t_order: float) -> list[Pursuit]:
        """Draw the intercept's station and duration and set every member after a target."""
        run, spec, env = self.run, self.spec, self.run.env
        rng = run.streams["intercept"]
        low = max(spec.standoff_ft[0], spec.min_standoff_ft)
        standoff = log_uniform(rng, (low, spec.standoff_ft[1])) * FT
        vertical = float(rng.uniform(-spec.vertical_ft, spec.vertical_ft)) * FT
        bearing = math.radians(float(rng.uniform(*spec.bearing_deg)))
        side = 1.0 if rng.uniform() < 0.5 else -1.0
        duration = log_uniform(rng, spec.duration_min) * MIN
        unsafe = None
        if spec.p_unsafe > 0 and rng.uniform() < spec.p_unsafe:
            unsafe = Unsafe(
                after_s=float(rng.uniform(0.0, max(duration - spec.unsafe_s, 0.0))),
                for_s=spec.unsafe_s,
                distance_m=log_uniform(rng, spec.unsafe_ft) * FT,
                vertical_m=float(rng.uniform(-1.0, 1.0)) * spec.unsafe_vertical_ft * FT,
            )
        targets = [g for g in run.airborne(target.side) if g.unit == target.unit] or [target]
        targets.sort(key=lambda g: (g.id != target.id, g.id))
        out = []
        episode = f"I{self.count:03d}"
        for i, own in enumerate(members):
            if own.pilot is not None or own.landed:
                continue
            t = aircraft.find_type(own.plan.type)
            p = Pursuit(
                own=own,
                target=targets[i % len(targets)],
                standoff_m=standoff,
                vertical_m=vertical,
                bearing_rad=side * bearing * (1 if i % 2 == 0 else -1),
                duration_s=duration,
                dash_mps=spec.dash_factor * t.cruise_mps,
                climb_mps=max(t.climb_mps, 1.0),
                join_m=spec.join_nm * NM,
                step_s=spec.step_s,
                approach_step_s=spec.approach_step_s,
                steady_step_s=spec.steady_step_s,
                give_up_s=env.now + spec.give_up_min * MIN,
                done=env.event(),
                on_join=lambda p, now, ep=episode: self._joined(p, now, ep),
                on_end=lambda p, now, why, ep=episode: self._ended(p, now, why, ep),
                unsafe=unsafe if i == 0 else None,
            )
            for g in targets:
                run.intervals.append(Interval(own.id, g.id, t_order, math.inf))
                run.engaged.add(_pair(own.id, g.id))
            own.pursue(p)
            out.append(p)
        return out

    def _joined(self, p: Pursuit, now: float, episode: str) -> None:
        info = InterceptStart(
            episode, p.standoff_m, p.vertical_m, p.duration_s, p.unsafe is not None
        )
        self.run.emit("intercept_start", p.own.side, p.own.id, p.target.id, info=info)

    def _ended(self, p: Pursuit, now: float, reason: str, episode: str) -> None:
        run = self.run
        info = InterceptEnd(episode, reason, p.shadowed_s)
        run.emit("intercept_end", p.own.side, p.own.id, p.target.id, info=info)
        for k, iv in enumerate(run.intervals):
            if iv.a_id == p.own.id and iv.t1_s == math.inf:
                run.intervals[k] = replace(iv, t1_s=now)
                run.engaged.discard(_pair(iv.a_id, iv.b_id))


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _dist(f: Flight, here: tuple[float, float, float]) -> float:
    x, y, _ = f.where(f.run.env.now)
    return math.hypot(x - here[0], y - here[1])


# --------------------------------------------------------------------------- installing


def install(run: Run, spec: InterceptSpec) -> None:
    """Offer the intercept service and hook each trigger to what sets it off."""
    alerts = []
    for a in spec.alert:
        alerts.append((a, simpy.Resource(run.env, capacity=a.pairs), places.find_place(a.base).xy))
    state = Interceptions(run, spec, {}, alerts)
    run.services["intercept"] = state
    for trig in spec.triggers:
        if trig.on == "line_crossing":
            line: LineState | None = run.services.get("deconfliction_line")
            if line is not None:  # hear of the crossings the line already watches
                line.listeners.append(_line_listener(state, trig))
            else:
                watch(run, [_line_fence(state, trig)])
        elif trig.on == "area":
            watch(run, [_area_fence(state, trig, z) for z in trig.zones])
        else:
            # a watch of its own (the approach ranges are wider than any conflict cylinder)
            watch_of(run, "intercept_watch").add(_approach_rule(state, trig))


def _line_listener(
    state: Interceptions, trig: TriggerSpec
) -> Callable[[Flight, float, bool], None]:
    """Order an intercept when an aircraft of the other side crosses onto the side's bank."""
    bank = OWN_BANK[trig.side]

    def crossed(f: Flight, t: float, notified: bool) -> None:
        if f.side == trig.side or (trig.unnotified_only and notified):
            return
        assert f.leg is not None
        x, y, _ = f.leg.position_at(t + 1.0)
        if int(geo.side_of_euphrates(x, y)) == bank:  # not on its way back to its own bank
            state.trigger(trig, f)

    return crossed


def _line_fence(state: Interceptions, trig: TriggerSpec) -> Fence:
    """Without the line mechanism: every crossing counts as unnotified."""
    listener = _line_listener(state, trig)
    sides = frozenset({OTHER[trig.side]})
    return Fence(f"{trig.name} line", syrian_line(), sides, lambda f, t: listener(f, t, False))


def _area_fence(state: Interceptions, trig: TriggerSpec, zone: ZoneSpec) -> Fence:
    def entered(f: Flight, t: float) -> None:
        state.trigger(trig, f)

    return Fence(zone.name, zone.geometry(), frozenset({OTHER[trig.side]}), entered)


def _approach_rule(state: Interceptions, trig: TriggerSpec) -> Rule:
    def act(w: Watch, rule: Rule, a: Flight, b: Flight) -> Generator[simpy.Event, object, None]:
        own, other = (a, b) if a.side == trig.side else (b, a)
        state.trigger(trig, other, protected=own)
        return
        yield  # a generator that acts at once

    def protected(f: Flight) -> bool:
        return f.side == trig.side and f.plan.mission in trig.protect

    def target(f: Flight) -> bool:
        return f.side != trig.side and f.plan.kind in trig.targets

    return Rule(
        f"intercept {trig.name}",
        trig.range_nm * NM,
        1e6,  # any height
        0.0,
        0.0,
        act,
        plan_aware=True,
        exempt_engaged=False,
        roles=(protected, target),
    )


# --------------------------------------------------------------------------- figures


def figures(result: RunResult) -> dict[str, float]:
    """Intercepts joined (and unsafe), ordered, scrambled, and minutes spent shadowing."""
    starts = {e.info.episode: e for e in result.events if isinstance(e.info, InterceptStart)}
    orders = {e.info.episode: e.info for e in result.events if isinstance(e.info, InterceptOrder)}
    ends: dict[str, float] = {}
    for e in result.events:
        if isinstance(e.info, InterceptEnd):
            ends[e.info.episode] = max(ends.get(e.info.episode, 0.0), e.info.shadowed_s)
    end_of_run = result.duration_h * 3600.0
    minutes = sum(ends.get(ep, end_of_run - e.t_s) / MIN for ep, e in starts.items())
    return {
        "intercepts": len(starts),
        "intercepts_unsafe": sum(e.info.unsafe for e in starts.values()),  # type: ignore[attr-defined]
        "intercepts_ordered": len(orders),
        "intercept_scrambles": sum(o.source == "alert" for o in orders.values()),
        "intercept_minutes": round(float(minutes), 3),
    }


def check(spec: InterceptSpec, protocol: ProtocolBase) -> list[str]:
    """Alert bases and types must exist."""
    out = []
    for i, a in enumerate(spec.alert):
        for field, fn, value in (
            ("base", places.find_place, a.base),
            ("type", aircraft.find_type, a.type),
        ):
            try:
                fn(value)
            except LookupError as exc:
                out.append(f"intercept.alert[{i}].{field}: {exc}")
    return out


def _zones(spec: InterceptSpec) -> list[ZoneRef]:
    return [
        ZoneRef(f"intercept.triggers[{i}].zones[{j}]", z, drawn=False)
        for i, t in enumerate(spec.triggers)
        for j, z in enumerate(t.zones)
    ]


INTERCEPT = Mechanism(
    name="intercept",
    spec=InterceptSpec,
    install=install,
    doc="fighters intercept and shadow the other side's aircraft (line crossers, intruders)",
    after=("deconfliction_line", "separation"),
    events=INTERCEPT_EVENTS,
    figures=figures,
    table=(
        TableRow(
            "intercepts (unsafe) / minutes shadowing",
            lambda s: (
                f"{s['protocol_effects']['intercepts']} "
                f"({s['protocol_effects']['intercepts_unsafe']}) / "
                f"{s['protocol_effects']['intercept_minutes']:.0f}"
            ),
        ),
    ),
    tallies=(FlightTally("intercepts", "intercept_start"),),
    zones=_zones,
    check=check,
)
