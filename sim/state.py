"""The state the processes of one run share, and the only ways to change a flight.

:class:`Run` holds the clock, the detector, the recorder, the random streams and the flights;
:class:`Flight` is one aircraft's state during the run. Mechanisms change a flight only
through :meth:`Flight.reroute`, :meth:`Flight.hold`, :meth:`Flight.manoeuvre` and, while
planning before anyone flies, :meth:`Flight.replan`; each of these logs what it did, and
records in the flight's :class:`~sim.records.FlightRecord` what it cost: the flight time it
added to the route ahead (``extra_s``, by mechanism) and whether it moved the station a strike
was to fly over its aim point (``aim``).
The engine (``sim.engine``) wires a run and flies the flights; it sits above this module, as
do the mechanisms (``sim.protocol``), so neither imports the other through here.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.causes import Interval
from sim.events import NO_INFO, EventInfo, EventKind
from sim.plans import STRIKE_MISSIONS, path_s, step_lengths
from sim.records import FlightRecord, Recorder

if TYPE_CHECKING:
    from collections.abc import Generator

    import simpy

    from sim.encounters import Detector, Leg
    from sim.plans import FlightPlan, Point
    from sim.protocol.spec import ProtocolBase
    from sim.streams import Streams
    from sim.uncertainty import ErrorModel

__all__ = ["CORE_EVENTS", "Flight", "Hold", "Manoeuvre", "Pilot", "Reroute", "Run"]

Pilot = Callable[["Flight", float], "tuple[Point, float] | None"]
"""Flies a flight leg by leg: given the flight and the time, the point to fly to next and how
long the leg takes (seconds), or ``None`` to hand the flight back to its route."""


@dataclass(frozen=True, slots=True)
class Reroute(EventInfo):
    """Why a flight was given a new route: the mechanism and what it keeps clear of."""

    by: str
    key: str


@dataclass(frozen=True, slots=True)
class Hold(EventInfo):
    """Why and until when a flight's take-off was delayed."""

    by: str
    key: str
    until_s: float


@dataclass(frozen=True, slots=True)
class Manoeuvre(EventInfo):
    """A manoeuvre away from another aircraft: the rule, and the climb or the turn."""

    rule: str
    dz_m: float | None = None
    turn_deg: float | None = None


CORE_EVENTS = (
    EventKind("reroute", Reroute, "a flight's route ahead is changed to keep clear", "rerouted"),
    EventKind("hold", Hold, "a flight's take-off is delayed", "holding"),
    EventKind("manoeuvre", Manoeuvre, "an aircraft climbs, descends or turns away", "manoeuvre"),
)
"""Event kinds of the run state itself (every mechanism may cause them)."""


