"""Pictures of a run: static figures, and an animated replay on the map.

Everything is drawn on :class:`matplotlib.figure.Figure` objects with the Agg canvas (no
pyplot, no global state), in the simulation plane so that distances are honest.

- :func:`map_figure`, :func:`timeline_figure`, :func:`write_figures` — the static figures
  that ``deconflict run --plot`` writes (:mod:`sim.viz.figures`);
- :func:`replay_page` — the interactive replay as one self-contained HTML page, drawn in the
  browser from the legs (:mod:`sim.viz.page`, data from :mod:`sim.viz.pagedata`, scripts in
  ``sim/viz/web/``); it shows itself inline in Jupyter;
- :func:`replay` — a :class:`ReplayAnimation` for slides, that plays inline in Jupyter
  (:mod:`sim.viz.animation`, drawing :mod:`sim.viz.scene`), and :func:`save` to write it as
  GIF or MP4 (:mod:`sim.viz.writers`); ``deconflict replay`` wraps both kinds;
- the pieces they share: the map (:mod:`sim.viz.basemap`, :mod:`sim.viz.view`), the look
  (:mod:`sim.viz.style`), times (:mod:`sim.viz.clock`), positions
  (:mod:`sim.viz.tracks`), and what the run's protocol events mean for a picture
  (:mod:`sim.viz.events`).
"""

from sim.viz.animation import ReplayAnimation, replay
from sim.viz.basemap import BaseMap, draw_basemap
from sim.viz.clock import frame_times, parse_window, utc_at
from sim.viz.errors import ReplayError
from sim.viz.figures import figure_bytes, map_figure, timeline_figure, write_figures
from sim.viz.page import ReplayPage, replay_page
from sim.viz.style import SIDE_COLORS, category_colors, side_color
from sim.viz.tracks import Tracks
from sim.viz.view import View, theatre_view, view_for
from sim.viz.writers import FORMATS, save

__all__ = [
    "FORMATS",
    "SIDE_COLORS",
    "BaseMap",
    "ReplayAnimation",
    "ReplayError",
    "ReplayPage",
    "Tracks",
    "View",
    "category_colors",
    "draw_basemap",
    "figure_bytes",
    "frame_times",
    "map_figure",
    "parse_window",
    "replay",
    "replay_page",
    "save",
    "side_color",
    "theatre_view",
    "timeline_figure",
    "utc_at",
    "view_for",
    "write_figures",
]
