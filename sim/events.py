"""Protocol events: typed per kind, with the words and map marks each kind brings.

An :class:`Event` is one row of ``events.csv``. What it says beyond time, kind, side and the
aircraft concerned lives in its ``info``, a frozen dataclass of typed fields that the kind
declares (a call id, a zone, an area and its window, whether a crossing was notified, ...).
``detail`` is written from those fields for people; no program reads it back.

An :class:`EventKind` declares everything the rest of the program needs to know about a kind:
its info class, how it reads in the replay's ticker, and what it puts on the map. Kinds are
declared by the mechanisms that emit them (``sim.protocol``) and by the run state (reroute,
hold, manoeuvre); the registry in ``sim.protocol.registry`` lists them all.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

__all__ = [
    "Event",
    "EventInfo",
    "EventKind",
    "NO_INFO",
    "MapArea",
    "NoInfo",
    "format_value",
]


def format_value(value: object) -> str:
    """Text of one field in ``detail``: floats to at most three decimals, booleans yes/no.

    Examples
    --------
    >>> format_value(1.5), format_value(2.0), format_value(True), format_value(0.12345)
    ('1.5', '2', 'yes', '0.123')
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


@dataclass(frozen=True, slots=True)
class EventInfo:
    """Base of the typed fields of an event; subclasses are frozen dataclasses.

    ``detail`` renders the fields as ``key=value`` pairs joined by ``;``, skipping fields that
    are ``None``; a kind that reads better another way overrides it.
    """

    def detail(self) -> str:
        """The fields as text for people (the ``detail`` column of ``events.csv``)."""
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is not None:
                parts.append(f"{f.name}={format_value(value)}")
        return ";".join(parts)


@dataclass(frozen=True, slots=True)
class NoInfo(EventInfo):
    """An event that says nothing beyond its kind, side and aircraft."""


NO_INFO = NoInfo()
"""The info of every event that says nothing more."""


@dataclass(frozen=True, slots=True)
class Event:
    """One protocol event: a row of ``events.csv``.

    Examples
    --------
    >>> @dataclass(frozen=True, slots=True)
    ... class Zone(EventInfo):
    ...     zone: str
    >>> e = Event(60.0, "zone_violation", "russia", "RU-1", info=Zone("Tanf"))
    >>> e.detail, e.info.zone
    ('zone=Tanf', 'Tanf')
    """

    t_s: float
    kind: str
    side: str
    aircraft_id: str = ""
    other_id: str = ""
    info: EventInfo = NO_INFO

    @property
    def detail(self) -> str:
        """What the event says beyond its columns, as text for people."""
        return self.info.detail()


@dataclass(frozen=True, slots=True)
class MapArea:
    """An area an event puts on the map for a while (a notified strike area, a corridor)."""

    label: str
    """Legend text, e.g. ``"notified strike area"``."""
    side: str
    geometry: BaseGeometry
    from_s: float
    to_s: float


Phrase = Callable[[Event], str]


@dataclass(frozen=True)
class EventKind:
    """A kind of event: its name, the type of its fields, its ticker words and map marks.

    Parameters
    ----------
    name : str
        The ``kind`` column of ``events.csv``.
    info : type of EventInfo
        The fields every event of this kind carries.
    doc : str
        One line for the README's vocabulary of kinds.
    ticker : str or callable, optional
        How the replay's ticker reads the event (a phrase, or a function of the event);
        ``None`` keeps the kind off the ticker.
    map_area : callable, optional
        The area the event puts on the map, or ``None`` for this event.
    """

    name: str
    info: type[EventInfo]
    doc: str
    ticker: str | Phrase | None = None
    map_area: Callable[[Event], MapArea | None] | None = None

    def phrase(self, event: Event) -> str | None:
        """The ticker's words for ``event``, or ``None`` when the kind stays off the ticker."""
        if self.ticker is None or isinstance(self.ticker, str):
            return self.ticker
        return self.ticker(event)
