"""The animated replay of a run: :func:`replay` and the :class:`ReplayAnimation` it returns.

:func:`replay` turns a :class:`~sim.records.RunResult` into a :class:`ReplayAnimation`, a
:class:`matplotlib.animation.FuncAnimation` over a :class:`~sim.viz.scene.Scene`;
:func:`sim.viz.writers.save` writes it as GIF, MP4 or a self-contained HTML page.
``deconflict replay`` wraps both.

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

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.viz.clock import frame_times
from sim.viz.errors import ReplayError
from sim.viz.scene import MAP_BOX, Options, Scene, freeze_static
from sim.viz.style import rc_for
from sim.viz.tracks import Tracks
from sim.viz.view import View, view_for

if TYPE_CHECKING:
    from sim.records import RunResult
    from sim.scenario import Scenario

__all__ = ["ReplayAnimation", "replay"]

PNG_BYTES_PER_PIXEL = 0.4
"""About the size of a frame as base64 PNG, per pixel (for choosing the notebook player)."""
FOLLOW_SPAN_M = 320e3
"""Width of the view that follows one aircraft."""
REFERENCE_WIDTH = 1280
"""Width in pixels at which ``dpi`` is the figure's true resolution."""


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

    def __init__(self, fig: Figure, scene: Scene, times: np.ndarray, fps: float) -> None:
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
            with mpl.rc_context(rc_for(".mp4")):
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
        Save it with :func:`~sim.viz.writers.save`; in Jupyter it displays itself.

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
    aspect = (MAP_BOX[2] * width) / (MAP_BOX[3] * height)
    if follow_index is None:
        view = view_for(result, aspect)
    else:
        view = View(0, FOLLOW_SPAN_M, 0, FOLLOW_SPAN_M).fit(aspect)
        xy, _, _ = tracks.at(times[0])
        view = view.centred(*xy[follow_index])
    opts = Options(
        step_s=float(step_s),
        labels=labels,
        follow=follow_index,
        trail_s=trail_min * 60.0,
        afterglow_s=max(3 * step_s, 180.0),
        fontsize=10.0,
    )
    scene = Scene(fig, result, scenario, opts, view, tracks)
    if follow_index is None:
        freeze_static(fig, scene)
    scene.update(float(times[0]), 0)
    return ReplayAnimation(fig, scene, times, fps)


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
