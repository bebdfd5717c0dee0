"""What the replay page shows, as plain data: the map's shapes, the legs, the encounters, the
ticker and the hotline over the day, in the simulation plane.

:func:`page_data` gathers it from a :class:`~sim.records.RunResult` (and its scenario) into
a dict that :mod:`sim.viz.page` writes into the page as JSON; the page's scripts
(``sim/viz/web/*.js``) draw it. Everything the map marks comes from the same places as the
other pictures: borders and the Euphrates from :mod:`sim.geo`, places from
:func:`~sim.viz.basemap.place_marks`, zones, lines, notified areas, ticker lines and hotline
load from :mod:`sim.viz.events` (which asks the registry), colours from :mod:`sim.viz.style`.

Sizes are kept small by rounding to what a screen can show: plane positions to the metre,
times to a tenth of a second, altitudes to the foot, map shapes simplified to
:data:`MAP_TOLERANCE_M` and written in whole metres.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from matplotlib.colors import to_hex
from shapely.geometry.base import BaseGeometry

from sim import geo
from sim.units import FT, KT, NM, H
from sim.viz.basemap import place_marks
from sim.viz.events import (
    announced_areas,
    has_protocol_events,
    hotline_load,
    outages,
    protocol_lines,
    scenario_zones,
    ticker_entries,
)
from sim.viz.style import (
    AIRCRAFT_SHAPES,
    AIRCRAFT_STYLE,
    BORDER,
    CITY,
    LAND,
    NOTIFIED,
    OTHER_COLOR,
    RIVER,
    SEA,
    SIDE_COLORS,
    SIDE_LABELS,
    SYRIA_BORDER,
    SYRIA_FILL,
    ZONE,
    category_colors,
    category_label,
    radius_text,
)
from sim.viz.view import View, theatre_view, view_for

if TYPE_CHECKING:
    from sim.records import RunResult
    from sim.scenario import Scenario

__all__ = ["MAP_TOLERANCE_M", "TIME_UNIT_S", "page_data"]

MAP_TOLERANCE_M = 250.0
"""Borders are simplified to this tolerance (a quarter of a pixel at the whole-map scale)."""
TIME_UNIT_S = 0.1
"""Leg times are written as whole multiples of this."""
HOME_ASPECT = 1.6
"""Width / height of the first view; the page widens it to its own window."""
AFTERGLOW_S = 600.0
"""How long an encounter's ring stays on the map after the pair has separated."""


def page_data(
    result: RunResult,
    scenario: Scenario | None = None,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    labels: bool = False,
) -> dict[str, Any]:
    """Everything the replay page draws, for the window ``[start_s, end_s]`` of a run.

    Parameters
    ----------
    result : RunResult
        The run.
    scenario : Scenario, optional
        Adds its zones and the protocol's lines (the deconfliction line) to the map.
    start_s, end_s : float, optional
        The window, seconds since the run start (default: the whole run). Legs, encounters,
        areas and ticker lines outside it are left out.
    labels : bool
        Show every aircraft's id from the start (the page can switch them on and off).

    Returns
    -------
    dict
        JSON-ready: ``meta``, ``style``, ``map``, ``aircraft``, ``legs``, ``encounters``,
        ``areas``, ``ticker``, ``hotline``.

    Examples
    --------
    >>> from sim.engine import simulate
    >>> from sim.scenario import load
    >>> scenario = load("scenarios/two-jets.toml")
    >>> data = page_data(simulate(scenario), scenario)
    >>> data["aircraft"]["ids"], len(data["encounters"])
    (['RU-Su30', 'US-F16'], 1)
    """
    duration = result.duration_h * H
    t0 = 0.0 if start_s is None else float(start_s)
    t1 = duration if end_s is None else float(end_s)
    home = view_for(result, HOME_ASPECT)
    legs, aircraft = _legs(result, t0, t1)
    return {
        "meta": {
            "title": scenario.title if scenario is not None else result.scenario,
            "scenario": result.scenario,
            "protocol": result.protocol,
            "seed": result.seed,
            "start_iso": result.start_iso,
            "t0_s": t0,
            "t1_s": t1,
            "time_unit_s": TIME_UNIT_S,
            "afterglow_s": AFTERGLOW_S,
            "labels": labels,
            "protocol_events": has_protocol_events(result.events),
        },
        "units": {"ft_m": FT, "nm_m": NM, "kt_mps": KT},
        "style": _style(result),
        "map": _map(result, scenario, home),
        "aircraft": aircraft,
        "legs": legs,
        "encounters": _encounters(result, t0, t1),
        "areas": _areas(result, t0, t1),
        "ticker": _ticker(result, t0, t1),
        "hotline": _hotline(result, duration),
    }


