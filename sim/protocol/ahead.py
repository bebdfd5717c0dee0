"""Where a flight will be: its current leg and the legs its plan has next, as leg rows.

A row is ``t0, t1, x, y, z, vx, vy, vz`` (as in ``sim.encounters.LegArrays``). The path ahead
starts with the leg being flown and follows the route ahead at the plan's speed, leg by leg,
until a time or a number of legs is reached. A flight flown by a pilot (a pursuit) has no plan
beyond its current leg: its path ahead is that leg, held at its end.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.protocol.watch_kernels import store_path

if TYPE_CHECKING:
    from sim.protocol.reach import Reach
    from sim.state import Flight

__all__ = [
    "path_ahead",
    "path_and_box",
    "path_rows",
    "position_on",
    "store_ahead",
    "store_rows",
]

ROW = 8


def path_rows(f: Flight, until_s: float, max_legs: int) -> list[list[float]]:
    """The flight's legs from its current one until ``until_s`` (at most ``max_legs`` rows),
    as plain lists; empty when the flight is not on a leg.
    """
    return path_and_box(f, until_s, max_legs)[0]


def path_and_box(
    f: Flight, until_s: float, max_legs: int
) -> tuple[list[list[float]], tuple[float, float, float, float, float]]:
    """:func:`path_rows`, and the horizontal box of the path with its end time
    (``x_min, y_min, x_max, y_max, t_end``; all NaN for no path).
    """
    leg = f.leg
    if leg is None or not f.airborne:
        nan = math.nan
        return [], (nan, nan, nan, nan, nan)
    t, x, y, z = leg.t1_s, leg.x1_m, leg.y1_m, leg.z1_m
    rows = [[leg.t0_s, t, leg.x0_m, leg.y0_m, leg.z0_m, *leg.velocity()]]
    xs, ys = [leg.x0_m, x], [leg.y0_m, y]
    if f.pilot is None:
        speed = f.plan.speed_mps
        hypot = math.hypot
        for px, py, pz in f.route[1:]:
            if t >= until_s or len(rows) >= max_legs:
                break
            dt = hypot(px - x, py - y) / speed
            t_next = t + dt
            if dt > 0:
                rows.append([t, t_next, x, y, z, (px - x) / dt, (py - y) / dt, (pz - z) / dt])
            t, x, y, z = t_next, px, py, pz
            xs.append(x)
            ys.append(y)
    return rows, (min(xs), min(ys), max(xs), max(ys), rows[-1][1])


_EMPTY_ROUTE = np.zeros((0, 3))
_EMPTY_STEPS = np.zeros(0)


def store_ahead(
    paths: np.ndarray,
    boxes: np.ndarray,
    tops: np.ndarray,
    row: int,
    stored: int,
    index: Reach,
    f: Flight,
    until_s: float,
    max_legs: int,
) -> tuple[int, float]:
    """Store an airborne flight's path ahead in ``paths[row]`` (``stored`` legs there before)
    and its box in ``boxes`` and ``tops`` (a conflict watch's arrays), as :func:`store_rows`
    stores what :func:`path_and_box` gives, by a compiled loop along the route's arrays (the
    run's ``index`` keeps them). Returns the number of legs and the path's end time.
    """
    leg = f.leg
    assert leg is not None
    route, steps, start, first_m = _EMPTY_ROUTE, _EMPTY_STEPS, 0, 0.0
    if f.pilot is None and len(f.route) > 1:
        arrays, k = index.route(f)
        route, steps, start = arrays.xyz, arrays.step_m, k + 1
        nxt = f.route[1]
        first_m = math.hypot(nxt[0] - leg.x1_m, nxt[1] - leg.y1_m)
    here = np.array(
        (leg.t0_s, leg.t1_s, leg.x0_m, leg.y0_m, leg.z0_m, *leg.velocity())
        + (leg.x1_m, leg.y1_m, leg.z1_m)
    )
    n, end = store_path(
        paths, boxes, tops, row, stored, here, route, steps, start, first_m, f.plan.speed_mps,
        until_s, max_legs,
    )  # fmt: skip
    return n, float(end)


def store_rows(
    paths: np.ndarray,
    boxes: np.ndarray,
    tops: np.ndarray,
    row: int,
    stored: int,
    legs: list[list[float]],
    box: tuple[float, float, float, float, float],
) -> tuple[int, float]:
    """Store leg rows and their box (as :func:`path_and_box` gives them) in row ``row`` of a
    conflict watch's arrays (``stored`` legs there before; the rest are marked unused).
    """
    k = len(legs)
    path = paths[row]
    path[:k] = legs
    if k < stored:
        path[k:stored, :2] = -np.inf
    x0, y0, x1, y1, end = box
    boxes[:, row] = (x0, y0, -x1, -y1, end)
    tops[:, row] = (x1, y1, -x0, -y0)
    return k, end


def path_ahead(f: Flight, until_s: float, max_legs: int) -> np.ndarray:
    """The flight's legs from its current one until ``until_s`` (at most ``max_legs`` rows).

    Empty (shape ``(0, 8)``) when the flight is not on a leg.
    """
    return np.array(path_rows(f, until_s, max_legs), dtype=float).reshape(-1, ROW)


def position_on(rows: np.ndarray, t_s: float) -> tuple[float, float, float]:
    """Position at ``t_s`` along a path of leg rows (held at the ends).

    Examples
    --------
    >>> rows = np.array([[0, 10, 0, 0, 0, 1, 0, 0], [10, 20, 10, 0, 0, 0, 1, 0]], float)
    >>> position_on(rows, 15.0), position_on(rows, 99.0)
    ((10.0, 5.0, 0.0), (10.0, 10.0, 0.0))
    """
    k = int(np.searchsorted(rows[:, 0], t_s, side="right")) - 1
    k = min(max(k, 0), len(rows) - 1)
    r = rows[k]
    dt = min(max(t_s - r[0], 0.0), r[1] - r[0])
    return (float(r[2] + r[5] * dt), float(r[3] + r[6] * dt), float(r[4] + r[7] * dt))
