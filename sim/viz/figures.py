"""Static figures of a run: the day's map and its timeline, as PNG and SVG.

Everything is drawn on :class:`matplotlib.figure.Figure` objects with the Agg canvas: no
pyplot, no global state, so figures can be made in worker processes and in tests.

``deconflict run --plot --out DIR`` calls :func:`write_figures`, which writes

- ``map.png`` / ``map.svg``: the day's tracks by side, encounters marked by category, on the
  map of :mod:`sim.viz.basemap`;
- ``timeline.png`` / ``timeline.svg``: encounters per hour by category, and the hotline load
  (calls in progress and queued) over the day.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch

from sim.events import MapArea
from sim.output import atomic_write
from sim.records import RunResult
from sim.viz.basemap import draw_basemap
from sim.viz.clock import utc_at
from sim.viz.events import (
    hotline_calls,
    hotline_load,
    notified_areas,
    outages,
    scenario_zones,
)
from sim.viz.style import (
    HALO,
    NOTIFIED,
    OTHER_COLOR,
    SIDE_COLORS,
    SIDE_LABELS,
    base_legend_handles,
    category_colors,
    category_handles,
    category_label,
    darker,
    notified_handles,
    side_color,
)
from sim.viz.view import axes_aspect, geometry_path, view_for

if TYPE_CHECKING:
    from sim.scenario import Scenario

__all__ = ["figure_bytes", "map_figure", "timeline_figure", "write_figures"]


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
    areas = notified_areas(result.events)
    for a in areas:
        ax.add_patch(_area_patch(a))
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
    handles += notified_handles(areas)
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


def _area_patch(a: MapArea) -> PathPatch:
    return PathPatch(
        geometry_path(a.geometry),
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
    when there are few enough to read.
    """
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
    n_calls = hotline_calls(result.events)
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
    out_dir = Path(out_dir)
    written = []
    for stem, fig in (("map", map_figure(result, scenario)), ("timeline", timeline_figure(result))):
        for fmt in ("png", "svg"):
            path = out_dir / f"{stem}.{fmt}"
            atomic_write(path, figure_bytes(fig, fmt))
            written.append(path)
    return written
