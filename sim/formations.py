"""Formations and escorts: sorties that fly together, and where each member keeps station.

The table ``sim/data/formations.toml`` says, by type and mission, how many aircraft fly
together (with sources); a sortie stream may fix the size (``formation_size``) and give its
formations an escort of another type (``escort``, e.g. the Su-30SM "flying sentinel" with the
Russian strike packages). The lead flies the planned sortie; wingmen fly its plan offset to
the side (``abreast``) or behind (``trail``), the second element a level higher; escorts fly
the package's track behind it at their own level above it. Every member keeps its own
altitude-keeping error.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tomllib
from importlib import resources
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from sim import aircraft, profiles
from sim.plans import FlightPlan, Point
from sim.protocol.spec import Strict
from sim.units import FT, NM

if TYPE_CHECKING:
    from sim.scenario import EscortSpec

__all__ = [
    "Shape",
    "escort_plans",
    "formation_table",
    "mean_size",
    "members",
    "offset_route",
    "shape_of",
    "wingmen",
]

Station = Literal["abreast", "trail"]


class Shape(Strict):
    """How one type flies one mission: formation sizes with their weights, and station."""

    sizes: list[int] = Field(min_length=1)
    weights: list[float] = Field(min_length=1)
    station: Station = "abreast"
    source: str = ""

    @model_validator(mode="after")
    def _weights(self) -> Shape:
        if len(self.sizes) != len(self.weights):
            raise ValueError("sizes and weights must have the same length")
        if any(s < 1 or s > 4 for s in self.sizes):
            raise ValueError("sizes must be between 1 and 4")
        if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise ValueError("weights must be >= 0 with a positive sum")
        return self


class StationKeeping(Strict):
    spacing_nm: float = Field(gt=0)
    stack_ft: float = Field(ge=0)


class FormationTable(Strict):
    station: StationKeeping
    shapes: dict[str, dict[str, Shape]] = Field(default_factory=dict)


SINGLE = Shape(sizes=[1], weights=[1.0], source="flies alone")


def parse_formation_table(raw: dict, origin: str = "formations.toml") -> FormationTable:
    """Validate a parsed formation table; errors name the file and the field path."""
    raw = dict(raw)
    station = raw.pop("station", None)
    try:
        table = FormationTable.model_validate({"station": station, "shapes": raw})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"] if p != "shapes"]
        raise ValueError(f"{origin}: {'.'.join(loc) or '(top level)'}: {err['msg']}") from None
    for name in table.shapes:
        try:
            aircraft.find_type(name)
        except LookupError as exc:
            raise ValueError(f"{origin}: {name}: {exc}") from None
    return table


@functools.cache
def formation_table() -> FormationTable:
    """The package's formation table (read once)."""
    text = resources.files("sim").joinpath("data", "formations.toml").read_text(encoding="utf-8")
    return parse_formation_table(tomllib.loads(text))


def shape_of(type_name: str, mission: str, size: int | None = None) -> Shape:
    """How ``type_name`` flies ``mission``; a fixed ``size`` overrides the table's sizes.

    Examples
    --------
    >>> shape_of("F-22", "cap").sizes, shape_of("KC-135R", "tanker").sizes
    ([2], [1])
    >>> shape_of("F-22", "cap", size=4).sizes
    [4]
    """
    shape = formation_table().shapes.get(type_name, {}).get(mission, SINGLE)
    if size is not None:
        return shape.model_copy(update={"sizes": [size], "weights": [1.0]})
    return shape


def mean_size(shape: Shape) -> float:
    """Expected number of aircraft in a formation of this shape.

    Examples
    --------
    >>> round(mean_size(shape_of("F-16", "strike")), 3)
    2.6
    """
    w = np.asarray(shape.weights, dtype=float)
    return float(np.dot(shape.sizes, w / w.sum()))


def draw_size(shape: Shape, rng: np.random.Generator) -> int:
    """A formation's size."""
    if len(shape.sizes) == 1:
        return shape.sizes[0]
    w = np.asarray(shape.weights, dtype=float)
    return int(shape.sizes[int(rng.choice(len(w), p=w / w.sum()))])


