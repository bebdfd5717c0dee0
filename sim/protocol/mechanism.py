"""What a mechanism declares about itself, in one place, for the rest of the program.

A :class:`Mechanism` names its protocol table and the table's model, how to install it on a
run, when (after which other mechanisms), its random stream, the event kinds it emits with
their typed fields, ticker words and map marks, the zones and lines it draws, the figures it
adds to ``summary.json`` and the rows it adds to the ``run`` table, and the columns of
``flights.csv`` it counts. ``sim.protocol.registry`` lists the mechanisms; everything
downstream asks the registry instead of keeping lists of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.events import EventKind
from sim.protocol.spec import MechanismSpec, ProtocolBase, ZoneSpec

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from sim.records import RunResult
    from sim.state import Run

__all__ = ["FlightTally", "Mechanism", "TableRow", "ZoneRef"]

Summary = Mapping[str, Any]


@dataclass(frozen=True)
class TableRow:
    """A row of the ``run`` command's "protocol at work" table, read from ``summary.json``."""

    label: str
    value: Callable[[Summary], str]


@dataclass(frozen=True)
class FlightTally:
    """A column of ``flights.csv``: how many events of ``kind`` concern the flight."""

    column: str
    kind: str


@dataclass(frozen=True)
class ZoneRef:
    """A zone of a protocol table: its field path (for messages) and whether maps draw it."""

    path: str
    zone: ZoneSpec
    drawn: bool = True


@dataclass(frozen=True)
class Mechanism:
    """A protocol mechanism: everything the rest of the program needs to know about it.

    Parameters
    ----------
    name : str
        Its table in protocol files (``hotline``, ``keep_out``, ...); also the name of its
        random stream unless ``stream`` says otherwise.
    spec : type of MechanismSpec
        The pydantic model of its table.
    install : callable
        ``install(run, spec)``: start its processes and hooks on a run, before anyone flies;
        called only when ``spec.enabled``.
    doc : str
        One line for the README.
    after : tuple of str
        Mechanisms installed before this one when both are present.
    events : tuple of EventKind
        The kinds it emits (a kind may be shared by several mechanisms: the same object).
    figures : callable, optional
        ``figures(result) -> {name: number}``, added to ``summary.json`` ``protocol_effects``.
    comms : callable, optional
        ``comms(result) -> {name: number}``, added to ``summary.json`` ``comms``.
    table : tuple of TableRow
        Rows it adds to the ``run`` table.
    tallies : tuple of FlightTally
        Columns it adds to ``flights.csv``.
    zones : callable, optional
        ``zones(spec) -> [ZoneRef]``: its zones, validated on loading, drawn when ``drawn``.
    lines : callable, optional
        ``lines(spec) -> [(name, geometry)]``: lines maps draw while it is enabled.
    check : callable, optional
        ``check(spec, protocol) -> ["field: problem"]``: problems across tables or with names.
    """

    name: str
    spec: type[MechanismSpec]
    install: Callable[[Run, Any], None]
    doc: str
    after: tuple[str, ...] = ()
    stream: str = ""
    events: tuple[EventKind, ...] = ()
    figures: Callable[[RunResult], Mapping[str, float]] | None = None
    comms: Callable[[RunResult], Mapping[str, float]] | None = None
    table: tuple[TableRow, ...] = ()
    tallies: tuple[FlightTally, ...] = ()
    zones: Callable[[Any], Sequence[ZoneRef]] | None = None
    lines: Callable[[Any], Sequence[tuple[str, BaseGeometry]]] | None = None
    check: Callable[[Any, ProtocolBase], list[str]] | None = None

    @property
    def stream_name(self) -> str:
        """The name of its random stream."""
        return self.stream or self.name
