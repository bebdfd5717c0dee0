"""Strike pre-notification over the hotline, and what the receiving side does with it.

The notifying side sends each strike's area and time window ``lead_time_min`` before the
window opens (ten minutes before the aircraft reach the target; with probability
``compliance``); the message queues for the hotline,
is handled, then relayed to aircraft. If it arrives before the window opens, the receiving
side reroutes (or holds) its flights planned through the area during the window, each with
probability ``receiver_compliance``; a late message changes nothing and is counted.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
import simpy

from sim.avoidance import Area, crosses_during, detour, schedule
from sim.routing import Router
from sim.units import MIN, NM

if TYPE_CHECKING:
    from sim.comms import Hotline
    from sim.engine import Flight, Run
    from sim.protocol_spec import Notification

STRIKE_MISSIONS = ("strike", "bomber", "cruise_missile")
OTHER = {"russia": "coalition", "coalition": "russia"}


@dataclass(frozen=True)
class Strike:
    """One notifiable strike: a flight's run over its target, or a missile salvo's corridor."""

    key: str
    flight_ids: tuple[str, ...]
    area: Area
    center: tuple[float, float]
    radius_m: float


def strikes(run: Run, spec: Notification) -> list[Strike]:
    """The notifier's strikes, from the planned routes (one per flight or per missile salvo)."""
    groups: dict[str, list[Flight]] = {}
    for fid, f in sorted(run.flights.items()):
        if f.side == spec.notifier and f.plan.mission in STRIKE_MISSIONS:
            groups.setdefault(f.plan.group or fid, []).append(f)
    out = [_strike(key, fs, spec) for key, fs in groups.items()]
    return sorted(out, key=lambda s: (s.area.from_s, s.key))


def _strike(key: str, flights: list[Flight], spec: Notification) -> Strike:
    first = flights[0]
    plan = first.plan
    times = schedule(plan.points[0], list(plan.points[1:]), plan.depart_s, plan.speed_mps)
    if plan.mission == "cruise_missile":
        lines = [shapely.LineString([p[:2] for p in f.plan.points]) for f in flights]
        geom = shapely.union_all(lines).buffer(spec.missile_corridor_nm * NM)
        end = max(
            schedule(f.plan.points[0], list(f.plan.points[1:]), f.plan.depart_s, f.plan.speed_mps)[
                -1
            ]
            for f in flights
        )
        area = Area(f"corridor {key}", geom, float(times[0]), float(end) + 5 * MIN)
        c = geom.centroid
        return Strike(
            key, tuple(f.id for f in flights), area, (c.x, c.y), float(np.sqrt(geom.area / np.pi))
        )
    i = plan.station[0]
    center = plan.points[i][:2]
    radius = spec.area_radius_nm * NM
    geom = shapely.Point(center).buffer(radius, quad_segs=16)
    t_on = float(times[i])
    area = Area(f"strike {key}", geom, t_on - 10 * MIN, t_on + spec.window_min * MIN)
    return Strike(key, (first.id,), area, center, radius)


def install(run: Run, hotline: Hotline, spec: Notification) -> None:
    """Start one process per notification (or per map exchange when ``batch_min`` is set)."""
    rng = run.rng["notification"]
    due: dict[float, list[Strike]] = {}
    for s in strikes(run, spec):
        if rng.uniform() >= spec.compliance:
            run.env.process(_skipped(run, s, spec))
            continue
        t_send = max(s.area.from_s - spec.lead_time_min * MIN, 0.0)
        if spec.batch_min > 0:  # goes out with the last map exchange before it is due
            t_send = float(np.floor(t_send / (spec.batch_min * MIN)) * spec.batch_min * MIN)
        due.setdefault(t_send, []).append(s)
    for t_send in sorted(due):
        run.env.process(_notify(run, hotline, spec, t_send, due[t_send]))


def _skipped(run: Run, s: Strike, spec: Notification) -> Generator[simpy.Event, object, None]:
    yield run.env.timeout(max(s.area.from_s, 0.0))
    run.recorder.emit(
        run.env.now,
        "notification_skipped",
        spec.notifier,
        s.flight_ids[0],
        detail=f"strike={s.key}",
    )


