"""Wires one run together on a ``simpy.Environment`` and returns a :class:`RunResult`.

A run is a pure function of (scenario, seed): random numbers come from streams keyed by name
(``sim.streams``), nothing reads the clock or files. Traffic is planned from its own stream
first, so every protocol sees the same traffic; then the protocol's mechanisms are installed
(``sim.protocol.registry``), and every flight flies as a SimPy process of straight legs.
"""

from __future__ import annotations

import contextlib
import gc
import math
from collections import Counter
from collections.abc import Callable, Generator, Iterator

import simpy

from sim import causes, geo
from sim.encounters import DEFAULT_CATEGORIES, Category, Detector, Leg
from sim.events import Event
from sim.expected import ExpectedCounts, expected_counts, with_p_nmac
from sim.plans import Point
from sim.protocol import registry
from sim.protocol.mechanism import FlightTally
from sim.records import FlightRecord, Recorder, RunResult
from sim.scenario import Scenario
from sim.sorties import units_of, whole_paths
from sim.state import Flight, Run
from sim.streams import Streams
from sim.timing import STREAM as TIMING_STREAM
from sim.timing import TimingCounts, expected_over_timing
from sim.traffic import plan_flights
from sim.uncertainty import ErrorModel, shifted
from sim.units import FT

PROGRESS_STEPS = 48


def categories_of(scenario: Scenario) -> tuple[Category, ...]:
    """The scenario's encounter cylinders (defaults unless ``[encounters]`` replaces them)."""
    spec = scenario.encounters.categories
    if spec is None:
        return DEFAULT_CATEGORIES
    return tuple(Category(c.name, c.radius_ft * FT, c.half_height_ft * FT) for c in spec)


def error_model_of(scenario: Scenario) -> ErrorModel:
    """The scenario's position-error model (``[uncertainty]``)."""
    u = scenario.uncertainty
    return ErrorModel(u.lateral_sd_nm, u.along_track_sd_s, u.vertical_sd_ft, u.sample)


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
    with _heap_settled():
        return _simulate(scenario, scenario.seed if seed is None else seed, progress)


@contextlib.contextmanager
def _heap_settled() -> Iterator[None]:
    """Keep the objects that exist before a run out of the collector's passes during it.

    They are not the run's garbage, yet a full pass visits every one of them (a process with
    Shapely, pandas and the geometry caches loaded holds over 100,000), about a tenth of a short
    run on average; ``gc.freeze`` sets them aside until the run ends. Nothing a run computes
    depends on when the collector runs. A process that froze objects itself is left alone.
    """
    if not gc.isenabled() or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _simulate(scenario: Scenario, seed: int, progress: Callable[[float], None] | None) -> RunResult:
    """:func:`simulate` with the seed settled."""
    streams = Streams(seed)
    plans = plan_flights(scenario, streams["traffic"])
    env = simpy.Environment()
    detector = Detector(categories_of(scenario), scenario.encounters.pairs, to_latlon=_latlon)
    recorder = Recorder(registry.event_kinds().values())
    run = Run(env, scenario.protocol, detector, recorder, streams, fly=fly)
    errors = error_model_of(scenario)
    if errors.sample:
        run.position_error = errors
    for plan in plans:
        run.add_flight(plan)
    registry.install(run)  # the rules react to plans before anyone flies
    for plan in plans:
        flight = run.flights[plan.id]
        flight.process = env.process(fly(run, flight))
    for k in range(1, PROGRESS_STEPS + 1):
        env.run(until=scenario.duration_s * k / PROGRESS_STEPS)
        if progress is not None:
            progress(k / PROGRESS_STEPS)
    for flight in run.airborne():
        land(run, flight)
    formation_of = {f.id: f.plan.formation for f in run.flights.values()}
    encounters = causes.label(detector.finish(), run.intervals, formation_of)
    expected = _expected(run, detector, errors, scenario.encounters.pairs)
    if expected is not None:
        encounters = with_p_nmac(encounters, expected)
    over_timing = _over_timing(run, scenario, errors) if expected is not None else None
    events = tuple(sorted(run.recorder.events, key=lambda e: e.t_s))
    tallies = registry.flight_tallies()
    for flight in run.flights.values():
        flight.settle_aim(scenario.duration_s)
    records = [f.record for f in run.flights.values() if not math.isnan(f.record.takeoff_s)]
    grounded = [f for f in run.flights.values() if math.isnan(f.record.takeoff_s)]
    for f in grounded:  # held past the end: held for the rest of the run
        f.record.held_s = max(scenario.duration_s - f.plan.depart_s, 0.0)
    _count_tallies(records, events, tallies)
    return RunResult(
        scenario=scenario.name,
        protocol=scenario.protocol.name,
        seed=seed,
        duration_h=scenario.duration_h,
        start_iso=scenario.start.isoformat(),
        categories=detector.categories,
        flights=tuple(sorted(records, key=lambda r: (r.takeoff_s, r.id))),
        legs=tuple(_flown(run)),
        encounters=tuple(encounters),
        events=events,
        tally_columns=tuple(t.column for t in tallies),
        expected=expected,
        expected_over_timing=over_timing,
        sampled=errors.sample,
        grounded=tuple(sorted((f.record for f in grounded), key=lambda r: r.id)),
    )


