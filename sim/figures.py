"""Static figures of a run, and the map drawing they share with the replay.

Everything is drawn on :class:`matplotlib.figure.Figure` objects with the Agg canvas: no
pyplot, no global state, so figures can be made in worker processes and in tests.

The map is drawn in the simulation plane (metres, ``x`` east, ``y`` north, equal aspect), so
distances on the picture are honest: Syria and its neighbours (Syria emphasised), the sea,
the Euphrates, the main cities and air bases (Russian and Coalition bases with distinct
markers), and the scenario's keep-out zones.

``deconflict run --plot --out DIR`` calls :func:`write_figures`, which writes

- ``map.png`` / ``map.svg``: the day's tracks by side, encounters marked by category;
- ``timeline.png`` / ``timeline.svg``: encounters per hour by category, and the hotline load
  (calls in progress and queued) over the day.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.patheffects as pe
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from sim import geo, places
from sim.encounters import Category
from sim.records import Event, RunResult

if TYPE_CHECKING:
    from sim.scenario import Scenario

__all__ = [
    "SIDE_COLORS",
    "BaseMap",
    "View",
    "category_colors",
    "draw_basemap",
    "hotline_load",
    "map_figure",
    "notified_areas",
    "parse_detail",
    "side_color",
    "timeline_figure",
    "utc_at",
    "view_for",
    "write_figures",
]

# --------------------------------------------------------------------------- style

SIDE_COLORS: dict[str, str] = {"coalition": "#1f5bd1", "russia": "#d7191c"}
"""Colour of each side's aircraft, tracks and bases."""
OTHER_COLOR = "#4d4d4d"
SIDE_LABELS: dict[str, str] = {"coalition": "Coalition", "russia": "Russia"}
SIDE_SHORT: dict[str, str] = {"coalition": "US", "russia": "RU", "both": "US+RU"}

SEA = "#d6e6f2"
LAND = "#ebe8e1"
SYRIA_FILL = "#fbf7ea"
BORDER = "#9b968c"
SYRIA_BORDER = "#2b2b2b"
RIVER = "#3a86c8"
ZONE = "#7a3b9c"
NOTIFIED = "#b8860b"
CITY = "#1a1a1a"
SYRIAN_BASE = "#6b6b6b"

CATEGORY_PALETTE = ("#c2188e", "#f07d00", "#e0b400", "#3aa35a", "#6a5acd", "#00a0a0")
"""Most severe first: magenta, orange, gold, then spares for scenarios with more categories."""

_THEATRE = (30.6, 32.6, 38.6, 43.6)
"""lat_min, lon_min, lat_max, lon_max of the widest default view (Syria and neighbours)."""

_BASE_KINDS_RU = ("airbase_ru", "naval_base_ru")
_BASE_KINDS_COALITION = ("airbase_us", "airbase_uk", "garrison_us")
HALO = (pe.withStroke(linewidth=2.6, foreground="white"),)


def side_color(side: str) -> str:
    """Colour of a side (grey for any side without one)."""
    return SIDE_COLORS.get(side, OTHER_COLOR)


def category_colors(names: Sequence[str]) -> dict[str, str]:
    """Colour per encounter category, given the names most severe first."""
    return {n: CATEGORY_PALETTE[i % len(CATEGORY_PALETTE)] for i, n in enumerate(names)}


def category_label(name: str) -> str:
    """Readable category name: ``"nmac"`` -> ``"NMAC"``, ``"near_miss"`` -> ``"near miss"``."""
    return "NMAC" if name.lower() == "nmac" else name.replace("_", " ")


# --------------------------------------------------------------------------- time, events


def utc_at(start_iso: str, t_s: float) -> datetime:
    """The UTC time ``t_s`` seconds after ``start_iso``.

    Examples
    --------
    >>> utc_at("2015-11-17T00:00:00Z", 3600 * 9.5).strftime("%H:%M")
    '09:30'
    """
    start = datetime.fromisoformat(start_iso.replace("Z", "+00:00"))
    return start + timedelta(seconds=float(t_s))


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


# --------------------------------------------------------------------------- the view


