"""The rules of a protocol, installed on a run before anyone flies.

Each enabled mechanism of the scenario's protocol becomes SimPy processes, plan changes and
hooks on new legs: the hotlines (``comms``), strike notification (``notify``), keep-out zones
(here), the Euphrates line (``line``), and the conflict watches of radio calls, controllers
and the pre-MOU unilateral rule (``watch``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim import fences, line, notify, watch
from sim.avoidance import detour
from sim.comms import Hotline
from sim.fences import Fence
from sim.units import NM

if TYPE_CHECKING:
    from sim.engine import Run
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
    if p.keep_out.enabled:
        watched += install_keep_out(run, p.keep_out)
    if p.deconfliction_line.enabled:
        watched += line.install(run, lines.get("hotline"), p.deconfliction_line)
    if p.notification.enabled:
        notify.install(run, lines[p.notification.via], p.notification)
    watch.install(run, p)
    if watched:
        run.on_leg.append(lambda f: fences.watch_leg(run.env, watched, f, _fence_event(run, f)))


def _fence_event(run: Run, flight: object):  # noqa: ANN202 - a small closure
    def emit(fence: Fence, t: float) -> None:
        fid, side = flight.id, flight.side  # type: ignore[attr-defined]
        if fence.kind == "zone_violation":
            flight.record.zone_violations += 1  # type: ignore[attr-defined]
            run.recorder.emit(t, "zone_violation", side, fid, detail=f"zone={fence.name}")
        else:
            flight.record.line_crossings += 1  # type: ignore[attr-defined]
            run.recorder.emit(t, "line_crossing", side, fid, detail=fence.detail(fid))

    return emit


def install_keep_out(run: Run, spec: KeepOut) -> list[Fence]:
    """Plan routes around the zones each side promised to avoid (with ``compliance``)."""
    from sim.scenario import zone_geometry

    rng = run.rng["compliance"]
    zones = [(z, zone_geometry(z)) for z in spec.zones if z.side is not None]
    for _, f in sorted(run.flights.items()):
        if f.plan.explicit or f.plan.kind == "missile":
            continue
        mine = [(z, g) for z, g in zones if z.side == f.side]
        hit = [g for _, g in mine if _route_line(f).intersects(g)]
        if not hit or rng.uniform() >= spec.compliance:
            continue
        f.route = [f.route[0], *detour(f.route[0], f.route[1:], hit, spec.buffer_nm * NM)]
        f.record.rerouted = True
        names = ",".join(z.name for z, g in mine if g in hit)
        run.recorder.emit(f.depart_s, "reroute", f.side, f.id, detail=f"keep_out={names}")
    return [Fence(z.name, g, frozenset({z.side}), "zone_violation") for z, g in zones]


def _route_line(f: object):  # noqa: ANN202
    import shapely

    return shapely.LineString([p[:2] for p in f.route])  # type: ignore[attr-defined]
