"""Tests for sim.aircraft: the aircraft table, its validation and name lookup."""

from __future__ import annotations

import doctest
import pickle
import re
import tomllib
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.aircraft
from sim.aircraft import (
    KINDS,
    SIDES,
    AircraftTableError,
    AircraftType,
    UnknownAircraftTypeError,
    aircraft_types,
    find_type,
    parse_aircraft_table,
)

RUSSIA = [
    "Su-24M",
    "Su-25SM",
    "Su-34",
    "Su-30SM",
    "Su-35S",
    "Tu-22M3",
    "Tu-95MS",
    "Tu-160",
    "Orlan-10",
    "Forpost",
    "Kalibr",
    "Kh-101",
    "Kh-555",
]
COALITION = [
    "F-15E",
    "F-16",
    "F-22",
    "F/A-18E",
    "A-10",
    "B-1B",
    "MQ-1",
    "MQ-9",
    "KC-135R",
    "E-3",
    "Tornado GR4",
    "Typhoon",
    "Rafale",
    "Rafale M",
    "Mirage 2000D",
    "Super Etendard",
]

MPH_TO_KT = 1609.344 / 1852
KMH_TO_KT = 1 / 1.852


def raw_table() -> dict[str, Any]:
    text = resources.files("sim").joinpath("data", "aircraft.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def good_entry(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "side": "coalition",
        "kind": "uav",
        "cruise_kt": 200,
        "min_alt_ft": 15000,
        "max_alt_ft": 25000,
        "endurance_h": 14,
        "climb_fpm": 1000,
        "radius_km": 1850,
        "wingspan_m": 20.1,
        "height_m": 3.8,
        "source": "test",
        "dimensions_source": "test",
    }
    entry.update(changes)
    return entry


# --------------------------------------------------------------------------- the table


def test_every_required_type_is_present_on_its_side() -> None:
    types = aircraft_types()
    assert set(types) == set(RUSSIA) | set(COALITION)
    for name in RUSSIA:
        assert types[name].side == "russia", name
    for name in COALITION:
        assert types[name].side == "coalition", name


@pytest.mark.parametrize("name", RUSSIA + COALITION)
def test_fields_are_in_range(name: str) -> None:
    t = aircraft_types()[name]
    assert t.name == name
    assert t.side in SIDES and t.kind in KINDS
    assert 50 <= t.cruise_kt <= 700
    assert 0 <= t.min_alt_ft < t.max_alt_ft <= 50_000
    assert 0 < t.endurance_h <= 24
    assert 0 < t.climb_fpm <= 10_000
    assert 0 < t.radius_km <= 10_000
    assert t.source.strip()
    # Every source string marks its figures with the legend.
    assert re.search(r"\b[VKA]\b|~", t.source), t.source
    # Collision dimensions: a missile is a few metres across, the largest bomber under 60 m.
    assert 0.3 <= t.height_m < t.wingspan_m <= 60, (t.wingspan_m, t.height_m)
    assert re.search(r"\b[VKA]\b|~", t.dimensions_source), t.dimensions_source


def test_kinds() -> None:
    kinds = {name: t.kind for name, t in aircraft_types().items()}
    assert {n for n, k in kinds.items() if k == "missile"} == {"Kalibr", "Kh-101", "Kh-555"}
    assert {n for n, k in kinds.items() if k == "uav"} == {"Orlan-10", "Forpost", "MQ-1", "MQ-9"}
    assert {n for n, k in kinds.items() if k == "support"} == {"KC-135R", "E-3"}


def test_missiles_fly_low_and_bombers_high() -> None:
    types = aircraft_types()
    for name in ("Kalibr", "Kh-101", "Kh-555"):
        assert types[name].max_alt_ft < 1_000
    for name in ("Tu-95MS", "Tu-160", "Tu-22M3"):
        assert types[name].min_alt_ft > 20_000