@dataclass(frozen=True, slots=True)
class View:
    """A rectangle of the simulation plane, metres."""

    x0: float
    x1: float
    y0: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def center(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    def fit(self, aspect: float) -> View:
        """The smallest view around this one with ``width / height == aspect``."""
        cx, cy = self.center
        w, h = self.width, self.height
        if w / h < aspect:
            w = h * aspect
        else:
            h = w / aspect
        return View(cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2)

    def centred(self, x: float, y: float) -> View:
        """The same size, centred on ``(x, y)``."""
        return View(
            x - self.width / 2, x + self.width / 2, y - self.height / 2, y + self.height / 2
        )

    def shapely_box(self, pad: float = 0.0) -> BaseGeometry:
        return box(self.x0 - pad, self.y0 - pad, self.x1 + pad, self.y1 + pad)

    def apply(self, ax: Axes) -> None:
        ax.set_xlim(self.x0, self.x1)
        ax.set_ylim(self.y0, self.y1)


def theatre_view() -> View:
    """Syria and its neighbours: the widest view a replay or map uses by default."""
    lat0, lon0, lat1, lon1 = _THEATRE
    lats = np.array([lat0, lat0, lat1, lat1, (lat0 + lat1) / 2, (lat0 + lat1) / 2])
    lons = np.array([lon0, lon1, lon0, lon1, lon0, lon1])
    x, y = geo.to_xy(lats, lons)
    return View(float(x.min()), float(x.max()), float(y.min()), float(y.max()))


def view_for(result: RunResult, aspect: float, *, min_span_m: float = 300e3) -> View:
    """The part of the plane where the run's aircraft flew, within the theatre.

    The bounding box of every leg, clipped to :func:`theatre_view`, padded by 8 % (at least
    ``min_span_m`` across) and widened to the axes' ``aspect`` (width / height).
    """
    theatre = theatre_view()
    if not result.legs:
        return theatre.fit(aspect)
    xs = np.array([(leg.x0_m, leg.x1_m) for _, leg in result.legs]).ravel()
    ys = np.array([(leg.y0_m, leg.y1_m) for _, leg in result.legs]).ravel()
    x0 = max(float(xs.min()), theatre.x0)
    x1 = min(float(xs.max()), theatre.x1)
    y0 = max(float(ys.min()), theatre.y0)
    y1 = min(float(ys.max()), theatre.y1)
    if x1 <= x0 or y1 <= y0:  # everything outside the theatre
        return theatre.fit(aspect)
    pad_x = max(0.08 * (x1 - x0), (min_span_m - (x1 - x0)) / 2, 0.0)
    pad_y = max(0.08 * (y1 - y0), (min_span_m - (y1 - y0)) / 2, 0.0)
    return View(x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y).fit(aspect)


def axes_aspect(fig: Figure, ax: Axes) -> float:
    """Width / height of an axes box in pixels."""
    pos = ax.get_position()
    w, h = fig.get_size_inches()
    return (pos.width * w) / (pos.height * h)


# --------------------------------------------------------------------------- geometry -> paths


def geometry_path(geom: BaseGeometry) -> MplPath:
    """A matplotlib path of a (multi)polygon or (multi)line, holes included."""
    paths: list[MplPath] = []
    for part in shapely.get_parts(geom):
        if part.is_empty:
            continue
        if part.geom_type == "Polygon":
            for ring in (part.exterior, *part.interiors):
                paths.append(MplPath(np.asarray(ring.coords)[:, :2], closed=True))
        elif part.geom_type in ("LineString", "LinearRing"):
            paths.append(MplPath(np.asarray(part.coords)[:, :2]))
        elif hasattr(part, "geoms"):
            paths.append(geometry_path(part))
    if not paths:
        return MplPath(np.zeros((1, 2)))
    return MplPath.make_compound_path(*paths)


# --------------------------------------------------------------------------- the base map


@dataclass(frozen=True, slots=True)
class _Mark:
    """One labelled place on the map."""

    label: str
    x: float
    y: float
    marker: str
    color: str
    edge: str
    size: float
    priority: int  # lower is placed first
    font_scale: float = 1.0
    bold: bool = False


def _short_name(name: str) -> str:
    """'Hmeymim (Khmeimim) air base' -> 'Hmeymim', 'Tabqa (Tabqa Dam)' -> 'Tabqa'."""
    short = name.split(" (")[0]
    for suffix in (" air base", " naval facility", " garrison"):
        short = short.removesuffix(suffix)
    return short


def _place_marks() -> list[_Mark]:
    """The places worth a marker, with style by kind (bases by side, cities in black)."""
    marks = []
    for p in places.places().values():
        x, y = p.xy
        name = _short_name(p.name)
        if p.kind in _BASE_KINDS_RU:
            marker = "^" if p.kind == "airbase_ru" else "v"
            marks.append(_Mark(name, x, y, marker, SIDE_COLORS["russia"], "black", 9, 0, 1.0, True))
        elif p.kind in _BASE_KINDS_COALITION:
            marks.append(_Mark(name, x, y, "s", SIDE_COLORS["coalition"], "black", 8, 0, 1.0, True))
        elif p.kind == "naval_area":
            marks.append(_Mark("carrier box", x, y, "D", SIDE_COLORS["coalition"], "black", 7, 1))
        elif p.kind == "launch_area_ru":
            marks.append(
                _Mark("Kalibr launch area", x, y, "X", SIDE_COLORS["russia"], "black", 8, 1, 0.85)
            )
        elif p.kind == "airbase_sy":
            marks.append(_Mark(name, x, y, "^", "white", SYRIAN_BASE, 6, 3, 0.8))
        elif p.kind in ("city", "dam"):
            marks.append(_Mark(name, x, y, "o", CITY, "white", 5, 2))
    return sorted(marks, key=lambda m: m.priority)


@dataclass
class BaseMap:
    """The artists of a drawn base map (to hide, or to leave alone when animating)."""

    artists: list
    labels: list[Text]


def draw_basemap(
    ax: Axes,
    view: View,
    scenario: Scenario | None = None,
    *,
    fontsize: float = 9.0,
    place_labels: bool = True,
    show: View | None = None,
) -> BaseMap:
    """Draw the static map into ``ax``, in plane metres, limited to ``view``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        An axes of a figure with a canvas (labels are placed with its renderer).
    view : View
        The part of the plane to show; the axes get these limits and equal aspect.
    scenario : Scenario, optional
        Its keep-out zones (``zones`` and ``protocol.keep_out.zones``) are drawn, and the
        Euphrates is marked as the deconfliction line when that mechanism is enabled.
    fontsize : float
        Size of place labels, points.
    place_labels : bool
        Label cities, bases, countries and the sea (greedy placement that avoids overlaps).
    show : View, optional
        The part to show at first, if not all of ``view`` (the map is drawn and labelled for
        ``view``; a replay that follows an aircraft pans over it).

    Returns
    -------
    BaseMap
        Every artist drawn, and the label texts.
    """
    ax.set_facecolor(SEA)
    ax.set_aspect("equal", adjustable="box")
    view.apply(ax)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.apply_aspect()
    artists: list = []
    land = _draw_countries(ax, view, artists)
    artists += _draw_euphrates(ax, scenario, fontsize)
    zones = _draw_zones(ax, scenario, fontsize)
    artists += zones
    marks = [m for m in _place_marks() if _inside(view, m.x, m.y)]
    for m in marks:
        (line,) = ax.plot(
            [m.x],
            [m.y],
            linestyle="none",
            marker=m.marker,
            markersize=m.size,
            markerfacecolor=m.color,
            markeredgecolor=m.edge,
            markeredgewidth=0.9,
            zorder=4,
        )
        artists.append(line)
    artists += _scale_bar(ax, show or view, fontsize)
    labels: list[Text] = []
    if place_labels:
        taken = [_marker_box(ax, m) for m in marks] + [_artist_box(ax, a) for a in artists[-2:]]
        taken += [_artist_box(ax, a) for a in zones if isinstance(a, Text)]
        labels += _place_labels(ax, marks, fontsize, taken)
        labels += _area_labels(ax, view, land, fontsize, taken)
    for text in labels:
        text.set_clip_on(True)
    if show is not None:
        show.apply(ax)
    return BaseMap(artists + labels, labels)


def _inside(view: View, x: float, y: float) -> bool:
    return view.x0 <= x <= view.x1 and view.y0 <= y <= view.y1


def _draw_countries(ax: Axes, view: View, artists: list) -> dict[str, BaseGeometry]:
    """Land patches (Syria emphasised); returns each country's part inside the view."""
    frame = view.shapely_box(pad=0.05 * max(view.width, view.height))
    tolerance = max(view.width, view.height) / 3000
    visible = {}
    for iso, geom in geo.countries().items():
        part = shapely.intersection(geom, frame)
        if part.is_empty:
            continue
        part = part.simplify(tolerance, preserve_topology=True)
        syr = iso == "SYR"
        patch = PathPatch(
            geometry_path(part),
            facecolor=SYRIA_FILL if syr else LAND,
            edgecolor=SYRIA_BORDER if syr else BORDER,
            linewidth=1.6 if syr else 0.7,
            zorder=1.1 if syr else 1,
        )
        ax.add_patch(patch)
        artists.append(patch)
        inside = shapely.intersection(part, view.shapely_box())
        if not inside.is_empty:
            visible[iso] = inside
    return visible


def _area_labels(
    ax: Axes, view: View, land: dict[str, BaseGeometry], fontsize: float, taken: list[Bbox]
) -> list[Text]:
    """Country names and the Mediterranean, each where it fits inside its own area."""
    names = geo.country_names()
    texts = []
    min_area = 0.01 * view.width * view.height
    for iso, part in sorted(land.items(), key=lambda kv: kv[0] != "SYR"):
        if part.area < min_area or iso in ("PSE", "CYN"):
            continue
        syr = iso == "SYR"
        text = ax.text(
            0,
            0,
            names[iso].upper(),
            ha="center",
            va="center",
            fontsize=fontsize * (1.5 if syr else 1.1),
            color="#b5ab95" if syr else "#8a8478",
            fontweight="bold",
            zorder=1.5,
        )
        texts += _fit_label(ax, text, part, taken)
    sea = shapely.difference(view.shapely_box(), shapely.union_all(list(land.values())))
    med = [
        p
        for p in shapely.get_parts(sea)
        if p.area > min_area and geo.to_latlon(p.centroid.x, p.centroid.y)[1] < 36.0
    ]
    if med:
        text = ax.text(
            0,
            0,
            "Mediterranean\nSea",
            ha="center",
            va="center",
            fontsize=fontsize,
            style="italic",
            color="#5d86a8",
            zorder=1.5,
        )
        texts += _fit_label(ax, text, max(med, key=lambda p: p.area), taken)
    return texts


def _fit_label(ax: Axes, text: Text, area: BaseGeometry, taken: list[Bbox]) -> list[Text]:
    """Move ``text`` to the free spot inside ``area`` nearest its centre, or remove it."""
    renderer = ax.get_figure().canvas.get_renderer()
    size = text.get_window_extent(renderer)
    w, h = size.width * 1.1, size.height * 1.2
    to_data = ax.transData.inverted()
    (dx0, dy0), (dx1, dy1) = to_data.transform([(0, 0), (w / 2, h / 2)])
    half_w, half_h = dx1 - dx0, dy1 - dy0
    x0, y0, x1, y1 = area.bounds
    gx, gy = np.meshgrid(
        np.linspace(x0 + half_w, x1 - half_w, 17), np.linspace(y0 + half_h, y1 - half_h, 17)
    )
    boxes = shapely.box(
        gx.ravel() - half_w, gy.ravel() - half_h, gx.ravel() + half_w, gy.ravel() + half_h
    )
    fits = shapely.contains(area, boxes)
    centre = shapely.point_on_surface(area)
    order = np.argsort(np.hypot(gx.ravel() - centre.x, gy.ravel() - centre.y))
    for k in order:
        if not fits[k]:
            continue
        px, py = ax.transData.transform((gx.ravel()[k], gy.ravel()[k]))
        bb = Bbox.from_extents(px - w / 2, py - h / 2, px + w / 2, py + h / 2)
        if not any(bb.overlaps(t) for t in taken):
            text.set_position((gx.ravel()[k], gy.ravel()[k]))
            taken.append(bb)
            return [text]
    text.remove()
    return []


def _artist_box(ax: Axes, artist) -> Bbox:
    return artist.get_window_extent(ax.get_figure().canvas.get_renderer())


def _deconfliction_line_on(scenario: Scenario | None) -> bool:
    return scenario is not None and scenario.protocol.deconfliction_line.enabled


def _draw_euphrates(ax: Axes, scenario: Scenario | None, fontsize: float) -> list:
    xy = np.asarray(geo.euphrates().coords)[:, :2]
    artists = []
    if _deconfliction_line_on(scenario):
        (line,) = ax.plot(
            xy[:, 0], xy[:, 1], color="#163e6b", linewidth=2.2, linestyle=(0, (6, 3)), zorder=2.1
        )
        artists.append(line)
    (river,) = ax.plot(
        xy[:, 0], xy[:, 1], color=RIVER, linewidth=1.8, zorder=2, solid_capstyle="round"
    )
    artists.append(river)
    mid = len(xy) * 2 // 3
    (x0, y0), (x1, y1) = xy[mid - 1], xy[mid + 1]
    angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
    angle = angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle
    artists.append(
        ax.text(
            xy[mid, 0],
            xy[mid, 1],
            "Euphrates",
            rotation=angle,
            rotation_mode="anchor",
            ha="center",
            va="bottom",
            color=RIVER,
            fontsize=fontsize * 0.9,
            style="italic",
            zorder=2.2,
            path_effects=HALO,
            transform_rotates_text=True,
            clip_on=True,
        )
    )
    return artists


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


def _draw_zones(ax: Axes, scenario: Scenario | None, fontsize: float) -> list:
    artists = []
    for name, geom in scenario_zones(scenario):
        patch = PathPatch(
            geometry_path(geom),
            facecolor=(0.48, 0.23, 0.61, 0.10),
            edgecolor=ZONE,
            hatch="///",
            linewidth=1.3,
            zorder=2.5,
        )
        ax.add_patch(patch)
        x0, _, x1, y1 = geom.bounds
        text = ax.text(
            (x0 + x1) / 2,
            y1,
            name,
            ha="center",
            va="bottom",
            color=ZONE,
            fontsize=fontsize * 0.85,
            fontweight="bold",
            zorder=2.6,
            path_effects=HALO,
            clip_on=True,
        )
        artists += [patch, text]
    return artists


_OFFSETS = (
    (6, 0, "left", "center"),
    (-6, 0, "right", "center"),
    (0, 6, "center", "bottom"),
    (0, -6, "center", "top"),
    (5, 4, "left", "bottom"),
    (-5, 4, "right", "bottom"),
    (5, -4, "left", "top"),
    (-5, -4, "right", "top"),
)
"""Candidate label positions around a marker: (dx, dy) in points and alignment."""


def _place_labels(
    ax: Axes, marks: Sequence[_Mark], fontsize: float, taken: list[Bbox]
) -> list[Text]:
    """Label the marks greedily: the first candidate position that overlaps nothing placed.

    Marks are labelled in priority order (bases, then cities, then Syrian bases); a label
    that fits nowhere is left out rather than drawn over another.
    """
    fig = ax.get_figure()
    renderer = fig.canvas.get_renderer()
    ax_box = ax.get_window_extent(renderer)
    texts: list[Text] = []
    cities = {m.label for m in marks if m.marker == "o"}
    for m in marks:
        if m.color == "white" and m.label in cities:
            continue  # a Syrian air base named after the city beside it
        text = ax.text(
            m.x,
            m.y,
            m.label,
            fontsize=fontsize * m.font_scale,
            zorder=4.5,
            fontweight="bold" if m.bold else "normal",
            color=m.color if m.bold else "#1a1a1a",
            path_effects=HALO,
        )
        if m.bold and m.color != "white":
            text.set_color(darker(m.color))
        for dx, dy, ha, va in _OFFSETS:
            text.set_position((m.x, m.y))
            text.set_ha(ha)
            text.set_va(va)
            text.set_transform(
                ax.transData
                + _points(fig, dx + _sign(dx) * m.size / 2, dy + _sign(dy) * m.size / 2)
            )
            bb = text.get_window_extent(renderer).expanded(1.04, 1.08)
            if _contained(bb, ax_box) and not any(bb.overlaps(t) for t in taken):
                taken.append(bb)
                texts.append(text)
                break
        else:
            text.remove()
    return texts


def _sign(v: float) -> float:
    return 0.0 if v == 0 else math.copysign(1.0, v)


def _points(fig: Figure, dx: float, dy: float):
    from matplotlib.transforms import ScaledTranslation

    return ScaledTranslation(dx / 72, dy / 72, fig.dpi_scale_trans)


def _marker_box(ax: Axes, m: _Mark) -> Bbox:
    px, py = ax.transData.transform((m.x, m.y))
    half = m.size / 2 * ax.get_figure().dpi / 72
    return Bbox.from_extents(px - half, py - half, px + half, py + half)


def _contained(inner: Bbox, outer: Bbox) -> bool:
    return (
        inner.x0 >= outer.x0
        and inner.x1 <= outer.x1
        and inner.y0 >= outer.y0
        and inner.y1 <= outer.y1
    )


def darker(color: str, factor: float = 0.75) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return (r * factor, g * factor, b * factor)


def _scale_bar(ax: Axes, view: View, fontsize: float) -> list:
    """A bar of a round length (km and NM) in the lower left corner (fixed on the axes)."""
    target = view.width / 6
    km = min((10, 20, 25, 50, 100, 200, 250, 500), key=lambda k: abs(k * 1e3 - target))
    length = km * 1e3 / view.width
    (bar,) = ax.plot(
        [0.03, 0.03 + length],
        [0.04, 0.04],
        color="black",
        linewidth=3,
        solid_capstyle="butt",
        zorder=9,
        transform=ax.transAxes,
    )
    text = ax.text(
        0.03 + length / 2,
        0.052,
        f"{km} km ({km / 1.852:.0f} NM)",
        ha="center",
        va="bottom",
        fontsize=fontsize * 0.85,
        zorder=9,
        path_effects=HALO,
        transform=ax.transAxes,
    )
    return [bar, text]


# --------------------------------------------------------------------------- legends


def marker_handle(
    marker: str | MplPath, size: float, face: object, edge: object, label: str, **style: object
) -> Line2D:
    """A legend entry that is a single marker (no line)."""
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=marker,
        markersize=size,
        markerfacecolor=face,
        markeredgecolor=edge,
        label=label,
        **style,
    )


