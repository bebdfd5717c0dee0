"""Animated replay of a run on the map (matplotlib), for teaching.

:func:`replay` turns a :class:`~sim.records.RunResult` into a
:class:`ReplayAnimation`, a :class:`matplotlib.animation.FuncAnimation`; :func:`save` writes
it as GIF, MP4 or a self-contained HTML page. ``deconflict replay`` wraps both.

What a frame shows
------------------
- the static map of :mod:`sim.figures` (borders, sea, cities, bases, Euphrates, keep-out
  zones), drawn once in the simulation plane so distances are honest;
- every airborne aircraft as a marker pointing along its heading, coloured by side (jets
  filled, UAVs hollow, tankers and AWACS as larger silhouettes, cruise missiles as small dark
  darts), with a fading trail of the last minutes and, on demand, its id;
- encounters as rings at their place of closest approach, coloured by category, pulsing
  from ``t_start`` to ``t_end`` and fading for a few frames after;
- notified strike areas (from ``notification_sent`` events that carry ``x_m``, ``y_m``,
  ``radius_m``, ``from_s``, ``to_s``) as dashed circles while their window is open;
- a side panel with the UTC clock, counts of aircraft airborne, the legend and a ticker of
  the latest protocol events and encounters.

How it is fast
--------------
Positions come from the legs all at once: the legs are sorted by aircraft and start time
under one key, so one :func:`numpy.searchsorted` finds every aircraft's current leg for
any number of times (the trail is the same query at a few earlier times). Every artist is
created once; a frame only updates offsets, vertices, colours and texts. In the default
(fixed) view the static map and the legend are rendered once into a raster underlay and
hidden, so a frame draws only what moves; with ``follow`` the view pans and the map stays
vector.

The side panel's counts and ticker repeat the same lines as the ticker scrolls; each
distinct line is rendered once and its pixels are copied afterwards (text is otherwise the
slowest thing in a frame). A frame drawn this way is pixel-identical to one drawn afresh.

Jupyter
-------
A :class:`ReplayAnimation` is a ``FuncAnimation`` with its own ``_repr_html_``, so the last
expression of a cell shows it inline whatever the backend: short replays (up to about
15 MB of PNG frames, some 40 frames at 1280 px) as the JavaScript player of
:meth:`~matplotlib.animation.Animation.to_jshtml`, with step buttons for going through an
encounter frame by frame; longer ones as an embedded H.264 video
(:meth:`~matplotlib.animation.Animation.to_html5_video`, a whole day in a few MB), made
with the ffmpeg that ``imageio-ffmpeg`` bundles. ``rcParams["animation.html"]`` set to
``"jshtml"`` or ``"html5"`` overrides the choice.
"""

from __future__ import annotations

import math
import os
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
from matplotlib.animation import FFMpegWriter, FuncAnimation, HTMLWriter, PillowWriter
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, Bbox, ScaledTranslation

from sim import figures
from sim.figures import SIDE_COLORS, View

if TYPE_CHECKING:
    from PIL import Image

    from sim.records import Event, RunResult
    from sim.scenario import Scenario

__all__ = [
    "FORMATS",
    "ReplayAnimation",
    "ReplayError",
    "Tracks",
    "frame_times",
    "parse_window",
    "read_run_dir",
    "replay",
    "save",
]

FORMATS = (".gif", ".mp4", ".html")
"""File suffixes :func:`save` writes."""

SIDES = ("coalition", "russia", "other")
KINDS = ("fixed_wing", "uav", "support", "missile")

TRAIL_SAMPLES = 8
"""Points per trail (the trail has one fewer segments, fading towards its tail)."""
FOLLOW_SPAN_M = 320e3
"""Width of the view that follows one aircraft."""
TICKER_LINES = 14
PNG_BYTES_PER_PIXEL = 0.4
"""About the size of a frame as base64 PNG, per pixel (for choosing the notebook player)."""
MARKER_SCALE = 1.3
"""Aircraft marker size relative to the outlines below."""

