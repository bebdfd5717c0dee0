"""Flat, typed records a run produces, and the one recorder the engine writes them through."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.encounters import ENCOUNTER_COLUMNS, Category, Encounter, Leg
from sim.events import NO_INFO, Event, EventInfo, EventKind
from sim.units import H

if TYPE_CHECKING:
    import pandas as pd

    from sim.expected import ExpectedCounts
    from sim.timing import TimingCounts

FLIGHT_COLUMNS = (
    "id",
    "side",
    "type",
    "kind",
    "mission",
    "base",
    "target",
    "takeoff_s",
    "landing_s",
    "flight_hours",
    "formation",
    "rerouted",
    "held_s",
    "manoeuvres",
    "extra_s",
    "aim",
)
"""The columns of ``flights.csv`` every run has; the mechanisms' tallies follow them."""
EVENT_COLUMNS = ("t_s", "kind", "side", "aircraft_id", "other_id", "detail")
"""The columns of ``events.csv``."""


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
    formation: str = ""
    """The formation's lead (its own id for the lead); empty for a single aircraft."""
    rerouted: bool = False
    held_s: float = 0.0
    manoeuvres: int = 0
    tallies: dict[str, int] = field(default_factory=dict)
    """Counts the mechanisms declare as ``flights.csv`` columns (``zone_violations``, ...)."""
    planned_s: float = 0.0
    """Airborne time of the flight's plan as made (take-off to landing, before any change)."""
    extra_s: float = 0.0
    """Seconds of flight the protocol's changes (reroutes, manoeuvres, replans) added to the
    route ahead at the time of each change; negative when a change shortened it."""
    extra_by: dict[str, float] = field(default_factory=dict)
    """``extra_s`` by the mechanism (or manoeuvre rule) that made the change."""
    station_moved: bool = False
    station_reached: bool = False
    aim: str = ""
    """For a strike sortie (``STRIKE_MISSIONS``): ``reached`` (flew its planned station over
    the aim point), ``displaced`` (its station points were moved away), ``dropped`` (due on
    station within the run but never got there) or ``after_end`` (due after the run ended)."""

    @property
    def flight_hours(self) -> float:
        """Hours from take-off to landing (or to the end of the run)."""
        return max(self.landing_s - self.takeoff_s, 0.0) / H


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

    tally_columns: tuple[str, ...] = ()
    """The ``flights.csv`` columns the mechanisms count (see ``FlightRecord.tallies``)."""
    grounded: tuple[FlightRecord, ...] = ()
    """Aircraft held on the ground past the end of the run (never took off): not in
    ``flights``, not exposure, but part of what the protocol cost."""
    summary: dict[str, Any] | None = None
    """The content of ``summary.json``, when the run was summarised (``sim.run`` does)."""
    expected: ExpectedCounts | None = None
    expected_over_timing: TimingCounts | None = None
    """Expected encounters and collisions under the position-error model (None without one)."""
    sampled: bool = False
    """Whether position errors were drawn into the legs the detector saw (``sample = true``)."""

    @property
    def flight_columns(self) -> tuple[str, ...]:
        """The columns of ``flights.csv``."""
        return (*FLIGHT_COLUMNS, *self.tally_columns)

    def flight_rows(self) -> list[list[Any]]:
        """The rows of ``flights.csv``, in the order of ``flight_columns``."""
        return [
            [
                *(getattr(f, c) for c in FLIGHT_COLUMNS),
                *(f.tallies.get(c, 0) for c in self.tally_columns),
            ]
            for f in self.flights
        ]

    @property
    def flights_df(self) -> pd.DataFrame:
        """One row per flight: the columns of ``flights.csv``."""
        import pandas as pd

        return pd.DataFrame(self.flight_rows(), columns=list(self.flight_columns))

    @property
    def encounters_df(self) -> pd.DataFrame:
        """One row per encounter: the columns of ``encounters.csv`` plus ``x_m, y_m``."""
        return _frame((*ENCOUNTER_COLUMNS, "x_m", "y_m"), self.encounters)

    @property
    def events_df(self) -> pd.DataFrame:
        """One row per protocol event: the columns of ``events.csv``."""
        return _frame(EVENT_COLUMNS, self.events)

    def _repr_html_(self) -> str:
        """Encounters and rates as an HTML table, for notebooks."""
        import pandas as pd

        head = (
            f"<p><b>{self.scenario}</b>, protocol {self.protocol}, seed {self.seed}: "
            f"{len(self.flights)} flights, {len(self.encounters)} encounters</p>"
        )
        if self.summary is None:
            return head
        rates = pd.DataFrame(self.summary["rates_per_1000_fh"]).T
        return head + rates.to_html(float_format="%.2f")


def _frame(columns: tuple[str, ...], rows: tuple[object, ...]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame([[getattr(r, c) for c in columns] for r in rows], columns=list(columns))


class Recorder:
    """Collects events in the order they happen (SimPy time order, ties by creation).

    Only the kinds it was given are accepted, each with the info type its kind declares, so a
    misspelt kind or a wrong field fails where it is emitted, not in a figure downstream.
    """

    def __init__(self, kinds: Iterable[EventKind]) -> None:
        self.kinds = {k.name: k for k in kinds}
        self.events: list[Event] = []

    def emit(
        self,
        t_s: float,
        kind: str,
        side: str,
        aircraft_id: str = "",
        other_id: str = "",
        info: EventInfo = NO_INFO,
    ) -> None:
        """Log one event."""
        declared = self.kinds.get(kind)
        if declared is None:
            raise ValueError(f"unknown event kind {kind!r}")
        if not isinstance(info, declared.info):
            raise TypeError(
                f"{kind}: expected {declared.info.__name__} fields, got {type(info).__name__}"
            )
        self.events.append(Event(float(t_s), kind, side, aircraft_id, other_id, info))
