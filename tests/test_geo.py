"""Tests for sim.geo, sim.places and sim.zones: projection, places, borders, the Euphrates line
and zones."""

from __future__ import annotations

import doctest
import math
import pickle
from importlib import resources

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon

import sim.geo
import sim.places
import sim.zones
from sim.geo import (
    REGIONS,
    countries,
    country_names,
    euphrates,
    side_of_euphrates,
    syria,
    to_latlon,
    to_xy,
)
from sim.places import UnknownPlaceError, find_place, places
from sim.units import NM
from sim.zones import ZoneError, zone_polygon

GEOD = Geod(ellps="WGS84")
CENTRE = (35.0, 38.5)

lats = st.floats(25.0, 52.0)
lons = st.floats(30.0, 55.0)


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


# --------------------------------------------------------------------------- projection


@settings(max_examples=300, deadline=None)
@given(lat=lats, lon=lons)
def test_round_trip_is_sub_millimetre(lat: float, lon: float) -> None:
    back_lat, back_lon = to_latlon(*to_xy(lat, lon))
    assert geodesic_m(lat, lon, back_lat, back_lon) < 1e-3


@settings(max_examples=300, deadline=None)
@given(lat=lats, lon=lons)
def test_distance_from_centre_is_geodesic(lat: float, lon: float) -> None:
    x, y = to_xy(lat, lon)
    assert math.hypot(x, y) == pytest.approx(geodesic_m(*CENTRE, lat, lon), abs=1.0)


def test_centre_is_origin() -> None:
    x, y = to_xy(*CENTRE)
    assert abs(x) < 1e-6 and abs(y) < 1e-6


def test_axes_point_east_and_north() -> None:
    x_east, y_east = to_xy(35.0, 39.5)
    x_north, y_north = to_xy(36.0, 38.5)
    assert x_east > 90_000 and abs(y_east) < 2_000
    assert y_north > 110_000 and abs(x_north) < 1e-6


def test_hmeymim_to_raqqa_distance() -> None:
    a, b = find_place("Hmeymim"), find_place("Raqqa")
    plane = math.dist(a.xy, b.xy)
    geodesic = geodesic_m(a.lat, a.lon, b.lat, b.lon)
    assert 250_000 < geodesic < 300_000
    assert plane == pytest.approx(geodesic, rel=0.005)


def test_scalars_give_floats_and_arrays_keep_their_shape() -> None:
    x, y = to_xy(35.5, 36.0)
    assert type(x) is float and type(y) is float
    lat = np.array([[33.0, 34.0, 35.0], [36.0, 37.0, 38.0]])
    lon = np.full_like(lat, 39.0)
    xs, ys = to_xy(lat, lon)
    assert xs.shape == ys.shape == lat.shape
    back_lat, back_lon = to_latlon(xs, ys)
    np.testing.assert_allclose(back_lat, lat, atol=1e-9)
    np.testing.assert_allclose(back_lon, lon, atol=1e-9)


def test_inputs_broadcast_and_are_not_modified() -> None:
    lat = np.array([34.0, 35.0, 36.0])
    before = lat.copy()
    xs, ys = to_xy(lat, 38.5)
    assert xs.shape == (3,)
    np.testing.assert_allclose(xs, 0.0, atol=1e-6)
    np.testing.assert_array_equal(lat, before)


# --------------------------------------------------------------------------- places

SOURCES_MD = resources.files("sim").joinpath("data", "SOURCES.md").read_text(encoding="utf-8")
# Points that the data notes say fall outside their country polygon by more than 1 km.
DOCUMENTED_OUTSIDE = {"RAF Akrotiri"}


def test_places_load() -> None:
    table = places()
    assert len(table) >= 35
    for name, place in table.items():
        assert name == place.name
        assert -90 <= place.lat <= 90 and -180 <= place.lon <= 180
        assert place.note, f"{name} has no source note"
        assert isinstance(place.aliases, tuple)


def test_places_returns_a_fresh_dict() -> None:
    places().clear()
    assert "Raqqa" in places()


@pytest.mark.parametrize("name", sorted(DOCUMENTED_OUTSIDE))
def test_exceptions_are_documented(name: str) -> None:
    assert name in SOURCES_MD


