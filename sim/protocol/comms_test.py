"""The scheduled air-to-air communications test (3 November 2015, about three minutes).

A planned test between US and Russian pilots in south-central Syria, so that the first use of
the agreed frequencies would not be an unplanned encounter. After it, radio calls on the agreed
frequencies succeed with ``radio.p_success_after_test`` instead of ``radio.p_success``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import simpy
from pydantic import Field

from sim.events import Event, EventInfo, EventKind
from sim.protocol.mechanism import Mechanism
from sim.protocol.spec import MechanismSpec, ProtocolBase, Provenance
from sim.units import MIN, H

if TYPE_CHECKING:
    from sim.state import Run

__all__ = ["COMMS_TEST", "CommsTestSpec", "CommsTestPhase", "CommsTestState"]


class CommsTestSpec(MechanismSpec):
    """The scheduled air-to-air communications test (3 November 2015, ~3 minutes)."""

    provenance: Provenance = "reported practice"
    at_h: float = Field(0.0, ge=0, description="hours after the scenario start")
    duration_min: float = Field(3.0, gt=0)
    place: str = "Palmyra"


@dataclass(frozen=True, slots=True)
class CommsTestPhase(EventInfo):
    """The test starts or ends, at ``place``."""

    phase: Literal["start", "end"]
    place: str


@dataclass
class CommsTestState:
    """Whether the test is over (radio calls read it)."""

    done: bool = False


def install(run: Run, spec: CommsTestSpec) -> None:
    """Schedule the test; offer its state to the radio as the ``comms_test`` service."""
    state = run.services["comms_test"] = CommsTestState()
    run.env.process(_test(run, spec, state))


def _test(
    run: Run, spec: CommsTestSpec, state: CommsTestState
) -> Generator[simpy.Event, object, None]:
    yield run.env.timeout(spec.at_h * H)
    run.emit("comms_test", "both", info=CommsTestPhase("start", spec.place))
    yield run.env.timeout(spec.duration_min * MIN)
    state.done = True
    run.emit("comms_test", "both", info=CommsTestPhase("end", spec.place))


def _phrase(e: Event) -> str:
    ended = isinstance(e.info, CommsTestPhase) and e.info.phase == "end"
    return "air-to-air comms test " + ("ends" if ended else "begins")


def check(spec: CommsTestSpec, protocol: ProtocolBase) -> list[str]:
    """The test's place must be a known place."""
    from sim import places

    if not spec.enabled:
        return []
    try:
        places.find_place(spec.place)
    except LookupError as exc:
        return [f"comms_test.place: {exc}"]
    return []


COMMS_TEST = Mechanism(
    name="comms_test",
    spec=CommsTestSpec,
    install=install,
    doc="the scheduled air-to-air communications test; radio calls succeed more after it",
    events=(
        EventKind("comms_test", CommsTestPhase, "the air-to-air communications test", _phrase),
    ),
    check=check,
)
