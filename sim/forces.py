"""Forces by date: when each base, type, or type at a base was in the theatre (``forces.toml``).

A scenario that flies a force outside its dates is an error; :func:`date_problems` says which
field and when the force was there.

Examples
--------
>>> from datetime import date
>>> [(field, msg[:47]) for field, msg in date_problems("Hmeymim", "Su-35S",
...                                                  date(2015, 11, 17), date(2015, 11, 17))]
[('type', 'Su-35S was not in the theatre on 2015-11-17 (in')]
>>> date_problems("Hmeymim", "Su-35S", date(2017, 12, 13), date(2017, 12, 13))
[]
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from datetime import date
from importlib import resources

from sim import aircraft, places

__all__ = ["Presence", "date_problems", "presences"]


@dataclass(frozen=True)
class Presence:
    """One period a force was in the theatre: a base, types, or types at a base."""

    base: str | None
    """Canonical place name, or None (the types wherever they flew)."""
    types: tuple[str, ...]
    """Canonical type names, or () (everything at the base)."""
    start: date
    end: date | None
    source: str

    def covers(self, first: date, last: date) -> bool:
        """Whether the period covers every day from ``first`` to ``last``."""
        return self.start <= first and (self.end is None or last <= self.end)

    def period(self) -> str:
        """The period in words: ``from 2016-02-01`` or ``2015-11-23 to 2016-03-15``."""
        return f"from {self.start}" if self.end is None else f"{self.start} to {self.end}"


def _parse(i: int, entry: dict[str, object]) -> Presence:
    where = f"forces.toml: force[{i}]"
    try:
        base = places.find_place(str(entry["base"])).name if "base" in entry else None
        types = tuple(aircraft.find_type(str(t)).name for t in entry.get("types", []))  # type: ignore[attr-defined]
        start, end = entry["from"], entry.get("to")
        if not isinstance(start, date) or not (end is None or isinstance(end, date)):
            raise ValueError("from and to must be dates")
        if base is None and not types:
            raise ValueError("give a base, types, or both")
        return Presence(base, types, start, end, str(entry["source"]))
    except (KeyError, LookupError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from exc


@functools.cache
def presences() -> tuple[Presence, ...]:
    """Every period in ``sim/data/forces.toml``."""
    text = resources.files("sim").joinpath("data", "forces.toml").read_text(encoding="utf-8")
    return tuple(_parse(i, e) for i, e in enumerate(tomllib.loads(text)["force"]))


def _check(matching: list[Presence], what: str, first: date, last: date) -> str | None:
    if not matching or any(p.covers(first, last) for p in matching):
        return None
    when = str(first) if first == last else f"{first} to {last}"
    periods = ", ".join(p.period() for p in matching)
    return (
        f"{what} was not in the theatre on {when} (in the theatre {periods}; sim/data/forces.toml)"
    )


def date_problems(
    base: str | None, type_name: str, first: date, last: date
) -> list[tuple[str, str]]:
    """``(field, message)`` for each way a force at a base is outside its dates.

    ``field`` is ``"base"`` or ``"type"``; names may be aliases. ``base`` None checks the type
    alone (an explicit flight).
    """
    t = aircraft.find_type(type_name).name
    b = places.find_place(base).name if base is not None else None
    table = presences()
    out: list[tuple[str, str]] = []
    checks = [
        ("base", [p for p in table if p.base == b and not p.types], b),
        ("type", [p for p in table if p.base is None and t in p.types], t),
        ("type", [p for p in table if p.base == b and t in p.types], f"{t} at {b}"),
    ]
    for field, matching, what in checks:
        if b is None and field == "base":
            continue
        msg = _check(matching, str(what), first, last)
        if msg is not None:
            out.append((field, msg))
    return out
