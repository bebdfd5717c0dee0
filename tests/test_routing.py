"""Routes around polygons: never inside, never shorter than possible, exact on known shapes."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

import sim.routing
from sim.routing import Router, first_entry, path_length, route_around

KM = 1000.0


def _around_circle(a: tuple[float, float], b: tuple[float, float], rho: float) -> float:
    """Shortest path between two points outside a disc at the origin: tangent, arc, tangent."""
    if LineString([a, b]).distance(Point(0, 0)) >= rho:
        return math.dist(a, b)
    da, db = math.hypot(*a), math.hypot(*b)
    theta = math.acos(np.clip(np.dot(a, b) / (da * db), -1.0, 1.0))
    arc = theta - math.acos(rho / da) - math.acos(rho / db)
    return math.sqrt(da * da - rho * rho) + math.sqrt(db * db - rho * rho) + rho * arc


def _samples(route: list[tuple[float, float]], step_m: float = 50.0) -> np.ndarray:
    if path_length(route) == 0:
        return np.asarray(route, dtype=float)
    return shapely.get_coordinates(shapely.segmentize(LineString(route), step_m))


coord = st.floats(-80 * KM, 80 * KM)
point = st.tuples(coord, coord)


@st.composite
def obstacle(draw) -> Polygon:
    cx, cy = draw(st.floats(-50 * KM, 50 * KM)), draw(st.floats(-50 * KM, 50 * KM))
    size = draw(st.floats(2 * KM, 25 * KM))
    kind = draw(st.sampled_from(["circle", "convex", "star"]))
    if kind == "circle":
        return Point(cx, cy).buffer(size)
    n = draw(st.integers(3, 10))
    gaps = np.array(draw(st.lists(st.floats(0.2, 1.0), min_size=n, max_size=n)))
    angles = draw(st.floats(0, 2 * math.pi)) + 2 * math.pi * np.cumsum(gaps) / gaps.sum()
    radii = np.array(draw(st.lists(st.floats(0.2, 1.0), min_size=n, max_size=n))) * size
    if kind == "convex":
        radii[:] = size
    poly = Polygon(np.c_[cx + radii * np.cos(angles), cy + radii * np.sin(angles)])
    assume(poly.is_valid and poly.area > 1e4)
    return poly


@settings(max_examples=150, deadline=None)
@given(
    start=point,
    end=point,
    obstacles=st.lists(obstacle(), min_size=1, max_size=4),
    buffer_m=st.sampled_from([0.0, 500.0, 3000.0]),
)
def test_routes_stay_out_and_are_no_shorter_than_the_straight_line(
    start, end, obstacles, buffer_m
) -> None:
    router = Router(obstacles, buffer_m)
    raw = shapely.unary_union(obstacles)
    assume(not router.area.contains(Point(start)))
    route = router.route(start, end)
    straight = math.dist(start, end)
    if route is None:
        # the end is blocked, or cut off from the start
        free = shapely.get_parts(box(-1e6, -1e6, 1e6, 1e6).difference(router.area))
        home = [k for k, part in enumerate(free) if part.covers(Point(start))]
        away = [k for k, part in enumerate(free) if part.covers(Point(end))]
        assert router.area.contains(Point(end)) or home != away
        return
    assert route[0] == start and route[-1] == end
    pts = _samples(route)
    assert shapely.distance(shapely.points(pts), raw).min() >= buffer_m - 1.0
    assert not shapely.contains_xy(shapely.buffer(raw, -1.0), pts[:, 0], pts[:, 1]).any()
    length = path_length(route)
    assert length >= straight - 1e-6
    gap = LineString([start, end]).distance(raw)
    if gap >= 1.06 * buffer_m and not LineString([start, end]).crosses(raw):
        assert route == [start, end]
    if gap < buffer_m - 1.0 or LineString([start, end]).intersects(shapely.buffer(raw, -1.0)):
        assert length > straight
    back = router.route(end, start)
    assert back is not None
    assert path_length(back) == pytest.approx(length, rel=1e-9, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    a=st.floats(0, 2 * math.pi),
    b=st.floats(0, 2 * math.pi),
    ra=st.floats(12 * KM, 60 * KM),
    rb=st.floats(12 * KM, 60 * KM),
)
def test_around_a_circle_matches_the_tangent_arc_tangent_length(a, b, ra, rb) -> None:
    start = (ra * math.cos(a), ra * math.sin(a))
    end = (rb * math.cos(b), rb * math.sin(b))
    # a point obstacle with a 10 km buffer: the blocked area contains the 10 km disc
    route = route_around(start, end, [Point(0, 0)], buffer_m=10 * KM)
    analytic = _around_circle(start, end, 10 * KM)
    assert analytic - 1e-6 <= path_length(route) <= analytic * 1.03
    # a polygonal circle: bounded by the analytic paths around its inner and outer radii
    router = Router([Point(0, 0).buffer(8 * KM)], buffer_m=2 * KM)
    ring = router.area.exterior
    inner = ring.distance(Point(0, 0))
    outer = np.hypot(*np.asarray(ring.coords).T).max()
    length = path_length(router.route(start, end))
    assert _around_circle(start, end, inner) - 1e-6 <= length
    assert length <= _around_circle(start, end, outer) + 1e-6
    assert length <= analytic * 1.03


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ((-3000, 0), (3000, 0), 2 * math.hypot(2000, 1000) + 2000),
        ((-3000, -3000), (3000, 3000), 2 * math.hypot(4000, 2000)),
        ((-3000, -500), (500, 2000), math.hypot(2000, 1500) + math.hypot(1500, 1000)),
        ((-3000, 1000), (3000, 1000), 6000),  # along the top edge
    ],
)
def test_around_a_square_matches_the_hand_computed_length(start, end, expected) -> None:
    route = route_around(start, end, [box(-1000, -1000, 1000, 1000)])
    assert path_length(route) == pytest.approx(expected, rel=1e-12)
    assert path_length(route_around(end, start, [box(-1000, -1000, 1000, 1000)])) == (
        pytest.approx(expected, rel=1e-12)
    )


def test_a_straight_clear_line_is_returned_as_is() -> None:
    assert route_around((0, 0), (10, 0), []) == [(0.0, 0.0), (10.0, 0.0)]
    assert route_around((0, 5), (10, 5), [box(2, 0, 4, 2)], buffer_m=1.0) == [
        (0.0, 5.0),
        (10.0, 5.0),
    ]


def test_a_buffer_keeps_the_clearance_everywhere() -> None:
    square = box(-1000, -1000, 1000, 1000)
    route = route_around((-5000, 0), (5000, 0), [square], buffer_m=500.0)
    pts = shapely.points(_samples(route, 5.0))
    assert shapely.distance(pts, square).min() >= 500.0 - 1e-6
    # close to the ideal: two tangents and a quarter-arc at each corner
    assert path_length(route) < path_length(
        route_around((-5000, 0), (5000, 0), [square.buffer(510.0, quad_segs=64)])
    )


def test_an_end_inside_an_obstacle_or_cut_off_has_no_route() -> None:
    square = box(-1000, -1000, 1000, 1000)
    assert route_around((-3000, 0), (0, 0), [square]) is None
    assert route_around((-3000, 0), (0, 0), [square], buffer_m=100.0) is None
    walled = box(-3000, -3000, 3000, 3000).difference(square)  # a courtyard
    assert route_around((-5000, 0), (0, 0), [walled]) is None
    assert route_around((-500, 0), (500, 0), [walled]) == [(-500.0, 0.0), (500.0, 0.0)]


def test_a_start_inside_goes_straight_out_first() -> None:
    router = Router([Point(0, 0).buffer(10 * KM)])
    route = router.route((9 * KM, 2 * KM), (-30 * KM, 0))
    assert route is not None and route[0] == (9 * KM, 2 * KM)
    exit_point = Point(route[1])
    assert router.area.exterior.distance(exit_point) < 1e-3
    assert not router.area.contains(exit_point)
    assert Point(route[0]).distance(exit_point) < 1.1 * KM
    rest = _samples(route[1:])
    assert not shapely.contains_xy(shapely.buffer(router.area, -1.0), rest[:, 0], rest[:, 1]).any()


def test_overlapping_obstacles_are_merged_and_results_are_deterministic() -> None:
    obstacles = [
        Point(0, 0).buffer(5 * KM),
        Point(6 * KM, 0).buffer(5 * KM),
        box(-2 * KM, -8 * KM, 2 * KM, 0),
    ]
    router = Router(obstacles, buffer_m=1 * KM)
    assert router.area.geom_type == "Polygon"
    a = router.route((-20 * KM, 1 * KM), (25 * KM, -1 * KM))
    assert a == router.route((-20 * KM, 1 * KM), (25 * KM, -1 * KM))
    assert a == route_around((-20 * KM, 1 * KM), (25 * KM, -1 * KM), obstacles, 1 * KM)


def test_path_length_and_first_entry() -> None:
    assert path_length([(0, 0), (3, 4)]) == 5.0
    assert path_length([(1, 1)]) == 0.0
    square = box(0, 0, 10, 10)
    assert first_entry([(-10, 5), (-5, 5), (20, 5)], square) == (10.0, (0.0, 5.0))
    assert first_entry([(-5, 0), (5, 0), (5, 5)], square) == (10.0, (5.0, 0.0))
    assert first_entry([(2, 2), (20, 2)], square) == (0.0, (2.0, 2.0))
    assert first_entry([(-5, 20), (20, 20)], square) is None


def test_docstring_examples() -> None:
    failures, tried = doctest.testmod(sim.routing)
    assert tried > 0 and failures == 0
