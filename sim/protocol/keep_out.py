"""Keep-out areas: standing zones one side promised the other to stay out of.

The US gave Russia an area around its special operations forces; Russia named airfields it
did not want US aircraft near. Before anyone flies, each generated sortie of the side asked to
keep out whose plan crosses a zone is routed around it, with probability ``compliance`` (drawn
per flight); every entry into a zone that still happens is logged as a ``zone_violation``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from pydantic import Field

from sim.events import EventInfo, EventKind
from sim.plans import points_array
from sim.protocol.avoidance import TimedArea, crosses_during, detour
from sim.protocol.fences import Fence, watch
from sim.protocol.mechanism import FlightTally, Mechanism, TableRow, ZoneRef
from sim.protocol.spec import MechanismSpec, Probability, Provenance, ZoneSpec
from sim.units import FT, NM

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from sim.records import RunResult
    from sim.state import Flight, Run

__all__ = ["KEEP_OUT", "KeepOutSpec", "ZoneEntry"]


class KeepOutSpec(MechanismSpec):
    """Standing keep-out areas honoured by route planning."""

    provenance: Provenance = "reported practice"
    compliance: Probability = Field(1.0, ge=0, le=1)
    buffer_nm: float = Field(2.0, ge=0)
    zones: list[ZoneSpec] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ZoneEntry(EventInfo):
    """The keep-out zone an aircraft entered."""

    zone: str


ZONE_VIOLATION = EventKind(
    "zone_violation",
    ZoneEntry,
    "an aircraft enters a zone its side was asked to keep out of",
    "keep-out zone entered",
)


def install(run: Run, spec: KeepOutSpec) -> None:
    """Plan routes around the zones each side promised to avoid, and watch for entries."""
    zones = [(z, z.geometry()) for z in spec.zones if z.side is not None]
    blocks = {z.name: _block(z, g) for z, g in zones}
    planned = [
        f
        for _, f in sorted(run.flights.items())
        if not f.plan.explicit and f.plan.kind != "missile"
    ]
    for f, met in zip(planned, _zones_met(planned, zones), strict=True):
        hit = [
            (z, g)
            for z, g in met
            if blocks[z.name].all_altitudes
            or crosses_during(f.route[0], f.route[1:], 0.0, 1.0, blocks[z.name])
        ]
        if not hit or run.streams.uniform("keep_out", "comply", f.unit) >= spec.compliance:
            continue
        around = detour(f.route[0], f.route[1:], [g for _, g in hit], spec.buffer_nm * NM)
        f.reroute(around, "keep_out", ",".join(z.name for z, _ in hit), t_s=f.depart_s)

    def entered(zone: ZoneSpec, geometry: BaseGeometry) -> Fence:
        def on_enter(flight: Flight, t: float) -> None:
            run.emit("zone_violation", flight.side, flight.id, info=ZoneEntry(zone.name), t_s=t)

        return Fence(zone.name, geometry, frozenset({zone.side or ""}), on_enter)

    watch(run, [entered(z, g) for z, g in zones])


def _zones_met(
    flights: list[Flight], zones: list[tuple[ZoneSpec, BaseGeometry]]
) -> list[list[tuple[ZoneSpec, BaseGeometry]]]:
    """For each flight, the zones of its side that its planned path meets, in zone order
    (every path tested against each zone at once).
    """
    met: list[list[tuple[ZoneSpec, BaseGeometry]]] = [[] for _ in flights]
    if not flights or not zones:
        return met
    counts = [len(f.route) for f in flights]
    xy = points_array([p for f in flights for p in f.route])[:, :2]
    paths = shapely.linestrings(xy, indices=np.repeat(np.arange(len(flights)), counts))
    sides = np.array([f.side for f in flights])
    for z, g in zones:
        mine = np.flatnonzero(sides == z.side)
        for i in mine[shapely.intersects(paths[mine], g)].tolist():
            met[i].append((z, g))
    return met


def _block(zone: ZoneSpec, geometry: BaseGeometry) -> TimedArea:
    """The zone as a standing area with its altitude block."""
    floor = -math.inf if zone.floor_ft is None else zone.floor_ft * FT
    ceiling = math.inf if zone.ceiling_ft is None else zone.ceiling_ft * FT
    return TimedArea(zone.name, geometry, floor_m=floor, ceiling_m=ceiling)


def figures(result: RunResult) -> dict[str, float]:
    """Entries into keep-out zones by aircraft (missiles excluded)."""
    return {
        "zone_violations": sum(
            f.tallies.get("zone_violations", 0) for f in result.flights if f.kind != "missile"
        )
    }


KEEP_OUT = Mechanism(
    name="keep_out",
    spec=KeepOutSpec,
    install=install,
    doc="standing keep-out areas each side asked the other to stay out of",
    after=("deconfliction_line",),  # the line's routing first: keep-out has the last word
    events=(ZONE_VIOLATION,),
    figures=figures,
    table=(
        TableRow(
            "keep-out zone violations", lambda s: f"{s['protocol_effects']['zone_violations']}"
        ),
    ),
    tallies=(FlightTally("zone_violations", "zone_violation"),),
    zones=lambda spec: [ZoneRef(f"keep_out.zones[{i}]", z) for i, z in enumerate(spec.zones)],
)
