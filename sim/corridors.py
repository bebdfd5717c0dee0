"""Corridors: the routes by which forces far from Syria reached it (``sim/data/corridors.toml``).

A corridor is a named polyline of waypoints, each with its source, and the bases it serves. A
sortie from such a base flies to the corridor's waypoint nearest the base, along the rest of
the waypoints, and from the last one straight to its aim point; it comes home the same way in
reverse. Russian long-range aviation and the Kalibr salvoes from the Caspian reach Syria over
the Caspian Sea, Iran and Iraq; ships and the carrier in the eastern Mediterranean from the sea.

Examples
--------
>>> find_corridor("caspian-iran-iraq").waypoints[0].name
'Dagestan coast'
>>> corridor_for_base("Mozdok air base").name
'caspian-iran-iraq'
>>> corridor_for_base("Incirlik air base") is None
True
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass
from importlib import resources

from sim import geo, places
from sim.names import NameIndex, UnknownNameError

__all__ = [
    "DIRECT",
    "Corridor",
    "UnknownCorridorError",
    "Waypoint",
    "corridor_for_base",
    "corridors",
    "find_corridor",
    "route_in",
]

DIRECT = "direct"
"""The corridor name that means: no corridor, straight from the base."""

Point2 = tuple[float, float]


class UnknownCorridorError(UnknownNameError):
    """No corridor has this name (``name``, ``suggestions``)."""

    what = "corridor"


@dataclass(frozen=True)
class Waypoint:
    """A corridor point: name, position (degrees) and the source of the position."""

    name: str
    lat: float
    lon: float
    source: str

    @property
    def xy(self) -> Point2:
        """Position in the simulation plane, metres."""
        return geo.to_xy(self.lat, self.lon)


@dataclass(frozen=True)
class Corridor:
    """A named route to Syria: its waypoints (from the far end towards Syria) and bases."""

    name: str
    title: str
    side: str
    bases: tuple[str, ...]
    """Canonical place names of the bases (and launch areas) it serves."""
    waypoints: tuple[Waypoint, ...]
    source: str

    def points(self) -> list[Point2]:
        """The waypoints in the plane, from the far end towards Syria."""
        return list(_projected(self.waypoints))


@functools.cache
def _projected(waypoints: tuple[Waypoint, ...]) -> tuple[Point2, ...]:
    """The waypoints' positions in the plane (projected once per corridor)."""
    return tuple(w.xy for w in waypoints)


def _parse(name: str, entry: dict[str, object]) -> Corridor:
    where = f"corridors.toml: {name}"
    try:
        wps = tuple(
            Waypoint(str(w["name"]), float(w["lat"]), float(w["lon"]), str(w["source"]))
            for w in entry["waypoints"]  # type: ignore[attr-defined]
        )
        bases = tuple(places.find_place(str(b)).name for b in entry["bases"])  # type: ignore[attr-defined]
        return Corridor(
            name, str(entry["title"]), str(entry["side"]), bases, wps, str(entry["source"])
        )
    except (KeyError, TypeError, ValueError, LookupError) as exc:
        raise ValueError(f"{where}: {exc}") from exc


@functools.cache
def _table() -> tuple[Corridor, ...]:
    text = resources.files("sim").joinpath("data", "corridors.toml").read_text(encoding="utf-8")
    return tuple(_parse(name, entry) for name, entry in tomllib.loads(text).items())


@functools.cache
def _index() -> NameIndex:
    return NameIndex.build("corridor", [(DIRECT, ()), *((c.name, ()) for c in _table())])


def corridors() -> dict[str, Corridor]:
    """All corridors, keyed by name."""
    return {c.name: c for c in _table()}


def find_corridor(name: str) -> Corridor | None:
    """A corridor by name (``None`` for ``"direct"``).

    Raises
    ------
    UnknownCorridorError
        If nothing matches; the message suggests close names.

    Examples
    --------
    >>> find_corridor("direct") is None
    True
    >>> try:
    ...     find_corridor("caspian-iran-irak")
    ... except UnknownCorridorError as exc:
    ...     print(exc.suggestions)
    ('caspian-iran-iraq',)
    """
    canonical = _index().get(name)
    if canonical is None:
        raise UnknownCorridorError(name, _index().suggest(name))
    return None if canonical == DIRECT else corridors()[canonical]


def corridor_for_base(base: str) -> Corridor | None:
    """The corridor that serves a base (by its canonical place name), if any."""
    for c in _table():
        if base in c.bases:
            return c
    return None


def route_in(corridor: Corridor | None, base: Point2) -> list[Point2]:
    """The corridor waypoints a flight from ``base`` flies towards Syria (none if ``None``).

    It joins at the waypoint nearest the base and follows the rest in order.

    Examples
    --------
    >>> c = find_corridor("caspian-iran-iraq")
    >>> mozdok, caspian = places.find_place("Mozdok").xy, places.find_place("Caspian").xy
    >>> len(route_in(c, mozdok)), len(route_in(c, caspian))
    (6, 5)
    """
    if corridor is None:
        return []
    pts = corridor.points()
    start = min(range(len(pts)), key=lambda i: math.dist(pts[i], base))
    return pts[start:]
