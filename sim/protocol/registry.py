"""The registry of mechanisms: the one list the rest of the program asks.

The built-in mechanisms are listed here once; :func:`register` adds another (a plug-in, or
a made-up one in a test) and :func:`registered` does so for the length of a ``with`` block.
Everything downstream is derived from the registry: the model of a protocol file
(:func:`protocol_model`), the install order (:func:`mechanisms`), the event vocabulary
(:func:`event_kinds`), the ticker words and map marks, the zones and lines maps draw, the
figures of ``summary.json``, the rows of the ``run`` table and the columns of ``flights.csv``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import networkx as nx
import pydantic

from sim.events import EventKind
from sim.protocol.comms_test import COMMS_TEST
from sim.protocol.controllers import SEPARATION
from sim.protocol.hotline import CEASEFIRE_HOTLINE, HOTLINE
from sim.protocol.intercept import INTERCEPT
from sim.protocol.keep_out import KEEP_OUT
from sim.protocol.line import DECONFLICTION_LINE
from sim.protocol.mechanism import FlightTally, Mechanism, ZoneRef
from sim.protocol.notification import NOTIFICATION
from sim.protocol.radio import RADIO
from sim.protocol.spec import ProtocolBase
from sim.protocol.unilateral import UNILATERAL
from sim.state import CORE_EVENTS, Run

__all__ = [
    "BUILTIN",
    "build_protocol",
    "event_kinds",
    "flight_tallies",
    "install",
    "mechanisms",
    "problems",
    "protocol_model",
    "register",
    "registered",
    "unregister",
]

BUILTIN: tuple[Mechanism, ...] = (
    HOTLINE,
    CEASEFIRE_HOTLINE,
    NOTIFICATION,
    KEEP_OUT,
    RADIO,
    COMMS_TEST,
    DECONFLICTION_LINE,
    SEPARATION,
    UNILATERAL,
    INTERCEPT,
)
"""The mechanisms that come with the package (their order here does not matter)."""

_META = frozenset(ProtocolBase.model_fields)


class _Registry:
    """The registered mechanisms, and what is derived from them (rebuilt on every change)."""

    def __init__(self, builtin: tuple[Mechanism, ...]) -> None:
        self._by_name: dict[str, Mechanism] = {}
        self._derived: dict[str, Any] = {}
        for m in builtin:
            self.add(m)

    def add(self, m: Mechanism) -> None:
        if m.name in self._by_name or m.name in _META:
            raise ValueError(f"a mechanism or protocol field named {m.name!r} already exists")
        _kinds([*self._by_name.values(), m])  # raises if two different kinds share a name
        self._by_name[m.name] = m
        self._derived.clear()

    def remove(self, name: str) -> None:
        del self._by_name[name]
        self._derived.clear()

    def derived(self, key: str, make: Any) -> Any:
        if key not in self._derived:
            self._derived[key] = make(tuple(self._by_name.values()))
        return self._derived[key]


def register(m: Mechanism) -> Mechanism:
    """Add a mechanism: its table becomes valid in protocol files, its events in runs."""
    _REGISTRY.add(m)
    return m


def unregister(name: str) -> None:
    """Remove a mechanism added with :func:`register`."""
    _REGISTRY.remove(name)


@contextmanager
def registered(m: Mechanism) -> Iterator[Mechanism]:
    """Register ``m`` for the length of a ``with`` block (tests, experiments)."""
    register(m)
    try:
        yield m
    finally:
        unregister(m.name)


def mechanisms() -> tuple[Mechanism, ...]:
    """Every registered mechanism, in install order.

    A mechanism comes after those it names in ``after``; otherwise in order of name, so the
    order is the same in every run whatever the order of registration.
    """
    return _REGISTRY.derived("order", _install_order)


def _install_order(ms: tuple[Mechanism, ...]) -> tuple[Mechanism, ...]:
    by_name = {m.name: m for m in ms}
    graph = nx.DiGraph()
    graph.add_nodes_from(by_name)
    graph.add_edges_from((a, m.name) for m in ms for a in m.after if a in by_name)
    try:
        order = list(nx.lexicographical_topological_sort(graph))
    except nx.NetworkXUnfeasible:
        cycle = " -> ".join(a for a, _ in nx.find_cycle(graph))
        raise ValueError(f"mechanisms must come after each other in a circle: {cycle}") from None
    return tuple(by_name[n] for n in order)


def event_kinds() -> dict[str, EventKind]:
    """Every event kind a run may emit: the run state's, then each mechanism's, by name."""
    return _REGISTRY.derived("kinds", _kinds)


def _kinds(ms: list[Mechanism] | tuple[Mechanism, ...]) -> dict[str, EventKind]:
    out: dict[str, EventKind] = {}
    for kind in [*CORE_EVENTS, *(k for m in ms for k in m.events)]:
        if out.setdefault(kind.name, kind) is not kind:
            raise ValueError(f"two different event kinds are named {kind.name!r}")
    return out


def flight_tallies() -> tuple[FlightTally, ...]:
    """The ``flights.csv`` columns the mechanisms count, in install order."""
    return tuple(t for m in mechanisms() for t in m.tallies)


def protocol_model() -> type[ProtocolBase]:
    """The pydantic model of a protocol file: one field per registered mechanism.

    Every table is optional (a missing one is the mechanism switched off); unknown tables are
    errors, like every unknown key.
    """
    return _REGISTRY.derived("model", _model)


def _model(ms: tuple[Mechanism, ...]) -> type[ProtocolBase]:
    fields: dict[str, Any] = {m.name: (m.spec, m.spec()) for m in sorted(ms, key=_key)}
    model = pydantic.create_model("Protocol", __base__=ProtocolBase, **fields)
    model.__module__ = __name__
    return model


def _key(m: Mechanism) -> str:
    return m.name


def __getattr__(name: str) -> Any:
    # ``Protocol`` is built from the registry; pickle finds the class by this name.
    if name == "Protocol":
        return protocol_model()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_protocol(raw: dict[str, Any]) -> ProtocolBase:
    """Validate a protocol table (raises ``pydantic.ValidationError``)."""
    return protocol_model().model_validate(raw)


def zone_refs(protocol: ProtocolBase) -> list[ZoneRef]:
    """Every zone the protocol's tables hold, with its field path."""
    out: list[ZoneRef] = []
    for m in mechanisms():
        if m.zones is not None:
            out += m.zones(protocol.table(m.name))
    return out


def problems(protocol: ProtocolBase) -> list[str]:
    """``field: problem`` for what the models alone cannot check: zone shapes, names, links."""
    out = []
    for ref in zone_refs(protocol):
        try:
            ref.zone.geometry()
        except (LookupError, ValueError) as exc:
            out.append(f"{ref.path}: {exc}")
    for m in mechanisms():
        if m.check is not None:
            out += m.check(protocol.table(m.name), protocol)
    return out


def enabled(protocol: ProtocolBase) -> tuple[str, ...]:
    """The names of the protocol's mechanisms that are on."""
    return tuple(m.name for m in mechanisms() if protocol.table(m.name).enabled)


def install(run: Run) -> None:
    """Install every enabled mechanism of the run's protocol, in order, before anyone flies."""
    for m in mechanisms():
        spec = run.protocol.table(m.name)
        if spec.enabled:
            m.install(run, spec)


_REGISTRY = _Registry(BUILTIN)
