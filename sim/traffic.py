"""Sortie generation: Poisson tempo per base, type and mission, and explicit flights.

A plan is a list of 3-D waypoints in the simulation plane flown at one ground speed. Generated
missions climb out of the base towards an aim point near a target place, fly a station pattern
there (a strike's run over the target, a CAP or tanker racetrack, an ISR orbit), and come back
down to the base; cruise missiles fly from their launch area to the aim point and end there.
Planning draws only from the ``traffic`` random stream, so every protocol sees the same traffic.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import shapely

from sim import aircraft, formations, geo, launches, places, profiles, support
from sim.plans import FlightPlan, Point
from sim.scenario import FlightSpec, Scenario, SortieStream
from sim.units import DAY, FT, KT, MIN, NM, H

SIDE_PREFIX = {"russia": "RU", "coalition": "CO"}

# Station patterns per mission: (default minutes on station, pattern, size in NM).
# Modelling assumptions, chosen to look like the published descriptions of each mission:
# a strike orbits the target, CAP, ISR, tanker and AWACS aircraft fly racetracks over theirs.
STATION = {
    "strike": (10.0, "orbit", 5.0),
    "bomber": (5.0, "orbit", 6.0),
    "cap": (60.0, "racetrack", 20.0),
    "isr": (240.0, "racetrack", 12.0),
    "tanker": (120.0, "racetrack", 30.0),
    "awacs": (360.0, "racetrack", 40.0),
    "cruise_missile": (0.0, "none", 0.0),
}


def plan_flights(scenario: Scenario, rng: np.random.Generator) -> list[FlightPlan]:
    """Every flight of the run: explicit ones, then each sortie stream's, sorted by departure."""
    plans = [explicit_plan(f) for f in scenario.flights]
    for index, stream in enumerate(scenario.traffic.sorties):
        plans += stream_plans(stream, index, scenario, rng)
    ids = [p.id for p in plans]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"flight ids clash: {dup}")
    return sorted(plans, key=lambda p: (p.depart_s, p.id))


def explicit_plan(f: FlightSpec) -> FlightPlan:
    """An explicit flight, flown exactly as written."""
    t = aircraft.find_type(f.type)
    points = []
    for wp in f.route:
        if wp.place is not None:
            x, y = places.find_place(wp.place).xy
        else:
            x, y = geo.to_xy(wp.lat, wp.lon)
        points.append((float(x), float(y), wp.alt_ft * FT))
    speed = f.speed_kt * KT if f.speed_kt is not None else t.cruise_mps
    return FlightPlan(
        f.id,
        f.side,
        t.name,
        t.kind,
        f.mission,
        _place_name(f.route[0]),
        _place_name(f.route[-1]),
        f.depart_s,
        speed,
        tuple(points),
        (0, len(points)),
        explicit=True,
    )


def _place_name(wp: object) -> str:
    place = getattr(wp, "place", None)
    return places.find_place(place).name if place else ""


def departure_times(
    stream: SortieStream, scale: float, duration_s: float, rng: np.random.Generator
) -> np.ndarray:
    """Poisson departures: ``per_day × scale`` per day, spread over the stream's daily window."""
    windows = stream_windows(stream, duration_s)
    total = sum(hi - lo for lo, hi in windows)
    if total <= 0:
        return np.empty(0)
    per_s = stream.per_day * scale / ((stream.to_h - stream.from_h) * H)
    n = int(round(per_s * total)) if stream.tempo == "fixed" else rng.poisson(per_s * total)
    u = np.sort(rng.uniform(0.0, total, size=n))
    starts = np.array([lo for lo, _ in windows])
    offsets = np.cumsum([0.0] + [hi - lo for lo, hi in windows])
    k = np.searchsorted(offsets, u, side="right") - 1
    return starts[k] + (u - offsets[k])


