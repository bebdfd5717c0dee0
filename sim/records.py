"""Flat, typed records a run produces, and the one recorder the engine writes them through."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.encounters import Category, Encounter, Leg

EVENT_KINDS = (
    "hotline_request",
    "hotline_answer",
    "hotline_end",
    "hotline_outage",
    "hotline_restored",
    "notification_sent",
    "notification_received",
    "notification_late",
    "notification_skipped",
    "reroute",
    "hold",
    "radio_call",
    "radio_fail",
    "manoeuvre",
    "zone_violation",
    "line_crossing",
    "comms_test",
    "controller_alert",
    "divert",
    "missile_launch",
)
"""The vocabulary of ``events.csv`` ``kind`` (documented in the README)."""


@dataclass(frozen=True, slots=True)
class Event:
    """One protocol event: a row of ``events.csv``."""

    t_s: float
    kind: str
    side: str
    aircraft_id: str = ""
    other_id: str = ""
    detail: str = ""


@dataclass(slots=True)
class FlightRecord:
    """One flight as flown: a row of ``flights.csv``."""

    id: str
    side: str
    type: str
    kind: str
    mission: str
    base: str
    target: str
    takeoff_s: float
    landing_s: float = float("nan")
    rerouted: bool = False
    held_s: float = 0.0
    manoeuvres: int = 0
    zone_violations: int = 0
    line_crossings: int = 0

    @property
    def flight_hours(self) -> float:
        return max(self.landing_s - self.takeoff_s, 0.0) / 3600.0


@dataclass(frozen=True, slots=True)
class RunResult:
    """Everything one run produced; metrics, writers and the replay read only this."""

    scenario: str
    protocol: str
    seed: int
    duration_h: float
    start_iso: str
    categories: tuple[Category, ...]
    flights: tuple[FlightRecord, ...]
    legs: tuple[tuple[str, Leg], ...]
    encounters: tuple[Encounter, ...]
    events: tuple[Event, ...]


@dataclass(slots=True)
class Recorder:
    """Collects events in the order they happen (SimPy time order, ties by creation)."""

    events: list[Event] = field(default_factory=list)

    def emit(
        self,
        t_s: float,
        kind: str,
        side: str,
        aircraft_id: str = "",
        other_id: str = "",
        detail: str = "",
    ) -> None:
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}")
        self.events.append(Event(float(t_s), kind, side, aircraft_id, other_id, detail))
