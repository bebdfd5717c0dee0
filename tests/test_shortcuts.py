"""Shortcuts in traffic planning and routing give the very floats (and pairs, in order) of the
plain computations they replace."""

from __future__ import annotations

import math

import numpy as np
import shapely
from hypothesis import given
from hypothesis import strategies as st

from sim import expected, formations, routing, traffic
from sim.encounters.geometry import Leg
from sim.plans import FlightPlan


def plain_offset_route(points: list, lateral_m: float) -> list:
    """The offset route as first written: numpy mean of the legs' normals at each point."""
    pts = np.asarray(points, dtype=float)
    out = [tuple(points[0])]
    for i in range(1, len(pts) - 1):
        normals = []
        for a, b in ((pts[i - 1], pts[i]), (pts[i], pts[i + 1])):
            d = math.hypot(b[0] - a[0], b[1] - a[1])
            if d > 1.0:
                normals.append(((b[1] - a[1]) / d, -(b[0] - a[0]) / d))
        if not normals:
            out.append(tuple(points[i]))
            continue
        nx_, ny_ = np.mean(normals, axis=0)
        norm = math.hypot(nx_, ny_)
        scale = 1.0 / max(norm, 0.5)
        ux, uy = (nx_ / norm, ny_ / norm) if norm > 1e-9 else normals[0]
        out.append(
            (
                float(pts[i, 0] + ux * lateral_m * scale),
                float(pts[i, 1] + uy * lateral_m * scale),
                points[i][2],
            )
        )
    out.append(tuple(points[-1]))
    return out


def plain_station_pattern(pattern, center, size_m, heading, alt_m, length_m) -> list:
    """The station pattern as first written: every side measured and interpolated each lap."""
    if pattern == "none" or length_m <= 0:
        return [(center[0], center[1], alt_m)]
    if pattern == "orbit":
        angles = heading + np.arange(7) * (2 * math.pi / 6)
        ring = [
            (center[0] + size_m * math.cos(a), center[1] + size_m * math.sin(a)) for a in angles
        ]
    else:
        ux, uy = math.cos(heading), math.sin(heading)
        half, w = size_m / 2, size_m / 6
        ring = [
            (center[0] + sx * half * ux - sy * w * uy, center[1] + sx * half * uy + sy * w * ux)
            for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1))
        ]
    out = [(center[0], center[1], alt_m), (ring[0][0], ring[0][1], alt_m)]
    left = length_m
    i = 0
    while left > 0:
        a, b = ring[i % (len(ring) - 1)], ring[i % (len(ring) - 1) + 1]
        seg = math.dist(a, b)
        f = min(left / seg, 1.0)
        out.append((a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), alt_m))
        left -= seg
        i += 1
    return out


def plain_drop_repeats_indexed(points: list) -> tuple[list, list[int]]:
    out = [points[0]]
    index = [0]
    for p in points[1:]:
        if math.hypot(p[0] - out[-1][0], p[1] - out[-1][1]) > 1.0:
            out.append(p)
        index.append(len(out) - 1)
    return out, index


coord = st.one_of(
    st.floats(-3e5, 3e5, allow_nan=False),
    st.sampled_from([0.0, -0.0, 0.5, -0.5, 1.0, 100.0]),
)
point = st.tuples(coord, coord, st.floats(0, 12000))
route = st.lists(point, min_size=2, max_size=12)


def bits(points: list) -> list[str]:
    """Points to compare to the bit (``-0.0`` and ``0.0`` differ)."""
    return [repr(tuple(float(c) for c in p)) for p in points]


@given(route, st.floats(-3000, 3000, allow_nan=False))
def test_offset_route_is_the_plain_one(points: list, lateral: float) -> None:
    """The same floats as the numpy mean of the normals (straight runs, U-turns, repeats)."""
    assert bits(formations.offset_route(points, lateral)) == bits(
        plain_offset_route(points, lateral)
    )


@given(route, st.integers(0, 12), st.integers(0, 12), st.lists(st.floats(-3000, 3000), max_size=4))
def test_abreast_reuses_the_leads_bisectors(points, i, j, laterals) -> None:
    """Every wingman's points, the lead's bisectors reused, equal the plain offset route's
    outside the station pattern and the lead's own inside."""
    station = (min(i, j, len(points)), min(max(i, j), len(points)))
    lead = FlightPlan(
        "a", "russia", "Su-24M", "jet", "strike", "", "", 0.0, 200.0, tuple(points), station
    )
    bisectors = formations._bisectors(lead.points, lead.station)
    for lateral in laterals:
        side = plain_offset_route(list(points), lateral)
        want = [p if station[0] <= k < station[1] else side[k] for k, p in enumerate(points)]
        assert bits(formations._abreast(lead, lateral, bisectors)) == bits(want)


@given(
    st.sampled_from(["orbit", "racetrack", "none"]),
    st.tuples(coord, coord),
    st.floats(100.0, 1e5),
    st.floats(0.0, 2 * math.pi),
    st.floats(0.0, 12000.0),
    st.one_of(st.floats(-10.0, 3e6), st.just(0.0)),
)
def test_station_pattern_is_the_plain_one(pattern, center, size, heading, alt, length) -> None:
    """Whole sides reused lap after lap give the same points as measuring each lap again."""
    got = traffic.station_pattern(pattern, center, size, heading, alt, length)
    assert bits(got) == bits(plain_station_pattern(pattern, center, size, heading, alt, length))


