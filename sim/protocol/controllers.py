"""The MOU's "rule of threes" watched by controllers: AWACS for the Coalition, ground control
around Hmeymim for Russia.

When the watch predicts that two aircraft of different sides will come within ``radius_nm``
and ``height_ft`` of each other, each side's controller that can see its own aircraft (under
its coverage) tells it to climb or descend away, ``controller_delay_s`` after seeing it.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import shapely
import simpy
from pydantic import Field
from shapely.geometry.base import BaseGeometry

from sim.events import EventInfo, EventKind
from sim.protocol.mechanism import Mechanism, ZoneRef
from sim.protocol.spec import MechanismSpec, Probability, Provenance, Side, ZoneSpec
from sim.protocol.watch import (
    Rule,
    Watch,
    climb_away,
    covered,
    manoeuvrable,
    stay_end,
    watch_of,
)
from sim.units import FT, MIN, NM

if TYPE_CHECKING:
    from sim.state import Flight, Run

__all__ = ["SEPARATION", "Alert", "SeparationSpec", "coverage"]


class SeparationSpec(MechanismSpec):
    """The MOU 'rule of threes' watched by controllers (AWACS, Hmeymim ground control)."""

    provenance: Provenance = "reported practice"
    radius_nm: float = Field(3.0, gt=0)
    height_ft: float = Field(3000.0, gt=0)
    lookahead_min: float = Field(5.0, gt=0)
    cooldown_min: float = Field(10.0, ge=0, description="at most one alert per pair this often")
    controller_delay_s: float = Field(60.0, ge=0)
    altitude_change_ft: float = Field(2000.0, gt=0)
    floor_ft: float = Field(500.0, ge=0, description="lowest altitude a manoeuvre goes to")
    awacs_coverage: list[ZoneSpec] = Field(default_factory=list)
    ground_coverage: list[ZoneSpec] = Field(default_factory=list)
    plan_aware: bool = Field(False, description="look along the plans, not only current legs")
    allowance_min: float = Field(
        0.0, ge=0, description="a predicted loss of the rule this short is allowed"
    )
    allowance_floor_nm: float = Field(1.0, ge=0, description="... if it stays this far apart")
    allowance_floor_ft: float = Field(1000.0, ge=0, description="... or this far above or below")
    p_track: dict[Side, Probability] = Field(
        default_factory=dict,
        description="P(a side's controller holds a track on a given aircraft of the other side)",
    )
    track_delay_s: dict[Side, float] = Field(
        default_factory=dict, description="extra time a side's controller needs to sort it out"
    )


@dataclass(frozen=True, slots=True)
class Alert(EventInfo):
    """A controller's (or a rule's) instruction to its own aircraft, naming the rule."""

    rule: str


CONTROLLER_ALERT = EventKind(
    "controller_alert",
    Alert,
    "a controller tells its own aircraft to move away",
    "controller alert",
)


def coverage(zones: list[ZoneSpec]) -> BaseGeometry | None:
    """The union of ``zones`` in the plane, or ``None`` (everywhere) when there are none."""
    return shapely.union_all([z.geometry() for z in zones]) if zones else None


def install(run: Run, spec: SeparationSpec) -> None:
    """Add the rule of threes to the run's watch, with each side's controller coverage."""
    seen = {"coalition": coverage(spec.awacs_coverage), "russia": coverage(spec.ground_coverage)}

    def act(w: Watch, rule: Rule, a: Flight, b: Flight) -> Generator[simpy.Event, object, None]:
        return controllers(run, spec, seen, a, b, stay_end(w, rule, a, b))

    rule = Rule(
        "separation",
        spec.radius_nm * NM,
        spec.height_ft * FT,
        spec.lookahead_min * MIN,
        spec.cooldown_min * MIN,
        act,
        plan_aware=spec.plan_aware,
        allowance_s=spec.allowance_min * MIN,
        allowance_floor_m=spec.allowance_floor_nm * NM,
        allowance_floor_height_m=spec.allowance_floor_ft * FT,
    )
    watch_of(run).add(rule)


def controllers(
    run: Run,
    spec: SeparationSpec,
    seen: dict[str, BaseGeometry | None],
    a: Flight,
    b: Flight,
    until_s: float | None = None,
) -> Generator[simpy.Event, object, None]:
    """Each side's controller that sees its own aircraft, and holds a track on the other,
    turns its aircraft away (later when the other is hard to sort out: no transponder),
    holding the new altitude along its plan until ``until_s`` when given.
    """
    for own, other in sorted(((a, b), (b, a)), key=lambda p: p[0].id):
        if own.side not in seen or not covered(seen[own.side], own, run.env.now):
            continue
        p_track = spec.p_track.get(own.side, 1.0)  # type: ignore[call-overload]
        track = run.streams.uniform("separation", "track", own.side, other.id)
        if p_track < 1.0 and track >= p_track:
            continue
        delay = spec.track_delay_s.get(own.side, 0.0)  # type: ignore[call-overload]
        run.env.process(_instruct(run, spec, own, other, delay, until_s))
    return
    yield  # the instructions run as processes of their own, side by side


def _instruct(
    run: Run,
    spec: SeparationSpec,
    own: Flight,
    other: Flight,
    delay_s: float,
    until_s: float | None = None,
) -> Generator[simpy.Event, object, None]:
    """After ``delay_s``, alert ``own``; after the controller's delay, it climbs away."""
    if delay_s > 0:
        yield run.env.timeout(delay_s)
    run.emit("controller_alert", own.side, own.id, other.id, info=Alert("separation"))
    yield run.env.timeout(spec.controller_delay_s)
    if manoeuvrable(own):
        change, floor = spec.altitude_change_ft * FT, spec.floor_ft * FT
        route, dz = climb_away(own, other, run.env.now, change, floor, until_s)
        own.manoeuvre(route, "separation", other.id, dz_m=dz)


def _zones(spec: SeparationSpec) -> list[ZoneRef]:
    return [
        *(
            ZoneRef(f"separation.awacs_coverage[{i}]", z, drawn=False)
            for i, z in enumerate(spec.awacs_coverage)
        ),
        *(
            ZoneRef(f"separation.ground_coverage[{i}]", z, drawn=False)
            for i, z in enumerate(spec.ground_coverage)
        ),
    ]


SEPARATION = Mechanism(
    name="separation",
    spec=SeparationSpec,
    install=install,
    doc="controllers keep the rule of threes (3 NM or 3,000 ft) under their coverage",
    after=("radio",),
    events=(CONTROLLER_ALERT,),
    zones=_zones,
)