def _detail(s: Strike) -> str:
    return (
        f"strike={s.key};x_m={s.center[0]:.0f};y_m={s.center[1]:.0f};"
        f"radius_m={s.radius_m:.0f};from_s={s.area.from_s:.0f};to_s={s.area.to_s:.0f}"
    )


def _notify(
    run: Run, hotline: Hotline, spec: Notification, t_send: float, batch: list[Strike]
) -> Generator[simpy.Event, object, None]:
    """Send the notifications due now as one call, relay them, and act on the ones in time."""
    env, rec = run.env, run.recorder
    yield env.timeout(t_send)
    for s in batch:
        rec.emit(env.now, "notification_sent", spec.notifier, s.flight_ids[0], detail=_detail(s))
    done = yield hotline.call(spec.notifier, "strike notification", batch[0].flight_ids[0])
    if done is None:
        return
    yield hotline.relay()
    receiver = OTHER[spec.notifier]
    for s in batch:
        if env.now > s.area.from_s:
            late = env.now - s.area.from_s
            rec.emit(
                env.now,
                "notification_late",
                receiver,
                s.flight_ids[0],
                detail=f"strike={s.key};late_s={late:.0f}",
            )
            continue
        rec.emit(env.now, "notification_received", receiver, s.flight_ids[0], detail=_detail(s))
        keep_clear(
            run,
            receiver,
            s.area,
            spec.receiver_compliance,
            spec.action,
            spec.buffer_nm * NM,
            reason=f"strike={s.key}",
        )


def keep_clear(
    run: Run, side: str, area: Area, compliance: float, action: str, buffer_m: float, reason: str
) -> None:
    """Reroute (or hold) ``side``'s flights whose plans cross ``area`` while it is active."""
    env, rng = run.env, run.rng["compliance"]
    grown = Area(area.name, area.geometry.buffer(buffer_m), area.from_s, area.to_s)
    x0, y0, x1, y1 = grown.geometry.bounds
    router: Router | None = None  # one visibility graph for every flight sent around the area
    for _, f in sorted(run.flights.items()):
        if f.side != side or f.landed or f.plan.kind == "missile":
            continue
        if not f.airborne and f.depart_s > area.to_s:
            continue  # takes off after the window closes
        xy = np.asarray(f.route if f.position is None else [f.position, *f.route])[:, :2]
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        if lo[0] > x1 or hi[0] < x0 or lo[1] > y1 or hi[1] < y0:
            continue  # nowhere near the area
        start, route, t0 = _ahead(f, env.now)
        if not crosses_during(start, route, t0, f.plan.speed_mps, grown):
            continue
        if rng.uniform() >= compliance:
            continue
        if action == "hold" and not f.airborne:
            hold(run, f, area.to_s, reason)
        else:
            router = router or Router([area.geometry], buffer_m)
            window = (area.from_s, area.to_s)
            new = detour(
                start, route, [area.geometry], buffer_m, t0, f.plan.speed_mps, window, router=router
            )
            reroute(run, f, new, reason)


def _ahead(f: Flight, now: float) -> tuple[tuple[float, float, float], list, float]:
    """Where the flight is (or will take off), the waypoints ahead, and from when."""
    if f.airborne:
        return f.where(now), list(f.route), now
    return f.route[0], list(f.route[1:]), max(f.depart_s, now)


def reroute(run: Run, f: Flight, new_route: list, reason: str) -> None:
    """Give the flight a new route ahead (now if airborne, else before take-off)."""
    f.record.rerouted = True
    run.recorder.emit(run.env.now, "reroute", f.side, f.id, detail=reason)
    if f.airborne:
        f.change_route(new_route)
    else:
        f.route = [f.route[0], *new_route]


def hold(run: Run, f: Flight, until_s: float, reason: str) -> None:
    """Delay a flight's take-off until ``until_s``."""
    if until_s <= f.depart_s:
        return
    run.recorder.emit(run.env.now, "hold", f.side, f.id, detail=f"{reason};until_s={until_s:.0f}")
    f.depart_s = until_s
    if f.process is not None and f.process.is_alive:
        f.process.interrupt("hold")
