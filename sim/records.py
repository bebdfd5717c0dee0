"""Flat, typed records a run produces, and the one recorder the engine writes them through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.encounters import Category, Encounter, Leg

if TYPE_CHECKING:
    import pandas as pd

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

    @property
    def summary(self) -> dict[str, Any]:
        """The content of ``summary.json`` (without ``wall_s``, which the caller measures)."""
        from sim.metrics import summarize

        return summarize(self)

    @property
    def flights_df(self) -> pd.DataFrame:
        """One row per flight: the columns of ``flights.csv``."""
        from sim.output import FLIGHT_COLUMNS

        return _frame(FLIGHT_COLUMNS, self.flights)

    @property
    def encounters_df(self) -> pd.DataFrame:
        """One row per encounter: the columns of ``encounters.csv`` plus ``x_m, y_m``."""
        from sim.encounters import ENCOUNTER_COLUMNS

        return _frame((*ENCOUNTER_COLUMNS, "x_m", "y_m"), self.encounters)

    @property
    def events_df(self) -> pd.DataFrame:
        """One row per protocol event: the columns of ``events.csv``."""
        return _frame(("t_s", "kind", "side", "aircraft_id", "other_id", "detail"), self.events)

    def _repr_html_(self) -> str:
        """Encounters and rates as an HTML table, for notebooks."""
        import pandas as pd

        rates = pd.DataFrame(self.summary["rates_per_1000_fh"]).T
        head = (
            f"<p><b>{self.scenario}</b>, protocol {self.protocol}, seed {self.seed}: "
            f"{len(self.flights)} flights, {len(self.encounters)} encounters</p>"
        )
        return head + rates.to_html(float_format="%.2f")


def _frame(columns: tuple[str, ...], rows: tuple[object, ...]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame([[getattr(r, c) for c in columns] for r in rows], columns=list(columns))


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
