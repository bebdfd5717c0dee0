"""The detector's shortcuts against their plain forms: grid keys packed per piece, pairs formed
only across labels, one packed sort for lexsort, Leg's own __init__, and batches of any size
giving the very same encounters (bit for bit, not approximately)."""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.encounters import Detector, Leg
from sim.encounters.grid import grid_keys, lexsorted, pairs_across_labels, pairs_sharing_keys

FAST = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@FAST
@given(
    st.lists(
        st.tuples(st.integers(0, 15), st.integers(0, 6)), min_size=0, max_size=80, unique=True
    ),
    st.lists(st.integers(0, 3), min_size=16, max_size=16),
    st.lists(st.booleans(), min_size=16, max_size=16),
)
def test_pairs_across_labels_are_the_pairs_sharing_a_key_of_two_labels(
    entries: list[tuple[int, int]], labels: list[int], new: list[bool]
) -> None:
    """The same pairs, as often, as all the pairs sharing a key less those of one label."""
    leg = np.array([e[0] for e in entries], dtype=np.int64)
    key = np.array([e[1] for e in entries], dtype=np.int64)
    label, is_new = np.array(labels, dtype=np.int64), np.array(new, dtype=bool)
    i, j = pairs_across_labels(leg, key, label[leg], is_new)
    a, b = pairs_sharing_keys(leg, key, is_new)
    keep = label[a] != label[b]
    got = Counter(zip(np.minimum(i, j).tolist(), np.maximum(i, j).tolist(), strict=True))
    want = Counter(
        zip(np.minimum(a, b)[keep].tolist(), np.maximum(a, b)[keep].tolist(), strict=True)
    )
    assert got == want
    assert (label[i] != label[j]).all()


def _events(seed: int, n_aircraft: int, side_km: float) -> list[tuple]:
    """Aircraft of two sides flying chained legs in time order, some cut short, all landing."""
    rng = np.random.default_rng(seed)
    keyed = []
    for a in range(n_aircraft):
        aid, side = f"F{a:03d}", ("coalition", "russia")[a % 2]
        t = float(rng.integers(0, 60)) * 10
        x, y = rng.uniform(0, side_km * 1000, 2)
        z = float(rng.choice([7000.0, 7600.0, 9000.0]))
        for k in range(int(rng.integers(3, 12))):
            last_t0 = t
            dur = float(rng.integers(0, 60)) * 10
            x1, y1 = rng.uniform(0, side_km * 1000, 2)
            z1 = float(rng.choice([z, z, 7000.0, 9000.0]))
            keyed.append((t, a, k, ("leg", aid, side, Leg(t, t + dur, x, y, z, x1, y1, z1))))
            if rng.random() < 0.25:  # cut: the next leg starts part of the way along
                f = float(rng.uniform(0, 1))
                t, x, y, z = t + f * dur, x + f * (x1 - x), y + f * (y1 - y), z + f * (z1 - z)
            else:
                t, x, y, z = t + dur, x1, y1, z1
        end = max(last_t0, t - float(rng.integers(0, 30)))
        keyed.append((end, a, 99, ("end", aid, side, end)))
    keyed.sort(key=lambda e: e[:3])
    return [ev for *_, ev in keyed]


def _feed(det: Detector, events: list[tuple]) -> list:
    for kind, aid, side, what in events:
        if kind == "leg":
            det.add_leg(aid, side, what)
        else:
            det.end_flight(aid, what)
    return det.finish()


@settings(max_examples=12, deadline=None, database=None)
@given(st.integers(0, 10_000), st.sampled_from(["cross-side", "all"]))
def test_batch_size_changes_nothing(seed: int, pairs: str) -> None:
    """Encounters equal (repr, so every float bit) whatever the batch size."""
    events = _events(seed, n_aircraft=30, side_km=60)
    want = _feed(Detector(pairs=pairs, batch_legs=1), events)
    for batch in (3, 64, 4096):
        assert repr(_feed(Detector(pairs=pairs, batch_legs=batch), events)) == repr(want)


