"""Routes as flown: long-range forces reach Syria by their corridors, never across Turkey; the
historical days fly the order of battle the sources give; fighters refuel where they did."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from sim import corridors, exposure, geo, places
from sim.engine import simulate
from sim.plans import FlightPlan
from sim.scenario import load
from sim.streams import Streams
from sim.traffic import plan_flights
from sim.units import NM

HISTORICAL = ("oct-2015", "mou-2015", "feb-2016", "dec-2017")
NO_OVERFLIGHT = ("TUR", "GEO", "AZE", "ARM")


def _plans(name: str, seed: int) -> list[FlightPlan]:
    return plan_flights(load(f"scenarios/{name}.toml"), Streams(seed)["traffic"])


def _long_range(base: str, kind: str) -> bool:
    """Flights from bases outside Syria's neighbourhood of Russian use: Russia, the Caspian."""
    return kind == "missile" or places.find_place(base).country in ("RUS", "CAS")


def test_corridor_waypoints_avoid_countries_that_gave_no_overflight() -> None:
    borders = geo.countries()
    for c in corridors.corridors().values():
        for base in c.bases:
            line = shapely.LineString(
                [places.places()[base].xy, *corridors.route_in(c, places.places()[base].xy)]
            )
            hit = [iso for iso in NO_OVERFLIGHT if borders[iso].intersects(line)]
            assert not hit, (c.name, base, hit)


@pytest.mark.parametrize("name", HISTORICAL)
def test_no_russian_long_range_flight_or_missile_crosses_turkey(name: str) -> None:
    """Over the legs as flown (reroutes included), with the country polygons."""
    turkey = geo.countries()["TUR"]
    for seed in (0, 1):
        result = simulate(load(f"scenarios/{name}.toml"), seed)
        who = {
            f.id: f for f in result.flights if f.side == "russia" and _long_range(f.base, f.kind)
        }
        legs = [leg for fid, leg in result.legs if fid in who]
        lines = shapely.linestrings(
            np.array([[(lg.x0_m, lg.y0_m), (lg.x1_m, lg.y1_m)] for lg in legs]).reshape(-1, 2, 2)
        )
        assert not shapely.intersects(turkey, lines).any(), (name, seed)
        if name in ("oct-2015", "mou-2015"):
            assert legs, "the day has long-range flights or missiles"
            # ... and they go over Iran and Iraq instead
            path = shapely.union_all(lines)
            assert path.intersects(geo.countries()["IRN"]) and path.intersects(
                geo.countries()["IRQ"]
            )


@pytest.mark.parametrize("seed", range(4))
def test_17_november_order_of_battle_matches_the_article(seed: int) -> None:
    plans = _plans("mou-2015", seed)
    by_type: dict[str, list[FlightPlan]] = {}
    for p in plans:
        by_type.setdefault(p.type, []).append(p)
    # First wave: twelve Tu-22M3 from Mozdok on Raqqa and Deir ez-Zor
    tu22 = by_type["Tu-22M3"]
    assert len(tu22) == 12 and {p.base for p in tu22} == {"Mozdok air base"}
    assert {p.target for p in tu22} <= {"Raqqa", "Deir ez-Zor"}
    # Second wave: Tu-95MS and Tu-160 with Kh-555 and Kh-101: 34 missiles at 14 targets in
    # Aleppo and Idlib provinces, launched 09:00-09:40 Moscow time (06:00-06:40 UTC)
    assert by_type["Tu-95MS"] and by_type["Tu-160"]
    missiles = [p for p in plans if p.kind == "missile"]
    assert len(missiles) == 34
    assert {p.type for p in missiles} == {"Kh-555", "Kh-101"}
    assert len({tuple(np.round(p.points[-1][:2])) for p in missiles}) == 14
    assert {p.target for p in missiles} <= {"Aleppo", "Idlib"}
    launches = np.array([p.depart_s for p in missiles]) / 3600
    assert launches.min() >= 5.75 and launches.max() <= 7.0, launches
    # Su-25 and Su-34 strikes with Su-30SM escort; Russian and Syrian strikes in Deir ez-Zor
    assert {"Su-25SM", "Su-34", "Su-30SM"} <= set(by_type)
    assert any(
        p.side == "russia" and p.target == "Deir ez-Zor" and p.mission == "strike" for p in plans
    )
    # no carrier aviation before 23 Nov
    assert "Rafale M" not in by_type and "Super Etendard" not in by_type


def test_7_october_kalibr_salvo() -> None:
    """26 Kalibr at 11 targets, ~1,500 km over Iran and Iraq."""
    plans = _plans("oct-2015", 0)
    kalibr = [p for p in plans if p.type == "Kalibr"]
    assert len(kalibr) == 26
    assert len({tuple(np.round(p.points[-1][:2])) for p in kalibr}) == 11
    lengths = [shapely.LineString([q[:2] for q in p.points]).length / 1000 for p in kalibr]
    assert min(lengths) > 1400 and max(lengths) < 2000, (min(lengths), max(lengths))


def test_f22s_from_al_dhafra_refuel_and_get_time_over_syria() -> None:
    """dec-2017: the F-22s fly from Al Dhafra through the Iraq tanker track both ways and spend
    hours over Syria, not minutes."""
    track = places.find_place("Iraq west tanker track").xy
    result = simulate(load("scenarios/dec-2017.toml"), 1)
    f22 = {f.id for f in result.flights if f.type == "F-22"}
    assert f22
    plans = [p for p in _plans("dec-2017", 1) if p.type == "F-22"]
    for p in plans:
        near = 1.0 if p.formation in ("", p.id) else 2 * NM  # a wingman flies abreast its lead
        visits = [
            i for i, q in enumerate(p.points) if np.hypot(q[0] - track[0], q[1] - track[1]) < near
        ]
        assert len(visits) == 2, p.id  # out and home
    per_sortie = []  # over three days: the aim points (and so the hours) vary by day
    for seed in (1, 2, 3):
        r = result if seed == 1 else simulate(load("scenarios/dec-2017.toml"), seed)
        ids_22 = {f.id for f in r.flights if f.type == "F-22"}
        table, ids = exposure._leg_table(r)
        hours = exposure.hours_inside(geo.syria(), table)
        per_sortie.append(
            sum(h for h, i in zip(hours, ids, strict=True) if i in ids_22) / len(ids_22)
        )
    assert np.mean(per_sortie) > 2.0, per_sortie


def test_coalition_tasking_places_are_on_the_east_bank_and_orbits_outside_syria() -> None:
    east = ["Hajin", "Al-Shafah", "Al-Omar oil field", "Al-Shaddadi", "Al-Hawl"]
    for name in east:
        assert int(geo.side_of_euphrates(*places.find_place(name).xy)) == -1, name
    for name in ("Iraq west tanker track", "Iraq AWACS orbit"):
        p = places.find_place(name)
        assert not geo.syria().contains(shapely.Point(p.xy))
        assert geo.countries()["IRQ"].contains(shapely.Point(p.xy))
