"""Strike pre-notification over the hotline, and what the receiving side does with it.

The notifying side sends each strike's area and time window ``lead_time_min`` before the
window opens (the window opens ``window_before_min`` before the aircraft reach the target;
each strike is notified with probability ``compliance``); the message queues for the hotline,
is handled, then relayed to aircraft. If it arrives before the window opens, the receiving
side reroutes (or holds) its flights planned through the area during the window, each with
probability ``receiver_compliance``; a late message changes nothing and is counted.

The notice events (``notification_sent``, ``notification_received``) are shared with the
Euphrates line, whose crossings are notified the same way (:class:`Notice`).
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import shapely
import simpy
from pydantic import Field

from sim.events import Event, EventInfo, EventKind, MapArea
from sim.protocol.avoidance import TimedArea, keep_clear, schedule
from sim.protocol.mechanism import Mechanism, TableRow
from sim.protocol.spec import MechanismSpec, Probability, ProtocolBase, Provenance, Side
from sim.units import FT, MIN, NM

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from sim.protocol.hotline import Hotline
    from sim.records import RunResult
    from sim.state import Flight, Run

__all__ = [
    "NOTICE_EVENTS",
    "NOTIFICATION",
    "OTHER",
    "Notice",
    "NoticeLate",
    "NoticeSkipped",
    "NotificationSpec",
    "Strike",
    "strikes",
]

STRIKE_MISSIONS = ("strike", "bomber", "cruise_missile")
OTHER = {"russia": "coalition", "coalition": "russia"}


class NotificationSpec(MechanismSpec):
    """Strike pre-notification over the hotline, honoured by rerouting or holding."""

    provenance: Provenance = "reported practice"
    notifier: Side = "russia"
    lead_time_min: float = Field(0.0, ge=0)
    compliance: Probability = Field(1.0, ge=0, le=1, description="P(a strike is notified)")
    receiver_compliance: Probability = Field(1.0, ge=0, le=1, description="P(a flight complies)")
    area_radius_nm: float = Field(10.0, gt=0)
    window_min: float = Field(30.0, gt=0, description="length of the notified window")
    window_before_min: float = Field(
        10.0, ge=0, description="how long before time on target the notified window opens"
    )
    buffer_nm: float = Field(5.0, ge=0, description="margin kept around the notified area")
    action: Literal["reroute", "hold"] = "reroute"
    missile_corridor_nm: float = Field(10.0, gt=0, description="half-width of missile corridors")
    missile_corridor_extra_min: float = Field(
        5.0, ge=0, description="how long a missile corridor stays notified after the last impact"
    )
    via: Literal["hotline", "ceasefire_hotline"] = "hotline"
    batch_min: float = Field(0.0, ge=0, description="sent at map exchanges this often; 0 = at once")
    altitude_block: bool = Field(
        False, description="notices carry a floor and ceiling; only flights inside them avoid"
    )
    block_margin_ft: float = Field(
        3000.0, ge=0, description="added below and above the altitudes the strike flies"
    )


@dataclass(frozen=True, slots=True)
class Notice(EventInfo):
    """A notified area and its window: a strike's area, or the corridor of a line crossing."""

    subject: Literal["strike", "crossing"]
    key: str
    x_m: float
    y_m: float
    radius_m: float
    from_s: float
    to_s: float
    floor_m: float | None = None
    """Bottom of the notified altitude block (None: from the ground)."""
    ceiling_m: float | None = None
    """Top of the notified altitude block (None: no ceiling)."""


@dataclass(frozen=True, slots=True)
class NoticeLate(EventInfo):
    """A notice that reached the aircraft ``late_s`` seconds after its window opened."""

    key: str
    late_s: float


@dataclass(frozen=True, slots=True)
class NoticeSkipped(EventInfo):
    """A strike that was never notified."""

    key: str


def _notice_area(e: Event) -> MapArea | None:
    info = e.info
    if not isinstance(info, Notice):
        return None
    label = "notified strike area" if info.subject == "strike" else "notified line crossing"
    circle = shapely.Point(info.x_m, info.y_m).buffer(info.radius_m, quad_segs=16)
    return MapArea(label, e.side, circle, info.from_s, info.to_s)


def _sent_phrase(e: Event) -> str:
    return (
        "crossing notified" if getattr(e.info, "subject", "") == "crossing" else "strike notified"
    )


