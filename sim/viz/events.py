"""What the pictures read from a run's protocol events, in one place.

Every piece of knowledge about event kinds, the keys of their ``detail`` text and the
scenario's protocol settings that the pictures need lives here; the drawing modules only
get the answers:

- :func:`notified_areas` — the strike areas announced, with their windows;
- :func:`hotline_load`, :func:`hotline_calls`, :func:`outages` — the hotline over the day;
- :func:`ticker_entries`, :func:`has_protocol_events` — the replay's ticker lines;
- :func:`scenario_zones`, :func:`deconfliction_line_on` — what the map marks for the
  scenario and its protocol.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from shapely.geometry.base import BaseGeometry

from sim.records import Event, RunResult
from sim.viz.clock import utc_at
from sim.viz.style import category_colors, category_label, darker, side_color, side_short

if TYPE_CHECKING:
    from sim.scenario import Scenario

__all__ = [
    "NotifiedArea",
    "deconfliction_line_on",
    "has_protocol_events",
    "hotline_calls",
    "hotline_load",
    "notified_areas",
    "outages",
    "parse_detail",
    "scenario_zones",
    "ticker_entries",
]

_PHRASES: dict[str, str] = {
    "hotline_request": "hotline call queued",
    "hotline_answer": "hotline call answered",
    "hotline_outage": "HOTLINE DOWN",
    "hotline_restored": "hotline restored",
    "notification_sent": "strike notified",
    "notification_received": "notification received",
    "notification_late": "notification LATE",
    "notification_skipped": "strike NOT notified",
    "reroute": "rerouted",
    "hold": "holding",
    "radio_call": "radio call",
    "radio_fail": "radio call failed",
    "manoeuvre": "manoeuvre",
    "zone_violation": "keep-out zone entered",
    "line_crossing": "crossed the line",
    "comms_test": "air-to-air comms test",
    "controller_alert": "controller alert",
    "divert": "diverted",
    "missile_launch": "cruise missile launch",
}
"""Ticker wording per event kind; kinds not listed (``hotline_end``) stay off the ticker."""


def parse_detail(detail: str) -> dict[str, str]:
    """Split an event's ``detail`` (``key=value`` pairs separated by ``;``) into a dict.

    Pieces without ``=`` are kept under their own text with an empty value.

    Examples
    --------
    >>> parse_detail("x_m=1.5; radius_m=9260;late")
    {'x_m': '1.5', 'radius_m': '9260', 'late': ''}
    """
    out: dict[str, str] = {}
    for piece in detail.split(";"):
        key, _, value = piece.partition("=")
        if key.strip():
            out[key.strip()] = value.strip()
    return out


def _float(fields: dict[str, str], key: str) -> float | None:
    try:
        value = float(fields[key])
    except (KeyError, ValueError):
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class NotifiedArea:
    """A notified strike area: a circle in the plane, active from ``from_s`` to ``to_s``."""

    side: str
    x_m: float
    y_m: float
    radius_m: float
    from_s: float
    to_s: float


def notified_areas(events: Iterable[Event]) -> list[NotifiedArea]:
    """Strike areas announced by ``notification_sent`` events that carry their geometry.

    Events without ``x_m``, ``y_m`` and ``radius_m`` are skipped; a missing window defaults to
    the event time onwards for 30 minutes.
    """
    areas = []
    for e in events:
        if e.kind != "notification_sent":
            continue
        f = parse_detail(e.detail)
        x, y, r = _float(f, "x_m"), _float(f, "y_m"), _float(f, "radius_m")
        if x is None or y is None or r is None or r <= 0:
            continue
        t0 = _float(f, "from_s")
        t0 = e.t_s if t0 is None else t0
        t1 = _float(f, "to_s")
        areas.append(NotifiedArea(e.side, x, y, r, t0, t0 + 1800.0 if t1 is None else t1))
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
    delta = {
        "hotline_request": (0, 1),
        "hotline_answer": (1, -1),
        "hotline_end": (-1, 0),
    }
    rows = [(e.t_s, *delta[e.kind]) for e in events if e.kind in delta]
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
        if e.kind == "hotline_outage" and down is None:
            down = e.t_s
        elif e.kind == "hotline_restored" and down is not None:
            spans.append((down, e.t_s))
            down = None
    if down is not None:
        spans.append((down, end_s))
    return spans


def hotline_calls(events: Iterable[Event]) -> int:
    """How many hotline calls were made (``hotline_request`` events)."""
    return sum(e.kind == "hotline_request" for e in events)


def has_protocol_events(events: Iterable[Event]) -> bool:
    """Whether any event has a line on the replay's ticker."""
    return any(e.kind in _PHRASES for e in events)


def ticker_entries(result: RunResult) -> list[tuple[float, str, Any]]:
    """(time, line, colour) per ticker line, in time order.

    Events of one kind from one side within the same minute share a line (``x3``); each
    encounter gets a line at its closest approach, in its category's colour.
    """
    groups: dict[tuple[int, str, str], list[Event]] = {}
    for e in sorted(result.events, key=lambda e: e.t_s):
        if e.kind in _PHRASES:
            groups.setdefault((int(e.t_s // 60), e.kind, e.side), []).append(e)
    entries: list[tuple[float, str, Any]] = []
    for (_, kind, side), events in groups.items():
        first = events[0]
        phrase = _PHRASES[kind]
        detail = parse_detail(first.detail)
        if kind == "line_crossing" and detail.get("notified", "").lower() in ("0", "false", "no"):
            phrase = "crossed the line UNNOTIFIED"
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
            f"{enc.min_horizontal_m / 1852:.1f} NM {abs(enc.vertical_at_cpa_m) / 0.3048:.0f}"
            f" ft {enc.a_id}/{enc.b_id}"
        )
        entries.append((enc.t_cpa_s, text, darker(colors.get(enc.category, "k"), 0.7)))
    entries.sort(key=lambda e: e[0])
    return entries


def _hhmm(result: RunResult, t_s: float) -> str:
    return f"{utc_at(result.start_iso, t_s):%H:%M}"


def deconfliction_line_on(scenario: Scenario | None) -> bool:
    """Whether the scenario's protocol uses the Euphrates as a deconfliction line."""
    return scenario is not None and scenario.protocol.deconfliction_line.enabled


def scenario_zones(scenario: Scenario | None) -> list[tuple[str, BaseGeometry]]:
    """(name, geometry in the plane) of the scenario's zones and the protocol's keep-out zones."""
    if scenario is None:
        return []
    from sim.scenario import zone_geometry

    specs = list(scenario.zones) + list(scenario.protocol.keep_out.zones)
    out = []
    for spec in specs:
        try:
            out.append((spec.name, zone_geometry(spec)))
        except (ValueError, LookupError):  # a zone the loader accepted but geo cannot draw
            continue
    return out
