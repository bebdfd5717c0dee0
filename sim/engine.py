"""Wires one run together on a ``simpy.Environment`` and returns a :class:`RunResult`.

A run is a pure function of (scenario, seed): random numbers come from one
``SeedSequence(seed)`` with a named generator per concern, nothing reads the clock or files.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim import geo, protocol
from sim.encounters import DEFAULT_CATEGORIES, Category, Detector, Leg
from sim.records import FlightRecord, Recorder, RunResult
from sim.scenario import Scenario
from sim.traffic import FlightPlan, Point, plan_flights
from sim.units import FT

STREAMS = ("traffic", "hotline", "notification", "compliance", "radio", "line", "ceasefire_hotline")
"""Named random streams, spawned in this order from ``SeedSequence(seed)``: never reorder."""

PROGRESS_STEPS = 48


def rng_streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per concern, so a change in one never shifts another."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(s) for name, s in zip(STREAMS, children, strict=True)}


def categories_of(scenario: Scenario) -> tuple[Category, ...]:
    """The scenario's encounter cylinders (defaults unless ``[encounters]`` replaces them)."""
    spec = scenario.encounters.categories
    if spec is None:
        return DEFAULT_CATEGORIES
    return tuple(Category(c.name, c.radius_ft * FT, c.half_height_ft * FT) for c in spec)


@dataclass
class Flight:
    """A flight's state during the run: its plan, the waypoints still ahead, where it is."""

    plan: FlightPlan
    depart_s: float
    route: list[Point]
    """Waypoints still to fly; before departure the first one is the take-off point."""
    record: FlightRecord
    position: Point | None = None
    leg: Leg | None = None
    process: simpy.Process | None = None

    @property
    def airborne(self) -> bool:
        return not math.isnan(self.record.takeoff_s) and math.isnan(self.record.landing_s)

    @property
    def landed(self) -> bool:
        return not math.isnan(self.record.landing_s)

    def where(self, t_s: float) -> Point:
        """Position now: on the current leg if airborne, else the take-off point."""
        if self.leg is not None and self.airborne:
            return self.leg.position_at(t_s)
        return self.position if self.position is not None else self.route[0]

    @property
    def id(self) -> str:
        return self.plan.id

    @property
    def side(self) -> str:
        return self.plan.side

    def change_route(self, route: list[Point]) -> None:
        """Replace the waypoints ahead and wake the flight so it turns now (or departs on time)."""
        self.route = route
        if self.process is not None and self.process.is_alive:
            self.process.interrupt("route")


@dataclass
class Run:
    """What the processes of one run share: the clock, the detector, the recorder, the streams."""

    env: simpy.Environment
    scenario: Scenario
    detector: Detector
    recorder: Recorder
    rng: dict[str, np.random.Generator]
    flights: dict[str, Flight] = field(default_factory=dict)
    in_air: dict[str, Flight] = field(default_factory=dict)
    legs: list[tuple[str, Leg]] = field(default_factory=list)
    on_leg: list[Callable[[Flight], None]] = field(default_factory=list)
    """Hooks called when a flight starts a leg (protocol look-ahead plugs in here)."""

    def airborne(self, side: str | None = None) -> list[Flight]:
        """Flights in the air now (of one side), in id order."""
        return [f for _, f in sorted(self.in_air.items()) if side is None or f.side == side]