NOTICE_EVENTS = (
    EventKind(
        "notification_sent",
        Notice,
        "a strike or a line crossing is notified",
        _sent_phrase,
        map_area=_notice_area,
    ),
    EventKind(
        "notification_received",
        Notice,
        "a notice reaches the other side's aircraft in time",
        "notification received",
    ),
)
NOTIFICATION_EVENTS = (
    *NOTICE_EVENTS,
    EventKind(
        "notification_late",
        NoticeLate,
        "a notice arrives after its window opened",
        "notification LATE",
    ),
    EventKind(
        "notification_skipped", NoticeSkipped, "a strike goes unnotified", "strike NOT notified"
    ),
)


@dataclass(frozen=True)
class Strike:
    """One notifiable strike: a flight's run over its target, or a missile salvo's corridor."""

    key: str
    flight_ids: tuple[str, ...]
    area: TimedArea
    center: tuple[float, float]
    radius_m: float

    def notice(self) -> Notice:
        """The strike as a notice."""
        x, y = self.center
        a = self.area
        return Notice("strike", self.key, x, y, self.radius_m, a.from_s, a.to_s, *block_of(a))


def block_of(area: TimedArea) -> tuple[float | None, float | None]:
    """The area's floor and ceiling as a notice gives them (None where unbounded)."""
    floor = None if area.floor_m == -math.inf else area.floor_m
    ceiling = None if area.ceiling_m == math.inf else area.ceiling_m
    return floor, ceiling


def altitude_block(
    flights: list[Flight], margin_m: float, station_only: bool = True
) -> tuple[float, float]:
    """Floor and ceiling around the altitudes ``flights`` fly (on station, or all along)."""
    zs = []
    for f in flights:
        i, j = f.plan.station if station_only else (0, len(f.plan.points))
        zs += [p[2] for p in f.plan.points[i:j]] or [p[2] for p in f.plan.points]
    return max(min(zs) - margin_m, 0.0), max(zs) + margin_m


def strikes(run: Run, spec: NotificationSpec) -> list[Strike]:
    """The notifier's strikes, from the planned routes (one per flight or per missile salvo)."""
    groups: dict[str, list[Flight]] = {}
    for fid, f in sorted(run.flights.items()):
        if f.side == spec.notifier and f.plan.mission in STRIKE_MISSIONS:
            groups.setdefault(f.plan.group or fid, []).append(f)
    out = [_strike(key, fs, spec) for key, fs in groups.items()]
    return sorted(out, key=lambda s: (s.area.from_s, s.key))


def _arrivals(f: Flight) -> np.ndarray:
    plan = f.plan
    return schedule(plan.points[0], list(plan.points[1:]), plan.depart_s, plan.speed_mps)


def _strike(key: str, flights: list[Flight], spec: NotificationSpec) -> Strike:
    first = flights[0]
    plan = first.plan
    times = _arrivals(first)
    if plan.mission == "cruise_missile":
        tracks = tuple(np.array([p[:2] for p in f.plan.points], float).tobytes() for f in flights)
        geom = _corridor(tracks, spec.missile_corridor_nm * NM)
        end = max(_arrivals(f)[-1] for f in flights) + spec.missile_corridor_extra_min * MIN
        area = TimedArea(f"corridor {key}", geom, float(times[0]), float(end))
        if spec.altitude_block:
            _, top = altitude_block(flights, spec.block_margin_ft * FT, station_only=False)
            area = replace(area, floor_m=0.0, ceiling_m=top)
        c = geom.centroid
        radius = float(np.sqrt(geom.area / np.pi))
        return Strike(key, tuple(f.id for f in flights), area, (c.x, c.y), radius)
    i = plan.aim_index
    center = plan.points[i][:2]
    radius = spec.area_radius_nm * NM
    geom = _disk(struct.pack("3d", *center, radius))
    t_on = float(times[i])
    opens = t_on - spec.window_before_min * MIN
    area = TimedArea(f"strike {key}", geom, opens, t_on + spec.window_min * MIN)
    if spec.altitude_block:
        floor, ceiling = altitude_block(flights, spec.block_margin_ft * FT)
        area = replace(area, floor_m=floor, ceiling_m=ceiling)
    return Strike(key, (first.id,), area, center, radius)


