"""The classroom page: one self-contained HTML file that replays a run in the browser.

The page draws vectors on a canvas with a small player of its own (plain JavaScript, no
build step, no library): the map, every aircraft interpolated along its legs at any instant,
trails, encounter rings, notified areas, the ticker of protocol events, with play and pause,
speed, a time slider, stepping from encounter to encounter, an encounter list, hover and
click on aircraft, layer switches and keyboard shortcuts. Its scripts and style are package
files (``sim/viz/web/``) written into the page, with the data of :func:`~sim.viz.pagedata.
page_data` as JSON: nothing is fetched, so it opens in a classroom without a network.

:func:`replay_page` makes a :class:`ReplayPage`, which saves itself (atomically) and shows
itself inline in Jupyter.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.output import atomic_write
from sim.viz.pagedata import page_data

if TYPE_CHECKING:
    from sim.records import RunResult
    from sim.scenario import Scenario

__all__ = ["SCRIPTS", "ReplayPage", "page_html", "replay_page"]

SCRIPTS = ("core.js", "draw.js", "panel.js", "app.js")
"""The page's scripts, in the order they are written into it."""


def _asset(name: str) -> str:
    return resources.files("sim.viz").joinpath("web", name).read_text(encoding="utf-8")


def _json_for_script(data: dict[str, Any]) -> str:
    """JSON that can sit inside a ``<script>`` element (no ``</script>`` can appear in it)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page_html(data: dict[str, Any]) -> str:
    """The page for :func:`~sim.viz.pagedata.page_data`: template, style, data and scripts."""
    script = "\n".join(_asset(name) for name in SCRIPTS)
    parts = {
        "@@TITLE@@": html.escape(f"{data['meta']['title']} - deconflict replay"),
        "@@STYLE@@": _asset("page.css"),
        "@@DATA@@": _json_for_script(data),
        "@@SCRIPT@@": script.replace("</script", "<\\/script"),
    }
    # one pass, so that nothing written in can be taken for a placeholder
    return re.sub("|".join(parts), lambda m: parts[m.group(0)], _asset("page.html"))


@dataclass(frozen=True)
class ReplayPage:
    """A written-out replay page: its HTML, ready to save or to show in a notebook."""

    html: str
    height_px: int = 760
    """Height of the frame it takes in a notebook."""

    @property
    def size_bytes(self) -> int:
        """Size of the page in bytes (UTF-8)."""
        return len(self.html.encode("utf-8"))

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` atomically; returns the path."""
        path = Path(path)
        atomic_write(path, self.html)
        return path

    def _repr_html_(self) -> str:
        """The page in a frame of its own (its scripts and style stay out of the notebook's)."""
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            f'style="width:100%;height:{self.height_px}px;border:1px solid #ccc" '
            'title="deconflict replay"></iframe>'
        )


def replay_page(
    result: RunResult,
    scenario: Scenario | None = None,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    labels: bool = False,
) -> ReplayPage:
    """The interactive replay of a run as one self-contained HTML page.

    Parameters
    ----------
    result : RunResult
        The run to replay.
    scenario : Scenario, optional
        Adds its zones and the protocol's deconfliction line to the map.
    start_s, end_s : float, optional
        The window of the run the page plays, seconds since the start (default: all of it).
    labels : bool
        Show every aircraft's id from the start (the page switches them with ``L``).

    Returns
    -------
    ReplayPage
        ``.save(path)`` writes it; in Jupyter it shows itself.

    Examples
    --------
    >>> from sim.engine import simulate
    >>> from sim.scenario import load
    >>> scenario = load("scenarios/two-jets.toml")
    >>> page = replay_page(simulate(scenario), scenario)
    >>> page.html.startswith("<!doctype html>"), page.size_bytes < 1_000_000
    (True, True)
    """
    data = page_data(result, scenario, start_s=start_s, end_s=end_s, labels=labels)
    return ReplayPage(page_html(data))
