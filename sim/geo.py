"""The simulation plane, country borders, places, the Euphrates line and zones.

Every position inside the simulator lives in one plane: the azimuthal equidistant projection
:data:`PLANE_PROJ`, centred on 35°N 38.5°E, in metres, ``x`` east and ``y`` north. Distances
from the centre are true geodesic distances; elsewhere over Syria and its neighbours the
plane's distances are within a fraction of a percent of the geodesic ones.

Everything here is read lazily from the package data (``sim/data``) on first use and then
kept: the projection, the places, the country borders and the Euphrates line. Geometries are
Shapely 2 objects in the plane, prepared for fast point queries.

Conventions
-----------
- Functions take latitude before longitude (``to_xy(lat, lon)``, ``center=(lat, lon)``);
  GeoJSON files store longitude first, which this module handles.
- :func:`side_of_euphrates` returns ``+1`` on the west / south-west bank (the Russian and
  regime side of the 2017 deconfliction line) and ``-1`` on the east / north-east bank (the
  Coalition / SDF side).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import overload

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import split

from sim.names import NameIndex, UnknownNameError, did_you_mean
from sim.units import NM

__all__ = [
    "PLANE_PROJ",
    "REGIONS",
    "Area",
    "Place",
    "UnknownPlaceError",
    "ZoneError",
    "countries",
    "country_names",
    "euphrates",
    "find_place",
    "places",
    "side_of_euphrates",
    "syria",
    "to_latlon",
    "to_xy",
    "zone_polygon",
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
"""Region names :func:`zone_polygon` accepts: the two halves of Syria split by the Euphrates,
and the ISO3 code of every country in ``countries.geojson``. Country names ("Syria",
"Turkey") are accepted too, and all names are matched case-insensitively."""

Area = Polygon | MultiPolygon
"""A polygonal area in the plane."""

_CIRCLE_QUAD_SEGS = 16  # 64 segments for a full circle: area within 0.2 % of pi r^2
_SPLIT_FRAME_M = 5.0e6  # half-width of the square the Euphrates line splits in two
_SPLIT_REACH_M = 1.0e7  # how far the line's ends are extended, beyond the frame
_WEST_REFERENCE = (33.51, 36.29)  # Damascus: certainly on the west / south-west side
_PLACE_COLUMNS = ("name", "kind", "lat", "lon", "country", "aliases", "note")


class UnknownPlaceError(UnknownNameError):
    """No place has this name or alias (``name``, ``suggestions``)."""

    what = "place"


class ZoneError(ValueError):
    """A zone description is incomplete, ambiguous or geometrically invalid."""


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


# --------------------------------------------------------------------------- places


@dataclass(frozen=True)
class Place:
    """A named point from ``places.csv``.

    Attributes
    ----------
    name : str
        Canonical name, e.g. ``"Hmeymim (Khmeimim) air base"``.
    kind : str
        ``city``, ``airbase_ru``, ``airbase_us``, ``naval_area``, ``launch_area_ru``, ...
    lat, lon : float
        Degrees, WGS84.
    country : str
        ISO3 code, or ``RUS`` / ``CAS`` (Caspian Sea) / ``MED`` (Mediterranean sea area).
    note : str
        Source and accuracy of the coordinates.
    aliases : tuple of str
        Other names the place answers to.
    """

    name: str
    kind: str
    lat: float
    lon: float
    country: str
    note: str
    aliases: tuple[str, ...] = ()

    @property
    def xy(self) -> tuple[float, float]:
        """Position in the simulation plane, metres.

        Examples
        --------
        >>> x, y = find_place("Raqqa").xy
        >>> round(x / 1000), round(y / 1000)
        (47, 106)
        """
        return to_xy(self.lat, self.lon)


def _parse_place(row: dict[str, str], line: int) -> Place:
    where = f"places.csv line {line}"
    try:
        lat, lon = float(row["lat"]), float(row["lon"])
    except ValueError as exc:
        raise ValueError(f"{where}: lat/lon must be numbers ({exc})") from exc
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"{where}: lat/lon out of range: {lat}, {lon}")
    name = row["name"].strip()
    if not name:
        raise ValueError(f"{where}: empty name")
    aliases = tuple(a.strip() for a in (row["aliases"] or "").split(";") if a.strip())
    return Place(
        name=name,
        kind=row["kind"].strip(),
        lat=lat,
        lon=lon,
        country=row["country"].strip(),
        note=row["note"].strip(),
        aliases=aliases,
    )


@functools.cache
def _place_table() -> tuple[Place, ...]:
    reader = csv.DictReader(io.StringIO(_data_text("places.csv")))
    missing = set(_PLACE_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"places.csv: missing columns {sorted(missing)}")
    return tuple(_parse_place(row, reader.line_num) for row in reader)


@functools.cache
def _place_index() -> NameIndex:
    return NameIndex.build("place", ((p.name, p.aliases) for p in _place_table()))


def places() -> dict[str, Place]:
    """All places, keyed by canonical name (a fresh dict; the data is read once).

    Examples
    --------
    >>> places()["Raqqa"].country
    'SYR'
    """
    return {p.name: p for p in _place_table()}


def find_place(name: str) -> Place:
    """Find a place by name or alias.

    Matching ignores case, accents, spaces and punctuation, so ``"deir ez zor"`` finds
    ``"Deir ez-Zor"`` and ``"khmeimim"`` finds the Hmeymim air base.

    Raises
    ------
    UnknownPlaceError
        If nothing matches; the message suggests close names.

    Examples
    --------
    >>> find_place("Khmeimim").name
    'Hmeymim (Khmeimim) air base'
    >>> find_place("deir ez zor").name
    'Deir ez-Zor'
    >>> find_place("Hmeymin")
    Traceback (most recent call last):
    ...
    sim.geo.UnknownPlaceError: unknown place 'Hmeymin'; did you mean 'Hmeymim'?
    """
    index = _place_index()
    canonical = index.get(name)
    if canonical is None:
        raise UnknownPlaceError(name, index.suggest(name))
    return places()[canonical]


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
    >>> countries()["SYR"].contains(Point(find_place("Palmyra").xy))
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
    >>> side_of_euphrates(*find_place("Damascus").xy)
    array(1)
    >>> side_of_euphrates(*to_xy([36.5, 33.5], [40.75, 36.3])).tolist()
    [-1, 1]
    """
    west, _ = _euphrates_halves()
    return np.where(shapely.intersects_xy(west, x, y), 1, -1)


