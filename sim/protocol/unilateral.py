"""The US rule of October 2015, before the MOU: divert when a Russian aircraft comes within
20 NM.

Under AWACS coverage, a Coalition aircraft that the watch predicts will come within
``divert_range_nm`` of a Russian aircraft (at any height) is turned away by the AWACS, with
probability ``compliance``, ``response_s`` after the warning.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import simpy
from pydantic import Field

from sim.events import EventKind
from sim.protocol.controllers import Alert, coverage
from sim.protocol.mechanism import Mechanism, ZoneRef
from sim.protocol.spec import MechanismSpec, Probability, Provenance, ZoneSpec
from sim.protocol.watch import Rule, Watch, covered, manoeuvrable, turn_away, watch_of
from sim.units import MIN, NM

if TYPE_CHECKING:
    from sim.state import Flight, Run

__all__ = ["UNILATERAL", "UnilateralSpec"]

ANY_HEIGHT_M = 1e6
"""Half-height of a cylinder that ignores altitude (the 20 NM rule counts range only)."""


class UnilateralSpec(MechanismSpec):
    """The US rule of October 2015: divert when a Russian aircraft comes within 20 NM."""

    provenance: Provenance = "reported practice"
    divert_range_nm: float = Field(20.0, gt=0)
    lookahead_min: float = Field(2.0, gt=0)
    cooldown_min: float = Field(10.0, ge=0, description="at most one diversion per pair this often")
    compliance: Probability = Field(1.0, ge=0, le=1)
    response_s: float = Field(30.0, ge=0)
    heading_offset_deg: float = Field(30.0, gt=0, lt=90)
    coverage: list[ZoneSpec] = Field(default_factory=list)


def install(run: Run, spec: UnilateralSpec) -> None:
    """Add the 20 NM rule to the run's watch."""
    area = coverage(spec.coverage)

    def act(w: Watch, rule: Rule, a: Flight, b: Flight) -> Generator[simpy.Event, object, None]:
        return divert(run, spec, area, a, b)

    rule = Rule(
        "unilateral",
        spec.divert_range_nm * NM,
        ANY_HEIGHT_M,
        spec.lookahead_min * MIN,
        spec.cooldown_min * MIN,
        act,
    )
    watch_of(run).add(rule)


def divert(
    run: Run, spec: UnilateralSpec, area: object, a: Flight, b: Flight
) -> Generator[simpy.Event, object, None]:
    """The AWACS turns the Coalition aircraft away, if it sees it and the crew complies."""
    own, other = (a, b) if a.side == "coalition" else (b, a)
    if own.side != "coalition" or not covered(area, own, run.env.now):  # type: ignore[arg-type]
        return
    if spec.compliance < 1.0 and run.streams["unilateral"].uniform() >= spec.compliance:
        return
    run.emit("divert", own.side, own.id, other.id, info=Alert("unilateral"))
    yield run.env.timeout(spec.response_s)
    if manoeuvrable(own):
        route, turn = turn_away(own, other, run.env.now, spec.heading_offset_deg)
        own.manoeuvre(route, "unilateral", other.id, turn_deg=turn)


UNILATERAL = Mechanism(
    name="unilateral",
    spec=UnilateralSpec,
    install=install,
    doc="the US rule before the MOU: divert when a Russian aircraft comes within 20 NM",
    after=("separation",),
    events=(EventKind("divert", Alert, "a Coalition aircraft is diverted away", "diverted"),),
    zones=lambda spec: [
        ZoneRef(f"unilateral.coverage[{i}]", z, drawn=False) for i, z in enumerate(spec.coverage)
    ],
)
