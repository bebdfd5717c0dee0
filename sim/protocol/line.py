"""The 2017 deconfliction line along the Euphrates: each side keeps to its own bank.

Generated sorties keep to their own bank, except a share ``crossing_fraction`` whose mission
needs the far bank: a station pattern that would reach within ``setback_nm`` of the far bank
is moved back, and transits are routed around the far bank (through Turkey or Iraq). A flight
whose plan crosses the line is notified over the hotline ``notice_min`` before take-off
(unless it is one of the unnotified share ``p_unnotified``), and the other side keeps clear
of a corridor around the crossing while it flies.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import shapely
import simpy
from pydantic import Field
from shapely.ops import nearest_points

from sim import geo, zones
from sim.events import Event, EventInfo, EventKind
from sim.protocol.avoidance import TimedArea, detour, keep_clear, schedule
from sim.protocol.fences import Fence, watch
from sim.protocol.mechanism import FlightTally, Mechanism, TableRow
from sim.protocol.notification import NOTICE_EVENTS, OTHER, Notice, block_of
from sim.protocol.spec import MechanismSpec, Probability, Provenance
from sim.routing import Router
from sim.units import FT, MIN, NM

if TYPE_CHECKING:
    from sim.protocol.hotline import Hotline
    from sim.records import RunResult
    from sim.state import Flight, Run

__all__ = [
    "DECONFLICTION_LINE",
    "DeconflictionLineSpec",
    "LineCrossing",
    "LineState",
    "syrian_line",
]


class DeconflictionLineSpec(MechanismSpec):
    """The 2017 Euphrates line: each side keeps to its bank; crossings notified first."""

    provenance: Provenance = "reported practice"
    crossing_fraction: Probability = Field(
        0.0, ge=0, le=1, description="share of sorties aimed across the line that still cross"
    )
    p_unnotified: Probability = Field(0.0, ge=0, le=1, description="P(a crossing is unnotified)")
    notice_min: float = Field(30.0, ge=0, description="how long before take-off it is notified")
    corridor_nm: float = Field(10.0, gt=0, description="half-width kept clear around a crossing")
    setback_nm: float = Field(
        5.0, ge=0, description="how far back from the line re-aimed sorties stay"
    )
    altitude_block: bool = Field(
        False, description="a crossing's corridor has a floor and ceiling around its altitudes"
    )
    block_margin_ft: float = Field(3000.0, ge=0, description="below and above those altitudes")


@dataclass(frozen=True, slots=True)
class LineCrossing(EventInfo):
    """A crossing of the line, and whether it had been notified."""

    notified: bool


def _crossing_phrase(e: Event) -> str:
    notified = isinstance(e.info, LineCrossing) and e.info.notified
    return "crossed the line" if notified else "crossed the line UNNOTIFIED"


LINE_CROSSING = EventKind(
    "line_crossing",
    LineCrossing,
    "an aircraft crosses the Euphrates line (notified or not)",
    _crossing_phrase,
)

OWN_BANK = {"russia": 1, "coalition": -1}
OWN_REGION = {"russia": "west-of-euphrates", "coalition": "east-of-euphrates"}
"""``geo.side_of_euphrates`` sign of each side's own bank (+1 west/south, -1 east/north)."""


@dataclass(eq=False)
class LineState:
    """The line during a run (the ``deconfliction_line`` service): which flights' crossings
    were notified, and who wants to hear of every crossing (``listener(flight, t, notified)``).
    """

    notified: dict[str, bool]
    listeners: list[Callable[[Flight, float, bool], None]] = field(default_factory=list)


def syrian_line() -> shapely.LineString:
    """The line as it counts: the Euphrates' course inside Syria."""
    return shapely.intersection(geo.euphrates(), geo.syria())


def install(run: Run, spec: DeconflictionLineSpec) -> None:
    """Keep sorties to their bank, schedule crossing notices, and watch the line."""
    hotline: Hotline | None = run.services.get("hotline")
    line = syrian_line()
    far = {side: _far_bank(side) for side in OWN_BANK}
    banks: dict[tuple[str, int], shapely.Geometry] = {}
    routers: dict[str, Router] = {}
    notified: dict[str, bool] = {}
    state = run.services["deconfliction_line"] = LineState(notified)
    for _, f in sorted(run.flights.items()):
        if f.plan.explicit or f.plan.kind == "missile" or f.side not in OWN_BANK:
            continue
        if run.streams.uniform("deconfliction_line", "cross", f.unit) >= spec.crossing_fraction:
            _keep_to_bank(f, far[f.side], spec.setback_nm * NM, routers, banks)
        if not _crosses(f, line):
            continue
        unnotified = run.streams.uniform("deconfliction_line", "unnotified", f.unit)
        tell = unnotified >= spec.p_unnotified and hotline is not None
        notified[f.id] = tell
        if tell:  # each aircraft's crossing is notified (a formation's members decide together)
            assert hotline is not None
            run.env.process(_notify_crossing(run, hotline, spec, f, line))

    def crossed(flight: Flight, t: float) -> None:
        info = LineCrossing(notified.get(flight.id, False))
        run.emit("line_crossing", flight.side, flight.id, info=info, t_s=t)
        for listener in state.listeners:
            listener(flight, t, info.notified)

    watch(run, [Fence("Euphrates line", line, frozenset(OWN_BANK), crossed)])


def _crosses(f: Flight, line: shapely.LineString) -> bool:
    return bool(shapely.intersects(shapely.LineString([p[:2] for p in f.route]), line))