# --------------------------------------------------------------------------- look


def _style(result: RunResult) -> dict[str, Any]:
    names = [c.name for c in result.categories]
    colors = category_colors(names)
    return {
        "sides": {**SIDE_COLORS, "other": OTHER_COLOR},
        "side_labels": SIDE_LABELS,
        "categories": [
            {
                "name": c.name,
                "label": category_label(c.name),
                "color": colors[c.name],
                "radius_m": c.radius_m,
                "half_height_m": c.half_height_m,
                "radius_text": radius_text(c.radius_m),
            }
            for c in result.categories
        ],
        "map": {
            "sea": SEA,
            "land": LAND,
            "syria": SYRIA_FILL,
            "border": BORDER,
            "syria_border": SYRIA_BORDER,
            "river": RIVER,
            "zone": ZONE,
            "notified": NOTIFIED,
            "city": CITY,
        },
        "shapes": {k: [list(map(float, p)) for p in v] for k, v in AIRCRAFT_SHAPES.items()},
        "shape_style": {k: {"width": w, "face": f} for k, (w, f) in AIRCRAFT_STYLE.items()},
    }


# --------------------------------------------------------------------------- map


def _rings(geom: BaseGeometry, tolerance: float = 0.0) -> list[list[int]]:
    """Flat ``[x0, y0, x1, y1, ...]`` lists (whole metres) of every ring or line of a shape."""
    if tolerance > 0:
        geom = geom.simplify(tolerance, preserve_topology=True)
    out: list[list[int]] = []
    for part in shapely.get_parts(geom):
        if part.is_empty:
            continue
        if part.geom_type == "Polygon":
            lines = [part.exterior, *part.interiors]
        elif part.geom_type in ("LineString", "LinearRing"):
            lines = [part]
        else:
            out += _rings(part)
            continue
        for line in lines:
            xy = np.rint(np.asarray(line.coords)[:, :2]).astype(np.int64)
            out.append(xy.ravel().tolist())
    return out


def _frame(result: RunResult, home: View) -> View:
    """The part of the plane the map covers: the theatre, every leg, and some margin."""
    boxes = [theatre_view(), home]
    if result.legs:
        arr = np.array([(g.x0_m, g.y0_m, g.x1_m, g.y1_m) for _, g in result.legs])
        xs, ys = arr[:, [0, 2]], arr[:, [1, 3]]
        boxes.append(View(float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max())))
    x0, x1 = min(b.x0 for b in boxes), max(b.x1 for b in boxes)
    y0, y1 = min(b.y0 for b in boxes), max(b.y1 for b in boxes)
    pad = 0.15 * max(x1 - x0, y1 - y0)
    return View(x0 - pad, x1 + pad, y0 - pad, y1 + pad)


def _map(result: RunResult, scenario: Scenario | None, home: View) -> dict[str, Any]:
    frame = _frame(result, home)
    box = frame.shapely_box()
    names = geo.country_names()
    countries = []
    land = []
    for iso, geom in sorted(geo.countries().items(), key=lambda kv: kv[0] == "SYR"):
        part = shapely.intersection(geom, box)
        if part.is_empty:
            continue
        land.append(part)
        biggest = max(shapely.get_parts(part), key=lambda p: p.area)
        label = shapely.point_on_surface(biggest)
        countries.append(
            {
                "iso": iso,
                "name": names[iso],
                "syria": iso == "SYR",
                "area_m2": round(float(biggest.area)),
                "label": [round(label.x), round(label.y)],
                "rings": _rings(part, MAP_TOLERANCE_M),
            }
        )
    marks = place_marks()
    cities = {m.label for m in marks if m.marker == "o"}
    places = [
        {
            "label": m.label,
            "x": round(m.x),
            "y": round(m.y),
            "marker": m.marker,
            "color": to_hex(m.color),
            "edge": to_hex(m.edge),
            "size": m.size,
            "priority": m.priority,
            "font_scale": m.font_scale,
            "bold": m.bold,
            # a Syrian air base named after the city beside it keeps its marker, not its name
            "labelled": not (m.color == "white" and m.label in cities),
        }
        for m in marks
        if frame.x0 <= m.x <= frame.x1 and frame.y0 <= m.y <= frame.y1
    ]
    return {
        "home": [home.x0, home.x1, home.y0, home.y1],
        "frame": [frame.x0, frame.x1, frame.y0, frame.y1],
        "countries": countries,
        "sea_label": _sea_label(land),
        "euphrates": _rings(geo.euphrates())[0],
        "places": places,
        "zones": [{"name": n, "rings": _rings(g)} for n, g in scenario_zones(scenario)],
        "lines": [{"name": n, "rings": _rings(g)} for n, g in protocol_lines(scenario)],
    }


