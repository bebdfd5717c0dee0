"""The look shared by every picture: colours, names of sides and categories, legend entries.

Sides and encounter categories keep one colour everywhere (map, timeline, replay, GIF
palette); the map's own colours (sea, land, river, zones) are here too, so that a figure and
a replay of the same run look alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.patheffects as pe
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath

from sim.encounters import Category

if TYPE_CHECKING:
    from sim.events import MapArea

__all__ = [
    "AIRCRAFT_SHAPES",
    "AIRCRAFT_STYLE",
    "BORDER",
    "CATEGORY_PALETTE",
    "CITY",
    "HALO",
    "LAND",
    "NOTIFIED",
    "OTHER_COLOR",
    "RIVER",
    "SEA",
    "SIDE_COLORS",
    "SIDE_LABELS",
    "SIDE_SHORT",
    "SYRIAN_BASE",
    "SYRIA_BORDER",
    "SYRIA_FILL",
    "ZONE",
    "base_legend_handles",
    "category_colors",
    "category_handles",
    "category_label",
    "darker",
    "marker_handle",
    "radius_text",
    "side_color",
    "side_short",
]

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


def darker(color: str, factor: float = 0.75) -> tuple[float, float, float]:
    """``color`` as RGB with each channel multiplied by ``factor``."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return (r * factor, g * factor, b * factor)


def side_short(side: str) -> str:
    """Two or three letters for a side: ``"US"``, ``"RU"``, ``"US+RU"``."""
    return SIDE_SHORT.get(side, side[:2].upper())


# Marker outlines in points, nose along +x; every shape has the same number of vertices so
# that all markers of a frame form one (N, K, 2) array.
AIRCRAFT_SHAPES: dict[str, list[tuple[float, float]]] = {
    "fixed_wing": [(9, 0), (-6, 5.5), (-3, 0), (-6, -5.5)],
    "uav": [(6.5, 0), (-4.5, 4.5), (-2, 0), (-4.5, -4.5)],
    "support": [
        (11, 0),
        (3, 1.6),
        (0, 9),
        (-2.5, 9),
        (-2, 1.6),
        (-8, 1.6),
        (-10, 5),
        (-11.5, 5),
        (-10, 0),
        (-11.5, -5),
        (-10, -5),
        (-8, -1.6),
        (-2, -1.6),
        (-2.5, -9),
        (0, -9),
        (3, -1.6),
    ],
    "missile": [(6, 0), (-5, 1.6), (-3.5, 0), (-5, -1.6)],
}
AIRCRAFT_STYLE: dict[str, tuple[float, str]] = {
    "fixed_wing": (0.8, "side"),
    "uav": (1.6, "white"),
    "support": (0.8, "side"),
    "missile": (0.6, "dark"),
}
"""Per aircraft kind: edge width (points) and face (``"side"``, ``"white"`` or ``"dark"``)."""


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


def notified_handles(areas: Sequence[MapArea]) -> list[Patch]:
    """Legend entries for the areas events put on the map, one per kind of area."""
    labels = sorted({a.label for a in areas})
    return [
        Patch(facecolor=(0.72, 0.53, 0.04, 0.16), edgecolor=NOTIFIED, linestyle="--", label=label)
        for label in labels
    ]


def rc_for(suffix: str) -> dict[str, Any]:
    """Matplotlib settings for writing ``suffix``: the bundled ffmpeg for ``.mp4``."""
    if suffix != ".mp4":
        return {}
    import imageio_ffmpeg

    return {"animation.ffmpeg_path": imageio_ffmpeg.get_ffmpeg_exe()}