def _plain_keys(rows: np.ndarray, t_from: np.ndarray, reach: float, cell: float, bucket: float):
    """The grid's keys the plain way: every cell's (bucket, x, y) first, then packed."""
    t0, t1 = rows[:, 0], rows[:, 1]
    b_first = np.floor(t_from / bucket)
    n_buckets = (np.floor(t1 / bucket) - b_first).astype(np.int64) + 1
    leg = np.repeat(np.arange(rows.shape[0]), n_buckets)
    b = b_first[leg] + np.concatenate([np.arange(n) for n in n_buckets] or [[]]).astype(int)
    ta = np.maximum(t_from[leg], b * bucket) - t0[leg]
    tb = np.minimum(t1[leg], (b + 1.0) * bucket) - t0[leg]
    x, y, vx, vy = rows[leg, 2], rows[leg, 3], rows[leg, 5], rows[leg, 6]
    xa, xb, ya, yb = x + vx * ta, x + vx * tb, y + vy * ta, y + vy * tb
    x_lo = np.floor((np.minimum(xa, xb) - reach) / cell)
    x_hi = np.floor((np.maximum(xa, xb) + reach) / cell)
    y_lo = np.floor((np.minimum(ya, yb) - reach) / cell)
    y_hi = np.floor((np.maximum(ya, yb) + reach) / cell)
    out_leg, cells = [], []
    for s in range(b.size):
        for ix in np.arange(x_lo[s], x_hi[s] + 1):
            for iy in np.arange(y_lo[s], y_hi[s] + 1):
                out_leg.append(leg[s])
                cells.append((b[s], ix, iy))
    if not cells:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    c = np.array(cells)
    low = c.min(axis=0)
    span = c.max(axis=0) - low + 1
    rel = c - low
    key = (rel[:, 0] * span[1] + rel[:, 1]) * span[2] + rel[:, 2]
    return np.array(out_leg), key.astype(np.int64)


@FAST
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2000),
            st.integers(0, 900),
            st.floats(-3e5, 3e5),
            st.floats(-3e5, 3e5),
            st.floats(-400, 400),
            st.floats(-400, 400),
        ),
        max_size=12,
    ),
    st.integers(0, 600),
    st.sampled_from([(2800.0, 22_000.0, 120.0), (1.0, 700.0, 7.0), (0.0, 5e4, 1e4)]),
)
def test_grid_keys_are_the_plain_cells(legs: list, dt_from: int, tuning: tuple) -> None:
    """Same cells, in the same order, with the same keys as rasterising cell by cell."""
    rows = np.array(
        [[t0, t0 + d, x, y, 7000.0, vx, vy, 0.0] for t0, d, x, y, vx, vy in legs], dtype=float
    ).reshape(-1, 8)
    t_from = np.minimum(rows[:, 0] + dt_from, rows[:, 1])
    leg, key = grid_keys(rows, t_from, *tuning)
    want_leg, want_key = _plain_keys(rows, t_from, *tuning)
    assert leg.tolist() == want_leg.tolist()
    assert key.tolist() == want_key.tolist()


@FAST
@given(
    st.lists(
        st.tuples(st.integers(-(2**40), 2**40), st.integers(-3, 3), st.integers(0, 2**31)),
        min_size=1,
        max_size=40,
    ),
    st.booleans(),
)
def test_lexsorted_is_lexsort(triples: list[tuple[int, int, int]], narrow: bool) -> None:
    """Packed into one integer (narrow values) or not (wide ones), the order of np.lexsort."""
    a, b, c = (np.array(v, dtype=np.int64) for v in zip(*triples, strict=True))
    if narrow:
        a, c = a % 1000, c % 5000
    order = np.lexsort((c, b, a))
    got = lexsorted(a, b, c)
    for g, want in zip(got, (a[order], b[order], c[order]), strict=True):
        assert g.tolist() == want.tolist()


@FAST
@given(st.lists(st.floats(allow_nan=True), min_size=8, max_size=8))
def test_leg_fields_are_the_values_given(values: list[float]) -> None:
    """Leg's own __init__ stores each value as given, by position or name; still frozen."""
    leg = Leg(*values)
    assert all(a is b for a, b in zip(dataclasses.astuple(leg), values, strict=True))
    named = Leg(**dict(zip(Leg.__slots__, values, strict=True)))
    assert repr(named) == repr(leg)
    assert repr(dataclasses.replace(leg, t1_s=values[0])).startswith(f"Leg(t0_s={values[0]!r}")
    with pytest.raises(dataclasses.FrozenInstanceError):
        leg.t0_s = 0.0  # type: ignore[misc]


def test_grid_keys_number_the_cells_when_the_box_is_too_wide_to_pack() -> None:
    """Beyond 2**53 cells in the box holding them all, keys still tell cells apart."""
    rows = np.array([[0.0, 10.0, x, 0.0, 7000.0, 0.0, 0.0, 0.0] for x in (0.0, 1e16, 0.0, 5.0)])
    leg, key = grid_keys(rows, rows[:, 0], 0.0, 1.0, 100.0)
    assert leg.tolist() == [0, 1, 2, 3]
    assert key[0] == key[2] and len({key[0], key[1], key[3]}) == 3
