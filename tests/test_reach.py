"""The short cuts of keeping clear agree with the plain computation they replace.

Which flights a notice looks at, which segments of a route it tests, and which vertex pairs of
a blocked area need Shapely are all decided by cheap arithmetic first; each must give the same
answer as testing everything with Shapely.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.protocol.avoidance import (
    Extent,
    TimedArea,
    crosses_during,
    path_crosses,
    schedule,
    segments_meet,
)
from sim.protocol.reach import RouteArrays
from sim.routing import Router, _clear, _tangent_pairs

KM = 1000.0
coord = st.floats(-60 * KM, 60 * KM)
point3 = st.tuples(coord, coord, st.floats(0.0, 10 * KM))


def _plain_crosses(start, route, t0, speed, area: TimedArea) -> bool:
    """Every segment tested with Shapely (the reference)."""
    times = schedule(start, route, t0, speed)
    pts = [start, *route]
    for i, (a, b) in enumerate(zip(pts, pts[1:], strict=False)):
        if not (times[i + 1] >= area.from_s and times[i] <= area.to_s):
            continue
        seg = shapely.LineString([a[:2], b[:2]])
        if not seg.intersects(area.geometry):
            continue
        cut = shapely.get_coordinates(seg.intersection(area.geometry))
        length = math.hypot(b[0] - a[0], b[1] - a[1])
        if len(cut) == 0 or length == 0:
            zs = np.array([a[2]])
        else:
            f = np.hypot(cut[:, 0] - a[0], cut[:, 1] - a[1]) / length
            zs = a[2] + f * (b[2] - a[2])
        if zs.max() >= area.floor_m and zs.min() <= area.ceiling_m:
            return True
    return False


areas = st.one_of(
    st.builds(
        lambda x, y, r: shapely.Point(x, y).buffer(r, quad_segs=16),
        coord,
        coord,
        st.floats(1 * KM, 30 * KM),
    ),
    st.builds(
        lambda p, q, r: shapely.LineString([p, q]).buffer(r),
        st.tuples(coord, coord),
        st.tuples(coord, coord),
        st.floats(1 * KM, 10 * KM),
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(point3, min_size=2, max_size=12),
    areas,
    st.floats(0.0, 3000.0),
    st.floats(0.0, 3000.0),
    st.booleans(),
    st.floats(0.0, 5 * KM),
)
def test_crosses_during_agrees_with_every_segment_tested(route, geom, opens, length, block, floor):
    area = TimedArea("a", geom, opens, opens + length)
    if block:
        area = TimedArea("a", geom, opens, opens + length, floor, floor + 2 * KM)
    start, rest = route[0], route[1:]
    expected = _plain_crosses(start, rest, 0.0, 100.0, area)
    assert crosses_during(start, rest, 0.0, 100.0, area) == expected
    # as a notice looks: only the segments its window may reach, from a point before the route
    arrays = RouteArrays.of(rest)
    pts = np.array(route, dtype=float)
    lead = math.dist(pts[0, :2], pts[1, :2])
    among = arrays.window(0, lead, opens * 100.0 - 1000.0, (opens + length) * 100.0 + 1000.0)
    found = among is not None and path_crosses(pts, 0.0, 100.0, area, Extent.of(geom), among)
    assert found == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(coord, coord, st.floats(1 * KM, 20 * KM)), min_size=1, max_size=4))
def test_ring_edges_are_clear_as_shapely_says(discs):
    router = Router([shapely.Point(x, y).buffer(r, quad_segs=8) for x, y, r in discs], 2 * KM)
    graph = router._vertex_graph()
    xy = router._xy
    i, j = _tangent_pairs(xy, router._prev, router._next)
    ok = _clear(shapely.linestrings(np.stack([xy[i], xy[j]], axis=1)), router.area)
    assert sorted(graph.edges()) == sorted(zip(i[ok].tolist(), j[ok].tolist(), strict=True))


@settings(max_examples=100, deadline=None)
@given(st.lists(point3, min_size=1, max_size=10), st.integers(0, 9))
def test_route_arrays_follow_a_route_as_it_is_flown(route, flown):
    arrays = RouteArrays.of(route)
    ahead = route  # the same list, losing its first points as they are flown
    for _ in range(min(flown, len(route) - 1)):
        ahead.pop(0)
    k = arrays.offset(ahead)
    assert k is not None
    np.testing.assert_array_equal(arrays.xyz[k:], np.array(ahead, dtype=float))
    xy = np.array(ahead, dtype=float)[:, :2]
    assert arrays.lo[k].tolist() == xy.min(axis=0).tolist()
    assert arrays.hi[k].tolist() == xy.max(axis=0).tolist()
    assert arrays.offset(list(ahead)) is None  # a new route (a reroute) is not these arrays


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(coord, coord, coord, coord), min_size=1, max_size=12),
    st.lists(st.integers(0, 11), max_size=60),
    areas,
)
def test_segments_meet_asks_once_per_distinct_segment(sides, laps, area) -> None:
    """Repeated segments (a pattern flown lap after lap, -0.0 and 0.0 kept apart) get the
    answer Shapely gives each of them."""
    rows = [sides[i % len(sides)] for i in laps] + sides + [(-0.0, 0.0, 0.0, -0.0)] * 3
    ends = np.array(rows, dtype=float)
    a, b = ends[:, :2], ends[:, 2:]
    plain = [shapely.LineString([p, q]).intersects(area) for p, q in zip(a, b, strict=True)]
    assert segments_meet(a, b, area).tolist() == plain
