"""The compiled first pass of path_crosses keeps exactly the segments the numpy tests keep
(box, outer disk, window, block), with the same squared distances, bit for bit."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.protocol.avoidance import Extent, _boxes_meet, _times
from sim.protocol.crossing import may_touch

coord = st.floats(-2e5, 2e5, allow_nan=False)


def _plain(pts, first, stop, t0, speed, extent, window, block, all_altitudes):
    """The numpy tests as path_crosses made them, in order."""
    a, b = pts[first:stop], pts[first + 1 : stop + 1]
    active = _boxes_meet(a, b, extent.bounds)
    d2 = extent.distance2(a, b)
    active &= d2 <= extent.radius_m * extent.radius_m
    times = _times(pts[: stop + 1], t0, speed)[first:]
    active &= (times[1:] >= window[0]) & (times[:-1] <= window[1])
    if not all_altitudes:
        z0, z1 = a[:, 2], b[:, 2]
        active &= (np.maximum(z0, z1) >= block[0]) & (np.minimum(z0, z1) <= block[1])
    idx = np.flatnonzero(active)
    return idx, d2[idx]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(coord, coord, st.floats(0, 12000)), min_size=1, max_size=30),
    st.data(),
)
def test_may_touch_keeps_the_segments_the_numpy_tests_keep(points, data):
    pts = np.array(points, dtype=float).reshape(-1, 3)
    if data.draw(st.booleans()) and len(pts) > 2:
        pts[2] = pts[1]  # a repeated point: a segment of zero length
    n_seg = len(pts) - 1
    first = data.draw(st.integers(0, max(n_seg, 0)))
    stop = data.draw(st.integers(first, max(n_seg, first)))
    cx, cy = data.draw(coord), data.draw(coord)
    r = data.draw(st.sampled_from([1e3, 3e4, 1e5]))
    extent = Extent.of(shapely.Point(cx, cy).buffer(r, quad_segs=16))
    t0, speed = data.draw(st.floats(0, 5e4)), data.draw(st.floats(50, 700))
    window = tuple(sorted((data.draw(st.floats(0, 9e4)), data.draw(st.floats(0, 9e4)))))
    all_altitudes = data.draw(st.booleans())
    block = (-np.inf, np.inf) if all_altitudes else (3000.0, 7500.0)
    want_idx, want_d2 = _plain(pts, first, stop, t0, speed, extent, window, block, all_altitudes)
    found = may_touch(
        pts, first, stop, t0, speed, extent.bounds, (extent.x_m, extent.y_m),
        extent.radius_m * extent.radius_m, window, block, all_altitudes,
    )  # fmt: skip
    if found is None:
        assert len(want_idx) == 0
        return
    idx, d2 = found
    assert idx.tolist() == want_idx.tolist()
    assert d2.tobytes() == want_d2.tobytes()
