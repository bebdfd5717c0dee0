"""The part of the simulation plane a picture shows, and shapes turned into matplotlib paths.

The plane is in metres, ``x`` east and ``y`` north, drawn at equal aspect so that distances
on the picture are honest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.path import Path as MplPath
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from sim import geo
from sim.records import RunResult

__all__ = ["View", "axes_aspect", "geometry_path", "theatre_view", "view_for"]

_THEATRE = (30.6, 32.6, 38.6, 43.6)
"""lat_min, lon_min, lat_max, lon_max of the widest default view (Syria and neighbours)."""


@dataclass(frozen=True, slots=True)
class View:
    """A rectangle of the simulation plane, metres."""

    x0: float
    x1: float
    y0: float
    y1: float

    @property
    def width(self) -> float:
        """Width of the view (m)."""
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        """Height of the view (m)."""
        return self.y1 - self.y0

    @property
    def center(self) -> tuple[float, float]:
        """Centre of the view (m)."""
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
        """The view as a Shapely box, grown by ``pad`` metres."""
        return box(self.x0 - pad, self.y0 - pad, self.x1 + pad, self.y1 + pad)

    def apply(self, ax: Axes) -> None:
        """Set the limits of the axes to the view."""
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
