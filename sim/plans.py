"""A flight before it flies: the plan that traffic makes and the run state flies."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FlightPlan", "Point"]

Point = tuple[float, float, float]
"""A 3-D waypoint in the simulation plane: x east, y north, altitude (metres)."""


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