def offset_route(points: list[Point] | tuple[Point, ...], lateral_m: float) -> list[Point]:
    """The route ``lateral_m`` to the right of the track (left if negative); ends stay put.

    Each inner point moves along the bisector of the turn it sits on, so every straight piece
    runs parallel to the lead's at the same distance.

    Examples
    --------
    >>> offset_route([(0, 0, 0), (0, 1000, 100), (0, 2000, 100), (0, 3000, 0)], 50.0)
    [(0, 0, 0), (50.0, 1000.0, 100), (50.0, 2000.0, 100), (0, 3000, 0)]
    """
    return _shifted(points, _bisectors(points), lateral_m)


def _shifted(
    points: list[Point] | tuple[Point, ...],
    bisectors: Bisectors,
    lateral_m: float,
) -> list[Point]:
    """The points moved ``lateral_m`` along their bisectors (``None``: the point stays)."""
    out: list[Point] = [tuple(points[0])]  # type: ignore[list-item]
    for i in range(1, len(points) - 1):
        b = bisectors[i]
        if b is None:
            out.append(tuple(points[i]))  # type: ignore[arg-type]
            continue
        ux, uy, scale = b
        x, y = float(points[i][0]), float(points[i][1])
        out.append((x + ux * lateral_m * scale, y + uy * lateral_m * scale, points[i][2]))
    out.append(tuple(points[-1]))  # type: ignore[arg-type]
    return out


Bisectors = tuple[tuple[float, float, float] | None, ...]


def _bisectors(
    points: list[Point] | tuple[Point, ...], skip: tuple[int, int] = (0, 0)
) -> Bisectors:
    """Per point: the unit bisector of its turn and how much longer it is than the offset
    (``None`` at the ends, where both legs are shorter than a metre, and at the indices
    ``[i, j)`` of ``skip``).

    The mean of the legs' normals is summed from zero and divided, as ``numpy.mean`` does,
    so a wingman's points come out the same for every offset (a formation's members and
    escorts share their lead's points: worked out once per lead and handed to
    :func:`_abreast`).
    """
    out: list[tuple[float, float, float] | None] = [None]
    for i in range(1, len(points) - 1):
        if skip[0] <= i < skip[1]:
            out.append(None)
            continue
        normals = []
        for a, b in ((points[i - 1], points[i]), (points[i], points[i + 1])):
            ax, ay, bx, by = float(a[0]), float(a[1]), float(b[0]), float(b[1])
            d = math.hypot(bx - ax, by - ay)
            if d > 1.0:
                normals.append(((by - ay) / d, -(bx - ax) / d))
        if not normals:
            out.append(None)
            continue
        sx = sy = 0.0
        for nx_, ny_ in normals:
            sx += nx_
            sy += ny_
        nx_, ny_ = sx / len(normals), sy / len(normals)
        norm = math.hypot(nx_, ny_)
        scale = 1.0 / max(norm, 0.5)  # the bisector is longer; at most twice (sharp turns)
        ux, uy = (nx_ / norm, ny_ / norm) if norm > 1e-9 else normals[0]
        out.append((ux, uy, scale))
    out.append(None)
    return tuple(out)


def _abreast(lead: FlightPlan, lateral_m: float, bisectors: Bisectors) -> list[Point]:
    """The lead's points offset to the side outside its station pattern, its own inside
    (``bisectors``: ``_bisectors(lead.points, lead.station)``).
    """
    i, j = lead.station
    side = _shifted(lead.points, bisectors, lateral_m)
    return [p if i <= k < j else side[k] for k, p in enumerate(lead.points)]


def _airborne_shift(points: list[Point], dz_m: float) -> list[Point]:
    """Raise every point off the ground (not the take-off and landing points) by ``dz_m``."""
    if len(points) < 2:
        return list(points)
    inner = [(x, y, z + dz_m) for x, y, z in points[1:-1]]
    return [points[0], *inner, points[-1]]


def _airborne_at(points: list[Point], z_m: float) -> list[Point]:
    """Every point off the ground (not the take-off and landing points) flown at ``z_m``."""
    if len(points) < 2:
        return list(points)
    return [points[0], *[(p[0], p[1], z_m) for p in points[1:-1]], points[-1]]


