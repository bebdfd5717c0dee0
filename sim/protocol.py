"""The rules of a protocol, installed on a run before anyone flies.

Each enabled mechanism of the scenario's protocol becomes SimPy processes, plan changes and
hooks on new legs: the hotlines (``comms``), strike notification (``notify``), keep-out zones
(here), the Euphrates line (``line``), and the conflict watches of radio calls, controllers
and the pre-MOU unilateral rule (``watch``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shapely

from sim import fences, line, notify, watch
from sim.avoidance import detour
from sim.comms import Hotline
from sim.fences import Fence
from sim.units import NM

if TYPE_CHECKING:
    from sim.engine import Flight, Run
    from sim.protocol_spec import KeepOut

MECHANISMS = (
    "hotline",
    "ceasefire_hotline",
    "notification",
    "keep_out",
    "radio",
    "comms_test",
    "deconfliction_line",
    "separation",
    "unilateral",
)


def install(run: Run) -> None:
    """Start the processes of every enabled mechanism (before anyone flies)."""
    p = run.scenario.protocol
    lines = {
        name: Hotline(run.env, getattr(p, name), run.rng[name], run.recorder, name)
        for name in ("hotline", "ceasefire_hotline")
        if getattr(p, name).enabled
    }
    watched: list[Fence] = []
    if p.deconfliction_line.enabled:  # bank first, so that keep-out routing has the last word
        watched += line.install(run, lines.get("hotline"), p.deconfliction_line)
    if p.keep_out.enabled:
        watched += install_keep_out(run, p.keep_out)
    if p.notification.enabled:
        notify.install(run, lines[p.notification.via], p.notification)
    watch.install(run, p)
    if watched:
        run.on_leg.append(
            lambda f: fences.watch_leg(run.env, watched, f, lambda *a: fence_event(run, *a))
        )


def fence_event(run: Run, fence: Fence, flight: Flight, t: float) -> None:
    """Log a keep-out entry or a line crossing, and count it on the flight's record."""
    if fence.kind == "zone_violation":
        flight.record.zone_violations += 1
        run.recorder.emit(t, "zone_violation", flight.side, flight.id, detail=f"zone={fence.name}")
    else:
        flight.record.line_crossings += 1
        run.recorder.emit(
            t, "line_crossing", flight.side, flight.id, detail=fence.detail(flight.id)
        )


def install_keep_out(run: Run, spec: KeepOut) -> list[Fence]:
    """Plan routes around the zones each side promised to avoid (with ``compliance``)."""
    from sim.scenario import zone_geometry

    rng = run.rng["compliance"]
    zones = [(z, zone_geometry(z)) for z in spec.zones if z.side is not None]
    for _, f in sorted(run.flights.items()):
        if f.plan.explicit or f.plan.kind == "missile":
            continue
        path = shapely.LineString([p[:2] for p in f.route])
        hit = [(z, g) for z, g in zones if z.side == f.side and path.intersects(g)]
        if not hit or rng.uniform() >= spec.compliance:
            continue
        around = [g for _, g in hit]
        f.route = [f.route[0], *detour(f.route[0], f.route[1:], around, spec.buffer_nm * NM)]
        f.record.rerouted = True
        names = ",".join(z.name for z, _ in hit)
        run.recorder.emit(f.depart_s, "reroute", f.side, f.id, detail=f"keep_out={names}")
    return [Fence(z.name, g, frozenset({z.side}), "zone_violation") for z, g in zones]