def _flown(run: Run) -> list[tuple[str, Leg]]:
    """The legs as the detector saw them: planned, or shifted by their drawn errors."""
    if run.position_error is None:
        return run.legs
    return [(a, shifted(g, o)) for (a, g), o in zip(run.legs, run.leg_offsets, strict=True)]


def _expected(
    run: Run, detector: Detector, errors: ErrorModel, pairs: str
) -> ExpectedCounts | None:
    """Expected counts from the planned legs, if any aircraft carries a position error."""
    aircraft = {f.id: (f.side, f.plan.type) for f in run.flights.values()}
    flown = {aid for aid, _ in run.legs}
    if not errors.active({aircraft[a][1] for a in flown}):
        return None
    return expected_counts(run.legs, aircraft, detector.categories, pairs, errors)


def _over_timing(run: Run, scenario: Scenario, errors: ErrorModel) -> TimingCounts | None:
    """Expected counts averaged over ``uncertainty.timing_draws`` re-timings (if asked for);
    exact when no mechanism is on (no path then depends on the timing flown).
    """
    draws = scenario.uncertainty.timing_draws
    if draws == 0:
        return None
    flights = list(run.flights.values())
    return expected_over_timing(
        whole_paths(run.legs, flights),
        units_of(scenario, {f.id: f.plan.depart_s for f in flights}),
        {f.id: (f.side, f.plan.type) for f in flights},
        run.detector.categories,
        scenario.encounters.pairs,
        errors,
        draws,
        run.streams[TIMING_STREAM],
        scenario.duration_s,
        exact=not registry.enabled(run.protocol),
    )


def _count_tallies(
    records: list[FlightRecord], events: tuple[Event, ...], tallies: tuple[FlightTally, ...]
) -> None:
    """Fill each flight's tallies: the events of each declared kind that concern it."""
    counts = Counter((e.kind, e.aircraft_id) for e in events)
    for r in records:
        r.tallies = {t.column: counts[(t.kind, r.id)] for t in tallies}


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
    run.take_off(flight)
    while (step := flight.next_leg(env.now)) is not None:
        dest, duration_s = step
        leg = start_leg(run, flight, dest, duration_s)
        try:
            yield env.timeout(leg.duration_s)
            flight.arrive(dest)
        except simpy.Interrupt:
            # The route ahead was replaced: carry on from where the aircraft is now.
            flight.position = leg.position_at(env.now)
            run.legs[flight.leg_index] = (plan.id, _cut(leg, env.now))
    land(run, flight)


def start_leg(run: Run, flight: Flight, dest: Point, duration_s: float | None = None) -> Leg:
    """Begin a straight leg from the current position to ``dest`` (at the plan's speed unless
    ``duration_s`` is given) and hand it to the detector.
    """
    t0 = run.env.now
    assert flight.position is not None
    x0, y0, z0 = flight.position
    plan = flight.plan
    if duration_s is None:
        duration_s = math.hypot(dest[0] - x0, dest[1] - y0) / plan.speed_mps
    leg = Leg(t0, t0 + duration_s, x0, y0, z0, *dest)
    flight.leg = leg
    errors = run.position_error
    seen = leg
    if errors is not None:
        offset = errors.offset(run.streams, flight.id, plan.type, flight.legs_started, leg)
        run.leg_offsets.append(offset)
        seen = shifted(leg, offset)
    flight.legs_started += 1
    run.detector.add_leg(flight.id, flight.side, seen)
    flight.leg_index = len(run.legs)
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
    run.touch_down(flight)
    run.detector.end_flight(flight.id, now)
    if flight.leg is not None and flight.leg.t1_s > now:
        run.legs[flight.leg_index] = (flight.id, _cut(flight.leg, now))


def _cut(leg: Leg, t_s: float) -> Leg:
    x, y, z = leg.position_at(t_s)
    return Leg(leg.t0_s, t_s, leg.x0_m, leg.y0_m, leg.z0_m, x, y, z)
