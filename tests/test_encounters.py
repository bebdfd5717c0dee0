"""Closed-form encounters against sampling, and the detector against a plain all-pairs reference."""

from __future__ import annotations

import math
from dataclasses import astuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.encounters import (
    DEFAULT_CATEGORIES,
    Category,
    Detector,
    Encounter,
    Leg,
    LegArrays,
    closest_approach,
    outermost,
    solve_pairs,
)
from sim.encounters.closed_form import leg_row

FAST = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
OUTER = outermost(DEFAULT_CATEGORIES)
EXACT = (Category("inner", 1024.0, 128.0), Category("outer", 4096.0, 512.0))
"""Categories with sizes exact in binary, for tangency checks."""

coord = st.floats(-8000, 8000, allow_nan=False)
alt = st.floats(6500, 8500, allow_nan=False)
speed = st.floats(-400, 400, allow_nan=False)


@st.composite
def legs(draw: st.DrawFn) -> Leg:
    """A leg near the origin at up to 400 m/s per axis (30 m/s vertically), some instants."""
    t0 = draw(st.floats(0, 300, allow_nan=False))
    dur = draw(st.one_of(st.just(0.0), st.floats(0.001, 600, allow_nan=False)))
    x, y, z = draw(coord), draw(coord), draw(alt)
    vx, vy, vz = draw(speed), draw(speed), draw(st.floats(-30, 30, allow_nan=False))
    return Leg(t0, t0 + dur, x, y, z, x + vx * dur, y + vy * dur, z + vz * dur)