@dataclass(eq=False)
class Flight:
    """A flight's state during the run: its plan, the waypoints still ahead, where it is."""

    run: Run
    plan: FlightPlan
    depart_s: float
    route: list[Point]
    """Waypoints still to fly; before departure the first one is the take-off point."""
    record: FlightRecord
    position: Point | None = None
    leg: Leg | None = None
    process: simpy.Process | None = None
    pilot: Pilot | None = None
    """While set, it chooses each leg (a pursuit); the route ahead waits until it lets go."""
    version: int = 0
    """Counts the changes to the plan ahead (reroutes, manoeuvres, pursuits): a prediction
    made from the plan holds while the version it was made with does."""
    legs_started: int = 0
    """Legs begun so far (numbers the position-error draws of each leg)."""
    leg_index: int = -1
    """Where its current leg is in ``run.legs`` (-1 before the first)."""
    station: frozenset[tuple[float, float]] = field(init=False, repr=False)
    """Where the planned station points are (ground positions), to tell when one is moved."""
    station_due_s: float = field(init=False, repr=False)
    """When the plan as made reaches its station."""
    id: str = field(init=False, repr=False)
    """The id of the flight (its plan's)."""
    side: str = field(init=False, repr=False)
    """The side the flight belongs to (its plan's)."""

    def __post_init__(self) -> None:
        self.id = self.plan.id
        self.side = self.plan.side
        i, j = self.plan.station
        pts = self.plan.points
        self.station = frozenset((p[0], p[1]) for p in pts[i:j])
        steps = step_lengths(pts)  # measured once for both sums (each as path_s sums it)
        speed = self.plan.speed_mps
        self.station_due_s = self.plan.depart_s + path_s(pts[: i + 1], speed, steps[:i])
        self.record.planned_s = path_s(pts, speed, steps)

    @property
    def unit(self) -> str:
        """The formation it flies in (its lead's id), or its own id when it flies alone."""
        return self.plan.formation or self.plan.id

    @property
    def airborne(self) -> bool:
        """Whether it has taken off and not yet landed."""
        r = self.record
        return r.takeoff_s == r.takeoff_s and r.landing_s != r.landing_s  # NaN: not yet

    @property
    def landed(self) -> bool:
        """Whether it has landed (or ended)."""
        return not math.isnan(self.record.landing_s)

    def where(self, t_s: float) -> Point:
        """Position now: on the current leg if airborne, else the take-off point."""
        if self.leg is not None and self.airborne:
            return self.leg.position_at(t_s)
        return self.position if self.position is not None else self.route[0]

    # -- the ways to change a flight ---------------------------------------------------------

    def replan(self, points: Sequence[Point], by: str = "planning") -> None:
        """Before take-off: replace the planned waypoints (a planning choice; nothing logged
        but its cost, charged to ``by``).
        """
        if self.airborne or self.landed:
            raise RuntimeError(f"{self.id}: replan is for flights not yet flying")
        self._account(list(points), by)
        self.route = list(points)

    def reroute(self, ahead: Sequence[Point], by: str, key: str, t_s: float | None = None) -> None:
        """Give the flight a new route ahead: now if airborne, else from take-off on."""
        self.record.rerouted = True
        self.run.emit("reroute", self.side, self.id, info=Reroute(by, key), t_s=t_s)
        if self.airborne:
            self._account([self.where(self.run.env.now), *ahead], by)
            self._turn(list(ahead))
        else:
            self._account([self.route[0], *ahead], by)
            self.route = [self.route[0], *ahead]

    def hold(self, until_s: float, by: str, key: str) -> None:
        """Delay take-off until ``until_s`` (nothing happens if it departs later anyway)."""
        if until_s <= self.depart_s:
            return
        self.run.emit("hold", self.side, self.id, info=Hold(by, key, until_s))
        self.depart_s = until_s
        self._wake()

    def manoeuvre(
        self,
        ahead: Sequence[Point],
        rule: str,
        other_id: str,
        dz_m: float | None = None,
        turn_deg: float | None = None,
    ) -> None:
        """Fly ``ahead`` now, away from ``other_id`` under ``rule``."""
        self.record.manoeuvres += 1
        info = Manoeuvre(rule, dz_m, turn_deg)
        self.run.emit("manoeuvre", self.side, self.id, other_id, info=info)
        self._account([self.where(self.run.env.now), *ahead], rule)
        self._turn(list(ahead))

    def pursue(self, pilot: Pilot) -> None:
        """From now on fly the legs ``pilot`` chooses, until it returns ``None``.

        Nothing is logged here: the mechanism that gives chase logs its start and its end. The
        route ahead is kept and flown again once the pilot lets go.
        """
        self.pilot = pilot
        self.version += 1
        if self.airborne:
            self._wake()

    def next_leg(self, now: float) -> tuple[Point, float | None] | None:
        """Where to fly next and in how long (``None``: at the plan's speed), or ``None`` when
        there is nowhere left to go (the flight lands).
        """
        if self.pilot is not None:
            step = self.pilot(self, now)
            if step is not None:
                return step
            self.pilot = None
            self.version += 1
        return (self.route[0], None) if self.route else None

    def arrive(self, dest: Point) -> Point:
        """The leg to ``dest`` is flown (the engine calls this): when ``dest`` is the next
        waypoint of the route (not a pilot's point), that waypoint is done.
        """
        self.position = dest
        if self.route and self.route[0] is dest:
            self.route.pop(0)
            if (dest[0], dest[1]) in self.station:
                self.record.station_reached = True
        return self.position

    def settle_aim(self, end_s: float) -> None:
        """At the end of the run, say what became of a strike sortie's aim point."""
        if self.plan.mission not in STRIKE_MISSIONS or self.plan.kind == "missile":
            return
        r = self.record
        if r.station_moved:
            r.aim = "displaced"
        elif r.station_reached:
            r.aim = "reached"
        else:
            r.aim = "dropped" if self.station_due_s < end_s else "after_end"

    def _account(self, new: list[Point], by: str) -> None:
        """Record what replacing the path ahead (from where the flight is, or its take-off
        point) with ``new`` costs: flight time added, and station points moved away.
        """
        here = new[0]
        old = [here, *self.route] if self.airborne else list(self.route)
        added = path_s(new, self.plan.speed_mps) - path_s(old, self.plan.speed_mps)
        self.record.extra_s += added
        self.record.extra_by[by] = self.record.extra_by.get(by, 0.0) + added
        station = self.station
        if not station:
            return
        missing = {q for p in old[1:] if (q := (p[0], p[1])) in station}
        for p in new:  # station points ahead that the new path keeps
            if not missing:
                return
            missing.discard((p[0], p[1]))
        if missing:
            self.record.station_moved = True

    def _turn(self, ahead: list[Point]) -> None:
        """Replace the waypoints ahead and wake the flight so it turns now."""
        self.route = ahead
        self.version += 1
        self._wake()

    def _wake(self) -> None:
        if self.process is not None and self.process.is_alive:
            self.process.interrupt("plan changed")