@functools.lru_cache(maxsize=4096)
def _disk(key: bytes) -> BaseGeometry:
    """The strike area around a centre: ``key`` packs x, y and the radius (exact floats: -0.0
    and 0.0 differ); made once per process for each (the 4,096 most recently used are kept).
    """
    x, y, radius = struct.unpack("3d", key)
    return shapely.Point(x, y).buffer(radius, quad_segs=16)


@functools.lru_cache(maxsize=1024)
def _corridor(tracks: tuple[bytes, ...], half_width_m: float) -> BaseGeometry:
    """The corridor of a missile salvo: its tracks (the bytes of ``(n, 2)`` float arrays,
    exact) merged and grown by ``half_width_m``; made once per process for each salvo (the
    1,024 most recently used are kept).
    """
    lines = [shapely.LineString(np.frombuffer(t).reshape(-1, 2)) for t in tracks]
    return shapely.union_all(lines).buffer(half_width_m)


def install(run: Run, spec: NotificationSpec) -> None:
    """Start one process per notification (or per map exchange when ``batch_min`` is set)."""
    hotline: Hotline = run.services[spec.via]
    due: dict[float, list[Strike]] = {}
    for s in strikes(run, spec):
        if run.streams.uniform("notification", "notify", s.key) >= spec.compliance:
            run.env.process(_skipped(run, s, spec))
            continue
        t_send = max(s.area.from_s - spec.lead_time_min * MIN, 0.0)
        if spec.batch_min > 0:  # goes out with the last map exchange before it is due
            t_send = float(np.floor(t_send / (spec.batch_min * MIN)) * spec.batch_min * MIN)
        due.setdefault(t_send, []).append(s)
    for t_send in sorted(due):
        run.env.process(_notify(run, hotline, spec, t_send, due[t_send]))


def _skipped(run: Run, s: Strike, spec: NotificationSpec) -> Generator[simpy.Event, object, None]:
    yield run.env.timeout(max(s.area.from_s, 0.0))
    run.emit("notification_skipped", spec.notifier, s.flight_ids[0], info=NoticeSkipped(s.key))


def _notify(
    run: Run, hotline: Hotline, spec: NotificationSpec, t_send: float, batch: list[Strike]
) -> Generator[simpy.Event, object, None]:
    """Send the notifications due now as one call, relay them, and act on the ones in time."""
    env = run.env
    yield env.timeout(t_send)
    for s in batch:
        run.emit("notification_sent", spec.notifier, s.flight_ids[0], info=s.notice())
    done = yield hotline.call(spec.notifier, "strike notification", batch[0].flight_ids[0])
    if done is None:
        return
    yield hotline.relay()
    receiver = OTHER[spec.notifier]
    for s in batch:
        if env.now > s.area.from_s:
            late = NoticeLate(s.key, env.now - s.area.from_s)
            run.emit("notification_late", receiver, s.flight_ids[0], info=late)
            continue
        run.emit("notification_received", receiver, s.flight_ids[0], info=s.notice())
        keep_clear(
            run,
            receiver,
            s.area,
            spec.receiver_compliance,
            spec.action,
            spec.buffer_nm * NM,
            by="notification",
            key=s.key,
        )


def check(spec: NotificationSpec, protocol: ProtocolBase) -> list[str]:
    """The notices need the hotline they go by."""
    if spec.enabled and not protocol.table(spec.via).enabled:
        return [f"notification.via: {spec.via} must be enabled to carry notifications"]
    return []


def figures(result: RunResult) -> dict[str, float]:
    """Notices sent (strikes and line crossings) and notices that arrived late."""
    kinds = [e.kind for e in result.events]
    return {
        "notifications_sent": kinds.count("notification_sent"),
        "notifications_late": kinds.count("notification_late"),
    }


NOTIFICATION = Mechanism(
    name="notification",
    spec=NotificationSpec,
    install=install,
    doc="strike pre-notification through the CAOC over a hotline; the other side keeps clear",
    after=("hotline", "ceasefire_hotline"),
    events=NOTIFICATION_EVENTS,
    figures=figures,
    table=(
        TableRow(
            "notifications sent / late",
            lambda s: (
                f"{s['protocol_effects']['notifications_sent']} / "
                f"{s['protocol_effects']['notifications_late']}"
            ),
        ),
    ),
    check=check,
)
