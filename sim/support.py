"""How a sortie gets to its work and back: its corridor, and air-to-air refuelling.

A stream's sorties fly the corridor of their base (``sim.corridors``) unless the stream names
another (or ``"direct"``). A sortie of a type that refuels in the air (``aar_endurance_h`` in
``aircraft.toml``) refuels at a tanker track of its side when the stream asks for it
(``refuel = true``) or, by default, when one tank of fuel would leave it less time on station
than it was tasked for and its side flies tankers in the scenario. The tanker tracks are the
targets of the side's ``tanker`` streams (stand-off orbits, e.g. over western Iraq). A refuelled
sortie flies through the track on the way out and on the way home, and its time aloft is
limited by ``aar_endurance_h`` instead of ``endurance_h``. Modelling choices: the tanker is
assumed to be on its track when needed (the scenario's tanker tempo is what keeps it there),
and the minutes on the boom are not modelled apart from the detour.

Examples
--------
>>> from sim.scenario import load
>>> s = load("scenarios/dec-2017.toml")
>>> raptors = next(st for st in s.traffic.sorties if st.type == "F-22")
>>> plan = plan_support(raptors, s)
>>> [round(c / 1000) for c in plan.tracks[0]]
[352, -126]
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from sim import aircraft, corridors, places
from sim.scenario import Scenario, SortieStream
from sim.units import MIN

__all__ = [
    "Approach",
    "SupportPlan",
    "approach",
    "find_place",
    "place_xy",
    "plan_support",
    "tanker_tracks",
]

Point2 = tuple[float, float]


@dataclass(frozen=True)
class SupportPlan:
    """What a stream's sorties can use: its corridor waypoints and its side's tanker tracks."""

    via: tuple[Point2, ...]
    """Corridor waypoints from the base towards Syria (empty: straight from the base)."""
    tracks: tuple[Point2, ...]
    """The side's tanker tracks (empty: no tankers, or a type that does not refuel)."""
    refuel: bool | None
    endurance_s: float
    aar_endurance_s: float | None


@dataclass(frozen=True)
class Approach:
    """One sortie's way out and home, and the time aloft it may spend."""

    out: tuple[Point2, ...]
    """Waypoints between the base and the aim point, in flying order."""
    home: tuple[Point2, ...]
    """Waypoints between the aim point and the base, in flying order."""
    endurance_s: float
    refuelled: bool


@functools.cache
def find_place(name: str) -> places.Place:
    """:func:`sim.places.find_place`, looked up once per name (places are read once)."""
    return places.find_place(name)


@functools.cache
def place_xy(place: places.Place) -> Point2:
    """A place's position in the plane (``place.xy``), projected once per place."""
    return place.xy


def tanker_tracks(scenario: Scenario, side: str) -> tuple[Point2, ...]:
    """The targets of the side's tanker streams, in the plane (each place once)."""
    names: list[str] = []
    for st in scenario.traffic.sorties:
        if st.side == side and st.mission == "tanker":
            names += [find_place(t).name for t in st.targets]
    return tuple(place_xy(find_place(n)) for n in dict.fromkeys(names))


def stream_corridor(stream: SortieStream) -> corridors.Corridor | None:
    """The corridor a stream flies: the one it names, else its base's (for its side)."""
    if stream.corridor is not None:
        return corridors.find_corridor(stream.corridor)
    c = corridors.corridor_for_base(find_place(stream.base).name)
    return c if c is not None and c.side in ("any", stream.side) else None


def plan_support(stream: SortieStream, scenario: Scenario) -> SupportPlan:
    """The corridor and tanker tracks a stream's sorties may use."""
    t = aircraft.find_type(stream.type)
    base = place_xy(find_place(stream.base))
    via = tuple(corridors.route_in(stream_corridor(stream), base))
    can = t.aar_endurance_s is not None and stream.refuel is not False
    tracks = tanker_tracks(scenario, stream.side) if can and stream.mission != "tanker" else ()
    return SupportPlan(via, tracks, stream.refuel, t.endurance_s, t.aar_endurance_s)


def _length(points: list[Point2]) -> float:
    return sum(math.dist(a, b) for a, b in zip(points, points[1:], strict=False))


def approach(
    plan: SupportPlan, base: Point2, aim: Point2, speed_mps: float, station_min: float
) -> Approach:
    """The way out and home of one sortie: by the corridor, through a tanker track if needed.

    Without refuelling, the transit is base -> corridor -> aim and back; a sortie refuels when
    the stream says so, or when its side has a tanker track and one tank of fuel would leave
    it less than ``station_min`` on station. The track used is the one that adds least to the
    way out.

    Examples
    --------
    >>> plan = SupportPlan((), ((500e3, 0.0),), None, 3600.0, 4 * 3600.0)
    >>> a = approach(plan, (1000e3, 0.0), (0.0, 0.0), 250.0, 60.0)
    >>> a.refuelled, a.out, a.endurance_s
    (True, ((500000.0, 0.0),), 14400.0)
    """
    via = list(plan.via)
    direct = 2.0 * _length([base, *via, aim]) / speed_mps
    wants = plan.refuel is True or (
        plan.refuel is None and plan.endurance_s - direct < station_min * MIN
    )
    if not (wants and plan.tracks and plan.aar_endurance_s is not None):
        return Approach(tuple(via), tuple(reversed(via)), plan.endurance_s, False)
    last = via[-1] if via else base
    track = min(plan.tracks, key=lambda p: math.dist(last, p) + math.dist(p, aim))
    return Approach(
        (*via, track), (track, *reversed(via)), float(plan.aar_endurance_s), refuelled=True
    )