@pytest.mark.parametrize(
    ("name", "expected_kt"),
    [
        ("MQ-9", 230 * MPH_TO_KT),  # ~230 mph (370 km/h)
        ("KC-135R", 530 * MPH_TO_KT),  # 530 mph at 30,000 ft
        ("MQ-1", 84 * MPH_TO_KT),  # 84 mph (135 km/h)
        ("E-3", 360 * MPH_TO_KT),  # ~360 mph (580 km/h)
        ("Su-24M", 850 * KMH_TO_KT),  # ~850 km/h
        ("Kh-101", 700 * KMH_TO_KT),  # ~700 km/h cruise
        ("Su-34", 950 * KMH_TO_KT),  # midpoint of ~900-1,000 km/h
        ("A-10", 300.0),  # ~300 kt
    ],
)
def test_cruise_speeds_converted_from_the_source_units(name: str, expected_kt: float) -> None:
    assert aircraft_types()[name].cruise_kt == pytest.approx(expected_kt, abs=1.0)


def test_known_values() -> None:
    assert aircraft_types()["MQ-9"].cruise_kt == pytest.approx(200, abs=1)
    assert aircraft_types()["KC-135R"].cruise_kt == pytest.approx(460, abs=1)
    assert aircraft_types()["Su-35S"].max_alt_ft > 32_808 > aircraft_types()["Su-35S"].min_alt_ft
    assert aircraft_types()["Su-25SM"].min_alt_ft == pytest.approx(3_300 / 0.3048, rel=0.01)
    assert aircraft_types()["Orlan-10"].endurance_h == 16
    assert aircraft_types()["Kh-101"].radius_km == 4_500


def test_si_properties() -> None:
    t = aircraft_types()["MQ-9"]
    assert t.cruise_mps == pytest.approx(t.cruise_kt * 1852 / 3600)
    assert t.min_alt_m == pytest.approx(t.min_alt_ft * 0.3048)
    assert t.max_alt_m == pytest.approx(t.max_alt_ft * 0.3048)
    assert t.climb_mps == pytest.approx(t.climb_fpm * 0.3048 / 60)
    assert t.endurance_s == pytest.approx(t.endurance_h * 3600)
    assert t.radius_m == pytest.approx(t.radius_km * 1000)


def test_types_are_immutable_and_the_dict_is_fresh() -> None:
    t = aircraft_types()["F-16"]
    with pytest.raises(AttributeError):
        t.cruise_kt = 1  # type: ignore[misc]
    aircraft_types().clear()
    assert "F-16" in aircraft_types()


def test_the_package_table_passes_validation() -> None:
    types = parse_aircraft_table(raw_table())
    assert types == aircraft_types()


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (good_entry(cruise_kt=-1), r"MQ-9\.cruise_kt: must be > 0, got -1"),
        (good_entry(cruise_kt=0), r"MQ-9\.cruise_kt: must be > 0"),
        (good_entry(radius_km=float("inf")), r"MQ-9\.radius_km: must be a finite number"),
        (good_entry(endurance_h=True), r"MQ-9\.endurance_h: must be a finite number"),
        (good_entry(climb_fpm="fast"), r"MQ-9\.climb_fpm: must be a finite number"),
        (good_entry(min_alt_ft=-10), r"MQ-9\.min_alt_ft: must be >= 0"),
        (good_entry(max_alt_ft=15000), r"MQ-9\.max_alt_ft: must be above min_alt_ft"),
        (good_entry(side="usa"), r"MQ-9\.side: must be one of russia, coalition, got 'usa'"),
        (good_entry(kind="drone"), r"MQ-9\.kind: must be one of"),
        (good_entry(source="  "), r"MQ-9\.source: must be a non-empty string"),
        (good_entry(aliases="Reaper"), r"MQ-9\.aliases: must be a list"),
        (good_entry(aliases=["--"]), r"MQ-9\.aliases: every alias must be a non-empty name"),
        (good_entry(cruise_mph=230), r"MQ-9: unknown field\(s\) cruise_mph"),
        ({k: v for k, v in good_entry().items() if k != "source"}, r"missing field\(s\) source"),
        ("not a table", r"MQ-9: must be a table"),
    ],
)
def test_validation_errors_name_type_and_field(entry: object, message: str) -> None:
    with pytest.raises(AircraftTableError, match=message) as info:
        parse_aircraft_table({"MQ-9": entry})
    assert str(info.value).startswith("aircraft.toml: ")


def test_quoted_type_names_in_error_paths() -> None:
    with pytest.raises(AircraftTableError, match=r'"F/A-18E"\.cruise_kt'):
        parse_aircraft_table({"F/A-18E": good_entry(cruise_kt=-5)})


