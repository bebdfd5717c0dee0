"""Exact encounter detection for straight 3-D legs (pure numpy).

Interface pinned for the engine; the detection itself is filled in below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Leg:
    """A straight leg in the simulation plane: constant ground velocity, altitude linear in time.

    Positions in metres (x east, y north, z altitude), times in seconds since the run start.
    A leg with ``t1_s == t0_s`` is a point in time (allowed; it can still touch a cylinder).
    """

    t0_s: float
    t1_s: float
    x0_m: float
    y0_m: float
    z0_m: float
    x1_m: float
    y1_m: float
    z1_m: float

    @property
    def duration_s(self) -> float:
        return self.t1_s - self.t0_s

    def velocity(self) -> tuple[float, float, float]:
        """Velocity (m/s) along x, y, z; zero for a zero-duration leg."""
        d = self.duration_s
        if d <= 0:
            return (0.0, 0.0, 0.0)
        return ((self.x1_m - self.x0_m) / d, (self.y1_m - self.y0_m) / d, (self.z1_m - self.z0_m) / d)

    def position_at(self, t_s: float) -> tuple[float, float, float]:
        """Position at time ``t_s`` (clamped to the leg's time window)."""
        d = self.duration_s
        f = 0.0 if d <= 0 else min(max((t_s - self.t0_s) / d, 0.0), 1.0)
        return (
            self.x0_m + f * (self.x1_m - self.x0_m),
            self.y0_m + f * (self.y1_m - self.y0_m),
            self.z0_m + f * (self.z1_m - self.z0_m),
        )


@dataclass(frozen=True, slots=True)
class Category:
    """An encounter cylinder: inside when horizontal < radius and vertical < half-height."""

    name: str
    radius_m: float
    half_height_m: float


NM, FT = 1852.0, 0.3048
DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category("nmac", 500 * FT, 100 * FT),
    Category("near_miss", 1 * NM, 1000 * FT),
    Category("separation", 3 * NM, 3000 * FT),
)
"""Most severe first: NMAC 500 ft / 100 ft; near miss 1 NM / 1,000 ft; MOU 'rule of threes' 3 NM / 3,000 ft."""


@dataclass(frozen=True, slots=True)
class Encounter:
    """One encounter: the columns of ``encounters.csv`` plus the plane position at closest approach."""

    a_id: str
    b_id: str
    a_side: str
    b_side: str
    category: str
    t_start_s: float
    t_end_s: float
    t_cpa_s: float
    min_horizontal_m: float
    vertical_at_cpa_m: float
    lat: float
    lon: float
    x_m: float
    y_m: float


ENCOUNTER_COLUMNS = (
    "a_id", "b_id", "a_side", "b_side", "category", "t_start_s", "t_end_s", "t_cpa_s",
    "min_horizontal_m", "vertical_at_cpa_m", "lat", "lon",
)

__all__ = ["Leg", "Category", "DEFAULT_CATEGORIES", "Encounter", "ENCOUNTER_COLUMNS", "np"]