def base_legend_handles(zones: bool = True) -> list:
    """Legend entries for the base map: bases, cities, river and (if any) keep-out zones."""
    handles = [
        marker_handle("^", 9, SIDE_COLORS["russia"], "black", "Russian base"),
        marker_handle("s", 8, SIDE_COLORS["coalition"], "black", "Coalition base"),
        marker_handle("^", 6, "white", SYRIAN_BASE, "Syrian air base"),
        marker_handle("o", 5, CITY, "white", "city"),
        Line2D([], [], color=RIVER, linewidth=1.8, label="Euphrates"),
        Patch(
            facecolor=(0.48, 0.23, 0.61, 0.10), edgecolor=ZONE, hatch="///", label="keep-out zone"
        ),
    ]
    return handles if zones else handles[:-1]


def category_handles(categories: Sequence[Category], *, marker_size: float = 11) -> list:
    """Legend entries for the encounter categories (rings, most severe first)."""
    colors = category_colors([c.name for c in categories])
    return [
        marker_handle(
            "o",
            marker_size,
            "none",
            colors[c.name],
            f"{category_label(c.name)} <{radius_text(c.radius_m)}",
            markeredgewidth=2.5,
        )
        for c in categories
    ]


def radius_text(radius_m: float) -> str:
    """'500 ft' below half a nautical mile, else '1 NM', '3 NM', '2.5 NM'.

    Examples
    --------
    >>> radius_text(152.4), radius_text(1852.0), radius_text(5556.0)
    ('500 ft', '1 NM', '3 NM')
    """
    if radius_m < 926.0:
        return f"{radius_m / 0.3048:,.0f} ft"
    return f"{radius_m / 1852.0:.1f}".removesuffix(".0") + " NM"


