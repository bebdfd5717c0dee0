"""Named places from the package data (``sim/data/places.csv``): found by name or alias.

Matching ignores case, accents, spaces and punctuation. The table is read on first use and
then kept; positions in the simulation plane come from :func:`sim.geo.to_xy`.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

from sim.geo import to_xy
from sim.names import NameIndex, UnknownNameError

__all__ = ["Place", "UnknownPlaceError", "find_place", "places"]

_PLACE_COLUMNS = ("name", "kind", "lat", "lon", "country", "aliases", "note")


class UnknownPlaceError(UnknownNameError):
    """No place has this name or alias (``name``, ``suggestions``)."""

    what = "place"


@dataclass(frozen=True)
class Place:
    """A named point from ``places.csv``.

    Attributes
    ----------
    name : str
        Canonical name, e.g. ``"Hmeymim (Khmeimim) air base"``.
    kind : str
        ``city``, ``airbase_ru``, ``airbase_us``, ``naval_area``, ``launch_area_ru``, ...
    lat, lon : float
        Degrees, WGS84.
    country : str
        ISO3 code, or ``RUS`` / ``CAS`` (Caspian Sea) / ``MED`` (Mediterranean sea area).
    note : str
        Source and accuracy of the coordinates.
    aliases : tuple of str
        Other names the place answers to.
    """

    name: str
    kind: str
    lat: float
    lon: float
    country: str
    note: str
    aliases: tuple[str, ...] = ()

    @property
    def xy(self) -> tuple[float, float]:
        """Position in the simulation plane, metres.

        Examples
        --------
        >>> x, y = find_place("Raqqa").xy
        >>> round(x / 1000), round(y / 1000)
        (47, 106)
        """
        return to_xy(self.lat, self.lon)


def _parse_place(row: dict[str, str], line: int) -> Place:
    where = f"places.csv line {line}"
    try:
        lat, lon = float(row["lat"]), float(row["lon"])
    except ValueError as exc:
        raise ValueError(f"{where}: lat/lon must be numbers ({exc})") from exc
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"{where}: lat/lon out of range: {lat}, {lon}")
    name = row["name"].strip()
    if not name:
        raise ValueError(f"{where}: empty name")
    aliases = tuple(a.strip() for a in (row["aliases"] or "").split(";") if a.strip())
    return Place(
        name=name,
        kind=row["kind"].strip(),
        lat=lat,
        lon=lon,
        country=row["country"].strip(),
        note=row["note"].strip(),
        aliases=aliases,
    )


@functools.cache
def _place_table() -> tuple[Place, ...]:
    text = resources.files("sim").joinpath("data", "places.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    missing = set(_PLACE_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"places.csv: missing columns {sorted(missing)}")
    return tuple(_parse_place(row, reader.line_num) for row in reader)


@functools.cache
def _place_index() -> NameIndex:
    return NameIndex.build("place", ((p.name, p.aliases) for p in _place_table()))


def places() -> dict[str, Place]:
    """All places, keyed by canonical name (a fresh dict; the data is read once).

    Examples
    --------
    >>> places()["Raqqa"].country
    'SYR'
    """
    return {p.name: p for p in _place_table()}


def find_place(name: str) -> Place:
    """Find a place by name or alias.

    Matching ignores case, accents, spaces and punctuation, so ``"deir ez zor"`` finds
    ``"Deir ez-Zor"`` and ``"khmeimim"`` finds the Hmeymim air base.

    Raises
    ------
    UnknownPlaceError
        If nothing matches; the message suggests close names.

    Examples
    --------
    >>> find_place("Khmeimim").name
    'Hmeymim (Khmeimim) air base'
    >>> find_place("deir ez zor").name
    'Deir ez-Zor'
    >>> find_place("Hmeymin")
    Traceback (most recent call last):
    ...
    sim.places.UnknownPlaceError: unknown place 'Hmeymin'; did you mean 'Hmeymim'?
    """
    index = _place_index()
    canonical = index.get(name)
    if canonical is None:
        raise UnknownPlaceError(name, index.suggest(name))
    return places()[canonical]