@dataclass(eq=False)
class Run:
    """What the processes of one run share: the clock, the detector, the recorder, the streams.

    ``services`` holds what one mechanism offers others (a hotline, the conflict watch), by
    name; ``on_leg`` the hooks called when a flight starts a leg. ``position_error``, when
    set, shifts each leg the detector sees by a drawn error (the flights, and so every
    mechanism, keep the planned leg).
    """

    env: simpy.Environment
    protocol: ProtocolBase
    detector: Detector
    recorder: Recorder
    streams: Streams
    flights: dict[str, Flight] = field(default_factory=dict)
    in_air: dict[str, Flight] = field(default_factory=dict)
    legs: list[tuple[str, Leg]] = field(default_factory=list)
    on_leg: list[Callable[[Flight], None]] = field(default_factory=list)
    services: dict[str, Any] = field(default_factory=dict)
    intervals: list[Interval] = field(default_factory=list)
    """Pairs brought together on purpose, and when (the causes of their encounters)."""
    engaged: set[tuple[str, str]] = field(default_factory=set)
    """Pairs (sorted ids) one of which is intercepting or shadowing the other right now."""
    fly: Callable[[Run, Flight], Generator[simpy.Event, object, None]] | None = None
    """How a flight flies (the engine's process), for flights launched during the run."""
    position_error: ErrorModel | None = None
    leg_offsets: list[tuple[float, float, float]] = field(default_factory=list)
    """With ``position_error``: the drawn displacement of each leg of ``legs``, in order."""
    _in_air_ids: dict[str | None, list[str]] = field(default_factory=dict, repr=False)
    """The ids of ``in_air`` in order: all of them (key None), and by side."""

    def add_flight(self, plan: FlightPlan) -> Flight:
        """Register a planned flight (not yet flying)."""
        record = FlightRecord(
            plan.id,
            plan.side,
            plan.type,
            plan.kind,
            plan.mission,
            plan.base,
            plan.target,
            takeoff_s=math.nan,
            formation=plan.formation,
        )
        flight = Flight(self, plan, plan.depart_s, list(plan.points), record)
        self.flights[plan.id] = flight
        return flight

    def launch(self, plan: FlightPlan) -> Flight:
        """Add a flight during the run (an alert launch) and start flying it."""
        if plan.id in self.flights:
            raise ValueError(f"flight id {plan.id!r} is taken")
        if self.fly is None:
            raise RuntimeError("this run cannot launch flights (no engine attached)")
        flight = self.add_flight(plan)
        flight.process = self.env.process(self.fly(self, flight))
        return flight

    def take_off(self, flight: Flight) -> None:
        """The flight is in the air from now on (``in_air``; the engine calls this)."""
        self.in_air[flight.id] = flight
        for key in (None, flight.side):
            bisect.insort(self._in_air_ids.setdefault(key, []), flight.id)

    def touch_down(self, flight: Flight) -> None:
        """The flight is no longer in the air (the engine calls this)."""
        del self.in_air[flight.id]
        for key in (None, flight.side):
            ids = self._in_air_ids[key]
            del ids[bisect.bisect_left(ids, flight.id)]

    def airborne(self, side: str | None = None) -> list[Flight]:
        """Flights in the air now (of one side), in id order."""
        in_air = self.in_air
        return [in_air[i] for i in self._in_air_ids.get(side, ())]

    def emit(
        self,
        kind: str,
        side: str,
        aircraft_id: str = "",
        other_id: str = "",
        info: EventInfo = NO_INFO,
        t_s: float | None = None,
    ) -> None:
        """Log an event now (or at ``t_s``)."""
        t = self.env.now if t_s is None else t_s
        self.recorder.emit(t, kind, side, aircraft_id, other_id, info)