def simulate(
    scenario: Scenario, seed: int | None = None, progress: Callable[[float], None] | None = None
) -> RunResult:
    """Fly one day of the scenario with the given seed (the scenario's own seed if None).

    ``progress``, if given, is called with the fraction of simulated time done (for a bar).

    Examples
    --------
    >>> from sim.scenario import load
    >>> result = simulate(load("scenarios/two-jets.toml"), seed=1)
    >>> [e.category for e in result.encounters]
    ['near_miss']
    """
    seed = scenario.seed if seed is None else seed
    rng = rng_streams(seed)
    plans = plan_flights(scenario, rng["traffic"])
    env = simpy.Environment()
    detector = Detector(categories_of(scenario), scenario.encounters.pairs, to_latlon=_latlon)
    run = Run(env, scenario, detector, Recorder(), rng)
    for plan in plans:
        record = FlightRecord(
            plan.id,
            plan.side,
            plan.type,
            plan.kind,
            plan.mission,
            plan.base,
            plan.target,
            takeoff_s=math.nan,
        )
        run.flights[plan.id] = Flight(plan, plan.depart_s, list(plan.points), record)
    protocol.install(run)  # the rules react to plans before anyone flies
    for plan in plans:
        flight = run.flights[plan.id]
        flight.process = env.process(fly(run, flight))
    for k in range(1, PROGRESS_STEPS + 1):
        env.run(until=scenario.duration_s * k / PROGRESS_STEPS)
        if progress is not None:
            progress(k / PROGRESS_STEPS)
    for flight in run.airborne():
        land(run, flight)
    encounters = detector.finish()
    return RunResult(
        scenario=scenario.name,
        protocol=scenario.protocol.name,
        seed=seed,
        duration_h=scenario.duration_h,
        start_iso=scenario.start.isoformat(),
        categories=detector.categories,
        flights=tuple(
            sorted(
                (f.record for f in run.flights.values() if not math.isnan(f.record.takeoff_s)),
                key=lambda r: (r.takeoff_s, r.id),
            )
        ),
        legs=tuple(run.legs),
        encounters=tuple(encounters),
        events=tuple(sorted(run.recorder.events, key=lambda e: e.t_s)),
    )


def _latlon(x: float, y: float) -> tuple[float, float]:
    lat, lon = geo.to_latlon(x, y)
    return float(lat), float(lon)


def fly(run: Run, flight: Flight) -> Generator[simpy.Event, object, None]:
    """One flight: wait for its departure (which a hold may move), fly each straight leg, land."""
    env, plan = run.env, flight.plan
    while env.now < flight.depart_s:
        # A hold or a reroute before take-off interrupts the wait: wait for the new time.
        with contextlib.suppress(simpy.Interrupt):
            yield env.timeout(flight.depart_s - env.now)
    flight.record.takeoff_s = env.now
    flight.record.held_s = env.now - plan.depart_s
    flight.position = flight.route.pop(0)
    run.in_air[flight.id] = flight
    while flight.route:
        leg = start_leg(run, flight, flight.route[0])
        try:
            yield env.timeout(leg.duration_s)
            flight.position = flight.route.pop(0)
        except simpy.Interrupt:
            # The route ahead was replaced: carry on from where the aircraft is now.
            flight.position = leg.position_at(env.now)
            run.legs[_last_leg_index(run, plan.id)] = (plan.id, _cut(leg, env.now))
    land(run, flight)


def start_leg(run: Run, flight: Flight, dest: Point) -> Leg:
    """Begin a straight leg from the current position to ``dest`` and hand it to the detector."""
    t0 = run.env.now
    assert flight.position is not None
    x0, y0, z0 = flight.position
    dist = math.hypot(dest[0] - x0, dest[1] - y0)
    leg = Leg(t0, t0 + dist / flight.plan.speed_mps, x0, y0, z0, *dest)
    flight.leg = leg
    run.detector.add_leg(flight.id, flight.side, leg)
    run.legs.append((flight.id, leg))
    for hook in run.on_leg:
        hook(flight)
    return leg


def land(run: Run, flight: Flight) -> None:
    """The flight ends now (landing, impact, or the end of the simulated day)."""
    if not flight.airborne:
        return
    now = run.env.now
    flight.record.landing_s = now
    del run.in_air[flight.id]
    run.detector.end_flight(flight.id, now)
    if flight.leg is not None and flight.leg.t1_s > now:
        run.legs[_last_leg_index(run, flight.id)] = (flight.id, _cut(flight.leg, now))


def _last_leg_index(run: Run, fid: str) -> int:
    for i in range(len(run.legs) - 1, -1, -1):
        if run.legs[i][0] == fid:
            return i
    raise KeyError(fid)


def _cut(leg: Leg, t_s: float) -> Leg:
    x, y, z = leg.position_at(t_s)
    return Leg(leg.t0_s, t_s, leg.x0_m, leg.y0_m, leg.z0_m, x, y, z)
