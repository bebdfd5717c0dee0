"""The static map under every picture: countries, sea, Euphrates, places, zones, scale bar.

Drawn into a given axes in the simulation plane, limited to a :class:`~sim.viz.view.View`:
Syria and its neighbours (Syria emphasised), the sea, the Euphrates (marked as the
deconfliction line when the protocol uses one), the main cities and air bases (Russian and
Coalition bases with distinct markers), the scenario's keep-out zones, a scale bar, and
labels placed so that none overlaps another.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from shapely.geometry.base import BaseGeometry

from sim import geo, places
from sim.viz.events import protocol_lines, scenario_zones
from sim.viz.style import (
    BORDER,
    CITY,
    HALO,
    LAND,
    RIVER,
    SEA,
    SIDE_COLORS,
    SYRIA_BORDER,
    SYRIA_FILL,
    SYRIAN_BASE,
    ZONE,
    darker,
)
from sim.viz.view import View, geometry_path

if TYPE_CHECKING:
    from sim.scenario import Scenario

__all__ = ["BaseMap", "Mark", "draw_basemap", "place_marks"]

_BASE_KINDS_RU = ("airbase_ru", "naval_base_ru")
_BASE_KINDS_COALITION = ("airbase_us", "airbase_uk", "garrison_us")


@dataclass(frozen=True, slots=True)
class Mark:
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


def place_marks() -> list[Mark]:
    """The places worth a marker, with style by kind (bases by side, cities in black)."""
    marks = []
    for p in places.places().values():
        x, y = p.xy
        name = _short_name(p.name)
        if p.kind in _BASE_KINDS_RU:
            marker = "^" if p.kind == "airbase_ru" else "v"
            marks.append(Mark(name, x, y, marker, SIDE_COLORS["russia"], "black", 9, 0, 1.0, True))
        elif p.kind in _BASE_KINDS_COALITION:
            marks.append(Mark(name, x, y, "s", SIDE_COLORS["coalition"], "black", 8, 0, 1.0, True))
        elif p.kind == "naval_area":
            marks.append(Mark("carrier box", x, y, "D", SIDE_COLORS["coalition"], "black", 7, 1))
        elif p.kind == "launch_area_ru":
            marks.append(
                Mark("Kalibr launch area", x, y, "X", SIDE_COLORS["russia"], "black", 8, 1, 0.85)
            )
        elif p.kind == "airbase_sy":
            marks.append(Mark(name, x, y, "^", "white", SYRIAN_BASE, 6, 3, 0.8))
        elif p.kind in ("city", "dam"):
            marks.append(Mark(name, x, y, "o", CITY, "white", 5, 2))
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
        Its zones (:func:`~sim.viz.events.scenario_zones`) are drawn, and the Euphrates is
        marked as the deconfliction line when the protocol uses one
        (:func:`~sim.viz.events.protocol_lines`).
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
    marks = [m for m in place_marks() if _inside(view, m.x, m.y)]
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


def _draw_euphrates(ax: Axes, scenario: Scenario | None, fontsize: float) -> list:
    xy = np.asarray(geo.euphrates().coords)[:, :2]
    artists = []
    for _, geometry in protocol_lines(scenario):
        for part in shapely.get_parts(geometry):
            lx, ly = np.asarray(part.coords)[:, :2].T
            (line,) = ax.plot(
                lx, ly, color="#163e6b", linewidth=2.2, linestyle=(0, (6, 3)), zorder=2.1
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
    ax: Axes, marks: Sequence[Mark], fontsize: float, taken: list[Bbox]
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


def _marker_box(ax: Axes, m: Mark) -> Bbox:
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