def members(
    lead: FlightPlan,
    shape: Shape,
    escort: EscortSpec | None,
    level_m: float,
    rng: np.random.Generator,
) -> list[FlightPlan]:
    """Every aircraft of the formation ``lead`` leads: the lead, its wingmen, its escort.

    A formation of one with no escort is the lead alone, with no formation id.
    """
    if lead.kind == "missile":
        return [lead]
    size = draw_size(shape, rng)
    escorted = escort is not None and float(rng.uniform()) < escort.share
    if size == 1 and not escorted:
        return [lead]
    lead = dataclasses.replace(lead, formation=lead.id)
    out = [lead, *wingmen(lead, size, shape, level_m, rng)]
    if escorted:
        assert escort is not None
        out += escort_plans(lead, escort, level_m, rng)
    return out


def wingmen(
    lead: FlightPlan, size: int, shape: Shape, level_m: float, rng: np.random.Generator
) -> list[FlightPlan]:
    """The wingmen (members 2 to ``size``) of a formation led by ``lead``.

    Member ``m`` takes off ``m - 1`` spacings after the lead and flies its plan: in trail, the
    lead's points; abreast, the lead's points offset to the side on the way out and back
    (echelon) and the lead's own points over the station pattern, where it trails (parallel
    tracks round a pattern would drift apart: the outer one is longer). ``level_m`` is the
    lead's cruise level (its points carry the level plus its own altitude-keeping error);
    each wingman gets its own error instead, and the second element flies ``stack_ft`` higher.
    """
    keeping = formation_table().station
    spacing = keeping.spacing_nm * NM
    lead_error = _cruise_alt(lead) - level_m
    abreast = shape.station == "abreast"
    bisectors = _bisectors(lead.points, lead.station) if abreast and size > 1 else ()
    out = []
    for member in range(2, size + 1):
        stack = keeping.stack_ft * FT if member >= 3 else 0.0
        dz = stack + profiles.keeping_error_m(rng) - lead_error
        depart = lead.depart_s + (member - 1) * spacing / lead.speed_mps
        points = list(lead.points)
        if abreast:
            lateral = {2: spacing, 3: -spacing, 4: 2 * spacing}[member]
            points = _abreast(lead, lateral, bisectors)
        out.append(
            dataclasses.replace(
                lead,
                id=f"{lead.id}-{member}",
                depart_s=depart,
                points=tuple(_airborne_shift(points, dz)),
                formation=lead.id,
            )
        )
    return out


def escort_plans(
    lead: FlightPlan, escort: EscortSpec, level_m: float, rng: np.random.Generator
) -> list[FlightPlan]:
    """The escort of a package led by ``lead``: ``escort.size`` aircraft of ``escort.type``
    on the package's track, ``escort.trail_nm`` behind it, at a level of their own at least
    ``escort.above_ft`` above the package's cruise level (within the type's band).
    """
    t = aircraft.find_type(escort.type)
    lo_ft = max(level_m / FT + escort.above_ft, t.min_alt_ft)
    hi_ft = max(t.max_alt_ft, lo_ft)
    escort_level = profiles.draw_level((lo_ft, hi_ft), rng) * FT
    spacing = formation_table().station.spacing_nm * NM
    depart = lead.depart_s + escort.trail_nm * NM / lead.speed_mps
    bisectors = _bisectors(lead.points, lead.station) if escort.size > 1 else ()
    out = []
    for k in range(1, escort.size + 1):
        z = escort_level + profiles.keeping_error_m(rng)
        lateral = {1: 0.0, 2: spacing, 3: -spacing, 4: 2 * spacing}[k]
        points = _abreast(lead, lateral, bisectors) if lateral else list(lead.points)
        flat = _airborne_at(points, z)
        out.append(
            dataclasses.replace(
                lead,
                id=f"{lead.id}-e{k}",
                type=t.name,
                kind=t.kind,
                mission="escort",
                depart_s=depart,
                points=tuple(flat),
                formation=lead.id,
                group=f"{lead.id}-e",
            )
        )
    return out


def _cruise_alt(plan: FlightPlan) -> float:
    """The altitude the plan cruises at: that of its first point off the ground."""
    for p in plan.points[1:]:
        if p[2] > 0:
            return p[2]
    return 0.0
