"""Air-to-air calls on the agreed frequencies (or the guard frequency only).

When the watch predicts that two aircraft of different sides will come within the alert
cylinder, the Coalition aircraft calls the other ``lookahead_min`` before; the call gets
through with ``p_success`` (``p_success_after_test`` after the communications test; only
``p_guard`` without agreed frequencies), and the called aircraft manoeuvres after the
pilot's ``response_s``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import simpy
from pydantic import Field

from sim.events import EventInfo, EventKind
from sim.protocol.mechanism import Mechanism, TableRow
from sim.protocol.spec import MechanismSpec, Probability, Provenance
from sim.protocol.watch import (
    Rule,
    Watch,
    climb_away,
    manoeuvrable,
    stay_end,
    turn_away,
    watch_of,
)
from sim.units import FT, MIN, NM

if TYPE_CHECKING:
    from sim.records import RunResult
    from sim.state import Flight, Run

__all__ = ["RADIO", "RadioCall", "RadioSpec"]


class RadioSpec(MechanismSpec):
    """Air-to-air calls on agreed frequencies (or guard only) when a conflict is predicted."""

    provenance: Provenance = "published term"
    agreed_frequencies: bool = True
    alert_range_nm: float = Field(5.0, gt=0)
    alert_height_ft: float = Field(2000.0, gt=0)
    lookahead_min: float = Field(2.0, gt=0)
    cooldown_min: float = Field(10.0, ge=0, description="at most one call per pair this often")
    p_success: Probability = Field(0.5, ge=0, le=1, description="before the comms test")
    p_success_after_test: Probability = Field(0.8, ge=0, le=1)
    p_guard: Probability = Field(0.05, ge=0, le=1, description="guard frequency only")
    response_s: float = Field(15.0, ge=0, description="pilot response delay")
    manoeuvre: Literal["altitude", "heading"] = "altitude"
    altitude_change_ft: float = Field(2000.0, gt=0)
    heading_offset_deg: float = Field(30.0, gt=0, lt=90)
    floor_ft: float = Field(500.0, ge=0, description="lowest altitude a manoeuvre goes to")
    plan_aware: bool = Field(False, description="look along the plans, not only current legs")


@dataclass(frozen=True, slots=True)
class RadioCall(EventInfo):
    """A call on the agreed or the guard frequency, and its chance of getting through."""

    channel: Literal["agreed", "guard"]
    p: float


RADIO_EVENTS = (
    EventKind(
        "radio_call", RadioCall, "an air-to-air call to an aircraft of the other side", "radio call"
    ),
    EventKind("radio_fail", RadioCall, "the call gets no answer", "radio call failed"),
)


def install(run: Run, spec: RadioSpec) -> None:
    """Add the radio's alert cylinder to the run's watch."""

    def act(w: Watch, rule: Rule, a: Flight, b: Flight) -> Generator[simpy.Event, object, None]:
        return radio_call(run, spec, a, b, stay_end(w, rule, a, b))

    rule = Rule(
        "radio",
        spec.alert_range_nm * NM,
        spec.alert_height_ft * FT,
        spec.lookahead_min * MIN,
        spec.cooldown_min * MIN,
        act,
        plan_aware=spec.plan_aware,
    )
    watch_of(run).add(rule)


def radio_call(
    run: Run, spec: RadioSpec, a: Flight, b: Flight, until_s: float | None = None
) -> Generator[simpy.Event, object, None]:
    """A call on the agreed (or guard) frequency; on success the called aircraft manoeuvres
    (holding a new altitude along its plan until ``until_s``, when given).
    """
    caller, callee = (a, b) if a.side == "coalition" else (b, a)
    if spec.agreed_frequencies:
        test = run.services.get("comms_test")
        p = spec.p_success_after_test if test is not None and test.done else spec.p_success
        info = RadioCall("agreed", p)
    else:
        info = RadioCall("guard", spec.p_guard)
    ok = run.streams["radio"].uniform() < info.p
    run.emit("radio_call", caller.side, caller.id, callee.id, info=info)
    if not ok:
        run.emit("radio_fail", caller.side, caller.id, callee.id, info=info)
        return
    yield run.env.timeout(spec.response_s)
    if not manoeuvrable(callee):
        return
    now = run.env.now
    if spec.manoeuvre == "altitude":
        route, dz = climb_away(
            callee, caller, now, spec.altitude_change_ft * FT, spec.floor_ft * FT, until_s
        )
        callee.manoeuvre(route, "radio", caller.id, dz_m=dz)
    else:
        route, turn = turn_away(callee, caller, now, spec.heading_offset_deg)
        callee.manoeuvre(route, "radio", caller.id, turn_deg=turn)


def figures(result: RunResult) -> dict[str, float]:
    """Radio calls made, and calls that got through."""
    kinds = [e.kind for e in result.events]
    calls = kinds.count("radio_call")
    return {"radio_calls": calls, "radio_success": calls - kinds.count("radio_fail")}


RADIO = Mechanism(
    name="radio",
    spec=RadioSpec,
    install=install,
    doc="air-to-air calls on the agreed frequencies when a conflict is predicted",
    after=("comms_test",),
    events=RADIO_EVENTS,
    figures=figures,
    table=(
        TableRow(
            "radio calls / answered",
            lambda s: (
                f"{s['protocol_effects']['radio_calls']} / {s['protocol_effects']['radio_success']}"
            ),
        ),
    ),
)
