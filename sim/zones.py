"""Zones: areas of the simulation plane described as a polygon, a circle or a region.

A zone is given by exactly one of: a polygon of (lat, lon) vertices, a place (see
:mod:`sim.places`) or a centre with a radius in nautical miles, or a region (a country or one
bank of the Euphrates in Syria, see :func:`sim.geo.find_region`). :func:`zone_polygon`
checks the description and returns a valid, prepared Shapely area in plane metres.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import Point, Polygon

from sim import geo
from sim.places import UnknownPlaceError, find_place
from sim.units import NM

__all__ = ["ZoneError", "zone_polygon"]

_CIRCLE_QUAD_SEGS = 16  # 64 segments for a full circle: area within 0.2 % of pi r^2


class ZoneError(ValueError):
    """A zone description is incomplete, ambiguous or geometrically invalid."""


def _region_zone(region: str) -> geo.Area:
    try:
        return geo.find_region(region)
    except geo.UnknownRegionError as exc:
        raise ZoneError(
            f"{exc} (regions: {geo.EAST_OF_EUPHRATES}, "
            f"{geo.WEST_OF_EUPHRATES}, an ISO3 code or a country name)"
        ) from exc


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
    return Point(geo.to_xy(lat, lon)).buffer(radius_m, quad_segs=_CIRCLE_QUAD_SEGS)


def _describe_invalid(poly: Polygon, in_plane: bool) -> str:
    """Shapely's validity reason, with its location as lat, lon."""
    reason = shapely.is_valid_reason(poly)
    found = re.match(r"\s*([^\[]+)\[\s*(\S+)\s+(\S+)\s*\]", reason)
    if not found:
        return reason
    u, v = float(found.group(2)), float(found.group(3))
    lat, lon = geo.to_latlon(u, v) if in_plane else (v, u)
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
        (True, np.column_stack(geo.to_xy(lat, lon))),
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
) -> geo.Area:
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
        One of :data:`sim.geo.REGIONS` or a country name (any case): a country, or
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
    >>> zone_polygon(region="Syria").equals(geo.syria())
    True
    >>> zone_polygon(polygon=[(35, 38), (36, 39), (35, 39), (36, 38)])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sim.zones.ZoneError: polygon: not a simple polygon: self-intersection near lat 35.50...
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
        geom: geo.Area = _polygon_zone(polygon)
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