def stream_windows(stream: SortieStream, duration_s: float) -> list[tuple[float, float]]:
    """The stream's daily flying windows ``(start, end)`` within the run (seconds)."""
    windows = []
    day = 0
    while day * DAY < duration_s:
        lo = day * DAY + stream.from_h * H
        hi = min(day * DAY + stream.to_h * H, duration_s)
        if hi > lo:
            windows.append((lo, hi))
        day += 1
    return windows


def stream_prefix(stream: SortieStream, index: int) -> str:
    """The start of the ids of stream ``index``'s flights; sortie ``k`` is ``<prefix>-<k:03d>``
    (its formation's members, escorts and missiles add to that).
    """
    t = aircraft.find_type(stream.type)
    return f"{SIDE_PREFIX.get(stream.side, stream.side[:2].upper())}-{t.name}-s{index + 1}"


def stream_plans(
    stream: SortieStream, index: int, scenario: Scenario, rng: np.random.Generator
) -> list[FlightPlan]:
    """The flights one sortie stream generates over the run (formations and escorts included).

    Sorties fly their base's corridor and refuel at a tanker track when they need to
    (``sim.support``); a stand-off bomber launches its ``weapon`` at ``launch_point``
    (``sim.launches``). With ``aim_points`` the sorties (or missiles) share that many aim points,
    drawn once, in turn. ``per_day`` counts aircraft: formations (``sim.formations``) depart at
    ``per_day`` over the mean formation size; each cruises at a level (``sim.profiles``).
    """
    t = aircraft.find_type(stream.type)
    base = support.find_place(stream.base)
    base_xy = support.place_xy(base)
    targets = [support.find_place(name) for name in stream.targets]
    shape = formations.shape_of(t.name, stream.mission, stream.formation_size)
    scale = scenario.traffic.scale / formations.mean_size(shape)
    times = departure_times(stream, scale, scenario.duration_s, rng)
    prefix = stream_prefix(stream, index)
    radius = stream.target_radius_nm * NM
    shared = [
        (targets[i % len(targets)], aim_near(targets[i % len(targets)], radius, rng))
        for i in range(stream.aim_points or 0)
    ]
    ways = support.plan_support(stream, scenario)
    station_min = _station_minutes(stream)
    plans = []
    for k, depart in enumerate(times):
        target = targets[int(rng.integers(len(targets)))]
        aim = aim_near(target, radius, rng)
        if shared and stream.weapon is None:
            target, aim = shared[k % len(shared)]
        level, alt = profiles.draw_altitude(t, stream.mission, rng, stream.alt_ft)
        group = f"{prefix}-{k + 1:03d}"
        if stream.weapon is not None:
            launch = support.find_place(str(stream.launch_point))
            target, aim = launch, support.place_xy(launch)
            way = launches.launcher_approach(ways, aim)
        else:
            way = support.approach(ways, base_xy, aim, t.cruise_mps, station_min)
        for m in range(stream.salvo if stream.mission == "cruise_missile" else 1):
            fid = group + (f"-{m + 1}" if stream.salvo > 1 and stream.weapon is None else "")
            if shared and stream.mission == "cruise_missile":  # each missile its own aim
                target, aim = shared[(k * stream.salvo + m) % len(shared)]
            points, station, aim_at = mission_points(stream, t, base_xy, aim, alt, rng, way)
            lead = FlightPlan(
                fid,
                stream.side,
                t.name,
                t.kind,
                stream.mission,
                base.name,
                target.name,
                float(depart) + 10.0 * m,
                t.cruise_mps,
                tuple(points),
                station,
                group=group,
                aim=aim_at,
            )
            plans += formations.members(lead, shape, stream.escort, level, rng)
        if stream.weapon is not None:
            plans += launches.missile_plans(stream, lead, k, targets, shared, radius, rng, aim_near)
    return plans


def _station_minutes(stream: SortieStream) -> float:
    """Minutes on station the stream asks for (its own, else the mission's default)."""
    if stream.time_on_station_min is not None:
        return stream.time_on_station_min
    return STATION[stream.mission][0]