# --------------------------------------------------------------------------- the map figure


def _new_figure(width_px: int, height_px: int, dpi: float) -> Figure:
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def map_figure(
    result: RunResult,
    scenario: Scenario | None = None,
    *,
    width_px: int = 1400,
    height_px: int = 1100,
    dpi: float = 100.0,
) -> Figure:
    """The day's tracks by side on the map, encounters marked by category.

    Parameters
    ----------
    result : RunResult
        The run to draw.
    scenario : Scenario, optional
        For its keep-out zones and deconfliction line.
    width_px, height_px, dpi : number
        Size of the PNG (the SVG has the same size in inches).
    """
    fig = _new_figure(width_px, height_px, dpi)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.92))
    view = view_for(result, axes_aspect(fig, ax))
    draw_basemap(ax, view, scenario, fontsize=9.5)
    for a in notified_areas(result.events):
        ax.add_patch(_circle_patch(a))
    sides = {f.id: f.side for f in result.flights}
    kinds = {f.id: f.kind for f in result.flights}
    _draw_tracks(ax, result, sides, kinds)
    names = [c.name for c in result.categories]
    _draw_encounter_marks(ax, result, names)
    counts = {n: sum(e.category == n for e in result.encounters) for n in names}
    handles = _track_handles(sides.values())
    if any(k == "missile" for k in kinds.values()):
        handles.append(
            Line2D(
                [],
                [],
                color=OTHER_COLOR,
                linestyle=(0, (2, 2)),
                linewidth=1.2,
                label="cruise missile tracks",
            )
        )
    handles += category_handles(result.categories)
    if notified_areas(result.events):
        handles.append(
            Patch(
                facecolor=(0.72, 0.53, 0.04, 0.12),
                edgecolor=NOTIFIED,
                linestyle="--",
                label="notified strike area",
            )
        )
    handles += base_legend_handles(bool(scenario_zones(scenario)))
    leg = ax.legend(
        handles=handles,
        loc="upper left",
        fontsize=9,
        framealpha=0.92,
        borderpad=0.8,
        labelspacing=0.7,
    )
    leg.set_zorder(20)
    fh = sum(f.flight_hours for f in result.flights)
    tally = ", ".join(f"{counts[n]} {category_label(n)}" for n in names)
    start = utc_at(result.start_iso, 0)
    fig.suptitle(
        f"{result.scenario} - protocol {result.protocol}, seed {result.seed}:  "
        f"{len(result.flights)} flights, {fh:.0f} flight hours, encounters: {tally}\n"
        f"{start:%d %b %Y %H:%M} UTC + {result.duration_h:g} h",
        fontsize=12,
        y=0.985,
    )
    return fig


