"""A flight before it flies: the plan that traffic makes and the run state flies."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["STRIKE_MISSIONS", "FlightPlan", "Point", "path_s", "points_array", "step_lengths"]

Point = tuple[float, float, float]
"""A 3-D waypoint in the simulation plane: x east, y north, altitude (metres)."""

STRIKE_MISSIONS = frozenset({"strike", "bomber"})
"""Missions flown to put weapons on an aim point (their station is flown over it)."""


def path_s(points: Sequence[Point], speed_mps: float, steps: np.ndarray | None = None) -> float:
    """Time to fly through ``points`` in order at ``speed_mps`` (legs are timed on the ground
    track, as the engine flies them); ``steps``, if given, are the points'
    :func:`step_lengths` (or a leading part of a longer path's, for its first points).

    Examples
    --------
    >>> path_s([(0.0, 0.0, 0.0), (300.0, 400.0, 1000.0), (300.0, 0.0, 0.0)], 100.0)
    9.0
    """
    if len(points) < 2 or speed_mps <= 0:
        return 0.0
    if steps is None:
        steps = step_lengths(points)
    return float(steps.sum() / speed_mps)


def step_lengths(points: Sequence[Point]) -> np.ndarray:
    """Ground distance from each point to the next (metres).

    Examples
    --------
    >>> step_lengths([(0.0, 0.0, 0.0), (300.0, 400.0, 1000.0), (300.0, 0.0, 0.0)]).tolist()
    [500.0, 400.0]
    """
    if len(points) < 2:
        return np.zeros(0)
    xy = points_array(points)[:, :2]
    return np.hypot(*np.diff(xy, axis=0).T)


def points_array(points: Sequence[Point]) -> np.ndarray:
    """3-D points as an ``(n, 3)`` float array (built from the flat values: quicker than
    from the tuples).

    Examples
    --------
    >>> points_array([(1.0, 2.0, 3.0), (4.0, 5.0, 6.0)]).tolist()
    [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    """
    flat = itertools.chain.from_iterable(points)
    return np.fromiter(flat, dtype=float, count=3 * len(points)).reshape(-1, 3)


@dataclass(frozen=True, slots=True)
class FlightPlan:
    """A flight before it flies: who, from where, and its 3-D waypoints (metres)."""

    id: str
    side: str
    type: str
    kind: str
    mission: str
    base: str
    target: str
    depart_s: float
    speed_mps: float
    points: tuple[Point, ...]
    station: tuple[int, int] = (0, 0)
    """Indices ``[i, j)`` of the points flown on station (the part a protocol may move)."""
    explicit: bool = False
    group: str = ""
    """Flights launched together (a cruise-missile salvo) share a group; notified as one."""
    formation: str = ""
    """The id of the formation's lead (its own id for the lead); empty for a single aircraft."""
    aim: int = -1
    """Index of the aim point among ``points`` (-1: the first station point)."""

    @property
    def aim_index(self) -> int:
        """Index of the point the sortie is aimed at (a strike's target, a station's centre)."""
        return self.aim if self.aim >= 0 else self.station[0]