# --------------------------------------------------------------------------- zones


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


def _region_zone(region: str) -> Area:
    index = _region_index()
    canonical = index.get(region)
    if canonical is None:
        hint = did_you_mean(index.suggest(region))
        raise ZoneError(
            f"unknown region {region!r}{hint} (regions: {EAST_OF_EUPHRATES}, "
            f"{WEST_OF_EUPHRATES}, an ISO3 code or a country name)"
        )
    return _region_geometry(canonical)


def _latlon_pair(value: object, what: str) -> tuple[float, float]:
    """Check a (lat, lon) pair in degrees."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
        raise ZoneError(f"{what}: expected a (lat, lon) pair, got {value!r}")
    lat, lon = value
    for v in (lat, lon):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ZoneError(f"{what}: expected finite numbers, got {value!r}")
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ZoneError(
            f"{what}: latitude must be in [-90, 90] and longitude in [-180, 180], got {value!r}"
        )
    return float(lat), float(lon)


def _radius_m(radius_nm: object) -> float:
    if (
        isinstance(radius_nm, bool)
        or not isinstance(radius_nm, int | float)
        or not math.isfinite(radius_nm)
        or radius_nm <= 0
    ):
        raise ZoneError(f"radius_nm: must be a positive number, got {radius_nm!r}")
    return float(radius_nm) * NM


def _circle(lat: float, lon: float, radius_m: float) -> Polygon:
    return Point(to_xy(lat, lon)).buffer(radius_m, quad_segs=_CIRCLE_QUAD_SEGS)


def _describe_invalid(poly: Polygon, in_plane: bool) -> str:
    """Shapely's validity reason, with its location as lat, lon."""
    reason = shapely.is_valid_reason(poly)
    found = re.match(r"\s*([^\[]+)\[\s*(\S+)\s+(\S+)\s*\]", reason)
    if not found:
        return reason
    u, v = float(found.group(2)), float(found.group(3))
    lat, lon = to_latlon(u, v) if in_plane else (v, u)
    return f"{found.group(1).strip().lower()} near lat {lat:.4f}, lon {lon:.4f}"