def sep(a: Leg, b: Leg, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical separation of two legs at times ``t``."""
    xa, ya, za = LegArrays.from_legs([a]).position_at(t)
    xb, yb, zb = LegArrays.from_legs([b]).position_at(t)
    return np.hypot(xa - xb, ya - yb), np.abs(za - zb)


def refine_cpa(a: Leg, b: Leg, lo: float, hi: float) -> tuple[float, float]:
    """Least horizontal separation on [lo, hi] by ternary search (the square is convex)."""
    for _ in range(200):
        m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        d1, d2 = sep(a, b, np.array([m1, m2]))[0]
        if d1 <= d2:
            hi = m2
        else:
            lo = m1
    t = 0.5 * (lo + hi)
    return t, float(sep(a, b, np.array([t]))[0][0])


def one(sol, field: str):
    return getattr(sol, field)[0]


def rel_speed(a: Leg, b: Leg) -> float:
    (ax, ay, _), (bx, by, _) = a.velocity(), b.velocity()
    return math.hypot(ax - bx, ay - by)


# -- closed form --------------------------------------------------------------------------


@FAST
@given(legs(), legs())
def test_closed_form_agrees_with_sampling(a: Leg, b: Leg) -> None:
    sol = solve_pairs(a, LegArrays.from_legs([b]))
    ts, te = max(a.t0_s, b.t0_s), min(a.t1_s, b.t1_s)
    if te < ts:
        assert not sol.inside.any()
        return
    t = np.linspace(ts, te, 4001)
    h, v = sep(a, b, t)
    for k, c in enumerate(DEFAULT_CATEGORIES):
        surely_in = (h < c.radius_m - 1e-6) & (v < c.half_height_m - 1e-6)
        if surely_in.any():
            assert sol.inside[0, k]
            tk = t[surely_in]
            assert sol.t_in_s[0, k] - 1e-9 <= tk.min()
            assert tk.max() <= sol.t_out_s[0, k] + 1e-9
        if sol.inside[0, k] and sol.t_out_s[0, k] - sol.t_in_s[0, k] > 1e-6:
            mid = 0.5 * (sol.t_in_s[0, k] + sol.t_out_s[0, k])
            hm, vm = sep(a, b, np.array([mid]))
            assert hm[0] < c.radius_m + 1e-6 and vm[0] < c.half_height_m + 1e-6
    if not sol.hit[0]:
        assert np.isnan(sol.t_cpa_s[0])
        return
    lo, hi = sol.t_in_s[0, OUTER], sol.t_out_s[0, OUTER]
    d_min, t_cpa = one(sol, "min_horizontal_m"), one(sol, "t_cpa_s")
    assert lo <= t_cpa <= hi
    outer = DEFAULT_CATEGORIES[OUTER]
    within = (t >= lo) & (t <= hi)
    assert h[within].min(initial=np.inf) >= d_min - 1e-6
    hc, vc = sep(a, b, np.array([t_cpa]))
    assert hc[0] == pytest.approx(d_min, abs=1e-6)
    assert vc[0] == pytest.approx(one(sol, "vertical_at_cpa_m"), abs=1e-6)
    assert d_min <= outer.radius_m and vc[0] <= outer.half_height_m + 1e-6
    t_ref, d_ref = refine_cpa(a, b, lo, hi)
    assert d_ref == pytest.approx(d_min, abs=1e-3)
    if rel_speed(a, b) > 1.0:
        assert t_ref == pytest.approx(t_cpa, abs=0.01)
    (xa, ya, _), (xb, yb, _) = (LegArrays.from_legs([g]).position_at(t_cpa) for g in (a, b))
    assert one(sol, "x_m") == pytest.approx(0.5 * (xa[0] + xb[0]), abs=1e-6)
    assert one(sol, "y_m") == pytest.approx(0.5 * (ya[0] + yb[0]), abs=1e-6)


def same_solution(s1, s2) -> None:
    for f in (
        "t_start_s",
        "t_end_s",
        "inside",
        "t_in_s",
        "t_out_s",
        "t_cpa_s",
        "min_horizontal_m",
        "vertical_at_cpa_m",
        "x_m",
        "y_m",
    ):
        np.testing.assert_array_equal(getattr(s1, f), getattr(s2, f), err_msg=f)


@FAST
@given(legs(), legs())
def test_symmetric_exactly(a: Leg, b: Leg) -> None:
    same_solution(
        solve_pairs(a, LegArrays.from_legs([b])), solve_pairs(b, LegArrays.from_legs([a]))
    )


def shifted(leg: Leg, dt: float, dx: float, dy: float, dz: float) -> Leg:
    return Leg(
        leg.t0_s + dt,
        leg.t1_s + dt,
        leg.x0_m + dx,
        leg.y0_m + dy,
        leg.z0_m + dz,
        leg.x1_m + dx,
        leg.y1_m + dy,
        leg.z1_m + dz,
    )


ints = st.integers(-8000, 8000).map(float)


@st.composite
def int_legs(draw: st.DrawFn) -> Leg:
    """Legs with whole-metre, whole-second coordinates (so shifting them is exact)."""
    t0 = float(draw(st.integers(0, 300)))
    dur = float(draw(st.integers(0, 600)))
    z = st.integers(6500, 8500).map(float)
    return Leg(t0, t0 + dur, draw(ints), draw(ints), draw(z), draw(ints), draw(ints), draw(z))


@FAST
@given(int_legs(), int_legs(), st.integers(-10_000, 10_000), st.tuples(ints, ints, ints))
def test_translation_and_time_shift_invariant(a: Leg, b: Leg, dt: int, d: tuple) -> None:
    s1 = solve_pairs(a, LegArrays.from_legs([b]))
    s2 = solve_pairs(shifted(a, dt, *d), LegArrays.from_legs([shifted(b, dt, *d)]))
    for k in range(len(DEFAULT_CATEGORIES)):
        i1, i2 = s1.inside[0, k], s2.inside[0, k]
        if i1 != i2:  # only a stay of no length may come or go with rounding
            s = s1 if i1 else s2
            assert s.t_out_s[0, k] - s.t_in_s[0, k] < 1e-6
        elif i1:
            assert s2.t_in_s[0, k] - dt == pytest.approx(s1.t_in_s[0, k], abs=1e-6)
            assert s2.t_out_s[0, k] - dt == pytest.approx(s1.t_out_s[0, k], abs=1e-6)
    if s1.hit[0] and s2.hit[0]:
        assert one(s2, "min_horizontal_m") == pytest.approx(one(s1, "min_horizontal_m"), abs=1e-6)
        assert one(s2, "vertical_at_cpa_m") == pytest.approx(one(s1, "vertical_at_cpa_m"), abs=1e-6)
        assert one(s2, "x_m") - d[0] == pytest.approx(one(s1, "x_m"), abs=1e-6)
        if rel_speed(a, b) > 0.1:
            assert one(s2, "t_cpa_s") - dt == pytest.approx(one(s1, "t_cpa_s"), abs=1e-6)


@FAST
@given(int_legs(), ints, ints, st.integers(-1500, 1500))
def test_parallel_legs_keep_constant_separation(a: Leg, dx: float, dy: float, dz: int) -> None:
    b = shifted(a, 0.0, dx, dy, float(dz))
    sol = solve_pairs(a, LegArrays.from_legs([b]))
    h, v = math.hypot(dx, dy), abs(dz)
    for k, c in enumerate(DEFAULT_CATEGORIES):
        assert sol.inside[0, k] == (h < c.radius_m and v < c.half_height_m)
        if sol.inside[0, k]:
            assert (sol.t_in_s[0, k], sol.t_out_s[0, k]) == (a.t0_s, a.t1_s)
    if sol.hit[0]:
        assert one(sol, "t_cpa_s") == a.t0_s  # constant separation: the earliest instant
        assert one(sol, "min_horizontal_m") == pytest.approx(h, abs=1e-9)
        assert one(sol, "vertical_at_cpa_m") == pytest.approx(v, abs=1e-9)


@FAST
@given(legs(), st.floats(0, 1, allow_nan=False), coord, coord, alt)
def test_zero_duration_leg_is_one_instant(a: Leg, f: float, x: float, y: float, z: float) -> None:
    t = a.t0_s + f * a.duration_s
    point = Leg(t, t, x, y, z, x, y, z)
    sol = solve_pairs(point, LegArrays.from_legs([a]))
    h, v = sep(a, point, np.array([t]))
    for k, c in enumerate(DEFAULT_CATEGORIES):
        if h[0] < c.radius_m - 1e-6 and v[0] < c.half_height_m - 1e-6:
            assert sol.inside[0, k]
        if sol.inside[0, k]:
            assert sol.t_in_s[0, k] == sol.t_out_s[0, k] == t
    if sol.hit[0]:
        assert one(sol, "t_cpa_s") == t
        assert one(sol, "min_horizontal_m") == pytest.approx(h[0], abs=1e-6)
    late = Leg(a.t1_s + 1.0, a.t1_s + 1.0, x, y, z, x, y, z)
    assert not solve_pairs(late, LegArrays.from_legs([a])).inside.any()


def test_tangency_is_not_inside() -> None:
    still = LegArrays.from_legs([Leg(0, 200, 0, 0, 7000, 0, 0, 7000)])
    graze = Leg(0, 200, 4096, -10_000, 7000, 4096, 10_000, 7000)  # passes exactly at R
    sol = solve_pairs(graze, still, EXACT)
    assert sol.inside[0].tolist() == [False, False]
    closer = Leg(0, 200, 4095, -10_000, 7000, 4095, 10_000, 7000)
    sol = solve_pairs(closer, still, EXACT)
    assert sol.inside[0].tolist() == [False, True]
    assert one(sol, "t_cpa_s") == 100.0 and one(sol, "min_horizontal_m") == 4095.0
    level_at_h = Leg(0, 200, -10_000, 0, 7512, 10_000, 0, 7512)  # exactly H above
    assert not solve_pairs(level_at_h, still, EXACT).inside.any()
    touch_at_end = Leg(0, 100, 0, 0, 8024, 0, 0, 7512)  # descends to exactly H at t = 100
    assert not solve_pairs(touch_at_end, still, EXACT).inside.any()
    through = Leg(0, 100, 0, 0, 8024, 0, 0, 7000)  # crosses H at t = 50
    sol = solve_pairs(through, still, EXACT)
    assert sol.t_in_s[0, 1] == 50.0 and sol.t_out_s[0, 1] == 100.0
    assert sol.t_in_s[0, 0] == 87.5  # |dz| < 128 m from 8024 - 128 m on, at 10.24 m/s
    touching_point = Leg(100, 100, 4096, 0, 7000, 4096, 0, 7000)
    assert not solve_pairs(touching_point, still, EXACT).inside.any()


def test_climbing_leg_enters_categories_in_order() -> None:
    still = LegArrays.from_legs([Leg(0, 400, 0, 0, 7000, 0, 0, 7000)])
    climb = Leg(0, 400, 0, 0, 5000, 0, 0, 9000)  # 10 m/s up through the other aircraft
    sol = solve_pairs(climb, still)
    for k, c in enumerate(DEFAULT_CATEGORIES):
        assert sol.t_in_s[0, k] == pytest.approx(200 - c.half_height_m / 10)
        assert sol.t_out_s[0, k] == pytest.approx(200 + c.half_height_m / 10)
    assert sol.severity.tolist() == [0]
    assert one(sol, "t_cpa_s") == pytest.approx(200 - DEFAULT_CATEGORIES[OUTER].half_height_m / 10)


def test_closest_approach_helper() -> None:
    t, d = closest_approach(
        np.array([-1000.0, 0.0, 500.0]),
        np.array([50.0, 300.0, 0.0]),
        np.array([10.0, 0.0, 0.0]),
        np.array([0.0, 0.0, 0.0]),
        0.0,
        60.0,
    )
    assert t.tolist() == [60.0, 0.0, 0.0]
    assert d.tolist() == pytest.approx([math.hypot(400, 50), 300.0, 500.0])
    t, d = closest_approach(-1000.0, 50.0, 10.0, 0.0, 0.0, 600.0)
    assert (float(t), float(d)) == (100.0, 50.0)


def test_category_validation() -> None:
    with pytest.raises(ValueError, match="nested"):
        outermost([Category("wide", 5000, 100), Category("tall", 100, 5000)])
    with pytest.raises(ValueError, match="radius_m"):
        outermost([Category("bad", 0.0, 100)])
    with pytest.raises(ValueError):
        outermost([])
    assert outermost(list(reversed(DEFAULT_CATEGORIES))) == 0


# -- detector -----------------------------------------------------------------------------


def feed(det: Detector, events: list, advance_at: frozenset[int] = frozenset()) -> list:
    out: list[Encounter] = []
    for k, (kind, aid, side, payload) in enumerate(events):
        if kind == "leg":
            det.add_leg(aid, side, payload)
        else:
            det.end_flight(aid, payload)
        if k in advance_at:
            t = payload.t0_s if kind == "leg" else payload
            got = det.advance(t)
            assert all(e.t_end_s < t for e in got)
            out += got
    return out + det.finish()


def reference(events: list, categories=DEFAULT_CATEGORIES, pairs: str = "cross-side") -> list:
    """Every pair of legs of two aircraft, solved one by one; stays merged where they touch."""
    flown: dict[str, list[list]] = {}
    current: dict[str, int | None] = {}
    for kind, aid, side, payload in events:
        t = payload.t0_s if kind == "leg" else payload
        if current.get(aid) is not None:
            entry = flown[aid][current[aid]]
            entry[2] = min(entry[2], t)
        if kind == "leg":
            flown.setdefault(aid, []).append([side, payload, payload.t1_s])
            current[aid] = len(flown[aid]) - 1
        else:
            current[aid] = None
    found = []
    ids = sorted(flown)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            if pairs == "cross-side" and flown[a][0][0] == flown[b][0][0]:
                continue
            pieces = []
            arr_a = arrays(flown[a], (-1, 1))
            arr_b = arrays(flown[b], (1, -1))
            s = solve_pairs(arr_a, arr_b, categories)  # every leg of a against every leg of b
            for i, j in np.argwhere(s.hit).tolist():
                pieces.append(
                    (
                        s.t_start_s[i, j],
                        s.t_end_s[i, j],
                        s.t_in_s[i, j, s.outer],
                        s.t_out_s[i, j, s.outer],
                        s.severity[i, j],
                        s.t_cpa_s[i, j],
                        s.min_horizontal_m[i, j],
                        s.vertical_at_cpa_m[i, j],
                        s.x_m[i, j],
                        s.y_m[i, j],
                        flown[a][i][0],
                        flown[b][j][0],
                    )
                )
            found += merge_plainly(a, b, sorted(pieces, key=lambda p: (p[0], p[1])), categories)
    return sorted(found, key=lambda e: (e.t_start_s, e.a_id, e.b_id))


def arrays(flown: list[list], shape: tuple[int, int]) -> LegArrays:
    """The legs of one aircraft as a column or row, each ended where it was cut."""
    arr = LegArrays.from_legs([leg for _, leg, _ in flown], [end for _, _, end in flown])
    return LegArrays(*(getattr(arr, f).reshape(shape) for f in LegArrays.__slots__))


def merge_plainly(a: str, b: str, pieces: list, categories) -> list[Encounter]:
    out, cur = [], None
    for p in pieces:
        if cur is not None and p[2] <= cur["end"]:
            cur["end"] = max(cur["end"], p[3])
            cur["cat"] = min(cur["cat"], p[4])
            if (p[6], p[5]) < (cur["d"], cur["t"]):
                cur.update(t=p[5], d=p[6], dz=p[7], x=p[8], y=p[9])
            continue
        if cur is not None:
            out.append(cur)
        cur = dict(
            start=p[2],
            end=p[3],
            cat=p[4],
            t=p[5],
            d=p[6],
            dz=p[7],
            x=p[8],
            y=p[9],
            sa=p[10],
            sb=p[11],
        )
    if cur is not None:
        out.append(cur)
    return [
        Encounter(
            a,
            b,
            c["sa"],
            c["sb"],
            categories[c["cat"]].name,
            c["start"],
            c["end"],
            c["t"],
            c["d"],
            c["dz"],
            math.nan,
            math.nan,
            c["x"],
            c["y"],
        )
        for c in out
    ]


def assert_same_encounters(got: list[Encounter], want: list[Encounter]) -> None:
    assert [(e.a_id, e.b_id, e.category) for e in got] == [
        (e.a_id, e.b_id, e.category) for e in want
    ]
    for g, w in zip(got, want, strict=True):
        for f in (
            "t_start_s",
            "t_end_s",
            "t_cpa_s",
            "min_horizontal_m",
            "vertical_at_cpa_m",
            "x_m",
            "y_m",
        ):
            assert getattr(g, f) == pytest.approx(getattr(w, f), abs=1e-9), f
        assert (g.a_side, g.b_side) == (w.a_side, w.b_side)


@st.composite
def traffic(draw: st.DrawFn, max_aircraft: int = 5) -> list:
    """Time-ordered leg and landing events: chained legs, manoeuvre cuts, gaps, re-flights."""
    n = draw(st.integers(2, max_aircraft))
    per_aircraft = []
    step = st.integers(-6, 6).map(lambda k: k * 1000.0)
    for a in range(n):
        aid = f"AC{draw(st.integers(0, 99)):02d}-{a}"
        side = draw(st.sampled_from(["coalition", "russia"]))
        evs = []
        t = draw(st.integers(0, 12)) * 10.0
        x, y, z = draw(step), draw(step), draw(st.sampled_from([7000.0, 7200.0, 8500.0]))
        for _ in range(draw(st.integers(1, 4))):
            dur = draw(st.sampled_from([0.0, 10.0, 30.0, 60.0, 120.0, 200.0]))
            x1, y1 = draw(step), draw(step)
            z1 = draw(st.sampled_from([z, z, 7000.0, 7900.0]))
            leg = Leg(t, t + dur, x, y, z, x1, y1, z1)
            evs.append((t, "leg", aid, side, leg))
            how = draw(st.sampled_from(["continue", "continue", "cut", "gap"]))
            if how == "cut":
                t = t + draw(st.integers(0, 4)) * dur / 4
                x, y, z = LegArrays.from_legs([leg]).position_at(t)
                x, y, z = float(x[0]), float(y[0]), float(z[0])
            elif how == "gap":
                t, x, y = t + dur + 10.0 * draw(st.integers(1, 3)), draw(step), draw(step)
            else:
                t, x, y, z = t + dur, x1, y1, z1
        if draw(st.booleans()):
            last = evs[-1][4]
            evs.append(
                (
                    draw(st.sampled_from([last.t0_s, 0.5 * (last.t0_s + last.t1_s), t])),
                    "end",
                    aid,
                    side,
                    None,
                )
            )
        per_aircraft.append(evs)
    order = draw(st.permutations(range(n)))
    keyed = [
        (ev[0], order[a], k, ev) for a, evs in enumerate(per_aircraft) for k, ev in enumerate(evs)
    ]
    events = []
    for _, _, _, (t, kind, aid, side, leg) in sorted(keyed, key=lambda e: e[:3]):
        events.append((kind, aid, side, leg if kind == "leg" else t))
    return events


@settings(
    max_examples=250, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    traffic(),
    st.sampled_from(["cross-side", "all"]),
    st.sampled_from([(1, None, 120.0), (2, 700.0, 7.0), (256, None, 120.0), (3, 20_000.0, 1e4)]),
    st.frozensets(st.integers(0, 20), max_size=4),
)
def test_detector_matches_plain_reference(events, pairs, tuning, advance_at) -> None:
    batch, cell, bucket = tuning
    det = Detector(DEFAULT_CATEGORIES, pairs, cell_m=cell, bucket_s=bucket, batch_legs=batch)
    got = feed(det, events, advance_at)
    got.sort(key=lambda e: (e.t_start_s, e.a_id, e.b_id))
    assert_same_encounters(got, reference(events, DEFAULT_CATEGORIES, pairs))
    for e in got:
        assert e.a_id < e.b_id
        assert pairs == "all" or e.a_side != e.b_side


def random_events(seed: int, n_aircraft: int, side_km: float) -> list:
    """Many aircraft over a wider area, flying chained legs with a few manoeuvres."""
    rng = np.random.default_rng(seed)
    keyed = []
    for a in range(n_aircraft):
        aid, side = f"F{a:03d}", ("coalition", "russia")[a % 2]
        t = float(rng.integers(0, 60)) * 10
        x, y = rng.uniform(0, side_km * 1000, 2)
        z = float(rng.choice([7000.0, 7600.0, 9000.0]))
        for k in range(int(rng.integers(3, 9))):
            dur = float(rng.integers(6, 60)) * 10
            x1, y1 = rng.uniform(0, side_km * 1000, 2)
            z1 = float(rng.choice([z, z, 7000.0, 9000.0]))
            leg = Leg(t, t + dur, x, y, z, x1, y1, z1)
            keyed.append((t, a, k, ("leg", aid, side, leg)))
            if rng.random() < 0.2:  # a manoeuvre a third of the way along
                t += dur / 3
                x, y, z = (float(c[0]) for c in LegArrays.from_legs([leg]).position_at(t))
            else:
                t, x, y, z = t + dur, x1, y1, z1
        keyed.append((t - float(rng.integers(0, 30)), a, 99, ("end", aid, side, None)))
    keyed.sort(key=lambda e: e[:3])
    return [
        (kind, aid, side, leg if kind == "leg" else t) for t, _, _, (kind, aid, side, leg) in keyed
    ]


@pytest.mark.parametrize("pairs", ["cross-side", "all"])
def test_detector_many_aircraft_matches_reference(pairs: str) -> None:
    events = random_events(seed=7, n_aircraft=40, side_km=120)
    got = feed(Detector(pairs=pairs, batch_legs=16), events)
    want = reference(events, DEFAULT_CATEGORIES, pairs)
    assert len(want) > 20
    assert_same_encounters(got, want)


def test_detector_is_deterministic() -> None:
    events = random_events(seed=3, n_aircraft=30, side_km=80)
    first = feed(Detector(pairs="all"), events)
    again = feed(Detector(pairs="all"), events)
    assert first == again and len(first) > 10


def test_stays_merge_across_leg_boundaries() -> None:
    det = Detector()
    det.add_leg("B", "russia", Leg(0, 600, 0, 1000, 7000, 60_000, 1000, 7000))
    det.add_leg("A", "coalition", Leg(0, 300, 0, 0, 7000, 30_000, 0, 7000))
    det.add_leg("A", "coalition", Leg(300, 600, 30_000, 0, 7000, 60_000, 0, 7050))
    (e,) = det.finish()
    assert (e.a_id, e.b_id, e.a_side, e.b_side) == ("A", "B", "coalition", "russia")
    assert (e.t_start_s, e.t_end_s, e.category) == (0.0, 600.0, "near_miss")
    assert (e.t_cpa_s, e.min_horizontal_m, e.vertical_at_cpa_m) == (0.0, 1000.0, 0.0)
    assert math.isnan(e.lat) and (e.x_m, e.y_m) == (0.0, 500.0)


def test_manoeuvre_retracts_what_the_old_leg_would_have_met() -> None:
    det = Detector(batch_legs=1)
    det.add_leg("R", "russia", Leg(0, 1000, 0, 0, 7000, 0, 0, 7000))
    det.add_leg("C", "coalition", Leg(0, 1000, -50_000, 0, 7000, 50_000, 0, 7000))
    det.add_leg("C", "coalition", Leg(200, 1000, -40_000, 0, 7000, -40_000, -80_000, 7000))
    assert det.current_legs()["C"][1].t0_s == 200
    assert det.finish() == []
    det = Detector(batch_legs=1)
    det.add_leg("R", "russia", Leg(0, 1000, 0, 0, 7000, 0, 0, 7000))
    det.add_leg("C", "coalition", Leg(0, 1000, -50_000, 0, 7000, 50_000, 0, 7000))
    det.end_flight("C", 500)  # lands right over R
    assert det.current_legs() == {"R": ("russia", Leg(0, 1000, 0, 0, 7000, 0, 0, 7000))}
    (e,) = det.finish()
    assert e.t_end_s == 500.0 and e.t_cpa_s == 500.0 and e.category == "nmac"


def test_current_legs_show_cuts_and_landings() -> None:
    det = Detector()
    det.add_leg("A", "coalition", Leg(0, 100, 0, 0, 7000, 1000, 0, 7000))
    det.add_leg("B", "russia", Leg(10, 100, 0, 0, 7000, 0, 900, 7000))
    det.end_flight("B", 40)
    assert det.current_legs() == {"A": ("coalition", Leg(0, 100, 0, 0, 7000, 1000, 0, 7000))}
    det.add_leg("A", "coalition", Leg(50, 60, 500, 0, 7000, 500, 100, 7000))
    assert det.current_legs()["A"] == ("coalition", Leg(50, 60, 500, 0, 7000, 500, 100, 7000))


def test_advance_returns_only_finished_encounters() -> None:
    det = Detector()
    det.add_leg("R", "russia", Leg(0, 3600, 0, 0, 7000, 0, 0, 7000))
    det.add_leg("C1", "coalition", Leg(0, 200, -10_000, 0, 7000, 10_000, 0, 7000))
    det.add_leg("C2", "coalition", Leg(100, 3600, 0, 1000, 7000, 0, 1000, 7000))
    assert det.advance(150) == []
    (first,) = det.advance(300)
    assert first.b_id == "R" and first.a_id == "C1" and first.t_end_s < 200
    (second,) = det.finish()
    assert (second.a_id, second.t_start_s, second.t_end_s) == ("C2", 100.0, 3600.0)


def test_input_errors() -> None:
    det = Detector()
    det.add_leg("A", "coalition", Leg(100, 200, 0, 0, 7000, 0, 0, 7000))
    with pytest.raises(ValueError, match="time order"):
        det.add_leg("B", "russia", Leg(50, 200, 0, 0, 7000, 0, 0, 7000))
    with pytest.raises(ValueError, match="side"):
        det.add_leg("A", "russia", Leg(100, 200, 0, 0, 7000, 0, 0, 7000))
    with pytest.raises(ValueError, match="ends before"):
        det.add_leg("B", "russia", Leg(120, 110, 0, 0, 7000, 0, 0, 7000))
    with pytest.raises(ValueError, match="non-finite"):
        det.add_leg("B", "russia", Leg(120, 130, math.nan, 0, 7000, 0, 0, 7000))
    with pytest.raises(ValueError, match="non-finite"):  # inf - inf: a NaN sum, still refused
        det.add_leg("B", "russia", Leg(120, 130, math.inf, -math.inf, 7000, 0, 0, 7000))
    big = 1e308  # finite values whose sum overflows are accepted
    det.add_leg("B", "russia", Leg(120, 130, big, big, 7000, big, big, 7000))
    with pytest.raises(ValueError, match="not flying"):
        det.end_flight("Z", 150)
    with pytest.raises(ValueError):
        det.end_flight("A", 10)
    with pytest.raises(ValueError, match="pairs"):
        Detector(pairs="some")
    det.finish()
    with pytest.raises(RuntimeError):
        det.add_leg("B", "russia", Leg(300, 400, 0, 0, 7000, 0, 0, 7000))


def test_lat_lon_of_the_midpoint() -> None:
    det = Detector(to_latlon=lambda x, y: (35.0 + y / 111_000, 38.5 + x / 91_000))
    det.add_leg("A", "coalition", Leg(0, 100, 0, -500, 7000, 0, 500, 7000))
    det.add_leg("B", "russia", Leg(0, 100, 1000, 500, 7000, 1000, -500, 7000))
    (e,) = det.finish()
    assert (e.t_cpa_s, e.x_m, e.y_m) == (50.0, 500.0, 0.0)
    assert (e.lat, e.lon) == pytest.approx((35.0, 38.5 + 500 / 91_000))


any_float = st.floats(allow_nan=True, allow_infinity=True)


@given(st.one_of(st.tuples(*[any_float] * 8), legs().map(astuple)))
def test_leg_row_is_the_leg_and_its_velocity(values: tuple) -> None:
    """The detector's row of a leg: its start, end, first point and `Leg.velocity`, to the bit
    (or the error a malformed leg gives)."""
    leg = Leg(*values)
    finite = all(map(math.isfinite, values))
    if not finite or leg.t1_s < leg.t0_s:
        with pytest.raises(ValueError, match="non-finite" if not finite else "ends before"):
            leg_row(leg)
        return
    expected = [leg.t0_s, leg.t1_s, leg.x0_m, leg.y0_m, leg.z0_m, *leg.velocity()]
    assert repr(leg_row(leg)) == repr(expected)
