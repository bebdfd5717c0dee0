"""Writing an animated replay to a file for slides: GIF or MP4.

The interactive replay for the browser is a page of its own (:mod:`sim.viz.page`), drawn
from the legs, not from frames.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
from matplotlib.animation import FFMpegWriter, PillowWriter
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from sim.viz.errors import ReplayError
from sim.viz.style import CATEGORY_PALETTE, NOTIFIED, SIDE_COLORS, ZONE, rc_for

if TYPE_CHECKING:
    from PIL import Image

    from sim.viz.animation import ReplayAnimation

__all__ = ["FORMATS", "save"]

FORMATS = (".gif", ".mp4")
"""File suffixes :func:`save` writes."""


def save(
    anim: ReplayAnimation, path: str | Path, progress: Callable[[float], None] | None = None
) -> Path:
    """Write a replay as GIF or MP4, chosen by the file suffix.

    The file is rendered to a temporary file in the same directory and renamed into place,
    so an interrupted save never leaves a partial file under the final name.

    Parameters
    ----------
    anim : ReplayAnimation
        From :func:`~sim.viz.animation.replay`.
    path : str or pathlib.Path
        Ends in ``.gif`` (Pillow) or ``.mp4`` (H.264 through the ffmpeg bundled with
        ``imageio-ffmpeg``). For an HTML page use :func:`sim.viz.page.replay_page`.
    progress : callable, optional
        Called with the fraction of frames rendered, in [0, 1].

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".html":
        raise ReplayError(f"{path}: an HTML replay is a page of its own: use sim.viz.replay_page")
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
        with mpl.rc_context(rc_for(suffix)):
            anim.save(
                tmp, writer=_writer(suffix, anim.fps), dpi=anim._fig.dpi, progress_callback=tick
            )
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _writer(suffix: str, fps: float) -> Any:
    if suffix == ".gif":
        return _PalettedGifWriter(fps=fps)
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
        *CATEGORY_PALETTE,
        NOTIFIED,
        ZONE,
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