def test_name_clashes_are_rejected() -> None:
    table = {"MQ-9": good_entry(aliases=["Reaper"]), "MQ-9B": good_entry(aliases=["reaper"])}
    with pytest.raises(AircraftTableError, match="clashes with 'Reaper' of 'MQ-9'"):
        parse_aircraft_table(table)
    with pytest.raises(AircraftTableError, match="clashes"):
        parse_aircraft_table({"F-15E": good_entry(), "F15E": good_entry()})


def test_empty_table_is_rejected() -> None:
    with pytest.raises(AircraftTableError, match="no aircraft types"):
        parse_aircraft_table({})


def test_a_broken_package_row_would_be_caught() -> None:
    table = raw_table()
    table["Su-34"]["max_alt_ft"] = table["Su-34"]["min_alt_ft"]
    with pytest.raises(AircraftTableError, match=r"Su-34\.max_alt_ft"):
        parse_aircraft_table(table)


# --------------------------------------------------------------------------- lookup


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Su-34", "Su-34"),
        ("su34", "Su-34"),
        ("SU 34", "Su-34"),
        ("F15E", "F-15E"),
        ("f-15e", "F-15E"),
        ("F/A-18E", "F/A-18E"),
        ("FA18E", "F/A-18E"),
        ("Super Hornet", "F/A-18E"),
        ("KC-135", "KC-135R"),
        ("kc135r", "KC-135R"),
        ("3M-14", "Kalibr"),
        ("Kalibr (3M-14)", "Kalibr"),
        ("Rafale M", "Rafale M"),
        ("rafale", "Rafale"),
        ("Super Étendard", "Super Etendard"),
        ("super etendard", "Super Etendard"),
        ("Su-24", "Su-24M"),
        ("tornado", "Tornado GR4"),
        ("AWACS", "E-3"),
        ("Reaper", "MQ-9"),
    ],
)
def test_find_type_is_tolerant(query: str, expected: str) -> None:
    assert find_type(query).name == expected


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_find_type_ignores_case_and_separators(data: st.DataObject) -> None:
    t: AircraftType = data.draw(st.sampled_from(list(aircraft_types().values())))
    label = data.draw(st.sampled_from([t.name, *t.aliases]))
    chars = [c for c in label if c.isalnum()]
    seps = data.draw(st.lists(st.sampled_from(["", "", "-", " ", "_", "/"]), min_size=len(chars)))
    flips = data.draw(st.lists(st.booleans(), min_size=len(chars)))
    mangled = "".join(
        (c.upper() if flip else c.lower()) + sep
        for c, sep, flip in zip(chars, seps, flips, strict=False)
    )
    assert find_type(mangled) == t


def test_every_name_and_alias_finds_its_type() -> None:
    for t in aircraft_types().values():
        for label in (t.name, *t.aliases):
            assert find_type(label) == t


def test_unknown_type_suggests_the_right_name() -> None:
    with pytest.raises(UnknownAircraftTypeError) as info:
        find_type("Kh-102")
    assert str(info.value) == "unknown aircraft type 'Kh-102'; did you mean 'Kh-101'?"
    assert isinstance(info.value, LookupError)
    with pytest.raises(UnknownAircraftTypeError, match="did you mean 'F-15E'"):
        find_type("F-15EX")
    with pytest.raises(UnknownAircraftTypeError, match="did you mean 'Tornado GR4'"):
        find_type("Tornado GR1")


def test_unknown_type_without_suggestions() -> None:
    with pytest.raises(UnknownAircraftTypeError) as info:
        find_type("Zeppelin")
    assert str(info.value) == "unknown aircraft type 'Zeppelin'"
    assert info.value.suggestions == ()


def test_unknown_type_error_pickles() -> None:
    with pytest.raises(UnknownAircraftTypeError) as info:
        find_type("Kh-102")
    clone = pickle.loads(pickle.dumps(info.value))
    assert str(clone) == str(info.value)


# --------------------------------------------------------------------------- docs


def test_docstring_examples_run() -> None:
    result = doctest.testmod(sim.aircraft)
    assert result.attempted > 5
    assert result.failed == 0