# Marker outlines in points, nose along +x; every shape has the same number of vertices so
# that all markers of a frame form one (N, K, 2) array.
_SHAPES: dict[str, list[tuple[float, float]]] = {
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
_STYLE: dict[str, tuple[float, str]] = {  # edge width (points), face: "side" | "white" | "dark"
    "fixed_wing": (0.8, "side"),
    "uav": (1.6, "white"),
    "support": (0.8, "side"),
    "missile": (0.6, "dark"),
}

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


class ReplayError(ValueError):
    """A replay option that cannot work with this run (the message says why)."""


# --------------------------------------------------------------------------- positions


@dataclass(frozen=True)
class Tracks:
    """Every aircraft's legs as flat arrays, for vectorised positions at any times.

    Legs are sorted by aircraft, then start time, under one key ``owner * span + t0`` so a
    single :func:`numpy.searchsorted` finds the current leg of every aircraft at once.

    Attributes
    ----------
    ids : tuple of str
        Aircraft ids, index ``n`` of the per-aircraft arrays.
    side, kind : numpy.ndarray
        Per aircraft: index into :data:`SIDES` and :data:`KINDS`.
    first_s, last_s : numpy.ndarray
        Per aircraft: start of its first leg and end of its last (airborne in between).
    """

    ids: tuple[str, ...]
    side: np.ndarray
    kind: np.ndarray
    first_s: np.ndarray
    last_s: np.ndarray
    key: np.ndarray
    owner: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    xy0: np.ndarray
    xy1: np.ndarray
    heading: np.ndarray
    span: float
    base: float

    @classmethod
    def from_result(cls, result: RunResult) -> Tracks:
        """Index the legs of a run (aircraft without legs are left out)."""
        flights = {f.id: f for f in result.flights}
        ids = tuple(dict.fromkeys(aid for aid, _ in result.legs))
        index = {aid: n for n, aid in enumerate(ids)}
        raw = np.array(
            [
                (index[aid], leg.t0_s, leg.t1_s, leg.x0_m, leg.y0_m, leg.x1_m, leg.y1_m)
                for aid, leg in result.legs
            ],
            dtype=float,
        ).reshape(-1, 7)
        raw = raw[np.lexsort((raw[:, 1], raw[:, 0]))]
        owner = raw[:, 0].astype(np.int64)
        t0, t1 = raw[:, 1], np.maximum(raw[:, 2], raw[:, 1])
        base = float(min(t0.min(), 0.0)) if len(raw) else 0.0
        span = float(t1.max() - base) + 1.0 if len(raw) else 1.0
        n = len(ids)
        first = np.full(n, np.inf)
        last = np.full(n, -np.inf)
        np.minimum.at(first, owner, t0)
        np.maximum.at(last, owner, t1)

        def side_of(aid: str) -> int:
            f = flights.get(aid)
            return SIDES.index(f.side) if f is not None and f.side in SIDES else 2

        def kind_of(aid: str) -> int:
            f = flights.get(aid)
            return KINDS.index(f.kind) if f is not None and f.kind in KINDS else 0

        return cls(
            ids=ids,
            side=np.array([side_of(a) for a in ids], dtype=np.int64),
            kind=np.array([kind_of(a) for a in ids], dtype=np.int64),
            first_s=first,
            last_s=last,
            key=owner * span + (t0 - base),
            owner=owner,
            t0=t0,
            t1=t1,
            xy0=raw[:, 3:5].copy(),
            xy1=raw[:, 5:7].copy(),
            heading=_leg_headings(owner, raw[:, 3:5], raw[:, 5:7]),
            span=span,
            base=base,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def at(self, t_s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions, headings and airborne flags of every aircraft at the given times.

        Parameters
        ----------
        t_s : float or numpy.ndarray
            Times, seconds since the run start, any shape ``S``.

        Returns
        -------
        xy : numpy.ndarray
            Shape ``S + (N, 2)``, plane metres (last known position when not airborne).
        heading : numpy.ndarray
            Shape ``S + (N,)``, radians counter-clockwise from east, of the current leg.
        airborne : numpy.ndarray
            Shape ``S + (N,)``, bool.
        """
        t = np.asarray(t_s, dtype=float)[..., None]
        n = np.arange(len(self.ids))
        if len(self.key) == 0:
            shape = t.shape[:-1] + (0,)
            return np.zeros((*shape, 2)), np.zeros(shape), np.zeros(shape, dtype=bool)
        tc = np.clip(t, self.first_s, self.last_s)
        i = np.searchsorted(self.key, n * self.span + (tc - self.base), side="right") - 1
        i = np.clip(i, 0, len(self.key) - 1)
        dur = self.t1[i] - self.t0[i]
        frac = np.clip(np.divide(tc - self.t0[i], dur, out=np.ones_like(tc), where=dur > 0), 0, 1)
        xy = self.xy0[i] + frac[..., None] * (self.xy1[i] - self.xy0[i])
        airborne = (t >= self.first_s) & (t <= self.last_s)
        return xy, self.heading[i], airborne


def _leg_headings(owner: np.ndarray, xy0: np.ndarray, xy1: np.ndarray) -> np.ndarray:
    """Heading of each leg; legs that do not move take the heading of the one before."""
    d = xy1 - xy0
    moving = np.hypot(d[:, 0], d[:, 1]) > 1.0
    heading = np.arctan2(d[:, 1], d[:, 0])
    # forward-fill within each aircraft, then back-fill its leading stationary legs
    idx = np.where(moving, np.arange(len(owner)), -1)
    idx = np.maximum.accumulate(idx) if len(idx) else idx
    ok = (idx >= 0) & (owner[np.maximum(idx, 0)] == owner)
    back = np.where(moving, np.arange(len(owner)), len(owner))
    back = np.minimum.accumulate(back[::-1])[::-1] if len(back) else back
    ok_back = (back < len(owner)) & (owner[np.minimum(back, len(owner) - 1)] == owner)
    fill = np.where(ok, idx, np.where(ok_back, back, -1))
    return np.where(fill >= 0, heading[np.maximum(fill, 0)], math.pi / 2)


# --------------------------------------------------------------------------- frames


def frame_times(start_s: float, end_s: float, step_s: float) -> np.ndarray:
    """Frame times ``start_s, start_s + step_s, ...`` before ``end_s`` (at least one).

    Examples
    --------
    >>> frame_times(0, 3600, 60).size
    60
    >>> frame_times(600, 630, 60).tolist()
    [600.0]
    """
    if step_s <= 0:
        raise ReplayError(f"step must be > 0 s, got {step_s}")
    if end_s < start_s:
        raise ReplayError(f"end ({end_s} s) is before start ({start_s} s)")
    n = max(1, math.ceil((end_s - start_s) / step_s - 1e-9))
    return start_s + step_s * np.arange(n, dtype=float)


@dataclass(frozen=True)
class _Options:
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
    size = max(len(v) for v in _SHAPES.values())
    shapes = np.array(
        [_SHAPES[k] + [_SHAPES[k][-1]] * (size - len(_SHAPES[k])) for k in KINDS], dtype=float
    )
    widths = np.array([_STYLE[k][0] for k in KINDS])
    faces = np.array([_STYLE[k][1] for k in KINDS])
    return shapes, widths, faces


class _Scene:
    """The artists of a replay and the code that moves them to a given time."""

    def __init__(
        self,
        fig: Figure,
        result: RunResult,
        scenario: Scenario | None,
        opts: _Options,
        view: View,
        tracks: Tracks,
    ) -> None:
        self.fig = fig
        self.result = result
        self.opts = opts
        self.tracks = tracks
        self.view = view
        self.ax = fig.add_axes(_MAP_BOX)
        whole = figures.theatre_view().fit(view.width / view.height)
        basemap = figures.draw_basemap(
            self.ax,
            view if opts.follow is None else whole,
            scenario,
            fontsize=opts.fontsize,
            show=None if opts.follow is None else view,
        )
        self.static: list[Artist] = list(basemap.artists)
        self._zones = bool(figures.scenario_zones(scenario))
        self._init_aircraft()
        self._init_encounters()
        self._init_notified()
        self._init_panel(scenario)

    # -- aircraft ---------------------------------------------------------------------------

    def _init_aircraft(self) -> None:
        ax, tr = self.ax, self.tracks
        shapes, widths, faces = _marker_templates()
        side_rgba = np.array([to_rgba(figures.side_color(s)) for s in SIDES])
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
                        color=figures.darker(figures.side_color(SIDES[s])),
                        transform=ax.transData + shift,
                        visible=False,
                        clip_on=True,
                        zorder=8,
                        path_effects=figures.HALO,
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
        colors = figures.category_colors(names)
        self._enc_xy = np.array([(e.x_m, e.y_m) for e in enc], dtype=float).reshape(-1, 2)
        self._enc_t = np.array([(e.t_start_s, e.t_end_s) for e in enc], dtype=float).reshape(-1, 2)
        self._enc_rgba = np.array(
            [to_rgba(colors.get(e.category, figures.OTHER_COLOR)) for e in enc]
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
                figures.category_label(e.category).upper(),
                color=rgba[:3],
                fontsize=self.opts.fontsize * 0.9,
                fontweight="bold",
                ha="left",
                va="top",
                visible=False,
                clip_on=True,
                zorder=8.6,
                path_effects=figures.HALO,
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
        self._areas = figures.notified_areas(self.result.events)
        self.notified: PathCollection | None = None
        if not self._areas:
            return
        self._area_paths = [MplPath.circle((a.x_m, a.y_m), a.radius_m) for a in self._areas]
        self._area_t = np.array([(a.from_s, a.to_s) for a in self._areas])
        self.notified = PathCollection(
            [],
            linestyles="--",
            linewidths=1.5,
            zorder=2.8,
            edgecolor=figures.NOTIFIED,
            facecolor=(*to_rgba(figures.NOTIFIED)[:3], 0.16),
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
        x = _PANEL_X
        width_px = (1.0 - _PANEL_X - 0.008) * fig.bbox.width
        cursor = _Cursor(fig, top=0.978)
        title = scenario.title if scenario is not None and scenario.title else r.scenario
        for line in _wrap(title, width_px, fs * 1.05 * fig.dpi / 72 * 0.62, lines=2):
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
        self.counts = _TextLines(fig, x, [cursor.y, cursor.y - counts_h], counts_h, fontsize=fs)
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
        self.ticker = _TextLines(
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
        names = [c.name for c in r.categories]
        self._ticker_entries = _ticker_entries(r, names)
        self._ticker_t = np.array([e[0] for e in self._ticker_entries], dtype=float)
        self._no_events = not any(e.kind in _PHRASES for e in r.events)

    def _legend(self, x: float, top: float, width_px: float) -> Artist:
        """Aircraft and encounters in the left column, the map's symbols in the right."""
        r, fs = self.result, self.opts.fontsize
        left = _aircraft_handles(r) + figures.category_handles(r.categories, marker_size=12)
        right = _notified_handles(self._areas) + figures.base_legend_handles(self._zones)
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
        shrink = width_px / _extent(self.fig, legend).width
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
        when = figures.utc_at(r.start_iso, t)
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
            self.counts.set_line(i, _ellipsis(line, self._counts_chars))
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
            self.ticker.set_line(i, _ellipsis(text, self._ticker_chars), color, alpha)

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


_MAP_BOX = (0.006, 0.01, 0.685, 0.98)
_PANEL_X = 0.705


class _Cursor:
    """Stacks texts down the figure: each starts below the one before (figure fractions)."""

    def __init__(self, fig: Figure, top: float) -> None:
        self.fig = fig
        self.y = top

    def text(self, x: float, s: str, *, gap: float, **kwargs: Any) -> Text:
        text = self.fig.text(x, self.y, s, va="top", **kwargs)
        self.advance(text, gap=gap)
        return text

    def advance(self, artist: Artist, *, gap: float) -> None:
        """Move below ``artist``, plus ``gap`` times the base line height."""
        height = _extent(self.fig, artist).height / self.fig.bbox.height
        self.y -= height + gap * 10.0 / 72 * self.fig.dpi / self.fig.bbox.height


def _extent(fig: Figure, artist: Artist) -> Bbox:
    return artist.get_window_extent(fig.canvas.get_renderer())


def _wrap(text: str, width_px: float, char_px: float, lines: int) -> list[str]:
    """Wrap to at most ``lines`` lines of about ``width_px`` (an ellipsis ends a cut)."""
    import textwrap

    out = textwrap.wrap(text, max(10, int(width_px / char_px))) or [""]
    if len(out) > lines:
        out = out[:lines]
        out[-1] = _ellipsis(out[-1] + " \u2026", len(out[-1]))
    return out


def _ellipsis(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _aircraft_handles(result: RunResult) -> list[Line2D]:
    """Legend entries for the aircraft markers present in the run."""
    present = {(f.side, f.kind) for f in result.flights}
    handles = []
    for side in ("coalition", "russia"):
        color = SIDE_COLORS[side]
        name = figures.SIDE_LABELS[side]
        handles.append(
            figures.marker_handle(
                MplPath(_SHAPES["fixed_wing"]), 14, color, "white", f"{name} aircraft"
            )
        )
        if (side, "uav") in present:
            handles.append(
                figures.marker_handle(
                    MplPath(_SHAPES["uav"]), 11, "white", color, f"{name} UAV", markeredgewidth=1.6
                )
            )
        if (side, "missile") in present:
            handles.append(
                figures.marker_handle(
                    MplPath(_SHAPES["missile"]),
                    10,
                    figures.darker(color, 0.45),
                    "black",
                    f"{name} cruise missile",
                )
            )
    return handles


def _notified_handles(areas: Sequence[figures.NotifiedArea]) -> list[Any]:
    from matplotlib.patches import Patch

    if not areas:
        return []
    return [
        Patch(
            facecolor=(0.72, 0.53, 0.04, 0.16),
            edgecolor=figures.NOTIFIED,
            linestyle="--",
            label="notified strike area",
        )
    ]


def _ticker_entries(result: RunResult, names: Sequence[str]) -> list[tuple[float, str, Any]]:
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
        detail = figures.parse_detail(first.detail)
        if kind == "line_crossing" and detail.get("notified", "").lower() in ("0", "false", "no"):
            phrase = "crossed the line UNNOTIFIED"
        if len(events) > 1:
            who = f"x{len(events)}"
        else:
            who = first.aircraft_id + (f"/{first.other_id}" if first.other_id else "")
        text = f"{_hhmm(result, first.t_s)} {_short(side)} {phrase} {who}".rstrip()
        entries.append((first.t_s, text, figures.darker(figures.side_color(side), 0.85)))
    colors = figures.category_colors(names)
    for enc in result.encounters:
        text = (
            f"{_hhmm(result, enc.t_cpa_s)} * {figures.category_label(enc.category).upper()} "
            f"{enc.min_horizontal_m / 1852:.1f} NM {abs(enc.vertical_at_cpa_m) / 0.3048:.0f}"
            f" ft {enc.a_id}/{enc.b_id}"
        )
        entries.append((enc.t_cpa_s, text, figures.darker(colors.get(enc.category, "k"), 0.7)))
    entries.sort(key=lambda e: e[0])
    return entries


def _short(side: str) -> str:
    return figures.SIDE_SHORT.get(side, side[:2].upper())


def _hhmm(result: RunResult, t_s: float) -> str:
    return f"{figures.utc_at(result.start_iso, t_s):%H:%M}"


# --------------------------------------------------------------------------- the animation


class ReplayAnimation(FuncAnimation):
    """A replay: a :class:`~matplotlib.animation.FuncAnimation` that shows itself in Jupyter.

    Attributes
    ----------
    times : numpy.ndarray
        Simulated time of each frame, seconds since the run start.
    fps : float
        Frames per second of the saved or displayed animation.
    map_ax : matplotlib.axes.Axes
        The map axes (plane metres; ``map_ax.transData`` maps plane to pixels).
    tracks : Tracks
        The positions behind the markers.
    """

    def __init__(self, fig: Figure, scene: _Scene, times: np.ndarray, fps: float) -> None:
        self.times = times
        self.fps = fps
        self.map_ax = scene.ax
        self.tracks = scene.tracks
        self._scene = scene

        def draw(frame: int) -> list[Artist]:
            scene.update(float(times[frame]), frame)
            return scene.dynamic()

        super().__init__(
            fig,
            draw,
            frames=len(times),
            init_func=scene.dynamic,
            interval=1000.0 / fps,
            blit=False,
            cache_frame_data=False,
            repeat=True,
        )

    def __len__(self) -> int:
        return len(self.times)

    def _repr_html_(self) -> str:
        """Inline display in Jupyter: a frame-by-frame player, or a video when long.

        ``rcParams["animation.html"]`` decides when set to ``"jshtml"`` or ``"html5"``;
        otherwise replays small enough to embed as PNG frames (about 15 MB) get the
        JavaScript player, with step buttons, and longer ones an H.264 video (a whole day
        is a few MB).
        """
        fmt = mpl.rcParams["animation.html"]
        if fmt not in ("jshtml", "html5"):
            width, height = self._fig.canvas.get_width_height()
            fmt = "jshtml" if len(self) * width * height * PNG_BYTES_PER_PIXEL < 15e6 else "html5"
        if fmt == "html5":
            with mpl.rc_context(_rc_for(".mp4")):
                return self.to_html5_video()
        return self.to_jshtml(fps=self.fps)

    def frame_rgba(self, frame: int) -> np.ndarray:
        """Render one frame and return its pixels, shape (height, width, 4), uint8.

        Row 0 is the top of the picture; ``map_ax.transData`` gives pixel positions with
        row 0 at the bottom (``row = height - y``).
        """
        self._draw_was_started = True  # rendered by hand: matplotlib need not warn on delete
        self._scene.update(float(self.times[frame]), frame)
        canvas = self._fig.canvas
        canvas.draw()
        return np.asarray(canvas.buffer_rgba()).copy()

    def frame_png(self, frame: int, path: str | Path) -> None:
        """Render one frame to a PNG file."""
        self._draw_was_started = True
        self._scene.update(float(self.times[frame]), frame)
        self._fig.savefig(path, dpi=self._fig.dpi)


def replay(
    result: RunResult,
    scenario: Scenario | None = None,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    step_s: float = 60.0,
    fps: float = 12.0,
    follow: str | None = None,
    labels: bool = False,
    width: int = 1280,
    dpi: float = 100.0,
    trail_min: float = 6.0,
) -> ReplayAnimation:
    """An animated map of a run.

    Parameters
    ----------
    result : RunResult
        The run to replay.
    scenario : Scenario, optional
        Adds its keep-out zones and the deconfliction line to the map.
    start_s, end_s : float, optional
        Window of simulated time, seconds since the run start (default: the whole run).
        Frames are at ``start_s, start_s + step_s, ...`` before ``end_s``.
    step_s : float
        Simulated seconds per frame.
    fps : float
        Frames per second when played.
    follow : str, optional
        Aircraft id to keep in the centre of a closer view.
    labels : bool
        Label each airborne aircraft with its id.
    width : int
        Picture width in pixels (height is 9/16 of it).
    dpi : float
        Size of text and markers: at 100 the picture is laid out as a 1280 x 720 one would
        be, whatever the width (so a narrower replay is a scaled-down copy); 150 makes text
        and markers half as large again. Useful range about 70 to 150.
    trail_min : float
        Length of the fading trails, simulated minutes.

    Returns
    -------
    ReplayAnimation
        Save it with :func:`save`; in Jupyter it displays itself.

    Raises
    ------
    ReplayError
        If the window or the step is empty or negative, or ``follow`` names no aircraft.

    Examples
    --------
    >>> from sim.engine import simulate
    >>> from sim.scenario import load
    >>> scenario = load("scenarios/two-jets.toml")
    >>> anim = replay(simulate(scenario), scenario, start_s=0, end_s=600, step_s=120)
    >>> [float(t) for t in anim.times]
    [0.0, 120.0, 240.0, 360.0, 480.0]
    """
    duration = result.duration_h * 3600.0
    start = 0.0 if start_s is None else float(start_s)
    end = duration if end_s is None else float(end_s)
    if not 0.0 <= start < max(duration, 1e-9):
        raise ReplayError(f"start {start:g} s is outside the run (0 to {duration:g} s)")
    if end <= start:
        raise ReplayError(f"end {end:g} s must be after start {start:g} s")
    if fps <= 0:
        raise ReplayError(f"fps must be > 0, got {fps}")
    times = frame_times(start, min(end, duration), step_s)
    tracks = Tracks.from_result(result)
    follow_index = _follow_index(tracks, follow)
    fig = _figure(width, dpi)
    width, height = fig.canvas.get_width_height()
    aspect = (_MAP_BOX[2] * width) / (_MAP_BOX[3] * height)
    if follow_index is None:
        view = figures.view_for(result, aspect)
    else:
        view = View(0, FOLLOW_SPAN_M, 0, FOLLOW_SPAN_M).fit(aspect)
        xy, _, _ = tracks.at(times[0])
        view = view.centred(*xy[follow_index])
    opts = _Options(
        step_s=float(step_s),
        labels=labels,
        follow=follow_index,
        trail_s=trail_min * 60.0,
        afterglow_s=max(3 * step_s, 180.0),
        fontsize=10.0,
    )
    scene = _Scene(fig, result, scenario, opts, view, tracks)
    if follow_index is None:
        _freeze_static(fig, scene)
    scene.update(float(times[0]), 0)
    return ReplayAnimation(fig, scene, times, fps)


REFERENCE_WIDTH = 1280
"""Width in pixels at which ``dpi`` is the figure's true resolution."""


def _figure(width: int, dpi: float) -> Figure:
    """A 16:9 figure ``width`` pixels wide, laid out as at :data:`REFERENCE_WIDTH` pixels.

    The figure keeps the size in inches of a ``REFERENCE_WIDTH``-pixel picture at ``dpi``
    and renders at the resolution that gives ``width`` pixels, so text and markers (sized
    in points) scale with the width and the layout never changes.
    """
    if width < 160:
        raise ReplayError(f"width must be at least 160 pixels, got {width}")
    if dpi <= 0:
        raise ReplayError(f"dpi must be > 0, got {dpi}")
    width = int(width) // 2 * 2  # even sizes, as H.264 wants
    height = int(round(width * 9 / 16)) // 2 * 2
    render_dpi = dpi * width / REFERENCE_WIDTH
    # a hair over the exact size so that int() of the pixel size never rounds down
    fig = Figure(
        figsize=(width / render_dpi + 1e-9, height / render_dpi + 1e-9),
        dpi=render_dpi,
        facecolor="white",
    )
    FigureCanvasAgg(fig)
    return fig


def _follow_index(tracks: Tracks, follow: str | None) -> int | None:
    if follow is None:
        return None
    try:
        return tracks.ids.index(follow)
    except ValueError:
        close = [i for i in tracks.ids if follow.lower() in i.lower()][:5]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ReplayError(f"follow: no aircraft {follow!r} in this run{hint}") from None


def _freeze_static(fig: Figure, scene: _Scene) -> None:
    """Render what never moves once, as a pixel-exact underlay, and hide the originals.

    The map and legend would otherwise be drawn again for every frame; the underlay copies
    their pixels back instead, so frames look the same either way.
    """
    dynamic = scene.dynamic()
    for artist in dynamic:
        artist.set_visible(False)
    underlay = _Underlay(fig)
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


class _Underlay(Artist):
    """The figure as drawn when it is made, copied back as the first thing of every draw."""

    zorder = -10

    def __init__(self, fig: Figure) -> None:
        super().__init__()
        fig.canvas.draw()
        self._rgba = np.asarray(fig.canvas.buffer_rgba()).copy()
        self._region = fig.canvas.copy_from_bbox(fig.bbox)

    def draw(self, renderer: Any) -> None:
        if not self.get_visible():
            return
        h, w = self._rgba.shape[:2]
        if isinstance(renderer, RendererAgg) and (renderer.width, renderer.height) == (w, h):
            renderer.restore_region(self._region)
            return
        gc = renderer.new_gc()  # another renderer (e.g. a vector format): draw the pixels
        renderer.draw_image(gc, 0, 0, self._rgba[::-1])
        gc.restore()


class _TextLines(Artist):
    """Lines of text at fixed places of the panel, each content drawn once and then copied.

    Text is the slowest thing in a frame, and the panel's counts and ticker repeat the
    same lines (the ticker scrolls them down). With the Agg renderer each distinct line is
    rendered once, its pixels (a full-width strip over the panel's plain background) are
    kept, and later frames copy the strip to wherever the line now is. Other renderers draw
    the texts as usual.
    """

    zorder = 5
    MAX_CACHED = 4096

    def __init__(
        self, fig: Figure, x: float, tops: Sequence[float], height: float, **text_kw: Any
    ) -> None:
        super().__init__()
        self._x = x
        self._tops = list(tops)
        self._height = height
        self.texts = [_panel_text(fig, x, top, va="top", **text_kw) for top in self._tops]
        self._cache: dict[tuple, Any] = {}
        self._renderer_id = 0

    def __len__(self) -> int:
        return len(self.texts)

    def set_line(self, i: int, text: str, color: Any = "black", alpha: float = 1.0) -> None:
        line = self.texts[i]
        line.set_text(text)
        line.set_color(color)
        line.set_alpha(alpha)

    def draw(self, renderer: Any) -> None:
        if not self.get_visible():
            return
        if not isinstance(renderer, RendererAgg):
            for text in self.texts:
                text.draw(renderer)
            return
        if id(renderer) != self._renderer_id:
            self._cache.clear()
            self._renderer_id = id(renderer)
        w, h = int(renderer.width), int(renderer.height)
        x0 = max(int((self._x - 0.004) * w), 0)
        strip = max(int(math.ceil(self._height * h)), 1)
        for text, top in zip(self.texts, self._tops, strict=True):
            row = int(round((1.0 - top) * h)) - 1  # top of the strip, rows from the top
            if row < 0 or row + strip > h:
                continue
            key = (text.get_text(), str(text.get_color()), text.get_alpha())
            region = self._cache.get(key)
            if region is not None:
                renderer.restore_region(region, xy=(x0, row))
                continue
            text.draw(renderer)
            if len(self._cache) >= self.MAX_CACHED:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = renderer.copy_from_bbox(
                Bbox.from_extents(x0, h - row - strip, w, h - row)
            )


def _panel_text(fig: Figure, x: float, y: float, **kwargs: Any) -> Text:
    """A text in figure fractions, drawn by its owner rather than by the figure."""
    text = Text(x, y, "", **kwargs)
    text.set_figure(fig)
    text.set_transform(fig.transFigure)
    return text


# --------------------------------------------------------------------------- command-line helpers


_CLOCK = re.compile(r"^(\+)?(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$")


def parse_window(
    from_text: str | None, to_text: str | None, start_iso: str, duration_s: float
) -> tuple[float, float]:
    """Turn ``--from`` / ``--to`` into seconds since the run start.

    ``HH:MM`` (or ``HH:MM:SS``) is a UTC time of day: its first occurrence at or after the
    run start (``--to`` at or before ``--from`` means the next day). ``+HH:MM`` is time
    elapsed since the run start. ``--to`` beyond the end of the run stops at the end.

    Raises
    ------
    ReplayError
        If a time is malformed, ``--from`` is not inside the run, or the window is empty.

    Examples
    --------
    >>> parse_window("09:10", "+00:30", "2015-10-10T09:00:00Z", 3600)
    (600.0, 1800.0)
    >>> parse_window(None, "23:00", "2015-11-17T22:00:00Z", 86400)
    (0.0, 3600.0)
    """
    start = figures.utc_at(start_iso, 0)
    start_tod = start.hour * 3600 + start.minute * 60 + start.second

    def parse(option: str, text: str, after: float) -> float:
        m = _CLOCK.match(text.strip())
        if m is None:
            raise ReplayError(
                f"{option}: expected HH:MM (UTC) or +HH:MM (after the start), got {text!r}"
            )
        seconds = int(m[2]) * 3600 + int(m[3]) * 60 + int(m[4] or 0)
        if m[1]:
            return float(seconds)
        if seconds >= 86400:
            raise ReplayError(
                f"{option}: {text!r} is not a time of day (use +HH:MM for time after the start)"
            )
        t = float((seconds - start_tod) % 86400)
        while t <= after:
            t += 86400.0
        return t

    end_clock = f"{figures.utc_at(start_iso, duration_s):%d %b %H:%M}"
    span = f"the run is {start:%d %b %H:%M} to {end_clock} UTC"
    t0 = 0.0 if from_text is None else parse("--from", from_text, -1.0)
    if t0 >= duration_s:
        raise ReplayError(f"--from {from_text} is after the end of the run ({span})")
    t1 = duration_s if to_text is None else parse("--to", to_text, t0)
    if t1 <= t0:
        raise ReplayError(f"--to {to_text} is not after --from {from_text or '(start)'}")
    return t0, min(t1, duration_s)


def read_run_dir(run_dir: Path) -> tuple[Scenario, int]:
    """The resolved scenario and seed of a ``deconflict run --out`` directory.

    Raises
    ------
    InputError
        If ``scenario.json`` or ``summary.json`` is missing or unreadable.
    """
    import json

    from pydantic import ValidationError

    from sim.errors import InputError
    from sim.scenario import Scenario

    problems = [
        f"{run_dir / name}: missing (not a directory written by `deconflict run --out`)"
        for name in ("scenario.json", "summary.json")
        if not (run_dir / name).is_file()
    ]
    if problems:
        raise InputError(problems)
    try:
        scenario = Scenario.model_validate_json((run_dir / "scenario.json").read_text("utf-8"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise InputError(f"{run_dir / 'scenario.json'}: {where}: {first['msg']}") from None
    try:
        seed = json.loads((run_dir / "summary.json").read_text("utf-8"))["seed"]
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{run_dir / 'summary.json'}: seed: expected an integer") from None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"{run_dir / 'summary.json'}: seed: expected an integer, got {seed!r}")
    return scenario, seed


# --------------------------------------------------------------------------- saving


def save(
    anim: ReplayAnimation, path: str | Path, progress: Callable[[float], None] | None = None
) -> Path:
    """Write a replay as GIF, MP4 or self-contained HTML, chosen by the file suffix.

    The file is rendered to a temporary file in the same directory and renamed into place,
    so an interrupted save never leaves a partial file under the final name.

    Parameters
    ----------
    anim : ReplayAnimation
        From :func:`replay`.
    path : str or pathlib.Path
        Ends in ``.gif`` (Pillow), ``.mp4`` (H.264 through the ffmpeg bundled with
        ``imageio-ffmpeg``) or ``.html`` (every frame embedded as a base64 PNG, with
        play controls; opens in any browser).
    progress : callable, optional
        Called with the fraction of frames rendered, in [0, 1].

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ReplayError(
            f"{path}: unknown replay format {path.suffix!r} (use {', '.join(FORMATS)})"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    # a fresh name beside the target (same file system, so the rename is atomic); the writer
    # creates the file itself, with the usual permissions
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:12]}.part{suffix}")
    n = len(anim.times)

    def tick(i: int, total: int) -> None:
        if progress is not None:
            progress((i + 1) / max(total or n, 1))

    try:
        with mpl.rc_context(_rc_for(suffix)):
            anim.save(
                tmp, writer=_writer(suffix, anim.fps), dpi=anim._fig.dpi, progress_callback=tick
            )
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _rc_for(suffix: str) -> dict[str, Any]:
    if suffix != ".mp4":
        return {}
    import imageio_ffmpeg

    return {"animation.ffmpeg_path": imageio_ffmpeg.get_ffmpeg_exe()}


def _writer(suffix: str, fps: float) -> Any:
    if suffix == ".gif":
        return _PalettedGifWriter(fps=fps)
    if suffix == ".mp4":
        return FFMpegWriter(
            fps=fps,
            codec="h264",
            extra_args=[
                "-pix_fmt",
                "yuv420p",
                "-preset",
                "veryfast",
                "-crf",
                "23",
                "-movflags",
                "+faststart",
            ],
        )
    return HTMLWriter(fps=fps, embed_frames=True, default_mode="loop", embed_limit=1e6)


class _PalettedGifWriter(PillowWriter):
    """Pillow GIF writer with one palette for every frame, made from the first.

    A shared palette keeps colours steady between frames, lets the GIF encoder store only
    the pixels that changed, and keeps each frame in memory at one byte per pixel. The
    side and category colours are always in the palette.
    """

    def setup(self, fig: Figure, outfile: str | Path, dpi: float | None = None) -> None:
        super().setup(fig, outfile, dpi=dpi)
        self._palette: Image.Image | None = None

    def grab_frame(self, **savefig_kwargs: Any) -> None:
        super().grab_frame(**savefig_kwargs)
        frame = self._frames[-1].convert("RGB")
        if self._palette is None:
            self._palette = _gif_palette(frame)
        from PIL import Image as PILImage

        self._frames[-1] = frame.quantize(palette=self._palette, dither=PILImage.Dither.NONE)


def _gif_palette(first: Image.Image) -> Image.Image:
    """256 colours: the first frame's 224 most representative plus the style's key colours."""
    from PIL import Image as PILImage

    key = [
        *SIDE_COLORS.values(),
        *figures.CATEGORY_PALETTE,
        figures.NOTIFIED,
        figures.ZONE,
        "#ffffff",
        "#000000",
    ]
    key_rgb = [tuple(int(round(c * 255)) for c in to_rgba(k)[:3]) for k in key]
    key_rgb += [
        tuple(int(round(c * 0.45 * 255)) for c in to_rgba(k)[:3]) for k in SIDE_COLORS.values()
    ]
    q = first.quantize(
        colors=256 - len(key_rgb), method=PILImage.Quantize.MEDIANCUT, dither=PILImage.Dither.NONE
    )
    palette = list(q.getpalette() or [])[: 3 * (256 - len(key_rgb))]
    palette += [v for rgb in key_rgb for v in rgb]
    palette += [0] * (768 - len(palette))
    img = PILImage.new("P", (1, 1))
    img.putpalette(palette)
    return img