def _sea_label(land: list[BaseGeometry]) -> list[int] | None:
    """Where to write 'Mediterranean Sea': in the largest stretch of the theatre's sea west of
    36°E.
    """
    theatre = theatre_view().shapely_box()
    sea = shapely.difference(theatre, shapely.union_all(land)) if land else theatre
    parts = [p for p in shapely.get_parts(sea) if geo.to_latlon(p.centroid.x, p.centroid.y)[1] < 36]
    if not parts:
        return None
    point = shapely.point_on_surface(max(parts, key=lambda p: p.area))
    return [round(point.x), round(point.y)]


# --------------------------------------------------------------------------- aircraft and legs


def _legs(result: RunResult, t0: float, t1: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every leg of the aircraft that fly in the window (their whole flights, so that trails
    and tracks do not stop at its edges), grouped by aircraft and sorted by start time.
    """
    flying = {aid for aid, g in result.legs if g.t1_s >= t0 and g.t0_s <= t1}
    rows = [(aid, g) for aid, g in result.legs if aid in flying]
    flights = {f.id: f for f in result.flights}
    ids = sorted(flying)
    index = {aid: n for n, aid in enumerate(ids)}
    order = sorted(range(len(rows)), key=lambda k: (index[rows[k][0]], rows[k][1].t0_s, k))
    arr = np.array(
        [
            (g.t0_s, g.t1_s, g.x0_m, g.y0_m, g.z0_m, g.x1_m, g.y1_m, g.z1_m)
            for g in (rows[k][1] for k in order)
        ],
        dtype=float,
    ).reshape(-1, 8)
    owner = np.array([index[rows[k][0]] for k in order], dtype=np.int64)
    counts = np.bincount(owner, minlength=len(ids))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(ids) else np.zeros(0)

    def ints(values: np.ndarray) -> list[int]:
        return np.rint(values).astype(np.int64).tolist()

    legs = {
        "start": [int(s) for s in starts],
        "count": counts.tolist(),
        "t0": ints(arr[:, 0] / TIME_UNIT_S),
        "t1": ints(arr[:, 1] / TIME_UNIT_S),
        "x0": ints(arr[:, 2]),
        "y0": ints(arr[:, 3]),
        "z0": ints(arr[:, 4] / FT),
        "x1": ints(arr[:, 5]),
        "y1": ints(arr[:, 6]),
        "z1": ints(arr[:, 7] / FT),
    }

    def col(name: str, default: Any = "") -> list[Any]:
        return [getattr(flights[a], name) if a in flights else default for a in ids]

    aircraft = {
        "ids": ids,
        "side": col("side", "other"),
        "type": col("type"),
        "kind": col("kind", "fixed_wing"),
        "mission": col("mission"),
        "base": col("base"),
        "target": col("target"),
    }
    return legs, aircraft


# --------------------------------------------------------------------------- events


def _encounters(result: RunResult, t0: float, t1: float) -> list[dict[str, Any]]:
    return [
        {
            "a": e.a_id,
            "b": e.b_id,
            "a_side": e.a_side,
            "b_side": e.b_side,
            "category": e.category,
            "t_start_s": e.t_start_s,
            "t_end_s": e.t_end_s,
            "t_cpa_s": e.t_cpa_s,
            "h_m": e.min_horizontal_m,
            "v_m": e.vertical_at_cpa_m,
            "x": round(e.x_m),
            "y": round(e.y_m),
        }
        for e in sorted(result.encounters, key=lambda e: (e.t_cpa_s, e.a_id, e.b_id))
        if e.t_end_s >= t0 and e.t_start_s <= t1
    ]


def _areas(result: RunResult, t0: float, t1: float) -> list[dict[str, Any]]:
    """Areas from when they are announced to the end of their window."""
    return [
        {
            "label": a.label,
            "side": a.side,
            "notified_s": min(t, a.from_s),
            "from_s": a.from_s,
            "to_s": a.to_s,
            "rings": _rings(a.geometry),
        }
        for t, a in announced_areas(result.events)
        if a.to_s >= t0 and min(t, a.from_s) <= t1
    ]


def _ticker(result: RunResult, t0: float, t1: float) -> list[list[Any]]:
    """Ticker lines up to the window's end (the earlier ones give the context at its start)."""
    return [[t, text, to_hex(color)] for t, text, color in ticker_entries(result) if t <= t1]


def _hotline(result: RunResult, duration: float) -> dict[str, Any]:
    t, busy, queued = hotline_load(result.events)
    return {
        "t": t.tolist(),
        "busy": busy.astype(int).tolist(),
        "queued": queued.astype(int).tolist(),
        "outages": [list(span) for span in outages(result.events, duration)],
    }
