"""The watch's compiled loops give, bit for bit, what the numpy reference computes: the same
pairs in the same order with the same separations, and the same rows near a box."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_lookahead import leg_rows

from sim.encounters import Leg
from sim.protocol.ahead import path_and_box, store_ahead, store_rows
from sim.protocol.lookahead import close_pairs
from sim.protocol.reach import Reach
from sim.protocol.watch import Watch
from sim.protocol.watch_kernels import candidates, near_leg_pairs

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


def _plain_candidates(boxes, tops, listed, live, codes, reaches, row, now):
    """The watch's candidates as numpy computed them (listing, pruning, the box test)."""
    if not listed[row]:
        listed[row] = True
        live = np.flatnonzero(listed)
    ahead = boxes[4, live] > now
    listed[live[~ahead]] = False
    live = live[ahead]
    r = reaches[codes[row]][codes[live]]
    keep = np.logical_and.reduce(boxes[:4, live] <= tops[:, row, None] + r, axis=0)
    return live, live[keep], r[keep]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.data())
def test_candidates_are_the_numpy_box_test(n, data):
    floats = st.floats(-1e6, 1e6)
    boxes = np.array(data.draw(st.lists(floats, min_size=5 * n, max_size=5 * n))).reshape(5, n)
    tops = np.array(data.draw(st.lists(floats, min_size=4 * n, max_size=4 * n))).reshape(4, n)
    listed = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    codes = np.array(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), np.int64)
    reach = st.sampled_from([-np.inf, 0.0, 1e3, 5e4, np.inf])
    reaches = np.array(data.draw(st.lists(reach, min_size=9, max_size=9))).reshape(3, 3)
    row = data.draw(st.integers(0, n - 1))
    now = data.draw(st.floats(-1e6, 1e6))
    live = np.flatnonzero(listed)
    args = (boxes, tops, listed.copy(), live, codes, reaches, row, now)
    want = _plain_candidates(*args)
    new_live, changed, *got = candidates(boxes, tops, listed, live, codes, reaches, row, now)
    assert changed or new_live.tolist() == live.tolist()  # unchanged: the same rows
    for g, w in zip([new_live, *got], want, strict=True):
        assert g.tobytes() == w.tobytes()
    assert listed.tolist() == args[2].tolist()  # the same rows listed afterwards


def _flight(route: list[tuple[float, float, float]], leg: Leg, speed: float, pilot=None):
    """What the watch reads of a flight to store its path ahead."""
    plan = SimpleNamespace(speed_mps=speed)
    return SimpleNamespace(id="f", leg=leg, airborne=True, pilot=pilot, route=route, plan=plan)


def _watch(max_legs: int) -> Watch:
    w = Watch(run=None, max_legs=max_legs)  # type: ignore[arg-type]
    w.paths = np.full((2, max_legs, 8), 7.0)
    w.boxes, w.tops, w.counts = np.full((5, 2), 7.0), np.full((4, 2), 7.0), [max_legs, 0]
    return w


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(*[st.floats(-3e5, 3e5, allow_nan=False)] * 2, st.floats(0, 12000)),
        min_size=1,
        max_size=16,
    ),
    st.floats(50, 700),
    st.integers(1, 12),
    st.sampled_from([0.0, 600.0, 1e4, np.inf]),
    st.integers(0, 3),
    st.booleans(),
)
def test_stored_path_is_the_plain_path_bit_for_bit(route, speed, max_legs, horizon, flown, held):
    """The compiled store gives the rows and box the plain loop builds, also for a route
    that has lost waypoints since its arrays were made (they are then reused)."""
    here = (1.5, -2.25, 3000.0)
    route = [p if i % 5 else route[0] for i, p in enumerate(route)]  # repeated points too
    compiled, plain = _watch(max_legs), _watch(max_legs)
    index = Reach(run=None)  # type: ignore[arg-type]  # keeps the route's arrays
    f = _flight(route, Leg(100.0, 160.0, *here, *route[0]), speed)

    def both(until: float) -> None:
        arrays = (compiled.paths, compiled.boxes, compiled.tops, 0, compiled.counts[0])
        got = store_ahead(*arrays, index, f, until, max_legs)
        arrays = (plain.paths, plain.boxes, plain.tops, 0, plain.counts[0])
        want = store_rows(*arrays, *path_and_box(f, until, max_legs))
        assert got == want
        compiled.counts[0], plain.counts[0] = got[0], want[0]
        assert compiled.paths.tobytes() == plain.paths.tobytes()
        assert compiled.boxes.tobytes() == plain.boxes.tobytes()
        assert compiled.tops.tobytes() == plain.tops.tobytes()

    both(160.0 + horizon)  # the route's arrays are made here
    for _ in range(min(flown, len(route) - 1)):  # fly on: the route loses its first points
        route.pop(0)
        f.leg = Leg(200.0, 260.0, *here, *route[0])
    if held:
        f.pilot = object()
    both(f.leg.t1_s + horizon)  # and reused here
