"""Aircraft and missile types: performance defaults read from ``sim/data/aircraft.toml``.

Each type carries its file fields in file units (knots, feet, feet per minute, hours,
kilometres) and SI properties for the simulator (m/s, m). Every figure's origin is in the
type's ``source`` string, marked V (value found in a cited source), ~ (approximate or
derived), K (handbook value, unchecked) or A (modelling assumption).
"""

from __future__ import annotations

import functools
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from sim.names import NameIndex, UnknownNameError, normalise
from sim.units import FT, KT, MIN, H

__all__ = [
    "KINDS",
    "SIDES",
    "AircraftTableError",
    "AircraftType",
    "UnknownAircraftTypeError",
    "aircraft_types",
    "find_type",
    "parse_aircraft_table",
]

SIDES: tuple[str, ...] = ("russia", "coalition")
"""Sides a type may belong to."""

KINDS: tuple[str, ...] = ("fixed_wing", "uav", "missile", "support")
"""Kinds of type: manned combat aircraft, drones, cruise missiles, tankers and AEW&C."""

_NUMBER_FIELDS = (
    "cruise_kt",
    "min_alt_ft",
    "max_alt_ft",
    "endurance_h",
    "climb_fpm",
    "radius_km",
    "wingspan_m",
    "height_m",
)
_REQUIRED = ("side", "kind", *_NUMBER_FIELDS, "source", "dimensions_source")
_OPTIONAL = ("aliases", "aar_endurance_h")


class AircraftTableError(ValueError):
    """The aircraft table is malformed; the message names the type and field."""


class UnknownAircraftTypeError(UnknownNameError):
    """No aircraft type has this name or alias (``name``, ``suggestions``)."""

    what = "aircraft type"


@dataclass(frozen=True)
class AircraftType:
    """Performance defaults of one aircraft or missile type (file units).

    Examples
    --------
    >>> mq9 = find_type("MQ-9")
    >>> mq9.cruise_kt, round(mq9.cruise_mps, 1)
    (200.0, 102.9)
    """

    name: str
    side: str
    kind: str
    cruise_kt: float
    min_alt_ft: float
    max_alt_ft: float
    endurance_h: float
    climb_fpm: float
    radius_km: float
    source: str
    aliases: tuple[str, ...] = ()
    wingspan_m: float = 0.0
    """Wing span (swing wings: spread), for the collision cylinder."""
    height_m: float = 0.0
    """Overall height (missiles: body depth), for the collision cylinder."""
    dimensions_source: str = ""
    aar_endurance_h: float | None = None
    """Time aloft with air-to-air refuelling (None: the type does not refuel in the air)."""

    @property
    def cruise_mps(self) -> float:
        """Cruise speed, m/s."""
        return self.cruise_kt * KT

    @property
    def min_alt_m(self) -> float:
        """Bottom of the operating band, m."""
        return self.min_alt_ft * FT

    @property
    def max_alt_m(self) -> float:
        """Top of the operating band, m."""
        return self.max_alt_ft * FT

    @property
    def climb_mps(self) -> float:
        """Typical climb/descent rate, m/s."""
        return self.climb_fpm * FT / MIN

    @property
    def endurance_s(self) -> float:
        """Time aloft on a typical sortie (or a missile's flight-time budget), s."""
        return self.endurance_h * H

    @property
    def aar_endurance_s(self) -> float | None:
        """Time aloft with air refuelling, s (None if the type does not refuel in the air)."""
        return None if self.aar_endurance_h is None else self.aar_endurance_h * H

    @property
    def radius_m(self) -> float:
        """Combat radius or range, m."""
        return self.radius_km * 1000.0


