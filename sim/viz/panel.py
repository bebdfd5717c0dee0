"""Pieces of the replay's side panel: stacked texts, fitted lines, the replay's own legend.

Texts are stacked down the figure by :class:`Cursor` and cut to the panel's width; the
legend entries here are those only the replay shows (aircraft markers, notified strike
areas). The panel's counts and ticker are :class:`~sim.viz.raster.TextLines`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from sim.viz.style import AIRCRAFT_SHAPES, SIDE_COLORS, SIDE_LABELS, darker, marker_handle

if TYPE_CHECKING:
    from sim.records import RunResult

__all__ = [
    "Cursor",
    "aircraft_handles",
    "ellipsis",
    "extent",
    "wrap",
]


class Cursor:
    """Stacks texts down the figure: each starts below the one before (figure fractions)."""

    def __init__(self, fig: Figure, top: float) -> None:
        self.fig = fig
        self.y = top

    def text(self, x: float, s: str, *, gap: float, **kwargs: Any) -> Text:
        """Place a line of text at the cursor and move the cursor below it."""
        text = self.fig.text(x, self.y, s, va="top", **kwargs)
        self.advance(text, gap=gap)
        return text

    def advance(self, artist: Artist, *, gap: float) -> None:
        """Move below ``artist``, plus ``gap`` times the base line height."""
        height = extent(self.fig, artist).height / self.fig.bbox.height
        self.y -= height + gap * 10.0 / 72 * self.fig.dpi / self.fig.bbox.height


def extent(fig: Figure, artist: Artist) -> Bbox:
    """The artist's box on the figure's canvas, pixels."""
    return artist.get_window_extent(fig.canvas.get_renderer())


def wrap(text: str, width_px: float, char_px: float, lines: int) -> list[str]:
    """Wrap to at most ``lines`` lines of about ``width_px`` (an ellipsis ends a cut)."""
    import textwrap

    out = textwrap.wrap(text, max(10, int(width_px / char_px))) or [""]
    if len(out) > lines:
        out = out[:lines]
        out[-1] = ellipsis(out[-1] + " \u2026", len(out[-1]))
    return out


def ellipsis(text: str, n: int) -> str:
    """``text`` cut to ``n`` characters, the last an ellipsis when cut."""
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def aircraft_handles(result: RunResult) -> list[Line2D]:
    """Legend entries for the aircraft markers present in the run."""
    present = {(f.side, f.kind) for f in result.flights}
    handles = []
    for side in ("coalition", "russia"):
        color = SIDE_COLORS[side]
        name = SIDE_LABELS[side]
        handles.append(
            marker_handle(
                MplPath(AIRCRAFT_SHAPES["fixed_wing"]), 14, color, "white", f"{name} aircraft"
            )
        )
        if (side, "uav") in present:
            handles.append(
                marker_handle(
                    MplPath(AIRCRAFT_SHAPES["uav"]),
                    11,
                    "white",
                    color,
                    f"{name} UAV",
                    markeredgewidth=1.6,
                )
            )
        if (side, "missile") in present:
            handles.append(
                marker_handle(
                    MplPath(AIRCRAFT_SHAPES["missile"]),
                    10,
                    darker(color, 0.45),
                    "black",
                    f"{name} cruise missile",
                )
            )
    return handles
