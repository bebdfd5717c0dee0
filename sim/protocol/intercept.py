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

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

import simpy

from sim import aircraft, geo, places
from sim.protocol.fences import Fence, watch
from sim.protocol.intercept_spec import (
    INTERCEPT_EVENTS,
    AlertSpec,
    InterceptEnd,
    InterceptOrder,
    InterceptSpec,
    InterceptStart,
    TriggerSpec,
)
from sim.protocol.interceptions import Interceptions
from sim.protocol.line import OWN_BANK, LineState, syrian_line
from sim.protocol.mechanism import FlightTally, Mechanism, TableRow, ZoneRef
from sim.protocol.notification import OTHER
from sim.protocol.spec import ProtocolBase, ZoneSpec
from sim.protocol.watch import Rule, Watch, watch_of
from sim.units import MIN, NM

if TYPE_CHECKING:
    from sim.records import RunResult
    from sim.state import Flight, Run

__all__ = [
    "INTERCEPT",
    "AlertSpec",
    "InterceptEnd",
    "InterceptOrder",
    "InterceptSpec",
    "InterceptStart",
    "Interceptions",
    "TriggerSpec",
]


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
            watch_of(run).add(_approach_rule(state, trig))


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
            if trig.protest:
                state.protest(trig, f)
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
        state.spec.cooldown_min * MIN,
        act,
        plan_aware=True,
        exempt_engaged=False,
        roles=(protected, target),
    )


# --------------------------------------------------------------------------- figures


def figures(result: RunResult) -> dict[str, float]:
    """Intercepts joined (and unsafe), ordered, scrambled, and minutes spent shadowing."""
    starts: dict[str, float] = {}  # episode -> when its first member joined
    unsafe: set[str] = set()
    orders: dict[str, InterceptOrder] = {}
    ends: dict[str, float] = {}
    for e in result.events:
        info = e.info
        if isinstance(info, InterceptStart):
            starts.setdefault(info.episode, e.t_s)
            if info.unsafe:
                unsafe.add(info.episode)
        elif isinstance(info, InterceptOrder):
            orders.setdefault(info.episode, info)
        elif isinstance(info, InterceptEnd):
            ends[info.episode] = max(ends.get(info.episode, 0.0), info.shadowed_s)
    end_of_run = result.duration_h * 3600.0
    minutes = sum(ends.get(ep, end_of_run - t) / MIN for ep, t in starts.items())
    return {
        "intercepts": len(starts),
        "intercepts_unsafe": len(unsafe),
        "intercepts_ordered": len(orders),
        "intercept_scrambles": sum(o.source == "alert" for o in orders.values()),
        "intercept_minutes": round(float(minutes), 3),
    }


def check(spec: InterceptSpec, protocol: ProtocolBase) -> list[str]:
    """Alert bases and types, and dual-role fighter types, must exist."""
    out = []
    for i, name in enumerate(spec.fighter_types):
        try:
            aircraft.find_type(name)
        except LookupError as exc:
            out.append(f"intercept.fighter_types[{i}]: {exc}")
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
    after=("hotline", "deconfliction_line", "separation"),
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
