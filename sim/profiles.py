"""Vertical profiles of generated sorties: flight levels, mission blocks, attack profiles.

The numbers live in ``sim/data/profiles.toml`` with their sources. A sortie cruises at a
*level* (a multiple of ``levels.step_ft`` inside its block) plus its own altitude-keeping
error; a strike of a type with a dive profile dives from that level to a release level over
its aim point and climbs back out before flying its station pattern.
"""

from __future__ import annotations

import functools
import math
import tomllib
from importlib import resources
from typing import Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from sim import aircraft
from sim.plans import Point
from sim.protocol.spec import Strict
from sim.units import FT

__all__ = [
    "Attack",
    "ProfileTable",
    "attack_run",
    "cruise_band",
    "draw_altitude",
    "draw_level",
    "profile_table",
]

Band = tuple[float, float]


class Levels(Strict):
    step_ft: float = Field(gt=0)
    keeping_sd_ft: float = Field(ge=0)


class Attack(Strict):
    """How a strike type delivers: a dive to a release level, or a release at cruise."""

    profile: Literal["dive", "level"]
    release_ft: Band | None = None
    dive_deg: float = Field(30.0, gt=0, lt=90)

    @model_validator(mode="after")
    def _release(self) -> Attack:
        if self.profile == "dive" and self.release_ft is None:
            raise ValueError("a dive profile needs release_ft = [low, high]")
        if self.release_ft is not None and self.release_ft[0] > self.release_ft[1]:
            raise ValueError("release_ft must be [low, high] with low <= high")
        return self


class ProfileTable(Strict):
    """The validated content of ``profiles.toml``."""

    levels: Levels
    blocks: dict[str, dict[str, Band]] = Field(default_factory=dict)
    attack: dict[str, Attack] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_types(self) -> ProfileTable:
        named = [*self.attack, *(t for b in self.blocks.values() for t in b if t != "*")]
        for name in named:
            aircraft.find_type(name)  # raises with a did-you-mean
        for mission, by_type in self.blocks.items():
            for name, (lo, hi) in by_type.items():
                if not 0 <= lo <= hi:
                    raise ValueError(
                        f"blocks.{mission}.{name}: must be [low, high], 0 <= low <= high"
                    )
        return self


def parse_profile_table(raw: dict, origin: str = "profiles.toml") -> ProfileTable:
    """Validate a parsed profile table; errors name the file and the field path.

    Examples
    --------
    >>> parse_profile_table({"levels": {"step_ft": 1000, "keeping_sd_ft": 100}}).levels.step_ft
    1000.0
    >>> parse_profile_table({"levels": {"step_ft": 0, "keeping_sd_ft": 100}})
    Traceback (most recent call last):
    ...
    ValueError: profiles.toml: levels.step_ft: Input should be greater than 0
    """
    try:
        return ProfileTable.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = ".".join(str(p) for p in err["loc"])
        raise ValueError(f"{origin}: {path or '(top level)'}: {err['msg']}") from None
    except LookupError as exc:
        raise ValueError(f"{origin}: {exc}") from None


@functools.cache
def profile_table() -> ProfileTable:
    """The package's profile table (read once)."""
    text = resources.files("sim").joinpath("data", "profiles.toml").read_text(encoding="utf-8")
    return parse_profile_table(tomllib.loads(text))


def cruise_band(t: aircraft.AircraftType, mission: str, override: Band | None = None) -> Band:
    """The block a sortie cruises in, feet: the stream's, the mission's, or the type's band.

    Examples
    --------
    >>> cruise_band(aircraft.find_type("KC-135R"), "tanker")
    (20000.0, 26000.0)
    >>> cruise_band(aircraft.find_type("F-16"), "strike")
    (15000.0, 25000.0)
    """
    if override is not None:
        return (float(override[0]), float(override[1]))
    by_type = profile_table().blocks.get(mission, {})
    block = by_type.get(t.name, by_type.get("*"))
    if block is not None:
        return (float(block[0]), float(block[1]))
    return (t.min_alt_ft, t.max_alt_ft)


def draw_level(band_ft: Band, rng: np.random.Generator, step_ft: float | None = None) -> float:
    """A level (feet) drawn uniformly among the multiples of ``step_ft`` inside the band.

    A band holding no level (narrower than a step) gives a uniform altitude in it instead.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> sorted({draw_level((15000, 17500), rng) for _ in range(200)})
    [15000.0, 16000.0, 17000.0]
    """
    step = profile_table().levels.step_ft if step_ft is None else step_ft
    lo, hi = band_ft
    first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
    if last < first:
        return float(rng.uniform(lo, hi))
    return float(step * int(rng.integers(first, last + 1)))


def keeping_error_m(rng: np.random.Generator) -> float:
    """One aircraft's altitude-keeping error, metres (normal, constant for the flight)."""
    return float(rng.normal(0.0, profile_table().levels.keeping_sd_ft)) * FT


def draw_altitude(
    t: aircraft.AircraftType,
    mission: str,
    rng: np.random.Generator,
    override: Band | None = None,
) -> tuple[float, float]:
    """A sortie's cruise level and its flown altitude (level + keeping error), metres.

    Cruise missiles keep a uniform altitude in their terrain-following band (no levels).
    """
    band = cruise_band(t, mission, override)
    if t.kind == "missile":
        z = float(rng.uniform(*band)) * FT
        return z, z
    level = draw_level(band, rng) * FT
    return level, level + keeping_error_m(rng)


def attack_run(
    t: aircraft.AircraftType,
    approach: tuple[float, float],
    aim: tuple[float, float],
    alt_m: float,
    speed_mps: float,
    rng: np.random.Generator,
) -> list[Point]:
    """The points of a strike's pass over its aim point, arriving from ``approach``.

    A dive: the point where the dive starts (at ``alt_m``), the aim point at the release
    level, and the point where the climb-out regains ``alt_m``, straight along the run-in
    heading. A level release (or a release level not below the cruise): the aim point alone.

    Examples
    --------
    >>> su25 = aircraft.find_type("Su-25SM")
    >>> pts = attack_run(su25, (0.0, -50_000.0), (0.0, 0.0), 6000.0, 200.0,
    ...                  np.random.default_rng(0))
    >>> len(pts), pts[0][2], round(pts[1][1]), pts[2][2]
    (3, 6000.0, 0, 6000.0)
    >>> 10800 * FT <= pts[1][2] <= 16400 * FT and pts[0][1] < 0 < pts[2][1]
    True
    """
    spec = profile_table().attack.get(t.name)
    if spec is None or spec.release_ft is None:
        return [(aim[0], aim[1], alt_m)]
    release_m = draw_level(spec.release_ft, rng) * FT
    dz = alt_m - release_m
    if dz <= 0:
        return [(aim[0], aim[1], alt_m)]
    dx, dy = aim[0] - approach[0], aim[1] - approach[1]
    d = math.hypot(dx, dy)
    ux, uy = (dx / d, dy / d) if d > 0 else (1.0, 0.0)
    if spec.profile == "dive":
        run_in = dz / math.tan(math.radians(spec.dive_deg))
    else:
        run_in = dz / max(t.climb_mps, 1.0) * speed_mps
    run_in = min(run_in, 0.9 * d) if d > 0 else run_in
    climb_out = dz / max(t.climb_mps, 1.0) * speed_mps
    return [
        (aim[0] - run_in * ux, aim[1] - run_in * uy, alt_m),
        (aim[0], aim[1], release_m),
        (aim[0] + climb_out * ux, aim[1] + climb_out * uy, alt_m),
    ]