def _polygon_zone(vertices: object) -> Polygon:
    if isinstance(vertices, str | bytes) or not isinstance(vertices, Sequence):
        raise ZoneError(f"polygon: expected a list of (lat, lon) pairs, got {vertices!r}")
    pairs = [_latlon_pair(v, f"polygon[{i}]") for i, v in enumerate(vertices)]
    if len(pairs) > 1 and pairs[0] == pairs[-1]:
        pairs.pop()  # an explicitly closed ring
    if len(set(pairs)) < 3:
        raise ZoneError(f"polygon: needs at least 3 distinct vertices, got {len(set(pairs))}")
    lat, lon = np.array(pairs).T
    # Check the shape as written (degrees), then as projected into the plane.
    for in_plane, ring in (
        (False, np.column_stack([lon, lat])),
        (True, np.column_stack(to_xy(lat, lon))),
    ):
        poly = Polygon(ring)
        if poly.convex_hull.area == 0.0:
            raise ZoneError("polygon: has zero area (its vertices are collinear)")
        if not poly.is_valid:
            raise ZoneError(f"polygon: not a simple polygon: {_describe_invalid(poly, in_plane)}")
    return poly


def zone_polygon(
    *,
    polygon: Sequence[tuple[float, float]] | None = None,
    place: str | None = None,
    center: tuple[float, float] | None = None,
    radius_nm: float | None = None,
    region: str | None = None,
) -> Area:
    """The area of a zone in the plane, from exactly one of four descriptions.

    Parameters
    ----------
    polygon : sequence of (lat, lon), optional
        At least 3 distinct vertices (a closing repeat of the first is allowed), forming a
        simple polygon. Edges are straight lines in the plane.
    place : str, optional
        A place name or alias (see :func:`find_place`); needs ``radius_nm``.
    center : (lat, lon), optional
        Centre of a circle; needs ``radius_nm``.
    radius_nm : float, optional
        Circle radius in nautical miles, only with ``place`` or ``center``. The circle is a
        64-gon inscribed in the true circle (area within 0.2 %).
    region : str, optional
        One of :data:`REGIONS` or a country name (any case): a country, or
        ``"east-of-euphrates"`` / ``"west-of-euphrates"`` (those parts of Syria).

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon
        Valid and prepared, in plane metres.

    Raises
    ------
    ZoneError
        If not exactly one description is given, ``radius_nm`` is missing or misplaced, a
        name is unknown, or the polygon is degenerate or self-intersecting.

    Examples
    --------
    >>> tanf = zone_polygon(place="Al Tanf", radius_nm=55_000 / 1852)
    >>> round(tanf.area / 1e6)
    9488
    >>> zone_polygon(region="Syria").equals(syria())
    True
    >>> zone_polygon(polygon=[(35, 38), (36, 39), (35, 39), (36, 38)])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sim.geo.ZoneError: polygon: not a simple polygon: self-intersection near lat 35.50...
    """
    forms = {"polygon": polygon, "place": place, "center": center, "region": region}
    given = [form for form, value in forms.items() if value is not None]
    if len(given) != 1:
        raise ZoneError(
            "a zone needs exactly one of polygon, place, center or region; got "
            + (", ".join(given) if given else "none")
        )
    form = given[0]
    if form in ("place", "center") and radius_nm is None:
        raise ZoneError(f"a {form} zone needs radius_nm")
    if form in ("polygon", "region") and radius_nm is not None:
        raise ZoneError(f"radius_nm applies only to place and center zones, not to a {form} zone")

    if region is not None:
        return _region_zone(region)
    if polygon is not None:
        geom: Area = _polygon_zone(polygon)
    elif place is not None:
        try:
            found = find_place(place)
        except UnknownPlaceError as exc:
            raise ZoneError(str(exc)) from exc
        geom = _circle(found.lat, found.lon, _radius_m(radius_nm))
    else:
        geom = _circle(*_latlon_pair(center, "center"), _radius_m(radius_nm))
    shapely.prepare(geom)
    return geom