def _circle_patch(a: NotifiedArea) -> PathPatch:
    circle = MplPath.circle((a.x_m, a.y_m), a.radius_m)
    return PathPatch(
        circle,
        facecolor=(0.72, 0.53, 0.04, 0.12),
        edgecolor=NOTIFIED,
        linestyle="--",
        linewidth=1.2,
        zorder=2.7,
    )


def _draw_tracks(ax: Axes, result: RunResult, sides: dict[str, str], kinds: dict[str, str]) -> None:
    """All legs as thin lines by side; missiles dashed."""
    groups: dict[tuple[str, bool], list] = {}
    for aid, leg in result.legs:
        missile = kinds.get(aid) == "missile"
        seg = ((leg.x0_m, leg.y0_m), (leg.x1_m, leg.y1_m))
        groups.setdefault((sides.get(aid, ""), missile), []).append(seg)
    for (side, missile), segs in groups.items():
        ax.add_collection(
            LineCollection(
                segs,
                colors=side_color(side),
                linewidths=1.0 if missile else 1.1,
                linestyles=(0, (2, 2)) if missile else "solid",
                alpha=0.75 if missile else 0.45,
                zorder=3,
                capstyle="round",
            ),
            autolim=False,
        )


def _draw_encounter_marks(ax: Axes, result: RunResult, names: Sequence[str]) -> None:
    """Rings at the places of closest approach, most severe on top, labelled with the time
    when there are few enough to read."""
    colors = category_colors(names)
    rank = {n: i for i, n in enumerate(names)}
    label = len(result.encounters) <= 30
    for enc in sorted(result.encounters, key=lambda e: -rank.get(e.category, 99)):
        color = colors.get(enc.category, OTHER_COLOR)
        size = 24 - 3 * min(rank.get(enc.category, 3), 3)
        ax.plot(
            [enc.x_m],
            [enc.y_m],
            linestyle="none",
            marker="o",
            markersize=size,
            markerfacecolor="none",
            markeredgecolor="white",
            markeredgewidth=6,
            zorder=10,
        )
        ax.plot(
            [enc.x_m],
            [enc.y_m],
            linestyle="none",
            marker="o",
            markersize=size,
            markerfacecolor="none",
            markeredgecolor=color,
            markeredgewidth=3,
            zorder=10.1,
        )
        if label:
            ax.annotate(
                f"{utc_at(result.start_iso, enc.t_cpa_s):%H:%M}",
                (enc.x_m, enc.y_m),
                xytext=(size / 2 + 3, -size / 2 - 2),
                textcoords="offset points",
                ha="left",
                va="top",
                fontsize=9,
                fontweight="bold",
                color=darker(color),
                path_effects=HALO,
                zorder=10.2,
                annotation_clip=True,
            )


