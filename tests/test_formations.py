"""Formations and escorts: sizes as the table says, station kept, sorties per day unchanged,
encounters counted per pair of formations, and encounters labelled by cause."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from sim import formations
from sim.causes import Interval, label
from sim.encounters import DEFAULT_CATEGORIES, Encounter
from sim.engine import simulate
from sim.metrics import formation_encounters
from sim.records import FlightRecord, RunResult
from sim.scenario import load
from sim.streams import Streams
from sim.traffic import plan_flights
from sim.units import FT, NM


@given(
    st.lists(st.tuples(st.floats(5e3, 5e4), st.floats(-60, 60)), min_size=3, max_size=8),
    st.floats(-3000, 3000).filter(lambda d: abs(d) > 1),
)
def test_abreast_offset_runs_parallel(legs: list[tuple[float, float]], lateral: float) -> None:
    """Between two inner points, the offset track is parallel to the lead's, ``lateral`` to its
    right (turns of up to 60 degrees); the end points (the base) do not move."""
    pts, heading, x, y = [(0.0, 0.0, 0.0)], 0.0, 0.0, 0.0
    for length, turn in legs:
        heading += math.radians(turn)
        x, y = x + length * math.cos(heading), y + length * math.sin(heading)
        pts.append((x, y, 1000.0))
    out = formations.offset_route(pts, lateral)
    assert out[0] == pts[0] and out[-1] == pts[-1] and len(out) == len(pts)
    for i in range(1, len(pts) - 2):
        a, b = np.array(pts[i][:2]), np.array(pts[i + 1][:2])
        c, d = np.array(out[i][:2]), np.array(out[i + 1][:2])
        u = (b - a) / np.linalg.norm(b - a)
        v = d - c
        assert abs(u[0] * v[1] - u[1] * v[0]) < 1e-6 * np.linalg.norm(v) + 1e-6  # parallel
        right = (c - a)[0] * u[1] - (c - a)[1] * u[0]  # signed distance, right positive
        assert right == pytest.approx(lateral, rel=1e-6, abs=1e-6)


def test_formation_sizes_follow_the_table() -> None:
    """F-15E strikes fly as 2- and 4-ships in the proportions the table gives (chi-square)."""
    s = load("scenarios/mou-2015.toml", {"traffic.scale": 4})
    sizes: Counter[int] = Counter()
    for seed in range(6):
        plans = plan_flights(s, Streams(seed)["traffic"])
        units = Counter(p.formation for p in plans if p.type == "F-15E" and p.mission == "strike")
        sizes.update(units.values())
    shape = formations.shape_of("F-15E", "strike")
    expected = np.array(shape.weights) / sum(shape.weights) * sum(sizes.values())
    observed = np.array([sizes[n] for n in shape.sizes])
    assert stats.chisquare(observed, expected).pvalue > 0.01


def test_per_day_still_counts_aircraft() -> None:
    """Formations depart at per_day over the mean size: aircraft a day stay per_day (Poisson)."""
    s = load("scenarios/mou-2015.toml")
    stream = next(st_ for st_ in s.traffic.sorties if st_.type == "F-15E")
    counts = [
        sum(p.type == "F-15E" for p in plan_flights(s, Streams(seed)["traffic"]))
        for seed in range(60)
    ]
    mean_size = formations.mean_size(formations.shape_of("F-15E", "strike"))
    sd = math.sqrt(stream.per_day * mean_size / 60)  # compound Poisson, 60 days
    assert abs(np.mean(counts) - stream.per_day) < 4 * sd


def test_default_day_flies_formations_with_station_kept() -> None:
    """The issue's check: at least 10 % of strike and CAP sorties fly in formations; each
    wingman names its lead and stays within a few nautical miles of it."""
    r = simulate(load("scenarios/mou-2015.toml"), 2)
    df = r.flights_df
    sc = df[df.mission.isin(["strike", "cap"])]
    assert (sc.formation != "").mean() >= 0.10
    leads = set(df.formation) - {""}
    assert leads <= set(df.id)
    legs: dict[str, list] = {}
    for fid, leg in r.legs:
        legs.setdefault(fid, []).append(leg)

    def where(fid: str, t: float) -> np.ndarray | None:
        for leg in legs.get(fid, []):
            if leg.t0_s <= t <= leg.t1_s:
                return np.array(leg.position_at(t))
        return None

    checked = 0
    for f in r.flights:
        if f.formation and f.formation != f.id and f.mission != "escort" and not f.rerouted:
            lead = next(g for g in r.flights if g.id == f.formation)
            if lead.rerouted or lead.manoeuvres or f.manoeuvres:
                continue
            t0, t1 = max(f.takeoff_s, lead.takeoff_s) + 600, min(f.landing_s, lead.landing_s) - 600
            for t in np.linspace(t0, t1, 10) if t1 > t0 else []:
                a, b = where(f.id, t), where(lead.id, t)
                if a is not None and b is not None:
                    assert np.hypot(*(a[:2] - b[:2])) < 4 * NM
                    assert abs(a[2] - b[2]) < 1500 * FT
                    checked += 1
    assert checked > 20


def test_escorts_fly_with_the_package_above_it() -> None:
    s = load("scenarios/mou-2015.toml", {"traffic.scale": 3})
    plans = plan_flights(s, Streams(1)["traffic"])
    escorts = [p for p in plans if p.mission == "escort"]
    assert escorts
    by_id = {p.id: p for p in plans}
    for e in escorts:
        lead = by_id[e.formation]
        assert e.side == lead.side == "russia" and e.type == "Su-30SM"
        assert e.depart_s > lead.depart_s  # trailing the package
        cruise = lead.points[1][2]
        assert all(z >= cruise + 4000 * FT for _, _, z in e.points[1:-1])
        if len(e.points) == len(lead.points) and e.id.endswith("-e1"):
            assert all(
                math.dist(a[:2], b[:2]) < 1.0 for a, b in zip(e.points, lead.points, strict=True)
            )


def _enc(a: str, b: str, cat: str, t0: float, t1: float) -> Encounter:
    return Encounter(a, b, "coalition", "russia", cat, t0, t1, t0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def test_a_four_ship_meeting_a_two_ship_is_one_event() -> None:
    members = [("A", "A"), ("A-2", "A"), ("A-3", "A"), ("A-4", "A"), ("B", "B"), ("B-2", "B")]
    flights = tuple(FlightRecord(i, "", "", "", "", "", "", 0.0, formation=f) for i, f in members)
    encounters = tuple(
        _enc(a, b, "separation" if (a, b) != ("A-3", "B-2") else "near_miss", 100.0 + k, 200.0)
        for k, (a, b) in enumerate((a, b) for a in ("A", "A-2", "A-3", "A-4") for b in ("B", "B-2"))
    )
    r = RunResult("s", "p", 1, 24.0, "", DEFAULT_CATEGORIES, flights, (), encounters, ())
    assert formation_encounters(r) == {"nmac": 0, "near_miss": 1, "separation": 0}
    later = (*encounters, _enc("A", "B", "separation", 5000.0, 5100.0))
    r2 = RunResult("s", "p", 1, 24.0, "", DEFAULT_CATEGORIES, flights, (), later, ())
    assert formation_encounters(r2) == {"nmac": 0, "near_miss": 1, "separation": 1}


times = st.floats(0, 1e4)


@given(t0=times, length=st.floats(0, 600), i0=times, ilen=st.floats(0, 3000))
def test_cause_is_intercept_exactly_when_the_intervals_overlap(
    t0: float, length: float, i0: float, ilen: float
) -> None:
    e = _enc("A", "B", "near_miss", t0, t0 + length)
    (out,) = label([e], [Interval("B", "A", i0, i0 + ilen)])
    overlaps = i0 <= t0 + length and t0 <= i0 + ilen
    assert out.cause == ("intercept" if overlaps else "chance")
    (other,) = label([e], [Interval("B", "C", i0, i0 + ilen)])
    assert other.cause == "chance"
