"""Stand-off launches: bombers that fire cruise missiles from a launch point far from Syria.

A stream with ``weapon`` and ``launch_point`` (e.g. Tu-95MS with Kh-555, Tu-160 with Kh-101,
launching over the Caspian) flies its corridor as far as the launch point, orbits there while
it launches ``salvo`` missiles, and flies home the same way. Its missiles leave the launch
point one after another (10 s apart, an assumption), descend to their type's band and fly the
rest of the corridor to their aim points: the same way into Syria the corridor's aircraft take.
With ``aim_points`` the missiles share that many aim points, in turn (e.g. 34 missiles at 14
targets on 17 November 2015).
"""

from __future__ import annotations

import math

import numpy as np

from sim import aircraft, corridors, places
from sim.plans import FlightPlan, Point
from sim.scenario import SortieStream
from sim.support import Approach, SupportPlan, find_place, place_xy, stream_corridor
from sim.units import FT

__all__ = ["LAUNCH_INTERVAL_S", "DESCENT_M", "launcher_approach", "missile_plans"]

LAUNCH_INTERVAL_S = 10.0
"""Seconds between two missiles of one aircraft (A)."""
DESCENT_M = 20_000.0
"""Distance over which a missile drops from the launch altitude to its band (A)."""

Point2 = tuple[float, float]
Aim = tuple[places.Place, Point2]


def launcher_approach(ways: SupportPlan, launch: Point2) -> Approach:
    """The bomber's way to its launch point: its corridor up to the waypoint nearest the point.

    Examples
    --------
    >>> ways = SupportPlan(((0.0, 0.0), (100.0, 0.0), (200.0, 0.0)), (), None, 10.0, None)
    >>> launcher_approach(ways, (110.0, 50.0)).out
    ((0.0, 0.0),)
    """
    via = list(ways.via)
    stop = min(range(len(via)), key=lambda i: math.dist(via[i], launch)) if via else 0
    out = tuple(via[:stop])
    endurance = ways.aar_endurance_s if ways.aar_endurance_s is not None else ways.endurance_s
    return Approach(out, tuple(reversed(out)), endurance, refuelled=False)


def _arrival_s(plan: FlightPlan, index: int) -> float:
    """When the plan reaches its point ``index`` (straight legs at its speed)."""
    pts = np.asarray(plan.points, dtype=float)[: index + 1, :2]
    dist = float(np.hypot(*np.diff(pts, axis=0).T).sum()) if len(pts) > 1 else 0.0
    return plan.depart_s + dist / plan.speed_mps


def missile_plans(
    stream: SortieStream,
    bomber: FlightPlan,
    sortie: int,
    targets: list[places.Place],
    shared: list[Aim],
    radius_m: float,
    rng: np.random.Generator,
    aim_point: object,
) -> list[FlightPlan]:
    """The missiles one launcher sortie fires, from the start of its orbit at the launch point.

    ``shared`` are the stream's aim points (taken in turn across sorties), else each missile
    draws a target and an aim point within ``radius_m`` of it (``aim_point(place, r, rng)``).
    """
    assert stream.weapon is not None and stream.launch_point is not None
    w = aircraft.find_type(stream.weapon)
    launch = find_place(stream.launch_point)
    t_launch = _arrival_s(bomber, bomber.station[0])
    x0, y0, z0 = bomber.points[bomber.station[0]]
    via = corridors.route_in(stream_corridor(stream), place_xy(launch))
    out = []
    for j in range(stream.salvo):
        if shared:
            target, aim = shared[(sortie * stream.salvo + j) % len(shared)]
        else:
            target = targets[int(rng.integers(len(targets)))]
            aim = aim_point(target, radius_m, rng)  # type: ignore[operator]
        alt = float(rng.uniform(w.min_alt_ft, w.max_alt_ft)) * FT
        path = [*via, aim]
        first = path[0]
        d = math.dist((x0, y0), first)
        f = min(DESCENT_M / d, 0.5) if d > 0 else 0.0
        low: Point = (x0 + f * (first[0] - x0), y0 + f * (first[1] - y0), alt)
        points: list[Point] = [(x0, y0, z0), low, *((x, y, alt) for x, y in path)]
        out.append(
            FlightPlan(
                f"{bomber.id}-{w.name}-{j + 1}",
                stream.side,
                w.name,
                w.kind,
                "cruise_missile",
                launch.name,
                target.name,
                t_launch + LAUNCH_INTERVAL_S * j,
                w.cruise_mps,
                tuple(points),
                (1, len(points)),
                group=f"{bomber.id}-salvo",
            )
        )
    return out