def _track_handles(sides: Iterable[str]) -> list:
    present = sorted(set(sides), key=lambda s: (s not in SIDE_COLORS, s))
    return [
        Line2D([], [], color=side_color(s), linewidth=2.2, label=f"{SIDE_LABELS.get(s, s)} tracks")
        for s in present
    ]


# --------------------------------------------------------------------------- the timeline


def timeline_figure(
    result: RunResult,
    *,
    width_px: int = 1400,
    height_px: int = 800,
    dpi: float = 100.0,
) -> Figure:
    """Encounters per hour by category (top) and hotline load over the day (bottom).

    The hotline panel shows calls in progress and calls queued, as step functions of time,
    with outages shaded; without hotline events it says "no hotline traffic".
    """
    fig = _new_figure(width_px, height_px, dpi)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 2)})
    hours = result.duration_h
    _encounter_panel(top, result, hours)
    _hotline_panel(bottom, result, hours)
    ticks = np.arange(0.0, hours + 1e-9, max(1, math.ceil(hours / 12)))
    bottom.set_xticks(ticks)
    bottom.set_xticklabels([f"{utc_at(result.start_iso, h * 3600):%H:%M}" for h in ticks])
    bottom.set_xlabel(f"time (UTC), from {utc_at(result.start_iso, 0):%d %b %Y %H:%M}")
    bottom.set_xlim(0, hours)
    fig.suptitle(f"{result.scenario} - protocol {result.protocol}, seed {result.seed}", fontsize=13)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.92, bottom=0.09, hspace=0.12)
    return fig