def _aim_point(
    center: tuple[float, float], radius_m: float, rng: np.random.Generator
) -> tuple[float, float]:
    """A point uniform in the disc of ``radius_m`` around ``center``."""
    r = radius_m * math.sqrt(rng.uniform())
    a = rng.uniform(0.0, 2.0 * math.pi)
    return (center[0] + r * math.cos(a), center[1] + r * math.sin(a))


AIM_INSET_NM = 5.0
"""Aim points stay this far inside the target's country (A: a strike orbit's radius), so no
aim point, and no strike orbit, lies across a border."""
AIM_TRIES = 50


@functools.cache
def _aim_area(country: str) -> shapely.Geometry | None:
    """The part of a country an aim point may lie in (None: a sea area, no constraint)."""
    border = geo.countries().get(country)
    if border is None:
        return None
    inner = border.buffer(-AIM_INSET_NM * NM)
    shapely.prepare(inner)
    return inner


def aim_near(
    target: places.Place, radius_m: float, rng: np.random.Generator
) -> tuple[float, float]:
    """An aim point uniform in the disc of ``radius_m`` around the target, inside its country
    (drawn again while it falls outside; the target itself after ``AIM_TRIES`` draws).
    """
    area = _aim_area(target.country)
    for _ in range(AIM_TRIES):
        x, y = _aim_point(support.place_xy(target), radius_m, rng)
        if area is None or shapely.contains_xy(area, x, y):
            return (x, y)
    return support.place_xy(target)


def mission_points(
    stream: SortieStream,
    t: aircraft.AircraftType,
    base: tuple[float, float],
    aim: tuple[float, float],
    alt_m: float,
    rng: np.random.Generator,
    way: support.Approach | None = None,
) -> tuple[list[Point], tuple[int, int], int]:
    """Climb out, transit, station pattern, return and descent (or a missile's one-way flight).

    ``way`` gives the waypoints out and home (a corridor, a tanker track) and the time aloft
    allowed; without it the sortie flies straight out and back on one tank of fuel. Returns the
    points, the indices ``[i, j)`` of the station pattern and the index of the aim point; a
    strike flies its type's attack run over the aim point first (``sim.profiles``).
    """
    _, pattern, size_nm = STATION[stream.mission]
    minutes = _station_minutes(stream)
    out = list(way.out) if way is not None else []
    home = list(way.home) if way is not None else []
    endurance_s = way.endurance_s if way is not None else t.endurance_s
    speed = t.cruise_mps
    climb_m = alt_m / max(t.climb_mps, 1.0) * speed
    start: Point = (base[0], base[1], 0.0)
    top = _towards(base, out[0] if out else aim, climb_m, alt_m)
    cruise = [(x, y, alt_m) for x, y in out]
    if stream.mission == "cruise_missile":
        flown = _drop_repeats([start, top, *cruise, (aim[0], aim[1], alt_m)])
        return flown, (1, len(flown)), len(flown) - 1
    transit = (_length([base, *out, aim]) + _length([aim, *home, base])) / speed
    transit += 2.0 * climb_m / speed
    budget = max(endurance_s - transit, 0.0)
    on_station_s = min(minutes * MIN, budget)
    heading = rng.uniform(0.0, 2.0 * math.pi)
    loop = station_pattern(pattern, aim, size_nm * NM, heading, alt_m, on_station_s * speed)
    head = [start, top, *cruise]
    aim_at = 0
    if stream.mission == "strike":
        run = profiles.attack_run(t, head[-1][:2], aim, alt_m, speed, rng)
        loop = [*run, *loop[1:]]
        aim_at = len(run) // 2
    back = [(x, y, alt_m) for x, y in home]
    down = _towards(base, home[-1] if home else loop[-1][:2], climb_m, alt_m)
    points, index = _drop_repeats_indexed([*head, *loop, *back, down, start])
    station = (index[len(head)], index[len(head) + len(loop) - 1] + 1)
    return points, station, index[len(head) + aim_at]


