"""The watch's compiled loops give, bit for bit, what the numpy reference computes: the same
pairs in the same order with the same separations, and the same rows near a box."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_lookahead import leg_rows

from sim.protocol.lookahead import close_pairs
from sim.protocol.watch_kernels import all_ahead, boxes_near, near_leg_pairs

MAX_LEGS = 5


def _path(rng: np.random.Generator, k: int) -> np.ndarray:
    """``k`` consecutive legs from a start within the first ten minutes: random positions
    (within 20 km) and velocities, some level, some climbing, a few held still."""
    t = rng.uniform(0, 600) + np.concatenate([[0.0], np.cumsum(rng.uniform(0, 900, k))])
    v = rng.uniform(-300, 300, (k, 3)) * [1, 1, 0.05]
    v[rng.random(k) < 0.3, 2] = 0.0
    v[rng.random(k) < 0.1, :2] = 0.0
    p = rng.uniform(-2e4, 2e4, (k, 3)) * [1, 1, 0.05] + [0, 0, 1500]
    return np.column_stack([t[:-1], t[1:], p, v])


@st.composite
def watched_paths(draw: st.DrawFn) -> tuple[np.ndarray, int, np.ndarray, np.ndarray, float]:
    """Paths of a few rows (unused legs held at ``-inf`` as the watch keeps them), one row
    looking, the other rows it compares with, a reach per other row, and now."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_rows = draw(st.integers(2, 6))
    paths = np.zeros((n_rows, MAX_LEGS, 8))
    paths[:, :, :2] = -np.inf
    for r in range(n_rows):
        k = draw(st.integers(0, MAX_LEGS))
        paths[r, :k] = _path(rng, k) if draw(st.booleans()) else leg_rows(draw, k)
    row = draw(st.integers(0, n_rows - 1))
    rest = [r for r in range(n_rows) if r != row]
    others = np.array(sorted(draw(st.sets(st.sampled_from(rest), min_size=1))), dtype=np.int64)
    reach = np.array([draw(st.sampled_from([0.0, 2e4, 9e4, np.inf])) for _ in others])
    now = draw(st.sampled_from([-1.0, 0.0, 900.0, draw(st.floats(0, 3000))]))
    return paths, row, others, reach, now


def _reference(paths, row, others, reach, height, now):
    """The look as the watch did it with numpy: legs still flown, close_pairs, then the cut."""
    mine = paths[row]
    kept = np.flatnonzero(mine[:, 1] > now)
    theirs = paths[others].reshape(-1, 8)
    alive = np.flatnonzero(theirs[:, 1] > now)
    ia, jt, d, dz = close_pairs(mine[kept], theirs[alive])
    flat = alive[jt]
    ib = flat // MAX_LEGS
    close = np.flatnonzero((d < reach[ib]) & (dz < height))
    return kept[ia[close]], ib[close], flat[close] % MAX_LEGS, d[close], dz[close]


@settings(max_examples=200, deadline=None)
@given(watched_paths(), st.sampled_from([0.0, 300.0, 914.4, 1e4]))
def test_near_leg_pairs_are_the_numpy_look_bit_for_bit(case, height):
    paths, row, others, reach, now = case
    got = near_leg_pairs(paths, row, others, reach, height, now)
    want = _reference(paths, row, others, reach, height, now)
    for g, w in zip(got, want, strict=True):
        assert g.dtype.kind == w.dtype.kind
        assert g.tobytes() == w.astype(g.dtype).tobytes()


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda n: st.tuples(
            st.lists(st.floats(-1e6, 1e6), min_size=5 * n, max_size=5 * n),
            st.lists(st.floats(-1e6, 1e6), min_size=4 * n, max_size=4 * n),
            st.lists(st.sampled_from([0.0, 1e3, 5e4, np.inf]), min_size=n, max_size=n),
            st.just(n),
        )
    ),
    st.data(),
)
def test_boxes_near_and_all_ahead_are_the_numpy_box_tests(arrays, data):
    box, top, reach_all, n = arrays
    boxes = np.array(box).reshape(5, n)
    tops = np.array(top).reshape(4, n)
    row = data.draw(st.integers(0, n - 1))
    live = np.array(sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1))), np.int64)
    reach = np.array(reach_all)[: len(live)]
    now = data.draw(st.floats(-1e6, 1e6))
    want = np.flatnonzero(
        np.logical_and.reduce(boxes[:4, live] <= tops[:, row, None] + reach, axis=0)
    )
    assert boxes_near(boxes, tops, row, live, reach).tolist() == want.tolist()
    assert all_ahead(boxes, live, now) == bool(np.all(boxes[4, live] > now))