def _toml_key(name: str) -> str:
    """A table name as written in TOML: bare if it can be, else quoted."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name, ensure_ascii=False)


def _fail(origin: str, path: str, problem: str) -> AircraftTableError:
    return AircraftTableError(f"{origin}: {path}: {problem}")


def _number(entry: Mapping[str, object], field: str, where: str, origin: str) -> float:
    value = entry[field]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(origin, f"{where}.{field}", f"must be a finite number, got {value!r}")
    if field == "min_alt_ft":
        if value < 0:
            raise _fail(origin, f"{where}.{field}", f"must be >= 0, got {value!r}")
    elif value <= 0:
        raise _fail(origin, f"{where}.{field}", f"must be > 0, got {value!r}")
    return float(value)


def _choice(value: object, allowed: tuple[str, ...], path: str, origin: str) -> str:
    if value not in allowed:
        raise _fail(origin, path, f"must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _aliases(value: object, path: str, origin: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list):
        raise _fail(origin, path, f"must be a list of names, got {value!r}")
    for alias in value:
        if not isinstance(alias, str) or not normalise(alias):
            raise _fail(origin, path, f"every alias must be a non-empty name, got {alias!r}")
    return tuple(value)


def _parse_type(name: str, entry: object, origin: str) -> AircraftType:
    where = _toml_key(name)
    if not isinstance(entry, Mapping):
        raise _fail(origin, where, f"must be a table, got {entry!r}")
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise _fail(origin, where, f"unknown field(s) {', '.join(unknown)}")
    missing = [field for field in _REQUIRED if field not in entry]
    if missing:
        raise _fail(origin, where, f"missing field(s) {', '.join(missing)}")
    numbers = {field: _number(entry, field, where, origin) for field in _NUMBER_FIELDS}
    if numbers["max_alt_ft"] <= numbers["min_alt_ft"]:
        raise _fail(
            origin,
            f"{where}.max_alt_ft",
            f"must be above min_alt_ft ({numbers['min_alt_ft']:g}), got {numbers['max_alt_ft']:g}",
        )
    aar = None
    if "aar_endurance_h" in entry:
        aar = _number(entry, "aar_endurance_h", where, origin)
        if aar < numbers["endurance_h"]:
            raise _fail(origin, f"{where}.aar_endurance_h", "must be >= endurance_h")
    source, dims_source = entry["source"], entry["dimensions_source"]
    for field, text in (("source", source), ("dimensions_source", dims_source)):
        if not isinstance(text, str) or not text.strip():
            raise _fail(origin, f"{where}.{field}", "must be a non-empty string")
    return AircraftType(
        name=name,
        side=_choice(entry["side"], SIDES, f"{where}.side", origin),
        kind=_choice(entry["kind"], KINDS, f"{where}.kind", origin),
        source=source.strip(),
        dimensions_source=dims_source.strip(),
        aliases=_aliases(entry.get("aliases", []), f"{where}.aliases", origin),
        aar_endurance_h=aar,
        **numbers,
    )


def _check_unique_names(types: Iterable[AircraftType], origin: str) -> None:
    owner: dict[str, tuple[str, str]] = {}
    for kind in types:
        for label in (kind.name, *kind.aliases):
            key = normalise(label)
            if not key:
                raise _fail(origin, _toml_key(kind.name), f"name or alias {label!r} is empty")
            label0, name0 = owner.setdefault(key, (label, kind.name))
            if name0 != kind.name:
                raise _fail(
                    origin,
                    _toml_key(kind.name),
                    f"name or alias {label!r} clashes with {label0!r} of {name0!r}",
                )


def parse_aircraft_table(
    table: Mapping[str, object], origin: str = "aircraft.toml"
) -> dict[str, AircraftType]:
    """Validate a parsed aircraft table (one sub-table per type) and build the types.

    Parameters
    ----------
    table : mapping
        As returned by :func:`tomllib.loads`.
    origin : str
        File name used in error messages.

    Raises
    ------
    AircraftTableError
        On a missing, unknown or out-of-range field, or a name or alias used twice.

    Examples
    --------
    >>> entry = dict(side="coalition", kind="uav", cruise_kt=200, min_alt_ft=15000,
    ...              max_alt_ft=25000, endurance_h=14, climb_fpm=1000, radius_km=1850,
    ...              wingspan_m=20.1, height_m=3.8, source="example",
    ...              dimensions_source="example")
    >>> parse_aircraft_table({"MQ-9": entry})["MQ-9"].radius_m
    1850000.0
    >>> parse_aircraft_table({"MQ-9": {**entry, "cruise_kt": -1}})
    Traceback (most recent call last):
    ...
    sim.aircraft.AircraftTableError: aircraft.toml: MQ-9.cruise_kt: must be > 0, got -1
    """
    if not table:
        raise AircraftTableError(f"{origin}: no aircraft types")
    types = {str(name): _parse_type(str(name), entry, origin) for name, entry in table.items()}
    _check_unique_names(types.values(), origin)
    return types


@functools.cache
def _type_table() -> tuple[AircraftType, ...]:
    text = resources.files("sim").joinpath("data", "aircraft.toml").read_text(encoding="utf-8")
    return tuple(parse_aircraft_table(tomllib.loads(text)).values())


@functools.cache
def _type_index() -> NameIndex:
    return NameIndex.build("aircraft type", ((t.name, t.aliases) for t in _type_table()))


def aircraft_types() -> dict[str, AircraftType]:
    """All aircraft types from the package table, keyed by name (a fresh dict).

    Examples
    --------
    >>> types = aircraft_types()
    >>> types["Su-34"].side, types["KC-135R"].kind
    ('russia', 'support')
    """
    return {kind.name: kind for kind in _type_table()}


def find_type(name: str) -> AircraftType:
    """Find an aircraft type by name or alias.

    Matching ignores case, accents, spaces and punctuation: ``"su34"``, ``"Su-34"`` and
    ``"SU 34"`` are the same type, and ``"F15E"`` finds ``"F-15E"``.

    Raises
    ------
    UnknownAircraftTypeError
        If nothing matches; the message suggests close names.

    Examples
    --------
    >>> find_type("su34").name
    'Su-34'
    >>> find_type("KC-135").name
    'KC-135R'
    >>> find_type("Kh-102")
    Traceback (most recent call last):
    ...
    sim.aircraft.UnknownAircraftTypeError: unknown aircraft type 'Kh-102'; did you mean 'Kh-101'?
    """
    index = _type_index()
    canonical = index.get(name)
    if canonical is None:
        raise UnknownAircraftTypeError(name, index.suggest(name))
    return aircraft_types()[canonical]
