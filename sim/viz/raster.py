"""Artists that copy pixels rendered once instead of drawing again, to make frames fast.

- :class:`Underlay`: the static map and legend of a replay, rendered once and copied back
  as the first thing of every frame;
- :class:`TextLines`: the side panel's counts and ticker; text is the slowest thing in a
  frame, and these lines repeat as the ticker scrolls, so each distinct line is rendered
  once and its pixels are copied afterwards.

A frame drawn this way is pixel-identical to one drawn afresh.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

__all__ = ["TextLines", "Underlay", "panel_text"]


class Underlay(Artist):
    """The figure as drawn when it is made, copied back as the first thing of every draw."""

    zorder = -10

    def __init__(self, fig: Figure) -> None:
        super().__init__()
        fig.canvas.draw()
        self._rgba = np.asarray(fig.canvas.buffer_rgba()).copy()
        self._region = fig.canvas.copy_from_bbox(fig.bbox)

    def draw(self, renderer: Any) -> None:
        """Draw by copying saved pixels (Matplotlib calls this)."""
        if not self.get_visible():
            return
        h, w = self._rgba.shape[:2]
        if isinstance(renderer, RendererAgg) and (renderer.width, renderer.height) == (w, h):
            renderer.restore_region(self._region)
            return
        gc = renderer.new_gc()  # another renderer (e.g. a vector format): draw the pixels
        renderer.draw_image(gc, 0, 0, self._rgba[::-1])
        gc.restore()


class TextLines(Artist):
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
        self.texts = [panel_text(fig, x, top, va="top", **text_kw) for top in self._tops]
        self._cache: dict[tuple, Any] = {}
        self._renderer_id = 0

    def __len__(self) -> int:
        return len(self.texts)

    def set_line(self, i: int, text: str, color: Any = "black", alpha: float = 1.0) -> None:
        """Set the text, colour and opacity of line ``i``."""
        line = self.texts[i]
        line.set_text(text)
        line.set_color(color)
        line.set_alpha(alpha)

    def draw(self, renderer: Any) -> None:
        """Draw by copying saved pixels (Matplotlib calls this)."""
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


def panel_text(fig: Figure, x: float, y: float, **kwargs: Any) -> Text:
    """A text in figure fractions, drawn by its owner rather than by the figure."""
    text = Text(x, y, "", **kwargs)
    text.set_figure(fig)
    text.set_transform(fig.transFigure)
    return text