def _far_bank(side: str) -> shapely.Geometry:
    """The other side's half of Syria, simplified to 2 km for routing."""
    name = "east-of-euphrates" if OWN_BANK[side] == 1 else "west-of-euphrates"
    return zones.zone_polygon(region=name).simplify(2000.0)


def _own_bank_allowed(
    side: str,
    far: shapely.Geometry,
    margin_m: float,
    banks: dict[tuple[str, int], shapely.Geometry],
) -> shapely.Geometry:
    """The side's own bank inside Syria, at least ``margin_m`` (rounded up to 1 NM) from the
    far bank: where a moved station pattern's centre may go (cached per side and margin).
    """
    key = (side, int(np.ceil(margin_m / NM)))
    if key not in banks:
        own = zones.zone_polygon(region=OWN_REGION[side]).simplify(2000.0)
        banks[key] = shapely.difference(own, far.buffer(key[1] * NM))
    return banks[key]


def _keep_to_bank(
    f: Flight,
    far: shapely.Geometry,
    setback_m: float,
    routers: dict[str, Router],
    banks: dict[tuple[str, int], shapely.Geometry],
) -> None:
    """Move the station pattern back to the flight's own bank (inside Syria where it fits) and
    route around the far bank.
    """
    i, j = f.plan.station
    pts = np.array(f.route, dtype=float)
    if j > i:
        station = shapely.MultiPoint(pts[i:j, :2])
        margin = setback_m + station.hausdorff_distance(shapely.Point(pts[i, :2]))
        if station.distance(far) < margin:
            aim = shapely.Point(pts[i, 0], pts[i, 1])
            allowed = _own_bank_allowed(f.side, far, margin, banks)
            if allowed.is_empty:
                away = aim.buffer(1.0).union(far).buffer(margin)
                target = nearest_points(away.exterior, aim)[0]
            else:
                target = nearest_points(allowed, aim)[0]
            pts[i:j, :2] += np.array([target.x - aim.x, target.y - aim.y])
            f.replan([tuple(p) for p in pts], by="deconfliction_line")
    if not shapely.intersects(shapely.LineString(pts[:, :2]), far):
        return
    if f.side not in routers:
        routers[f.side] = Router([far], setback_m)
    router = routers[f.side]
    if shapely.contains_xy(router.area, *f.route[0][:2]):
        return  # based on the far bank (or too close to it): nothing to route around
    route = detour(f.route[0], f.route[1:], [far], setback_m, router=router)
    f.replan([f.route[0], *route], by="deconfliction_line")


def _notify_crossing(
    run: Run, hotline: Hotline, spec: DeconflictionLineSpec, f: Flight, line: shapely.LineString
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
    area = TimedArea(f"crossing {f.id}", corridor, f.depart_s, float(times[-1]))
    if spec.altitude_block:
        floor, ceiling = _crossing_block(f, path, line, spec.block_margin_ft * FT)
        area = replace(area, floor_m=floor, ceiling_m=ceiling)
    c = corridor.centroid
    notice = Notice(
        "crossing", f.id, c.x, c.y, spec.corridor_nm * NM, area.from_s, area.to_s, *block_of(area)
    )
    run.emit("notification_sent", f.side, f.id, info=notice)
    done = yield hotline.call(f.side, "line crossing", f.id)
    if done is None:
        return
    yield hotline.relay()
    run.emit("notification_received", OTHER[f.side], f.id, info=notice)
    keep_clear(run, OTHER[f.side], area, 1.0, "reroute", 0.0, "deconfliction_line", f.id)


def _crossing_block(
    f: Flight, path: shapely.LineString, line: shapely.LineString, margin_m: float
) -> tuple[float, float]:
    """Floor and ceiling around the altitudes of the legs of the plan that cross the line."""
    pts = f.route
    zs = [
        z
        for a, b in zip(pts, pts[1:], strict=False)
        if shapely.intersects(shapely.LineString([a[:2], b[:2]]), line)
        for z in (a[2], b[2])
    ] or [p[2] for p in pts]
    return max(min(zs) - margin_m, 0.0), max(zs) + margin_m


def figures(result: RunResult) -> dict[str, float]:
    """Crossings of the line, and the aircraft that crossed (unnotified, per side)."""
    flights = [f for f in result.flights if f.kind != "missile"]
    crossing = [f for f in flights if f.tallies.get("line_crossings", 0)]
    notified = {
        e.aircraft_id for e in result.events if isinstance(e.info, LineCrossing) and e.info.notified
    }
    out: dict[str, float] = {
        "line_crossings": sum(isinstance(e.info, LineCrossing) for e in result.events),
        "line_crossing_flights": len(crossing),
        "line_crossing_flights_unnotified": sum(f.id not in notified for f in crossing),
    }
    for side in sorted({f.side for f in flights}):
        out[f"line_crossing_flights_{side}"] = sum(f.side == side for f in crossing)
    return out


DECONFLICTION_LINE = Mechanism(
    name="deconfliction_line",
    spec=DeconflictionLineSpec,
    install=install,
    doc="the 2017 Euphrates line: each side keeps to its bank, crossings notified first",
    after=("hotline",),
    events=(*NOTICE_EVENTS, LINE_CROSSING),
    figures=figures,
    table=(
        TableRow(
            "flights crossing the line (unnotified)",
            lambda s: (
                f"{s['protocol_effects']['line_crossing_flights']} "
                f"({s['protocol_effects']['line_crossing_flights_unnotified']})"
            ),
        ),
    ),
    tallies=(FlightTally("line_crossings", "line_crossing"),),
    lines=lambda spec: [("deconfliction line", syrian_line())],
)
