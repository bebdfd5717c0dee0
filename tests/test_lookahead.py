"""The watch's look-ahead arithmetic gives the very floats of the detector's closed forms, and
its candidate filter keeps every aircraft a rule could concern (and only ones the widest box
test keeps), in row order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.encounters import LegArrays, closest_approach
from sim.encounters.closed_form import solve_arrays
from sim.protocol.lookahead import (
    FEW,
    close_pairs,
    merged_stays,
    pair_reach,
    pair_rules,
    stays,
)
from sim.protocol.watch import Rule, Watch


def leg_rows(draw: st.DrawFn, n: int) -> np.ndarray:
    coord = st.floats(-3e5, 3e5, allow_nan=False)
    speed = st.floats(-300, 300, allow_nan=False)
    rows = []
    for _ in range(n):
        t0 = draw(st.floats(0, 5000, allow_nan=False))
        dt = draw(st.sampled_from([0.0, 1.0, 60.0, 900.0, draw(st.floats(0, 3000))]))
        climb = draw(st.sampled_from([0.0, 5.0, -12.5, draw(st.floats(-50, 50))]))
        v = [draw(speed), draw(speed), climb]
        if draw(st.booleans()):
            v[:2] = [0.0, 0.0]
        z = draw(st.floats(0, 12000, allow_nan=False))
        rows.append([t0, t0 + dt, draw(coord) / 30, draw(coord) / 30, z, *v])
    return np.array(rows, dtype=float).reshape(-1, 8)


@st.composite
def leg_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 2 * FEW))  # merged pair by pair (compiled), and as arrays
    return leg_rows(draw, n), leg_rows(draw, n)


@settings(max_examples=100, deadline=None)
@given(leg_pairs())
def test_stays_are_the_closed_form_solution_bit_for_bit(legs: tuple[np.ndarray, np.ndarray]):
    a, t = legs
    radius = np.array([9260.0, 5556.0, 18520.0, 1852.0])
    half = np.array([609.6, 914.4000000000001, 1e6, 304.8])
    sol = solve_arrays(LegArrays.from_matrix(a), LegArrays.from_matrix(t), radius, half, 0)
    inside, lo, hi, ts, te = stays(a, t, radius, half)
    assert np.array_equal(inside, sol.inside)
    for p, k in zip(*np.nonzero(inside), strict=True):
        t_in = ts[p] if lo[p, k] <= 0 else ts[p] + lo[p, k]
        t_out = te[p] if hi[p, k] >= te[p] - ts[p] else ts[p] + hi[p, k]
        assert t_in.tobytes() == sol.t_in_s[p, k].tobytes()
        assert t_out.tobytes() == sol.t_out_s[p, k].tobytes()


@settings(max_examples=100, deadline=None)
@given(leg_pairs(), st.randoms(use_true_random=False))
def test_merged_stays_are_the_earliest_entry_and_latest_exit_per_rule_and_aircraft(legs, rnd):
    a, t = legs
    n = len(a)
    radius = np.array([9260.0, 5556.0, 18520.0, 37040.0, 1852.0])
    half = np.array([609.6, 914.4000000000001, 1e6, 1e6, 304.8])
    floors = [-1, 0, -1, -1]
    others = np.array([rnd.randrange(3) for _ in range(n)], dtype=np.int64)
    wanted = np.array([[rnd.random() < 0.7 for _ in floors] for _ in range(n)]).reshape(n, 4)
    sol = solve_arrays(LegArrays.from_matrix(a), LegArrays.from_matrix(t), radius, half, 0)
    expected: dict[tuple[int, int], list] = {}
    for p in range(n):
        for k in range(4):
            if not (wanted[p, k] and sol.inside[p, k]):
                continue
            t_in, t_out = float(sol.t_in_s[p, k]), float(sol.t_out_s[p, k])
            breach = floors[k] >= 0 and bool(sol.inside[p, 4 + floors[k]])
            old = expected.setdefault((k, int(others[p])), [t_in, t_out, breach])
            old[:] = [min(old[0], t_in), max(old[1], t_out), old[2] or breach]
    got = merged_stays(a, t, others, wanted, (radius, half), floors)
    assert got == expected
    assert all(
        v[0].hex() == w[0].hex() and v[1].hex() == w[1].hex()
        for v, w in zip(got.values(), [expected[k] for k in got], strict=True)
    )


@settings(max_examples=100, deadline=None)
@given(leg_pairs(), st.randoms(use_true_random=False))
def test_stays_solve_every_needed_cylinder_as_without_need(legs, rnd) -> None:
    a, t = legs
    radius = np.array([9260.0, 5556.0, 18520.0, 1852.0])
    half = np.array([609.6, 914.4000000000001, 1e6, 304.8])
    need = np.array([[rnd.random() < 0.4 for _ in radius] for _ in a]).reshape(len(a), 4)
    full = stays(a, t, radius, half)
    some = stays(a, t, radius, half, need)
    assert some[3].tobytes() == full[3].tobytes() and some[4].tobytes() == full[4].tobytes()
    assert np.array_equal(some[0][need], full[0][need])
    for k in (1, 2):
        inside = full[0] & need
        assert some[k][inside].tobytes() == full[k][inside].tobytes()


@settings(max_examples=100, deadline=None)
@given(leg_pairs())
def test_close_pairs_are_the_closest_approach_over_common_windows(legs):
    mine, theirs = legs
    ia, jt, d, dz = close_pairs(mine, theirs)
    expected = [
        (i, j)
        for i in range(len(mine))
        for j in range(len(theirs))
        if max(mine[i, 0], theirs[j, 0]) <= min(mine[i, 1], theirs[j, 1])
    ]
    assert list(zip(ia.tolist(), jt.tolist(), strict=True)) == expected
    for n, (i, j) in enumerate(expected):
        a, t = mine[i], theirs[j]
        lo, hi = max(a[0], t[0]), min(a[1], t[1])
        rel = a[2:4] + a[5:7] * (lo - a[0]) - t[2:4] - t[5:7] * (lo - t[0])
        rv = a[5:7] - t[5:7]
        _, want = closest_approach(rel[0], rel[1], rv[0], rv[1], 0.0, hi - lo)
        assert d[n].tobytes() == np.float64(want).tobytes()
        z0 = a[4] + a[7] * (lo - a[0]) - t[4] - t[7] * (lo - t[0])
        z1 = z0 + (a[7] - t[7]) * (hi - lo)
        least = 0.0 if z0 * z1 <= 0 else min(abs(z0), abs(z1))
        assert dz[n] == least


def _no_act(*_args):  # pragma: no cover - never called here
    yield from ()


@st.composite
def box_sets(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 40))
    x = np.array([draw(st.floats(-2e5, 2e5)) for _ in range(n)])
    y = np.array([draw(st.floats(-2e5, 2e5)) for _ in range(n)])
    w = np.array([draw(st.sampled_from([0.0, 1e3, 3e4, draw(st.floats(0, 1e5))])) for _ in x])
    h = np.array([draw(st.floats(0, 1e5)) for _ in x])
    end = np.array([draw(st.sampled_from([50.0, 100.0, 500.0])) for _ in x])
    boxes = np.column_stack([x, y, x + w, y + h, end])
    side = np.array([draw(st.integers(1, 3)) for _ in x], dtype=np.int8)
    roles = np.array([[draw(st.booleans()), draw(st.booleans())] for _ in x])
    return boxes, side, roles


@settings(max_examples=100, deadline=None)
@given(box_sets(), st.booleans())
def test_candidates_keep_every_aircraft_a_rule_can_reach(data, all_roles: bool) -> None:
    boxes, side, role = data
    n = len(boxes)
    watch = Watch(run=None)  # type: ignore[arg-type]
    protected = (lambda f: True, lambda f: True)
    watch.add(
        Rule("near", 5556.0, 900.0, 180.0, 600.0, _no_act, roles=protected if all_roles else None)
    )
    watch.add(Rule("far", 37040.0, 1e6, 0.0, 600.0, _no_act, roles=protected))
    x0, y0, x1, y1, end = boxes.T
    watch.boxes = np.vstack([x0, y0, -x1, -y1, end])
    watch.tops, watch.side = np.vstack([x1, y1, -x0, -y0]), side
    watch.roles = np.stack([np.ones((n, 2), bool), role], axis=1)
    watch.listed, watch.live = np.ones(n, dtype=bool), np.arange(n)
    watch.codes = np.array([watch._code(row) for row in range(n)])
    now = 100.0
    for row in range(n):
        rows, reach = watch._candidates(row, now)
        got = rows.tolist()
        assert reach.tolist() == [watch.reaches[watch.codes[row], watch.codes[j]] for j in got]
        assert got == sorted(got)
        box = boxes[row]
        gap = np.maximum(
            np.maximum(boxes[:, 0] - box[2], box[0] - boxes[:, 2]),
            np.maximum(boxes[:, 1] - box[3], box[1] - boxes[:, 3]),
        )
        other = (side != side[row]) & (boxes[:, 4] > now)
        widest = np.flatnonzero(other & (gap <= watch.reach)).tolist()
        mine, theirs = watch.roles[row], watch.roles
        match = (mine[None, :, 0] & theirs[:, :, 1]) | (mine[None, :, 1] & theirs[:, :, 0])
        within = (gap[:, None] < watch.radii[None, :]) & match
        reachable = np.flatnonzero(other & within.any(axis=1)).tolist()
        assert set(reachable) <= set(got) <= set(widest)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.floats(1.0, 1e5), st.booleans()), min_size=1, max_size=4),
    st.data(),
)
def test_pair_reach_covers_every_rule_that_watches_the_pair(rules, data) -> None:
    n = len(rules)
    roles = st.lists(st.booleans(), min_size=2 * n, max_size=2 * n).map(tuple)
    a = (data.draw(st.integers(1, 2)), data.draw(roles))
    b = (data.draw(st.integers(1, 2)), data.draw(roles))
    # a rule without roles plays both with everyone (as Watch.role_of says)
    a = (a[0], tuple(v or not rules[k // 2][1] for k, v in enumerate(a[1])))
    b = (b[0], tuple(v or not rules[k // 2][1] for k, v in enumerate(b[1])))
    widest = max(radius for radius, _ in rules)
    reach = pair_reach([(radius + 1.0, roled) for radius, roled in rules], a, b, widest)
    watching = [radius for (radius, _), w in zip(rules, pair_rules(a, b), strict=True) if w]
    if a[0] == b[0] or not watching:
        assert reach == -np.inf
    else:
        assert all(radius <= reach for radius in watching)
