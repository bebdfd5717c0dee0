"""What the pictures read from a run's protocol events, in one place.

The words and marks come from the registry of mechanisms (``sim.protocol.registry``): each
event kind says how it reads on the ticker and what area it puts on the map, and each
mechanism which zones and lines it draws. The drawing modules only get the answers:

- :func:`notified_areas`, :func:`announced_areas` — the areas announced (strike areas,
  crossing corridors), with their windows (and when they were announced);
- :func:`hotline_load`, :func:`hotline_calls`, :func:`outages` — the hotline over the day;
- :func:`ticker_entries`, :func:`has_protocol_events` — the replay's ticker lines;
- :func:`scenario_zones`, :func:`protocol_lines` — what the map marks for the scenario and
  its protocol.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
from shapely.geometry.base import BaseGeometry

from sim.events import Event, MapArea
from sim.protocol import registry
from sim.protocol.hotline import CallAnswer, CallEnd, CallRequest, Outage, Restored
from sim.records import RunResult
from sim.units import FT, NM
from sim.viz.clock import utc_at
from sim.viz.style import category_colors, category_label, darker, side_color, side_short

if TYPE_CHECKING:
    from sim.scenario import Scenario

__all__ = [
    "announced_areas",
    "has_protocol_events",
    "hotline_calls",
    "hotline_load",
    "notified_areas",
    "outages",
    "protocol_lines",
    "scenario_zones",
    "ticker_entries",
]


def notified_areas(events: Iterable[Event]) -> list[MapArea]:
    """The areas events put on the map (notified strike areas, crossing corridors)."""
    return [area for _, area in announced_areas(events)]


def announced_areas(events: Iterable[Event]) -> list[tuple[float, MapArea]]:
    """(time of the event, area) for each area an event puts on the map: when it was
    announced, and the area with its window.
    """
    kinds = registry.event_kinds()
    areas = []
    for e in events:
        kind = kinds.get(e.kind)
        area = kind.map_area(e) if kind is not None and kind.map_area is not None else None
        if area is not None:
            areas.append((e.t_s, area))
    return areas


def hotline_load(events: Iterable[Event]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hotline calls in progress and queued over time, as step functions.

    A ``hotline_request`` queues a call, ``hotline_answer`` moves one from the queue to the
    line, ``hotline_end`` finishes one.

    Returns
    -------
    t_s, in_progress, queued : numpy.ndarray
        Change times and the counts holding from each time on (empty without hotline events).
    """
    delta = {CallRequest: (0, 1), CallAnswer: (1, -1), CallEnd: (-1, 0)}
    rows = [(e.t_s, *delta[type(e.info)]) for e in events if type(e.info) in delta]
    if not rows:
        empty = np.empty(0)
        return empty, empty, empty
    arr = np.array(sorted(rows, key=lambda r: r[0]), dtype=float)
    in_progress = np.maximum(np.cumsum(arr[:, 1]), 0)
    queued = np.maximum(np.cumsum(arr[:, 2]), 0)
    return arr[:, 0], in_progress, queued


def outages(events: Iterable[Event], end_s: float) -> list[tuple[float, float]]:
    """(start, end) of hotline outages, from ``hotline_outage`` / ``hotline_restored``."""
    spans: list[tuple[float, float]] = []
    down: float | None = None
    for e in sorted(events, key=lambda e: e.t_s):
        if isinstance(e.info, Outage) and down is None:
            down = e.t_s
        elif isinstance(e.info, Restored) and down is not None:
            spans.append((down, e.t_s))
            down = None
    if down is not None:
        spans.append((down, end_s))
    return spans


def hotline_calls(events: Iterable[Event]) -> int:
    """How many hotline calls were made."""
    return sum(isinstance(e.info, CallRequest) for e in events)


def has_protocol_events(events: Iterable[Event]) -> bool:
    """Whether any event has a line on the replay's ticker."""
    return any(_phrase(e) is not None for e in events)


def _phrase(e: Event) -> str | None:
    kind = registry.event_kinds().get(e.kind)
    return None if kind is None else kind.phrase(e)


def ticker_entries(result: RunResult) -> list[tuple[float, str, Any]]:
    """(time, line, colour) per ticker line, in time order.

    Events that read the same from one side within the same minute share a line (``x3``);
    each encounter gets a line at its closest approach, in its category's colour.
    """
    groups: dict[tuple[int, str, str], list[Event]] = {}
    for e in sorted(result.events, key=lambda e: e.t_s):
        phrase = _phrase(e)
        if phrase is not None:
            groups.setdefault((int(e.t_s // 60), phrase, e.side), []).append(e)
    entries: list[tuple[float, str, Any]] = []
    for (_, phrase, side), events in groups.items():
        first = events[0]
        if len(events) > 1:
            who = f"x{len(events)}"
        else:
            who = first.aircraft_id + (f"/{first.other_id}" if first.other_id else "")
        text = f"{_hhmm(result, first.t_s)} {side_short(side)} {phrase} {who}".rstrip()
        entries.append((first.t_s, text, darker(side_color(side), 0.85)))
    colors = category_colors([c.name for c in result.categories])
    for enc in result.encounters:
        text = (
            f"{_hhmm(result, enc.t_cpa_s)} * {category_label(enc.category).upper()} "
            f"{enc.min_horizontal_m / NM:.1f} NM {abs(enc.vertical_at_cpa_m) / FT:.0f}"
            f" ft {enc.a_id}/{enc.b_id}"
        )
        entries.append((enc.t_cpa_s, text, darker(colors.get(enc.category, "k"), 0.7)))
    entries.sort(key=lambda e: e[0])
    return entries


def _hhmm(result: RunResult, t_s: float) -> str:
    return f"{utc_at(result.start_iso, t_s):%H:%M}"


def protocol_lines(scenario: Scenario | None) -> list[tuple[str, BaseGeometry]]:
    """Lines the scenario's enabled mechanisms draw (the Euphrates deconfliction line)."""
    if scenario is None:
        return []
    out: list[tuple[str, BaseGeometry]] = []
    for m in registry.mechanisms():
        spec = scenario.protocol.table(m.name)
        if m.lines is not None and spec.enabled:
            out += m.lines(spec)
    return out


def scenario_zones(scenario: Scenario | None) -> list[tuple[str, BaseGeometry]]:
    """(name, geometry in the plane) of the scenario's zones and the zones its enabled
    mechanisms draw (keep-out areas).
    """
    if scenario is None:
        return []
    specs = list(scenario.zones)
    for m in registry.mechanisms():
        spec = scenario.protocol.table(m.name)
        if m.zones is not None and spec.enabled:
            specs += [ref.zone for ref in m.zones(spec) if ref.drawn]
    out = []
    for spec in specs:
        try:
            out.append((spec.name, spec.geometry()))
        except (ValueError, LookupError):  # a zone the loader accepted but geo cannot draw
            continue
    return out
