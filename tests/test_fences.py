"""The short cuts of the geofences and keep-out zones agree with asking Shapely one by one.

A leg is handed to Shapely only if its box meets the fence's and it does not lie in the disk
kept clear inside a zone (`Fence.core`); skipping the others must never lose an entry. Keep-out
planning tests every planned path against a zone in one call.
"""

from __future__ import annotations

from types import SimpleNamespace

import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.encounters import Leg
from sim.protocol.fences import Fence, _entries, entry_times
from sim.protocol.keep_out import _zones_met

KM = 1000.0
coord = st.floats(-40 * KM, 40 * KM)

zones = st.one_of(
    st.builds(
        lambda x, y, r: shapely.Point(x, y).buffer(r, quad_segs=16),
        coord,
        coord,
        st.floats(1 * KM, 40 * KM),
    ),
    st.builds(  # a ring: the box centre is in the hole, so no disk is kept clear
        lambda x, y, r: shapely.Point(x, y).buffer(2 * r).difference(shapely.Point(x, y).buffer(r)),
        coord,
        coord,
        st.floats(1 * KM, 20 * KM),
    ),
    st.builds(
        lambda p, q, r: shapely.LineString([p, q]).buffer(r),
        st.tuples(coord, coord),
        st.tuples(coord, coord),
        st.floats(1 * KM, 10 * KM),
    ),
    st.builds(
        lambda p, q: shapely.LineString([p, q]), st.tuples(coord, coord), st.tuples(coord, coord)
    ),
)
legs = st.builds(
    lambda t0, dt, a, b: Leg(t0, t0 + dt, a[0], a[1], 5000.0, b[0], b[1], 6000.0),
    st.floats(0.0, 1000.0),
    st.floats(1.0, 1000.0),
    st.tuples(coord, coord),
    st.tuples(coord, coord),
)


@settings(max_examples=300, deadline=None)
@given(zones, st.lists(legs, min_size=1, max_size=8))
def test_entry_times_match_shapely_on_every_leg(geometry, flown) -> None:
    fence = Fence("zone", geometry, frozenset({"coalition"}), lambda f, t: None)
    for leg in flown:
        assert entry_times(leg, fence) == _entries(leg, fence)


def test_core_is_a_disk_inside_a_round_zone() -> None:
    zone = shapely.Point(10 * KM, -5 * KM).buffer(30 * KM, quad_segs=16)
    fence = Fence("zone", zone, frozenset({"coalition"}), lambda f, t: None)
    cx, cy, r2 = fence.core
    assert (cx, cy) == (10 * KM, -5 * KM)
    assert 29 * KM < r2**0.5 < 30 * KM  # the 64-gon's apothem, less a metre
    inside = Leg(0, 60, 0.0, -5 * KM, 5000, 20 * KM, -5 * KM, 5000)
    across = Leg(0, 60, 0.0, -5 * KM, 5000, 50 * KM, -5 * KM, 5000)
    assert entry_times(inside, fence) == []
    assert len(entry_times(Leg(0, 60, 50 * KM, -5 * KM, 5000, 0.0, -5 * KM, 5000), fence)) == 1
    assert entry_times(across, fence) == []  # leaves: no entry


def test_a_line_keeps_no_disk_clear() -> None:
    fence = Fence("line", shapely.LineString([(0, 0), (0, 10 * KM)]), frozenset({"x"}), print)
    assert fence.core[2] == 0.0
    assert len(entry_times(Leg(0, 10, -KM, 5 * KM, 0, KM, 5 * KM, 0), fence)) == 1


routes = st.lists(st.tuples(coord, coord, st.just(5000.0)), min_size=2, max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(routes, st.sampled_from(["coalition", "russia"])), max_size=6),
    st.lists(st.tuples(zones, st.sampled_from(["coalition", "russia"])), min_size=1, max_size=3),
)
def test_keep_out_tests_all_paths_at_once_as_one_by_one(flown, drawn) -> None:
    flights = [SimpleNamespace(route=r, side=s) for r, s in flown]
    zones = [(SimpleNamespace(side=s, name=f"z{i}"), g) for i, (g, s) in enumerate(drawn)]
    plain = [
        [
            (z, g)
            for z, g in zones
            if z.side == f.side and shapely.LineString([p[:2] for p in f.route]).intersects(g)
        ]
        for f in flights
    ]
    assert _zones_met(flights, zones) == plain


def test_a_leg_too_short_to_measure_enters_nothing() -> None:
    """A leg whose length underflows to zero (a point on the fence's line) has no entry, not
    an entry at an undefined time."""
    fence = Fence("line", shapely.LineString([(0, 0), (0, 1)]), frozenset(), lambda f, t: None)
    leg = Leg(0.0, 1.0, 0.0, 0.0, 5000.0, 0.0, 2.0782888346065248e-172, 6000.0)
    assert entry_times(leg, fence) == []
