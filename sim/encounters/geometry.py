"""Legs, encounter cylinders and encounters: the shapes the other encounter modules share.

An aircraft flies straight legs (:class:`Leg`): constant ground velocity in the simulation
plane, altitude linear in time. An encounter category (:class:`Category`) is a cylinder
around each aircraft; two aircraft are inside it while their horizontal separation is under
its radius and their vertical separation under its half-height. An :class:`Encounter` is one
stay of a pair inside the outermost cylinder (:func:`outermost`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.units import FT, NM


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
        """Length of the leg in time (s)."""
        return self.t1_s - self.t0_s

    def velocity(self) -> tuple[float, float, float]:
        """Velocity (m/s) along x, y, z; zero for a zero-duration leg."""
        d = self.duration_s
        if d <= 0:
            return (0.0, 0.0, 0.0)
        return (
            (self.x1_m - self.x0_m) / d,
            (self.y1_m - self.y0_m) / d,
            (self.z1_m - self.z0_m) / d,
        )

    def position_at(self, t_s: float) -> tuple[float, float, float]:
        """Position at time ``t_s`` (clamped to the leg's time window)."""
        d = self.duration_s
        f = 0.0 if d <= 0 else min(max((t_s - self.t0_s) / d, 0.0), 1.0)
        return (
            self.x0_m + f * (self.x1_m - self.x0_m),
            self.y0_m + f * (self.y1_m - self.y0_m),
            self.z0_m + f * (self.z1_m - self.z0_m),
        )


def _slot_init() -> Callable[..., None]:
    """``Leg.__init__`` storing each field straight into its slot.

    A frozen dataclass's own ``__init__`` calls ``object.__setattr__`` per field, about twice
    as slow; a run makes a leg for every leg flown and every leg it predicts. The result is
    the same object (same fields, same frozen class).
    """
    s0, s1, s2, s3, s4, s5, s6, s7 = (Leg.__dict__[f].__set__ for f in Leg.__slots__)

    def __init__(
        self: Leg,
        t0_s: float,
        t1_s: float,
        x0_m: float,
        y0_m: float,
        z0_m: float,
        x1_m: float,
        y1_m: float,
        z1_m: float,
    ) -> None:
        s0(self, t0_s)
        s1(self, t1_s)
        s2(self, x0_m)
        s3(self, y0_m)
        s4(self, z0_m)
        s5(self, x1_m)
        s6(self, y1_m)
        s7(self, z1_m)

    __init__.__qualname__ = "Leg.__init__"
    return __init__


Leg.__init__ = _slot_init()  # type: ignore[method-assign]


@dataclass(frozen=True, slots=True)
class Category:
    """An encounter cylinder: inside when horizontal < radius and vertical < half-height."""

    name: str
    radius_m: float
    half_height_m: float


DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category("nmac", 500 * FT, 100 * FT),
    Category("near_miss", 1 * NM, 1000 * FT),
    Category("separation", 3 * NM, 3000 * FT),
)
"""Most severe first: NMAC 500 ft / 100 ft; near miss 1 NM / 1,000 ft;
MOU 'rule of threes' 3 NM / 3,000 ft."""


@dataclass(frozen=True, slots=True)
class Encounter:
    """One encounter: the columns of ``encounters.csv`` plus the plane position at closest
    approach.
    """

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
    cause: str = "chance"
    """Why the pair met: ``chance``, or what brought them together (labelled after detection)."""
    p_nmac: float = math.nan
    """Probability of entering the most severe cylinder under the position-error model
    (NaN when the run has no error model)."""


ENCOUNTER_COLUMNS = (
    "a_id",
    "b_id",
    "a_side",
    "b_side",
    "category",
    "t_start_s",
    "t_end_s",
    "t_cpa_s",
    "min_horizontal_m",
    "vertical_at_cpa_m",
    "lat",
    "lon",
    "cause",
    "p_nmac",
)


PAIR_MODES = ("cross-side", "all")
"""Which pairs of aircraft count: only pairs from different sides, or every pair."""


def outermost(categories: Sequence[Category]) -> int:
    """Index of the outermost category: the one with both the largest radius and half-height.

    An encounter is a stay inside this cylinder, so every other category must fit in it.

    Raises
    ------
    ValueError
        If there are no categories, a size is not positive and finite, or no single category
        has both the largest radius and the largest half-height.
    """
    cats = tuple(categories)
    if not cats:
        raise ValueError("at least one encounter category is needed")
    for c in cats:
        for name, value in (("radius_m", c.radius_m), ("half_height_m", c.half_height_m)):
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"category {c.name!r}: {name} must be > 0, got {value}")
    r_max = max(c.radius_m for c in cats)
    h_max = max(c.half_height_m for c in cats)
    for k, c in enumerate(cats):
        if c.radius_m == r_max and c.half_height_m == h_max:
            return k
    raise ValueError(
        "encounter categories must be nested: one must have both the largest radius "
        f"({r_max} m) and the largest half-height ({h_max} m)"
    )