def _encounter_panel(ax: Axes, result: RunResult, hours: float) -> None:
    names = [c.name for c in result.categories]
    colors = category_colors(names)
    edges = np.arange(0.0, math.ceil(hours) + 1.0)
    bottom = np.zeros(len(edges) - 1)
    for name in reversed(names):  # least severe at the bottom of each stack
        t = np.array([e.t_cpa_s / 3600 for e in result.encounters if e.category == name])
        counts, _ = np.histogram(t, bins=edges)
        ax.bar(
            edges[:-1],
            counts,
            width=1.0,
            bottom=bottom,
            align="edge",
            color=colors[name],
            edgecolor="white",
            linewidth=0.6,
            label=f"{category_label(name)} ({len(t)})",
        )
        bottom += counts
    ax.set_ylabel("encounters per hour")
    ax.set_ylim(0, max(1.0, float(bottom.max()) * 1.25))
    ax.yaxis.get_major_locator().set_params(integer=True)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1],
        labels[::-1],
        loc="upper right",
        fontsize=10,
        title="by category at closest approach",
        title_fontsize=10,
    )
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    if not result.encounters:
        ax.text(
            0.5,
            0.5,
            "no encounters",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=14,
            color="#777777",
        )


def _hotline_panel(ax: Axes, result: RunResult, hours: float) -> None:
    t, busy, queued = hotline_load(result.events)
    for a, b in outages(result.events, result.duration_h * 3600):
        ax.axvspan(a / 3600, b / 3600, color="#f4c7c3", alpha=0.7, lw=0, label="hotline down")
    ax.set_ylabel("hotline calls\n(stacked)")
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    if t.size == 0:
        ax.text(
            0.5,
            0.5,
            "no hotline traffic",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=14,
            color="#777777",
        )
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        return
    th = np.concatenate([[0.0], t / 3600, [hours]])
    busy = np.concatenate([[0.0], busy, [busy[-1]]])
    queued = np.concatenate([[0.0], queued, [queued[-1]]])
    total = busy + queued
    ax.fill_between(th, busy, step="post", color="#4a7fb0", lw=0, label="in progress")
    ax.fill_between(th, busy, total, step="post", color="#f08c3a", lw=0, label="queued")
    ax.step(th, total, where="post", color="#444444", lw=0.6)
    ax.set_ylim(0, max(1.0, float(total.max())) * 1.3)
    ax.yaxis.get_major_locator().set_params(integer=True)
    n_calls = sum(e.kind == "hotline_request" for e in result.events)
    ax.legend(loc="upper right", fontsize=10, title=f"{n_calls} calls", title_fontsize=10)


# --------------------------------------------------------------------------- writing


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure rendered as ``png`` or ``svg``."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=fig.dpi, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def write_figures(result: RunResult, scenario: Scenario | None, out_dir: Path) -> list[Path]:
    """Write ``map.png``, ``map.svg``, ``timeline.png`` and ``timeline.svg`` into ``out_dir``.

    Each file is written atomically. Returns the paths written.
    """
    from sim.output import atomic_write

    out_dir = Path(out_dir)
    written = []
    for stem, fig in (("map", map_figure(result, scenario)), ("timeline", timeline_figure(result))):
        for fmt in ("png", "svg"):
            path = out_dir / f"{stem}.{fmt}"
            atomic_write(path, figure_bytes(fig, fmt))
            written.append(path)
    return written