step = st.one_of(
    st.floats(-5e3, 5e3),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 1.0 + 1e-12, 1.0 - 1e-12, 0.7071067811865476]),
)


@st.composite
def walks(draw: st.DrawFn) -> list:
    """Routes of steps that are often exactly or nearly a metre (or nothing) long."""
    x, y = draw(coord), draw(coord)
    out = [(x, y, 0.0)]
    for dx, dy in draw(st.lists(st.tuples(step, step), max_size=40)):
        x, y = x + dx, y + dy
        out.append((x, y, 1000.0))
    return out


@given(st.one_of(st.lists(point, min_size=1, max_size=40), walks()))
def test_drop_repeats_indexed_is_the_plain_one(points: list) -> None:
    """Long routes kept whole at once keep what the point-by-point test keeps."""
    got, index = traffic._drop_repeats_indexed(points)
    want, want_index = plain_drop_repeats_indexed(points)
    assert bits(got) == bits(want) and index == want_index


def plain_tangent_pairs(xy: np.ndarray, prev: np.ndarray, nxt: np.ndarray):
    """Tangent vertex pairs as first written: every row against every column at once."""
    n = len(xy)
    pu, nu = prev - xy, nxt - xy
    dx = xy[None, :, 0] - xy[:, None, 0]
    dy = xy[None, :, 1] - xy[:, None, 1]
    at_i = (dx * pu[:, None, 1] - dy * pu[:, None, 0]) * (
        dx * nu[:, None, 1] - dy * nu[:, None, 0]
    ) >= 0.0
    upper = np.arange(n)[None, :] > np.arange(n)[:, None]
    moved = (dx != 0.0) | (dy != 0.0)
    bi, bj = np.nonzero(at_i & upper & moved)
    gx, gy = dx[bi, bj], dy[bi, bj]
    at_j = (gx * pu[bj, 1] - gy * pu[bj, 0]) * (gx * nu[bj, 1] - gy * nu[bj, 0]) >= 0.0
    return bi[at_j], bj[at_j]


@given(
    st.lists(st.tuples(st.floats(-5e4, 5e4), st.floats(-5e4, 5e4)), min_size=1, max_size=12),
    st.floats(10.0, 2e4),
    st.integers(1, 70),
    st.integers(1, 4096),
)
def test_tangent_pairs_in_blocks_are_the_plain_ones(centres, radius, rows, cells) -> None:
    """Blocks of rows, each against the later columns only, give the same pairs in the same
    order as the whole matrix (areas of merged disks, holes and collinear vertices included)."""
    area = routing.blocked_area([shapely.Point(c).buffer(radius, quad_segs=3) for c in centres])
    xy, prev, nxt = routing._ring_vertices(area)
    got = routing._tangent_pairs(xy, prev, nxt, cells=cells, rows=rows)
    want = plain_tangent_pairs(xy, prev, nxt)
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


def test_tangent_pairs_of_a_square_with_repeats() -> None:
    """Repeated vertices (zero moves) and a square: the plain pairs, in order."""
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    prev, nxt = np.roll(xy, 1, axis=0), np.roll(xy, -1, axis=0)
    for rows in (1, 2, 3, 64):
        got = routing._tangent_pairs(xy, prev, nxt, rows=rows)
        want = plain_tangent_pairs(xy, prev, nxt)
        assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


@given(route, st.floats(-300, 300))
def test_airborne_shift_is_the_plain_one(points: list, dz: float) -> None:
    """Every point off the ground but the first and last raised by ``dz``."""
    last = len(points) - 1
    want = [p if i in (0, last) else (p[0], p[1], p[2] + dz) for i, p in enumerate(points)]
    assert bits(formations._airborne_shift(points, dz)) == bits(want)


@given(st.lists(point, min_size=1, max_size=8), st.floats(0, 12000))
def test_airborne_at_is_the_plain_one(points: list, z: float) -> None:
    """Every point but the first and last at ``z`` (a single point stays as it is)."""
    last = len(points) - 1
    want = [p if i in (0, last) else (p[0], p[1], z) for i, p in enumerate(points)]
    assert bits(formations._airborne_at(points, z)) == bits(want)


leg_value = st.one_of(
    st.floats(-1e6, 1e6), st.integers(-1000, 1000), st.floats(-1e6, 1e6).map(np.float64)
)


@given(st.lists(st.tuples(*[leg_value] * 8), max_size=6))
def test_leg_rows_read_the_fields_as_numpy_would(fields: list) -> None:
    """Rows filled from the fields one by one equal the array made from the fields' tuples."""
    raw = np.array([tuple(f) for f in fields], dtype=float).reshape(-1, 8)
    if (raw[:, 1] < raw[:, 0]).any():
        return  # refused either way
    got = expected.leg_rows([Leg(*f) for f in fields])
    assert got[:, :5].tobytes() == raw[:, :5].tobytes()