def test_syrian_places_are_in_syria() -> None:
    area = syria()
    for place in places().values():
        if place.country == "SYR" and place.name not in DOCUMENTED_OUTSIDE:
            assert area.distance(Point(place.xy)) < 1_000, place.name


def test_land_places_are_in_their_country() -> None:
    borders = countries()
    checked = 0
    for place in places().values():
        if place.country in borders and place.name not in DOCUMENTED_OUTSIDE:
            assert borders[place.country].distance(Point(place.xy)) < 1_000, place.name
            checked += 1
    assert checked >= 25


def test_sea_areas_are_at_sea() -> None:
    sea = [p for p in places().values() if p.country in ("MED", "CAS")]
    assert len(sea) == 3
    for place in sea:
        assert not any(g.contains(Point(place.xy)) for g in countries().values()), place.name


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Hmeymim", "Hmeymim (Khmeimim) air base"),
        ("Khmeimim", "Hmeymim (Khmeimim) air base"),
        ("HMEIMIM", "Hmeymim (Khmeimim) air base"),
        ("hmeymim (khmeimim) air base", "Hmeymim (Khmeimim) air base"),
        ("Palmyra", "Palmyra (Tadmur)"),
        ("tadmur", "Palmyra (Tadmur)"),
        ("Al Udeid", "Al Udeid air base"),
        ("CAOC", "Al Udeid air base"),
        ("Abu Kamal", "Abu Kamal (Al-Bukamal)"),
        ("Al-Bukamal", "Abu Kamal (Al-Bukamal)"),
        ("albu kamal", "Abu Kamal (Al-Bukamal)"),
        ("T-4", "Tiyas (T-4) air base"),
        ("t4", "Tiyas (T-4) air base"),
        ("Tiyas", "Tiyas (T-4) air base"),
        ("Kobani", "Kobani (Ayn al-Arab)"),
        ("Ayn al-Arab", "Kobani (Ayn al-Arab)"),
        ("Deir ez-Zor", "Deir ez-Zor"),
        ("deir ez zor", "Deir ez-Zor"),
        ("Deir ezzor", "Deir ez-Zor"),
        ("Dayr az-Zawr", "Deir ez-Zor"),
        ("Engels", "Engels-2 air base"),
        ("Mozdok", "Mozdok air base"),
        ("incirlik", "Incirlik air base"),
        ("Muwaffaq Salti", "Muwaffaq Salti air base"),
        ("Azraq", "Muwaffaq Salti air base"),
        ("Akrotiri", "RAF Akrotiri"),
        ("East Med", "Eastern Mediterranean carrier box (centre)"),
        ("carrier box", "Eastern Mediterranean carrier box (centre)"),
        ("Caspian", "Caspian Sea Kalibr launch area"),
        ("Tabqa", "Tabqa (Tabqa Dam)"),
        ("Al Tanf", "Al Tanf garrison"),
        ("Kuweires", "Kuweires air base"),
        ("Mediterranean Kalibr launch area", "Mediterranean Kalibr launch area"),
    ],
)
def test_find_place_by_name_alias_and_case(query: str, expected: str) -> None:
    assert find_place(query).name == expected


def test_every_name_and_alias_finds_its_place() -> None:
    for place in places().values():
        for label in (place.name, *place.aliases):
            assert find_place(label) == place
            assert find_place(label.upper()) == place


def test_unknown_place_suggests_the_right_name() -> None:
    with pytest.raises(UnknownPlaceError) as info:
        find_place("Hmeymin")
    assert str(info.value) == "unknown place 'Hmeymin'; did you mean 'Hmeymim'?"
    assert info.value.suggestions[0] == "Hmeymim"
    assert isinstance(info.value, LookupError)


def test_unknown_place_suggestion_for_a_misspelt_city() -> None:
    with pytest.raises(UnknownPlaceError, match="did you mean 'Raqqa'"):
        find_place("Raqa")


def test_unknown_place_without_suggestions() -> None:
    with pytest.raises(UnknownPlaceError) as info:
        find_place("Vladivostok")
    assert str(info.value) == "unknown place 'Vladivostok'"
    with pytest.raises(UnknownPlaceError):
        find_place("")


