"""The 2017 deconfliction line along the Euphrates: each side keeps to its own bank.

Generated sorties aimed across the line are re-aimed to a point on their own side,
``setback_nm`` back from the river, except a share ``crossing_fraction`` whose mission needs
the far bank. A flight whose plan crosses the line is notified over the hotline
``notice_min`` before take-off (unless it is one of the unnotified share ``p_unnotified``),
and the other side keeps clear of a corridor around the crossing while it flies.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np
import shapely
import simpy
from shapely.ops import nearest_points

from sim import geo
from sim.avoidance import Area, schedule
from sim.fences import Fence
from sim.notify import OTHER, keep_clear
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
    """Re-aim sorties, schedule crossing notifications; return the line as a fence to watch."""
    rng = run.rng["line"]
    line = syrian_line()
    notified: dict[str, bool] = {}
    for _, f in sorted(run.flights.items()):
        if f.plan.explicit or f.plan.kind == "missile" or f.side not in OWN_BANK:
            continue
        stay = rng.uniform() >= spec.crossing_fraction
        if stay:
            _reaim(f, spec.setback_nm * NM)
        if not _crosses(f, line):
            continue
        tell = rng.uniform() >= spec.p_unnotified and hotline is not None
        notified[f.id] = tell
        if tell:
            assert hotline is not None
            run.env.process(_notify_crossing(run, hotline, spec, f, line))
    return [Fence("Euphrates line", line, frozenset(OWN_BANK), "line_crossing",
                  detail=lambda fid: "notified=" + ("yes" if notified.get(fid) else "no"))]


def _crosses(f: Flight, line: shapely.LineString) -> bool:
    return bool(shapely.intersects(shapely.LineString([p[:2] for p in f.route]), line))


def _reaim(f: Flight, setback_m: float) -> None:
    """Move the station part of the plan back to the flight's own bank if it lies across."""
    i, j = f.plan.station
    pts = np.array(f.route, dtype=float)
    if j <= i:
        return
    own = OWN_BANK[f.side]
    bank = geo.side_of_euphrates(pts[i:j, 0], pts[i:j, 1])
    if np.all(bank == own):
        return
    aim = shapely.Point(pts[i, 0], pts[i, 1])
    half = _own_half(f.side).buffer(-setback_m)
    target = nearest_points(half, aim)[0]
    shift = np.array([target.x - aim.x, target.y - aim.y])
    pts[i:j, :2] += shift
    f.route = [tuple(p) for p in pts]


def _own_half(side: str) -> shapely.Geometry:
    name = "west-of-euphrates" if OWN_BANK[side] == 1 else "east-of-euphrates"
    return geo.zone_polygon(region=name)


def _notify_crossing(run: Run, hotline: Hotline, spec: DeconflictionLine, f: Flight,
                     line: shapely.LineString) -> Generator[simpy.Event, object, None]:
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
    run.recorder.emit(env.now, "notification_sent", f.side, f.id,
                      detail=f"crossing={f.id};x_m={corridor.centroid.x:.0f};"
                             f"y_m={corridor.centroid.y:.0f};radius_m={spec.corridor_nm * NM:.0f};"
                             f"from_s={area.from_s:.0f};to_s={area.to_s:.0f}")
    done = yield hotline.call(f.side, "line crossing", f.id)
    if done is None:
        return
    yield hotline.relay()
    receiver = OTHER[f.side]
    run.recorder.emit(env.now, "notification_received", receiver, f.id, detail=f"crossing={f.id}")
    keep_clear(run, receiver, area, 1.0, "reroute", 0.0, reason=f"crossing={f.id}")
