"""The 2017 deconfliction line along the Euphrates: each side keeps to its own bank.

Generated sorties keep to their own bank, except a share ``crossing_fraction`` whose mission
needs the far bank: a station pattern that would reach within ``setback_nm`` of the far bank
is moved back, and transits are routed around the far bank (through Turkey or Iraq). A flight
whose plan crosses the line is notified over the hotline ``notice_min`` before take-off
(unless it is one of the unnotified share ``p_unnotified``), and the other side keeps clear
of a corridor around the crossing while it flies.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np
import shapely
import simpy
from shapely.ops import nearest_points

from sim import geo, zones
from sim.avoidance import Area, detour, schedule
from sim.fences import Fence
from sim.notify import OTHER, keep_clear
from sim.routing import Router
from sim.units import MIN, NM

if TYPE_CHECKING:
    from sim.comms import Hotline
    from sim.engine import Flight, Run
    from sim.protocol_spec import DeconflictionLine

OWN_BANK = {"russia": 1, "coalition": -1}
"""``geo.side_of_euphrates`` sign of each side's own bank (+1 west/south, -1 east/north)."""


def syrian_line() -> shapely.LineString:
    """The line as it counts: the Euphrates' course inside Syria."""
    return shapely.intersection(geo.euphrates(), geo.syria())


def install(run: Run, hotline: Hotline | None, spec: DeconflictionLine) -> list[Fence]:
    """Keep sorties to their bank, schedule crossing notices; return the line as a fence."""
    rng = run.rng["line"]
    line = syrian_line()
    far = {side: _far_bank(side) for side in OWN_BANK}
    routers: dict[str, Router] = {}
    notified: dict[str, bool] = {}
    for _, f in sorted(run.flights.items()):
        if f.plan.explicit or f.plan.kind == "missile" or f.side not in OWN_BANK:
            continue
        if rng.uniform() >= spec.crossing_fraction:
            _keep_to_bank(f, far[f.side], spec.setback_nm * NM, routers)
        if not _crosses(f, line):
            continue
        tell = rng.uniform() >= spec.p_unnotified and hotline is not None
        notified[f.id] = tell
        if tell:
            assert hotline is not None
            run.env.process(_notify_crossing(run, hotline, spec, f, line))
    return [
        Fence(
            "Euphrates line",
            line,
            frozenset(OWN_BANK),
            "line_crossing",
            detail=lambda fid: "notified=" + ("yes" if notified.get(fid) else "no"),
        )
    ]


def _crosses(f: Flight, line: shapely.LineString) -> bool:
    return bool(shapely.intersects(shapely.LineString([p[:2] for p in f.route]), line))


def _far_bank(side: str) -> shapely.Geometry:
    """The other side's half of Syria, simplified to 2 km for routing."""
    name = "east-of-euphrates" if OWN_BANK[side] == 1 else "west-of-euphrates"
    return zones.zone_polygon(region=name).simplify(2000.0)


def _keep_to_bank(
    f: Flight, far: shapely.Geometry, setback_m: float, routers: dict[str, Router]
) -> None:
    """Move the station pattern back to the flight's own bank and route around the far bank."""
    i, j = f.plan.station
    pts = np.array(f.route, dtype=float)
    if j > i:
        station = shapely.MultiPoint(pts[i:j, :2])
        margin = setback_m + station.hausdorff_distance(shapely.Point(pts[i, :2]))
        if station.distance(far) < margin:
            aim = shapely.Point(pts[i, 0], pts[i, 1])
            away = aim.buffer(1.0).union(far).buffer(margin)
            target = nearest_points(away.exterior, aim)[0]
            pts[i:j, :2] += np.array([target.x - aim.x, target.y - aim.y])
            f.route = [tuple(p) for p in pts]
    if not shapely.intersects(shapely.LineString(pts[:, :2]), far):
        return
    if f.side not in routers:
        routers[f.side] = Router([far], setback_m)
    router = routers[f.side]
    if shapely.contains_xy(router.area, *f.route[0][:2]):
        return  # based on the far bank (or too close to it): nothing to route around
    f.route = [f.route[0], *detour(f.route[0], f.route[1:], [far], setback_m, router=router)]


def _notify_crossing(
    run: Run, hotline: Hotline, spec: DeconflictionLine, f: Flight, line: shapely.LineString
) -> Generator[simpy.Event, object, None]:
    """Call the other side before take-off; on time, it keeps clear of the crossing corridor."""
    env = run.env
    yield env.timeout(max(f.depart_s - spec.notice_min * MIN, 0.0))
    path = shapely.LineString([p[:2] for p in f.route])
    crossing = shapely.intersection(path, line)
    if crossing.is_empty:  # the plan no longer crosses (rerouted since)
        return
    corridor = crossing.buffer(spec.corridor_nm * NM)
    times = schedule(f.route[0], list(f.route[1:]), f.depart_s, f.plan.speed_mps)
    area = Area(f"crossing {f.id}", corridor, f.depart_s, float(times[-1]))
    run.recorder.emit(
        env.now,
        "notification_sent",
        f.side,
        f.id,
        detail=f"crossing={f.id};x_m={corridor.centroid.x:.0f};"
        f"y_m={corridor.centroid.y:.0f};radius_m={spec.corridor_nm * NM:.0f};"
        f"from_s={area.from_s:.0f};to_s={area.to_s:.0f}",
    )
    done = yield hotline.call(f.side, "line crossing", f.id)
    if done is None:
        return
    yield hotline.relay()
    receiver = OTHER[f.side]
    run.recorder.emit(env.now, "notification_received", receiver, f.id, detail=f"crossing={f.id}")
    keep_clear(run, receiver, area, 1.0, "reroute", 0.0, reason=f"crossing={f.id}")