def test_unknown_place_error_pickles() -> None:
    with pytest.raises(UnknownPlaceError) as info:
        find_place("Hmeymin")
    clone = pickle.loads(pickle.dumps(info.value))
    assert str(clone) == str(info.value)


def test_place_xy_matches_to_xy() -> None:
    place = find_place("Damascus")
    assert place.xy == to_xy(place.lat, place.lon)


# --------------------------------------------------------------------------- borders


def test_countries_are_valid_polygons_in_the_plane() -> None:
    borders = countries()
    assert set(borders) == set(country_names())
    for iso, geom in borders.items():
        assert isinstance(geom, Polygon | MultiPolygon), iso
        assert geom.is_valid, iso
        assert shapely.is_prepared(geom), iso
    # Syria is about 185,000 km²; the plane's areas are close to true areas here.
    assert syria().area == pytest.approx(185_180e6, rel=0.01)
    assert country_names()["SYR"] == "Syria"


def test_regions_list_matches_the_data() -> None:
    assert set(REGIONS) == {"east-of-euphrates", "west-of-euphrates", *countries()}


def test_euphrates_runs_from_turkey_to_iraq() -> None:
    line = euphrates()
    start, end = Point(line.coords[0]), Point(line.coords[-1])
    assert countries()["TUR"].contains(start)
    assert countries()["IRQ"].contains(end)
    assert syria().intersects(line)


# --------------------------------------------------------------------------- Euphrates


@pytest.mark.parametrize("name", ["Hmeymim", "Damascus", "Palmyra", "Latakia", "Homs", "Al Tanf"])
def test_west_bank_is_plus_one(name: str) -> None:
    assert side_of_euphrates(*find_place(name).xy) == 1


@pytest.mark.parametrize(
    "latlon",
    [
        (36.5, 40.75),  # near Hasakah
        (36.8911, 38.3536),  # Kobani
        (35.95, 39.0167),  # Raqqa city, on the north bank
        (37.05, 41.22),  # Qamishli area
    ],
)
def test_east_bank_is_minus_one(latlon: tuple[float, float]) -> None:
    assert side_of_euphrates(*to_xy(*latlon)) == -1


def test_side_is_vectorised() -> None:
    lat = np.array([[33.5, 36.5], [34.56, 36.89]])
    lon = np.array([[36.29, 40.75], [38.28, 38.35]])
    sides = side_of_euphrates(*to_xy(lat, lon))
    assert sides.shape == (2, 2)
    assert sides.tolist() == [[1, -1], [1, -1]]


COORDS = np.asarray(euphrates().coords)


@settings(max_examples=200, deadline=None)
@given(
    segment=st.integers(0, len(COORDS) - 2),
    fraction=st.floats(0.2, 0.8),
    offset_m=st.floats(500.0, 3_000.0),
)
def test_points_either_side_of_the_line_get_opposite_signs(
    segment: int, fraction: float, offset_m: float
) -> None:
    a, b = COORDS[segment], COORDS[segment + 1]
    along = b - a
    left_normal = np.array([-along[1], along[0]]) / np.hypot(*along)
    foot = a + fraction * along
    left, right = foot + offset_m * left_normal, foot - offset_m * left_normal
    line = euphrates()
    # Only where the offset point is nearest to this very segment (not across a bend).
    assume(abs(line.distance(Point(left)) - offset_m) < 1.0)
    assume(abs(line.distance(Point(right)) - offset_m) < 1.0)
    # The line runs downstream, so its left is the east / north-east bank.
    assert side_of_euphrates(*left) == -1
    assert side_of_euphrates(*right) == 1


# --------------------------------------------------------------------------- zones


@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(["Al Tanf", "Hmeymim", "Raqqa", "Palmyra", "Engels", "Al Udeid"]),
    radius_nm=st.floats(1.0, 100.0),
    bearing=st.floats(0.0, 2 * math.pi),
)
def test_circle_zone(name: str, radius_nm: float, bearing: float) -> None:
    zone = zone_polygon(place=name, radius_nm=radius_nm)
    r = radius_nm * NM
    assert zone.area == pytest.approx(math.pi * r * r, rel=0.005)
    x, y = find_place(name).xy
    assert zone.contains(Point(x, y))
    direction = np.array([math.cos(bearing), math.sin(bearing)])
    assert zone.contains(Point(np.array([x, y]) + 0.99 * r * direction))
    assert not zone.contains(Point(np.array([x, y]) + 1.01 * r * direction))
    assert shapely.is_prepared(zone)