def _towards(
    origin: tuple[float, float], dest: tuple[float, float], dist_m: float, alt_m: float
) -> Point:
    """The point ``dist_m`` from ``origin`` towards ``dest`` (at most halfway), at ``alt_m``."""
    dx, dy = dest[0] - origin[0], dest[1] - origin[1]
    d = math.hypot(dx, dy)
    f = 0.5 if d == 0 else min(dist_m / d, 0.5)
    if d == 0:
        return (origin[0] + dist_m, origin[1], alt_m)
    return (origin[0] + f * dx, origin[1] + f * dy, alt_m)


def station_pattern(
    pattern: str,
    center: tuple[float, float],
    size_m: float,
    heading: float,
    alt_m: float,
    length_m: float,
) -> list[Point]:
    """Points along a closed pattern around ``center``, for ``length_m`` of flight (partial laps).

    ``orbit`` is a hexagon of radius ``size_m``; ``racetrack`` a rectangle ``size_m`` long and a
    third as wide.
    """
    if pattern == "none" or length_m <= 0:
        return [(center[0], center[1], alt_m)]
    if pattern == "orbit":
        angles = heading + np.arange(7) * (2 * math.pi / 6)
        ring = [
            (center[0] + size_m * math.cos(a), center[1] + size_m * math.sin(a)) for a in angles
        ]
    else:
        ux, uy = math.cos(heading), math.sin(heading)
        half, w = size_m / 2, size_m / 6
        ring = [
            (center[0] + sx * half * ux - sy * w * uy, center[1] + sx * half * uy + sy * w * ux)
            for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1))
        ]
    out = [(center[0], center[1], alt_m), (ring[0][0], ring[0][1], alt_m)]
    sides = len(ring) - 1
    # Each side's length and its end as flown whole (``f = 1``) are the same every lap.
    segs = [math.dist(ring[k], ring[k + 1]) for k in range(sides)]
    ends = [
        (a[0] + 1.0 * (b[0] - a[0]), a[1] + 1.0 * (b[1] - a[1]), alt_m)
        for a, b in zip(ring, ring[1:], strict=False)
    ]
    left = length_m
    i = 0
    while left > 0:
        k = i % sides
        seg = segs[k]
        if left >= seg:
            out.append(ends[k])
        else:
            a, b = ring[k], ring[k + 1]
            f = left / seg
            out.append((a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), alt_m))
        left -= seg
        i += 1
    return out


def _length(points: list[tuple[float, float]]) -> float:
    return sum(math.dist(a, b) for a, b in zip(points, points[1:], strict=False))


SURELY_APART_M = 1.0 + 1e-6
"""Consecutive points further apart than this (numpy's hypot) are more than a metre apart by
``math.hypot`` too (the two differ by an ulp or so)."""


def _drop_repeats_indexed(points: list[Point]) -> tuple[list[Point], list[int]]:
    """:func:`_drop_repeats`, and where each input point went (the kept point it merged into).

    Long routes whose consecutive points are all surely apart are kept whole at once.
    """
    if len(points) > 16:
        xy = np.array(points, dtype=float).reshape(len(points), -1)[:, :2]
        step = np.diff(xy, axis=0)
        if bool((np.hypot(step[:, 0], step[:, 1]) > SURELY_APART_M).all()):
            return list(points), list(range(len(points)))
    out = [points[0]]
    index = [0]
    hypot = math.hypot
    lx, ly = points[0][0], points[0][1]
    for p in points[1:]:
        if hypot(p[0] - lx, p[1] - ly) > 1.0:
            out.append(p)
            lx, ly = p[0], p[1]
        index.append(len(out) - 1)
    return out, index


def _drop_repeats(points: list[Point]) -> list[Point]:
    """Remove consecutive points at the same horizontal position (no zero-length legs)."""
    out = [points[0]]
    for p in points[1:]:
        if math.hypot(p[0] - out[-1][0], p[1] - out[-1][1]) > 1.0:
            out.append(p)
    return out
