"""The replay's picture: the artists of every frame and the code that moves them in time.

What a frame shows
------------------
- the static map of :mod:`sim.viz.basemap` (borders, sea, cities, bases, Euphrates,
  keep-out zones), drawn once in the simulation plane so distances are honest;
- every airborne aircraft as a marker pointing along its heading, coloured by side (jets
  filled, UAVs hollow, tankers and AWACS as larger silhouettes, cruise missiles as small dark
  darts), with a fading trail of the last minutes and, on demand, its id;
- encounters as rings at their place of closest approach, coloured by category, pulsing
  from ``t_start`` to ``t_end`` and fading for a few frames after;
- notified strike areas (:func:`sim.viz.events.notified_areas`) as dashed circles while
  their window is open;
- a side panel with the UTC clock, counts of aircraft airborne, the legend and a ticker of
  the latest protocol events and encounters.

How it is fast
--------------
Positions come from :class:`~sim.viz.tracks.Tracks`, all aircraft at once. Every artist is
created once; a frame only updates offsets, vertices, colours and texts. In the default
(fixed) view the static map and the legend are rendered once into a raster underlay and
hidden (:func:`freeze_static`), so a frame draws only what moves; with ``follow`` the view
pans and the map stays vector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, ScaledTranslation

from sim.viz.basemap import draw_basemap
from sim.viz.clock import utc_at
from sim.viz.events import has_protocol_events, notified_areas, scenario_zones, ticker_entries
from sim.viz.panel import (
    Cursor,
    aircraft_handles,
    ellipsis,
    extent,
    wrap,
)
from sim.viz.raster import TextLines, Underlay
from sim.viz.style import (
    AIRCRAFT_SHAPES,
    AIRCRAFT_STYLE,
    HALO,
    NOTIFIED,
    OTHER_COLOR,
    base_legend_handles,
    category_colors,
    category_handles,
    category_label,
    darker,
    notified_handles,
    side_color,
)
from sim.viz.tracks import KINDS, SIDES, Tracks
from sim.viz.view import View, geometry_path, theatre_view

if TYPE_CHECKING:
    from sim.records import RunResult
    from sim.scenario import Scenario

__all__ = ["MAP_BOX", "Options", "Scene", "freeze_static"]

TRAIL_SAMPLES = 8
"""Points per trail (the trail has one fewer segments, fading towards its tail)."""
TICKER_LINES = 14
MARKER_SCALE = 1.3
"""Aircraft marker size relative to their outlines (:data:`~sim.viz.style.AIRCRAFT_SHAPES`)."""
MAP_BOX = (0.006, 0.01, 0.685, 0.98)
"""Left, bottom, width, height of the map axes, in figure fractions."""
PANEL_X = 0.705
"""Left edge of the side panel, in figure fractions."""


@dataclass(frozen=True)
class Options:
    """How a scene moves: frame step, aircraft labels, the aircraft followed (an index into
    the tracks), trail and afterglow lengths (seconds), base font size (points).
    """

    step_s: float
    labels: bool
    follow: int | None
    trail_s: float
    afterglow_s: float
    fontsize: float


def _points_transform(fig: Figure) -> Affine2D:
    """Points -> display pixels, following the figure's dpi."""
    return Affine2D().scale(1 / 72) + fig.dpi_scale_trans


