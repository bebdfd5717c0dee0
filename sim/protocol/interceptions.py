"""The intercepts of one run: triggers in, interceptors chosen, pursuits out.

:class:`Interceptions` is the ``intercept`` service of a run. A trigger (a line crossing, an
entry into a defended area, an approach to a protected aircraft) asks it for an intercept; it
draws whether one is ordered, chooses the interceptor (an escort of the protected package, the
nearest free fighter, or an alert formation launched from a base, a SimPy resource), draws the
stand-off, the station, the duration and any unsafe pass, and sets every member after a
target (:class:`sim.protocol.pursuit.Pursuit`). Every interceptor-target pair is recorded in
``Run.intervals`` (the cause of their encounters) and ``Run.engaged`` while it lasts.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import simpy

from sim import aircraft, places
from sim.causes import Interval
from sim.plans import FlightPlan
from sim.protocol.intercept_spec import (
    AlertSpec,
    InterceptEnd,
    InterceptOrder,
    InterceptSpec,
    InterceptStart,
    TriggerSpec,
    log_uniform,
)
from sim.protocol.pursuit import Pursuit, Unsafe
from sim.units import FT, MIN, NM

if TYPE_CHECKING:
    from sim.state import Flight, Run

__all__ = ["Interceptions"]


@dataclass(eq=False)
class Interceptions:
    """The intercepts of one run (the ``intercept`` service): triggers in, pursuits out."""

    run: Run
    spec: InterceptSpec
    last: dict[tuple[str, str], float]
    alerts: list[tuple[AlertSpec, simpy.Resource, tuple[float, float]]]
    count: int = 0
    launched: int = 0
    _fighter_list: dict[str, list[Flight]] = field(default_factory=dict, repr=False)
    """The flights of each side whose plan makes them fighters, in id order."""
    _listed: int = field(default=0, repr=False)
    """How many flights of the run ``_fighter_list`` was made from."""

    def trigger(self, trig: TriggerSpec, target: Flight, protected: Flight | None = None) -> None:
        """An aircraft of the other side set ``trig`` off now: maybe order an intercept."""
        if target.side == trig.side or target.plan.kind not in trig.targets:
            return
        if not target.airborne or target.plan.kind == "missile":
            return
        now = self.run.env.now
        key = (trig.side, target.unit)
        cooldown = self.spec.cooldown_min if trig.cooldown_min is None else trig.cooldown_min
        if now - self.last.get(key, -math.inf) < cooldown * MIN:
            return
        members, _, _ = self._fighters(trig.side, target, protected)
        if not members and (not trig.scramble or self._alert(trig.side, target) is None):
            return  # nobody to send yet: the next trigger may find someone
        self.last[key] = now  # a formation is considered once per cooldown, ordered or not
        if trig.p < 1.0 and self.run.streams["intercept"].uniform() >= trig.p:
            return
        self.run.env.process(self._episode(trig, target, protected))

    def protest(self, trig: TriggerSpec, target: Flight) -> None:
        """The side calls the other over the hotline about ``target`` (once per formation in
        ``cooldown_min``), when the protocol has a hotline.
        """
        hotline = self.run.services.get("hotline")
        now = self.run.env.now
        key = (f"protest {trig.side}", target.unit)
        if hotline is None or now - self.last.get(key, -math.inf) < self.spec.cooldown_min * MIN:
            return
        self.last[key] = now
        hotline.call(trig.side, "protest", target.id)

    # -- choosing the interceptor ------------------------------------------------------------

    def _free(self, f: Flight) -> bool:
        return f.airborne and f.pilot is None and self._fighter(f)

    def _fighter(self, f: Flight) -> bool:
        """Whether the flight's plan makes it a fighter (free or not)."""
        plan = f.plan
        return plan.kind == "fixed_wing" and (
            plan.mission in self.spec.fighters or plan.type in self.spec.fighter_types
        )

    def _free_fighters(self, side: str) -> list[Flight]:
        """The free fighters of ``side`` now, in id order (``run.airborne(side)`` that are
        `_free`), looking only at the side's fighters.
        """
        flights = self.run.flights
        if len(flights) != self._listed:  # flights are only ever added (alert launches)
            self._fighter_list = {}
            for fid in sorted(flights):
                if self._fighter(f := flights[fid]):
                    self._fighter_list.setdefault(f.side, []).append(f)
            self._listed = len(flights)
        return [g for g in self._fighter_list.get(side, ()) if self._free(g)]

    def _unit(self, f: Flight) -> list[Flight]:
        """The flight and its free formation mates, lead first."""
        unit = f.unit
        mates = [g for g in self._free_fighters(f.side) if g.unit == unit]
        return sorted(mates, key=lambda g: (g.id != unit, g.id))

    def _fighters(
        self, side: str, target: Flight, protected: Flight | None
    ) -> tuple[list[Flight], str, float]:
        """An escort of the protected package, else the nearest free fighter on CAP."""
        here = target.where(self.run.env.now)
        if protected is not None and protected.plan.formation:
            escorts = [
                g
                for g in self._free_fighters(side)
                if g.unit == protected.unit and g.plan.mission == "escort"
            ]
            if escorts:
                return sorted(escorts, key=lambda g: g.id), "escort", _dist(escorts[0], here)
        best, best_d = None, self.spec.max_vector_nm * NM
        # a flight that is not free is at no distance (inf): only with no limit may it win
        looked = self._free_fighters(side) if best_d < math.inf else self.run.airborne(side)
        for g in looked:
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
            alert = self._alert(trig.side, target) if trig.scramble else None
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
