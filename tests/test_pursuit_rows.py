"""The pursuit's plain-row path reading against the numpy one of ``sim.protocol.ahead``."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.protocol.ahead import position_on
from sim.protocol.pursuit import _position_on, _row_at

coord = st.floats(-1e6, 1e6, allow_nan=False)
speed = st.floats(-400.0, 400.0, allow_nan=False)
leg = st.tuples(st.floats(0.0, 900.0), coord, coord, coord, speed, speed, speed)


@settings(max_examples=300, deadline=None)
@given(st.floats(0.0, 1e5), st.lists(leg, min_size=1, max_size=8), st.floats(-1e3, 2e5))
def test_position_on_rows_is_the_numpy_one_bit_for_bit(
    start: float, legs: list[tuple[float, ...]], t_s: float
) -> None:
    rows, t = [], start
    for dt, x, y, z, vx, vy, vz in legs:
        rows.append([t, t + dt, x, y, z, vx, vy, vz])
        t += dt
    array = np.array(rows, dtype=float)
    assert repr(_position_on(rows, t_s)) == repr(position_on(array, t_s))
    k = _row_at(rows, t_s)
    assert k == min(max(int((array[:, 0] <= t_s).sum()) - 1, 0), len(rows) - 1)