def _marker_templates() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(K, V, 2) outlines padded to the same vertex count, edge widths, face modes."""
    size = max(len(v) for v in AIRCRAFT_SHAPES.values())
    shapes = np.array(
        [
            AIRCRAFT_SHAPES[k] + [AIRCRAFT_SHAPES[k][-1]] * (size - len(AIRCRAFT_SHAPES[k]))
            for k in KINDS
        ],
        dtype=float,
    )
    widths = np.array([AIRCRAFT_STYLE[k][0] for k in KINDS])
    faces = np.array([AIRCRAFT_STYLE[k][1] for k in KINDS])
    return shapes, widths, faces


class Scene:
    """The artists of a replay and the code that moves them to a given time."""

    def __init__(
        self,
        fig: Figure,
        result: RunResult,
        scenario: Scenario | None,
        opts: Options,
        view: View,
        tracks: Tracks,
    ) -> None:
        self.fig = fig
        self.result = result
        self.opts = opts
        self.tracks = tracks
        self.view = view
        self.ax = fig.add_axes(MAP_BOX)
        whole = theatre_view().fit(view.width / view.height)
        basemap = draw_basemap(
            self.ax,
            view if opts.follow is None else whole,
            scenario,
            fontsize=opts.fontsize,
            show=None if opts.follow is None else view,
        )
        self.static: list[Artist] = list(basemap.artists)
        self._zones = bool(scenario_zones(scenario))
        self._init_aircraft()
        self._init_encounters()
        self._init_notified()
        self._init_panel(scenario)

    # -- aircraft ---------------------------------------------------------------------------

    def _init_aircraft(self) -> None:
        ax, tr = self.ax, self.tracks
        shapes, widths, faces = _marker_templates()
        side_rgba = np.array([to_rgba(side_color(s)) for s in SIDES])
        dark = side_rgba.copy()
        dark[:, :3] *= 0.45
        face = np.where(
            (faces[tr.kind] == "side")[:, None],
            side_rgba[tr.side],
            np.where((faces[tr.kind] == "white")[:, None], 1.0, dark[tr.side]),
        )
        edge = np.where((faces[tr.kind] == "side")[:, None], 1.0, side_rgba[tr.side])
        edge[faces[tr.kind] == "dark"] = (0.0, 0.0, 0.0, 1.0)
        self._shape = shapes[tr.kind] * MARKER_SCALE  # (N, V, 2), points
        self._face, self._edge, self._width = face, edge, widths[tr.kind]
        self._side_rgba = side_rgba[tr.side]
        self.trails = LineCollection([], linewidths=2.2, capstyle="butt", zorder=6)
        ax.add_collection(self.trails, autolim=False)
        self.planes = PolyCollection(
            [],
            offsets=np.zeros((0, 2)),
            offset_transform=ax.transData,
            transform=_points_transform(self.fig),
            zorder=7,
        )
        ax.add_collection(self.planes, autolim=False)
        self.labels: list[Text] = []
        if self.opts.labels:
            shift = ScaledTranslation(8 / 72, 6 / 72, self.fig.dpi_scale_trans)
            for aid, s in zip(tr.ids, tr.side, strict=True):
                self.labels.append(
                    ax.text(
                        0,
                        0,
                        aid,
                        fontsize=self.opts.fontsize * 0.8,
                        color=darker(side_color(SIDES[s])),
                        transform=ax.transData + shift,
                        visible=False,
                        clip_on=True,
                        zorder=8,
                        path_effects=HALO,
                    )
                )

    def _update_aircraft(self, t: float) -> np.ndarray:
        tr, o = self.tracks, self.opts
        back = t - o.trail_s * np.linspace(0.0, 1.0, TRAIL_SAMPLES)
        xy, heading, air = tr.at(back)  # (S, N, ...), S = 0 is now
        now = air[0]
        c, s = np.cos(heading[0][now]), np.sin(heading[0][now])
        rot = np.stack([np.stack([c, s], -1), np.stack([-s, c], -1)], -2)  # (M, 2, 2)
        self.planes.set_verts(self._shape[now] @ rot)
        self.planes.set_offsets(xy[0][now])
        self.planes.set_facecolor(self._face[now])
        self.planes.set_edgecolor(self._edge[now])
        self.planes.set_linewidth(self._width[now])
        # trail segments between consecutive samples, fading with age
        seg = np.stack([xy[1:], xy[:-1]], axis=2)  # (S-1, N, 2, 2)
        keep = air[1:] & air[:-1]
        alpha = np.linspace(0.75, 0.08, TRAIL_SAMPLES - 1)[:, None] * np.ones(keep.shape)
        colors = np.broadcast_to(self._side_rgba, (*keep.shape, 4)).copy()
        colors[..., 3] = alpha
        self.trails.set_segments(seg[keep])
        self.trails.set_color(colors[keep])
        for n, label in enumerate(self.labels):
            if now[n]:
                label.set_position(xy[0][n])
            if label.get_visible() != now[n]:
                label.set_visible(bool(now[n]))
        return xy[0]

    # -- encounters -------------------------------------------------------------------------

    def _init_encounters(self) -> None:
        enc = self.result.encounters
        names = [c.name for c in self.result.categories]
        colors = category_colors(names)
        self._enc_xy = np.array([(e.x_m, e.y_m) for e in enc], dtype=float).reshape(-1, 2)
        self._enc_t = np.array([(e.t_start_s, e.t_end_s) for e in enc], dtype=float).reshape(-1, 2)
        self._enc_rgba = np.array(
            [to_rgba(colors.get(e.category, OTHER_COLOR)) for e in enc]
        ).reshape(-1, 4)
        rank = {n: i for i, n in enumerate(names)}
        self._enc_size = np.array([26.0 - 3.0 * min(rank.get(e.category, 3), 3) for e in enc])
        self._enc_size = self._enc_size.reshape(-1)
        kw: dict[str, Any] = {"facecolors": "none", "zorder": 8.5}
        self.enc_halo = self.ax.scatter([], [], linewidths=6.0, edgecolors="white", **kw)
        self.enc_ring = self.ax.scatter([], [], linewidths=3.0, **kw)
        self.enc_halo.set_zorder(8.4)
        self.enc_text = [
            self.ax.text(
                x,
                y,
                category_label(e.category).upper(),
                color=rgba[:3],
                fontsize=self.opts.fontsize * 0.9,
                fontweight="bold",
                ha="left",
                va="top",
                visible=False,
                clip_on=True,
                zorder=8.6,
                path_effects=HALO,
                transform=self.ax.transData
                + ScaledTranslation(12 / 72, -10 / 72, self.fig.dpi_scale_trans),
            )
            for e, (x, y), rgba in zip(enc, self._enc_xy, self._enc_rgba, strict=True)
        ]

    def _update_encounters(self, t: float, frame: int) -> int:
        """Show encounters under way (pulsing) or just over (fading); returns how many."""
        o = self.opts
        t0, t1 = self._enc_t[:, 0], self._enc_t[:, 1]
        half = o.step_s / 2
        during = (t0 <= t + half) & (t1 >= t - half)
        since = t - half - t1  # time since the end, for the afterglow
        after = ~during & (since > 0) & (since < o.afterglow_s)
        show = during | after
        fade = np.where(during, 1.0, 1.0 - since / o.afterglow_s)[show]
        pulse = 1.25 if frame % 2 == 0 else 1.0
        size = self._enc_size[show] * np.where(during[show], pulse, 0.8 + 0.2 * fade)
        rgba = self._enc_rgba[show].copy()
        rgba[:, 3] = np.clip(fade, 0.15, 1.0)
        halo = np.ones_like(rgba)
        halo[:, 3] = rgba[:, 3] * 0.9
        for coll, edge, grow in ((self.enc_halo, halo, 1.0), (self.enc_ring, rgba, 1.0)):
            coll.set_offsets(self._enc_xy[show])
            coll.set_sizes((size * grow) ** 2)
            coll.set_edgecolor(edge)
        for i, text in enumerate(self.enc_text):
            if text.get_visible() != during[i]:
                text.set_visible(bool(during[i]))
        return int(np.count_nonzero(t0 <= t + half))

    # -- notified strike areas --------------------------------------------------------------

    def _init_notified(self) -> None:
        self._areas = notified_areas(self.result.events)
        self.notified: PathCollection | None = None
        if not self._areas:
            return
        self._area_paths = [geometry_path(a.geometry) for a in self._areas]
        self._area_t = np.array([(a.from_s, a.to_s) for a in self._areas])
        self.notified = PathCollection(
            [],
            linestyles="--",
            linewidths=1.5,
            zorder=2.8,
            edgecolor=NOTIFIED,
            facecolor=(*to_rgba(NOTIFIED)[:3], 0.16),
        )
        self.ax.add_collection(self.notified, autolim=False)

    def _update_notified(self, t: float) -> None:
        if self.notified is None:
            return
        active = np.flatnonzero((self._area_t[:, 0] <= t) & (t <= self._area_t[:, 1]))
        self.notified.set_paths([self._area_paths[i] for i in active])

    # -- the side panel ---------------------------------------------------------------------

    def _init_panel(self, scenario: Scenario | None) -> None:
        """Title, clock, counts, legend and ticker, stacked from the top of the side panel.

        Positions follow the rendered heights, so the panel holds together at any dpi.
        """
        fig, fs, r = self.fig, self.opts.fontsize, self.result
        x = PANEL_X
        width_px = (1.0 - PANEL_X - 0.008) * fig.bbox.width
        cursor = Cursor(fig, top=0.978)
        title = scenario.title if scenario is not None and scenario.title else r.scenario
        for line in wrap(title, width_px, fs * 1.05 * fig.dpi / 72 * 0.62, lines=2):
            self.static.append(cursor.text(x, line, gap=0.2, fontsize=fs * 1.05, fontweight="bold"))
        self.static.append(
            cursor.text(
                x,
                f"{r.scenario} - protocol {r.protocol}, seed {r.seed}",
                gap=0.6,
                fontsize=fs * 0.95,
                color="#444444",
            )
        )
        self.clock = cursor.text(
            x,
            "00:00:00 UTC",
            gap=0.5,
            fontsize=fs * 2.6,
            fontweight="bold",
            family="DejaVu Sans Mono",
        )
        self.date = cursor.text(
            x, "Mon 00 Jan 0000   T+00:00", gap=0.5, fontsize=fs, color="#444444"
        )
        counts_h = fs * 1.45 / 72 * fig.dpi / fig.bbox.height
        self.counts = TextLines(fig, x, [cursor.y, cursor.y - counts_h], counts_h, fontsize=fs)
        cursor.y -= 2 * counts_h + 0.6 * 10 / 72 * fig.dpi / fig.bbox.height
        self._counts_chars = max(20, int(width_px / (0.56 * fs * fig.dpi / 72)))
        legend = self._legend(x, cursor.y, width_px)
        self.static.append(legend)
        cursor.advance(legend, gap=1.2)
        self.static.append(
            cursor.text(
                x, "Protocol events and encounters", gap=0.4, fontsize=fs, fontweight="bold"
            )
        )
        ticker_fs = fs * 0.88
        line_h = ticker_fs * 1.55 / 72 * fig.dpi / fig.bbox.height
        n_lines = max(0, min(TICKER_LINES, int((cursor.y - 0.01) / line_h)))
        self.ticker = TextLines(
            fig,
            x,
            [cursor.y - k * line_h for k in range(n_lines)],
            line_h,
            fontsize=ticker_fs,
            family="DejaVu Sans Mono",
        )
        self._ticker_chars = max(20, int(width_px / (0.602 * ticker_fs * fig.dpi / 72)))
        fig.add_artist(self.counts)
        fig.add_artist(self.ticker)
        self._ticker_entries = ticker_entries(r)
        self._ticker_t = np.array([e[0] for e in self._ticker_entries], dtype=float)
        self._no_events = not has_protocol_events(r.events)

    def _legend(self, x: float, top: float, width_px: float) -> Artist:
        """Aircraft and encounters in the left column, the map's symbols in the right."""
        r, fs = self.result, self.opts.fontsize
        left = aircraft_handles(r) + category_handles(r.categories, marker_size=12)
        right = notified_handles(self._areas) + base_legend_handles(self._zones)
        blank = Line2D([], [], linestyle="none", label=" ")
        rows = max(len(left), len(right))
        two = left + [blank] * (rows - len(left)) + right + [blank] * (rows - len(right))
        kw: dict[str, Any] = {
            "loc": "upper left",
            "bbox_to_anchor": (x - 0.006, top),
            "fontsize": fs * 0.92,
            "frameon": False,
            "labelspacing": 0.6,
            "handlelength": 1.5,
            "handletextpad": 0.6,
            "borderaxespad": 0.0,
            "columnspacing": 0.8,
        }
        legend = self.fig.legend(handles=two, ncols=2, **kw)
        shrink = width_px / extent(self.fig, legend).width
        if shrink < 1.0:  # too wide at this dpi: smaller type, or one column
            legend.remove()
            if shrink >= 0.7:
                kw["fontsize"] *= shrink * 0.97
                legend = self.fig.legend(handles=two, ncols=2, **kw)
            else:
                legend = self.fig.legend(handles=left + right, ncols=1, **kw)
        return legend

    def _update_panel(self, t: float, n_enc: int) -> None:
        r, tr = self.result, self.tracks
        when = utc_at(r.start_iso, t)
        fmt = "%H:%M:%S" if self.opts.step_s % 60 else "%H:%M"
        self.clock.set_text(f"{when:{fmt}} UTC")
        el = int(round(t))
        self.date.set_text(f"{when:%a %d %b %Y}   T+{el // 3600:02d}:{el % 3600 // 60:02d}")
        air = (tr.first_s <= t) & (t <= tr.last_s)
        missiles = air & (tr.kind == KINDS.index("missile"))
        by_side = np.bincount(tr.side[air & ~missiles], minlength=len(SIDES))
        text = (
            f"airborne: {by_side[0]} Coalition, {by_side[1]} Russia"
            + (f", {int(missiles.sum())} missiles" if missiles.any() else "")
            + f"\nencounters so far: {n_enc}"
        )
        for i, line in enumerate(text.split("\n")):
            self.counts.set_line(i, ellipsis(line, self._counts_chars))
        k = int(np.searchsorted(self._ticker_t, t, side="right"))
        n = len(self.ticker)
        recent: list[tuple[float, str, Any] | None] = list(self._ticker_entries[max(0, k - n) : k])
        recent.reverse()
        if len(recent) < n and self._no_events:
            recent.append((t, f"(no protocol events: protocol {r.protocol})", "#777777"))
        for i, entry in enumerate([*recent, *[None] * n][:n]):
            if entry is None:
                self.ticker.set_line(i, "")
                continue
            t_e, text, color = entry
            alpha = 1.0 if t - t_e < 900 else 0.8 if t - t_e < 3600 else 0.6
            self.ticker.set_line(i, ellipsis(text, self._ticker_chars), color, alpha)

    # -- one frame --------------------------------------------------------------------------

    def update(self, t: float, frame: int) -> None:
        """Move every artist to time ``t`` (the ``frame``-th frame)."""
        xy = self._update_aircraft(t)
        n_enc = self._update_encounters(t, frame)
        self._update_notified(t)
        self._update_panel(t, n_enc)
        if self.opts.follow is not None:
            n = self.opts.follow
            self.view.centred(*xy[n]).apply(self.ax)

    def dynamic(self) -> list[Artist]:
        """The artists that change from frame to frame."""
        out: list[Artist] = [
            self.trails,
            self.planes,
            self.enc_halo,
            self.enc_ring,
            self.clock,
            self.date,
            self.counts,
            self.ticker,
            *self.labels,
            *self.enc_text,
        ]
        return out + ([self.notified] if self.notified is not None else [])


def freeze_static(fig: Figure, scene: Scene) -> None:
    """Render what never moves once, as a pixel-exact underlay, and hide the originals.

    The map and legend would otherwise be drawn again for every frame; the underlay copies
    their pixels back instead, so frames look the same either way.
    """
    dynamic = scene.dynamic()
    for artist in dynamic:
        artist.set_visible(False)
    underlay = Underlay(fig)
    for artist in scene.static:
        artist.set_visible(False)
    ax = scene.ax
    ax.patch.set_visible(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.patch.set_visible(False)
    fig.add_artist(underlay)
    for artist in dynamic:
        if artist not in scene.labels and artist not in scene.enc_text:
            artist.set_visible(True)
