"""The simulation plane, country borders, the Euphrates line and regions.

Every position inside the simulator lives in one plane: the azimuthal equidistant projection
:data:`PLANE_PROJ`, centred on 35°N 38.5°E, in metres, ``x`` east and ``y`` north. Distances
from the centre are true geodesic distances; elsewhere over Syria and its neighbours the
plane's distances are within a fraction of a percent of the geodesic ones.

Everything here is read lazily from the package data (``sim/data``) on first use and then
kept: the projection, the country borders and the Euphrates line. Geometries are Shapely 2
objects in the plane, prepared for fast point queries. Named places are in
:mod:`sim.places`; zones (polygons, circles and regions) in :mod:`sim.zones`.

Conventions
-----------
- Functions take latitude before longitude (``to_xy(lat, lon)``, a zone's
  ``center=(lat, lon)``); GeoJSON files store longitude first, which this module handles.
- :func:`side_of_euphrates` returns ``+1`` on the west / south-west bank (the Russian and
  regime side of the 2017 deconfliction line) and ``-1`` on the east / north-east bank (the
  Coalition / SDF side).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources
from typing import overload

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import split

from sim.names import NameIndex, UnknownNameError

__all__ = [
    "PLANE_PROJ",
    "REGIONS",
    "Area",
    "UnknownRegionError",
    "countries",
    "country_names",
    "euphrates",
    "find_region",
    "side_of_euphrates",
    "syria",
    "to_latlon",
    "to_xy",
]

PLANE_PROJ = "+proj=aeqd +lat_0=35 +lon_0=38.5 +datum=WGS84 +units=m"
"""PROJ string of the simulation plane (azimuthal equidistant, metres)."""

EAST_OF_EUPHRATES = "east-of-euphrates"
WEST_OF_EUPHRATES = "west-of-euphrates"

REGIONS: tuple[str, ...] = (
    EAST_OF_EUPHRATES,
    WEST_OF_EUPHRATES,
    "SYR",
    "TUR",
    "IRQ",
    "JOR",
    "LBN",
    "ISR",
    "PSE",
    "CYP",
    "CYN",
    "SAU",
    "QAT",
    "ARE",
    "IRN",
    "KWT",
    "EGY",
    "GEO",
    "ARM",
    "AZE",
    "BHR",
    "OMN",
)
"""Region names :func:`find_region` (and so a zone's ``region``) accepts: the two halves of
Syria split by the Euphrates, and the ISO3 code of every country in ``countries.geojson``.
Country names ("Syria", "Turkey") are accepted too, and all names are matched
case-insensitively."""

Area = Polygon | MultiPolygon
"""A polygonal area in the plane."""

_SPLIT_FRAME_M = 5.0e6  # half-width of the square the Euphrates line splits in two
_SPLIT_REACH_M = 1.0e7  # how far the line's ends are extended, beyond the frame
_WEST_REFERENCE = (33.51, 36.29)  # Damascus: certainly on the west / south-west side


class UnknownRegionError(UnknownNameError):
    """No region has this name (``name``, ``suggestions``)."""

    what = "region"


# --------------------------------------------------------------------------- projection


@functools.cache
def _transformers() -> tuple[pyproj.Transformer, pyproj.Transformer]:
    """(forward lon/lat -> x/y, inverse x/y -> lon/lat), built once on first use."""
    plane = pyproj.CRS.from_proj4(PLANE_PROJ)
    forward = pyproj.Transformer.from_crs("EPSG:4326", plane, always_xy=True)
    inverse = pyproj.Transformer.from_crs(plane, "EPSG:4326", always_xy=True)
    return forward, inverse


def _transform(
    transformer: pyproj.Transformer, a: npt.ArrayLike, b: npt.ArrayLike
) -> tuple[float, float] | tuple[np.ndarray, np.ndarray]:
    arr_a, arr_b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    if arr_a.ndim == 0:
        u, v = transformer.transform(float(arr_a), float(arr_b))
        return float(u), float(v)
    u, v = transformer.transform(np.array(arr_a), np.array(arr_b))
    return np.asarray(u, dtype=float), np.asarray(v, dtype=float)


@overload
def to_xy(lat: float, lon: float) -> tuple[float, float]: ...
@overload
def to_xy(lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]: ...
def to_xy(
    lat: npt.ArrayLike, lon: npt.ArrayLike
) -> tuple[float, float] | tuple[np.ndarray, np.ndarray]:
    """Project latitude/longitude (degrees, WGS84) to the simulation plane (metres).

    Parameters
    ----------
    lat, lon : float or array_like
        Degrees; arrays are broadcast against each other.

    Returns
    -------
    x, y : float or numpy.ndarray
        Metres east and north of 35°N 38.5°E; floats for scalar input, arrays otherwise.

    Examples
    --------
    >>> to_xy(35.0, 38.5) == (0.0, 0.0)
    True
    >>> x, y = to_xy([35.0, 36.0], [38.5, 38.5])
    >>> (y / 1000).round(1).tolist()
    [0.0, 110.9]
    """
    forward, _ = _transformers()
    return _transform(forward, lon, lat)


@overload
def to_latlon(x: float, y: float) -> tuple[float, float]: ...
@overload
def to_latlon(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]: ...
def to_latlon(
    x: npt.ArrayLike, y: npt.ArrayLike
) -> tuple[float, float] | tuple[np.ndarray, np.ndarray]:
    """Unproject plane coordinates (metres) to latitude/longitude (degrees, WGS84).

    The inverse of :func:`to_xy`.

    Examples
    --------
    >>> lat, lon = to_latlon(*to_xy(35.95, 39.0167))
    >>> round(lat, 6), round(lon, 6)
    (35.95, 39.0167)
    """
    _, inverse = _transformers()
    lon, lat = _transform(inverse, x, y)
    return lat, lon


def _lonlat_to_plane(coords: np.ndarray) -> np.ndarray:
    """(N, 2) lon/lat -> (N, 2) x/y, for :func:`shapely.transform`."""
    x, y = to_xy(coords[:, 1], coords[:, 0])
    return np.column_stack([x, y])


def _data_text(filename: str) -> str:
    return resources.files("sim").joinpath("data", filename).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- countries


def _polygonal(geom: BaseGeometry) -> Area:
    """Valid polygonal part of a geometry (make_valid, drop lines and points)."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon | MultiPolygon)]
    merged = shapely.union_all(parts)
    if isinstance(merged, Polygon | MultiPolygon):
        return merged
    return MultiPolygon([p for p in shapely.get_parts(merged) if isinstance(p, Polygon)])


def _to_plane(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, _lonlat_to_plane)


@functools.cache
def _country_table() -> tuple[tuple[str, str, str, Area], ...]:
    """(ISO3, name, long name, prepared geometry in the plane) per feature."""
    features = json.loads(_data_text("countries.geojson"))["features"]
    rows = []
    for feature in features:
        props = feature["properties"]
        geom = _polygonal(_to_plane(shape(feature["geometry"])))
        shapely.prepare(geom)
        rows.append((props["iso_a3"], props["name"], props["name_long"], geom))
    return tuple(rows)


def countries() -> dict[str, Area]:
    """Country polygons in the plane, keyed by ISO3 code (valid and prepared).

    Natural Earth 1:10m de-facto borders; see ``sim/data/SOURCES.md``.

    Examples
    --------
    >>> sorted(countries())[:3]
    ['ARE', 'ARM', 'AZE']
    >>> countries()["SYR"].contains(Point(to_xy(34.56, 38.28)))  # Palmyra
    True
    """
    return {iso: geom for iso, _, _, geom in _country_table()}


def country_names() -> dict[str, str]:
    """Country names keyed by ISO3 code.

    Examples
    --------
    >>> country_names()["SYR"]
    'Syria'
    """
    return {iso: name for iso, name, _, _ in _country_table()}


def syria() -> Area:
    """Syria's polygon in the plane.

    Examples
    --------
    >>> round(syria().area / 1e9)  # thousand km²
    186
    """
    return countries()["SYR"]


# --------------------------------------------------------------------------- Euphrates


@functools.cache
def euphrates() -> LineString:
    """The Euphrates through Syria as a line in the plane, upstream to downstream.

    It runs from just inside Turkey above Jarabulus to just inside Iraq at Al-Qaim and stands
    for the 2017 deconfliction line (accurate to a few km; see ``SOURCES.md``).

    Examples
    --------
    >>> round(euphrates().length / 1000)
    486
    """
    features = json.loads(_data_text("euphrates.geojson"))["features"]
    line = _to_plane(shape(features[0]["geometry"]))
    if not isinstance(line, LineString):
        raise ValueError("euphrates.geojson: expected a LineString")
    return line


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.hypot(v[0], v[1])


@functools.cache
def _euphrates_halves() -> tuple[Polygon, Polygon]:
    """(west, east): a large square split by the Euphrates, its ends extended straight."""
    coords = np.asarray(euphrates().coords)
    start = coords[0] + _unit(coords[0] - coords[1]) * _SPLIT_REACH_M
    end = coords[-1] + _unit(coords[-1] - coords[-2]) * _SPLIT_REACH_M
    cutter = LineString(np.vstack([start, coords, end]))
    frame = box(-_SPLIT_FRAME_M, -_SPLIT_FRAME_M, _SPLIT_FRAME_M, _SPLIT_FRAME_M)
    pieces = list(split(frame, cutter).geoms)
    if len(pieces) != 2:
        raise ValueError(f"the Euphrates line splits the plane into {len(pieces)} parts, not 2")
    reference = Point(to_xy(*_WEST_REFERENCE))
    west, east = pieces if pieces[0].contains(reference) else pieces[::-1]
    shapely.prepare(west)
    return west, east


def side_of_euphrates(x: npt.ArrayLike, y: npt.ArrayLike) -> np.ndarray:
    """Which bank of the Euphrates plane points are on.

    The river line is extended straight beyond both of its ends (north-north-west into
    Turkey, east into Iraq) so that it cuts the plane in two; the answer is meaningful in and
    near Syria. Points exactly on the line count as west.

    Parameters
    ----------
    x, y : float or array_like
        Plane coordinates, metres (broadcast against each other).

    Returns
    -------
    numpy.ndarray of int
        ``+1`` on the west / south-west bank (Russian and regime side: Latakia, Damascus,
        Palmyra), ``-1`` on the east / north-east bank (Coalition / SDF side: Hasakah,
        Kobani). Same shape as the broadcast input (0-d for scalars).

    Examples
    --------
    >>> side_of_euphrates(*to_xy(33.5131, 36.2919))  # Damascus
    array(1)
    >>> side_of_euphrates(*to_xy([36.5, 33.5], [40.75, 36.3])).tolist()
    [-1, 1]
    """
    west, _ = _euphrates_halves()
    return np.where(shapely.intersects_xy(west, x, y), 1, -1)


# --------------------------------------------------------------------------- regions


@functools.cache
def _region_index() -> NameIndex:
    items: list[tuple[str, Iterable[str]]] = [(EAST_OF_EUPHRATES, ()), (WEST_OF_EUPHRATES, ())]
    items += [(iso, {name, long_name}) for iso, name, long_name, _ in _country_table()]
    return NameIndex.build("region", items)


@functools.cache
def _region_geometry(canonical: str) -> Area:
    if canonical in (EAST_OF_EUPHRATES, WEST_OF_EUPHRATES):
        west, east = _euphrates_halves()
        half = west if canonical == WEST_OF_EUPHRATES else east
        geom = _polygonal(shapely.intersection(syria(), half))
        shapely.prepare(geom)
        return geom
    return countries()[canonical]


def find_region(name: str) -> Area:
    """A region's area in the plane: a country, or one bank of the Euphrates within Syria.

    ``name`` is one of :data:`REGIONS` or a country name; matching ignores case, accents,
    spaces and punctuation.

    Raises
    ------
    UnknownRegionError
        If nothing matches; the message suggests close names.

    Examples
    --------
    >>> find_region("syria").equals(syria())
    True
    >>> round(find_region("East of Euphrates").area / 1e9)  # thousand km²
    49
    >>> find_region("Syrai")
    Traceback (most recent call last):
    ...
    sim.geo.UnknownRegionError: unknown region 'Syrai'; did you mean 'Syria'?
    """
    index = _region_index()
    canonical = index.get(name)
    if canonical is None:
        raise UnknownRegionError(name, index.suggest(name))
    return _region_geometry(canonical)