def test_center_zone_matches_place_zone() -> None:
    tanf = find_place("Al Tanf")
    by_place = zone_polygon(place="Al Tanf", radius_nm=30)
    by_center = zone_polygon(center=(tanf.lat, tanf.lon), radius_nm=30)
    assert by_place.equals(by_center)


def test_polygon_zone() -> None:
    square = [(35.0, 38.0), (35.0, 39.0), (36.0, 39.0), (36.0, 38.0)]
    zone = zone_polygon(polygon=square)
    assert zone.is_valid and shapely.is_prepared(zone)
    assert zone.contains(Point(to_xy(35.5, 38.5)))
    assert not zone.contains(Point(to_xy(36.5, 38.5)))
    closed = zone_polygon(polygon=[*square, square[0]])
    assert closed.equals(zone)
    reversed_ring = zone_polygon(polygon=square[::-1])
    assert reversed_ring.equals(zone)


@pytest.mark.parametrize(
    ("vertices", "message"),
    [
        ([(35, 38), (36, 39), (35, 39), (36, 38)], "self-intersection near lat 35.5"),
        ([(35, 38), (36, 39)], "at least 3 distinct vertices"),
        ([(35, 38), (36, 39), (35, 38)], "at least 3 distinct vertices"),
        ([(35, 38), (35.5, 38.5), (36, 39)], "zero area"),
        ([(35, 38), (36, 39), (95, 39)], r"polygon\[2\].*latitude"),
        ([(35, 38), (36, 39), (35, "x")], r"polygon\[2\].*finite numbers"),
        ([(35, 38), (36, 39), (35,)], r"polygon\[2\].*\(lat, lon\) pair"),
        ("35,38 36,39 35,39", "list of"),
    ],
)
def test_bad_polygon_raises_zone_error(vertices: object, message: str) -> None:
    with pytest.raises(ZoneError, match=message):
        zone_polygon(polygon=vertices)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of polygon, place, center or region; got none"),
        ({"place": "Raqqa", "region": "Syria", "radius_nm": 5}, "got place, region"),
        ({"place": "Raqqa"}, "needs radius_nm"),
        ({"center": (35.0, 38.0)}, "needs radius_nm"),
        ({"region": "Syria", "radius_nm": 5}, "radius_nm applies only"),
        ({"place": "Raqqa", "radius_nm": 0}, "positive"),
        ({"place": "Raqqa", "radius_nm": float("nan")}, "positive"),
        ({"place": "Raqa", "radius_nm": 5}, "unknown place 'Raqa'; did you mean 'Raqqa'"),
        ({"center": (135.0, 38.0), "radius_nm": 5}, "center"),
        ({"region": "Syira"}, "unknown region 'Syira'; did you mean 'Syria'"),
    ],
)
def test_bad_zone_descriptions(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ZoneError, match=message):
        zone_polygon(**kwargs)  # type: ignore[arg-type]


def test_region_syria_equals_syria() -> None:
    assert zone_polygon(region="Syria").equals(syria())
    assert zone_polygon(region="syr").equals(syria())
    assert zone_polygon(region="Turkey").equals(countries()["TUR"])


def test_euphrates_halves_partition_syria() -> None:
    east = zone_polygon(region="east-of-euphrates")
    west = zone_polygon(region="West of Euphrates")
    assert east.area + west.area == pytest.approx(syria().area, rel=1e-6)
    assert east.intersection(west).area < 1e-6 * syria().area
    assert 0.15 < east.area / syria().area < 0.4
    assert side_of_euphrates(*east.representative_point().coords[0]) == -1
    assert side_of_euphrates(*west.representative_point().coords[0]) == 1
    assert east.contains(Point(to_xy(36.5, 40.75)))
    assert west.contains(Point(find_place("Palmyra").xy))
    assert shapely.is_prepared(east) and shapely.is_prepared(west)


# --------------------------------------------------------------------------- docs


@pytest.mark.parametrize("module", [sim.geo, sim.places, sim.zones], ids=lambda m: m.__name__)
def test_docstring_examples_run(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 3
    assert result.failed == 0
