"""The replay and the static figures, checked by looking at the pixels they produce."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image
from typer.testing import CliRunner

from sim import viz
from sim.engine import simulate
from sim.events import Event
from sim.protocol.hotline import CallAnswer, CallEnd, CallRequest
from sim.protocol.line import LineCrossing
from sim.protocol.notification import Notice
from sim.records import RunResult
from sim.scenario import Scenario, load
from sim.state import Reroute
from sim.viz import events as viz_events
from sim.viz.events import hotline_load
from sim.viz.style import NOTIFIED

WIDTH = 800  # small pictures keep the tests quick; the layout is the same at any width


@pytest.fixture(scope="module")
def two_jets() -> tuple[RunResult, Scenario]:
    scenario = load("scenarios/two-jets.toml")
    return simulate(scenario, 1), scenario


def _legs(result: RunResult) -> dict[str, object]:
    return {aid: leg for aid, leg in result.legs}


def _pixel(anim: viz.ReplayAnimation, x: float, y: float, height: int) -> tuple[int, int]:
    """(row, column) in the RGBA buffer of a plane position."""
    px, py = anim.map_ax.transData.transform((x, y))
    return int(round(height - py)), int(round(px))


def _near(
    rgba: np.ndarray, row: int, col: int, color: str, radius: int = 5, tol: float = 30.0
) -> bool:
    """Whether a pixel within ``radius`` of (row, col) has ``color`` (RGB distance < tol)."""
    patch = rgba[
        max(row - radius, 0) : row + radius + 1, max(col - radius, 0) : col + radius + 1, :3
    ]
    target = np.array(to_rgb(color)) * 255
    return bool((np.linalg.norm(patch.astype(float) - target, axis=-1) < tol).any())


def _count_in_map(
    anim: viz.ReplayAnimation, rgba: np.ndarray, color: str, tol: float = 30.0
) -> int:
    """Pixels of ``color`` inside the map axes."""
    bb = anim.map_ax.get_window_extent()
    h = rgba.shape[0]
    region = rgba[int(h - bb.y1) : int(h - bb.y0), int(bb.x0) : int(bb.x1), :3].astype(float)
    target = np.array(to_rgb(color)) * 255
    return int((np.linalg.norm(region - target, axis=-1) < tol).sum())


def test_aircraft_markers_are_where_the_legs_put_them(two_jets) -> None:
    result, scenario = two_jets
    anim = viz.replay(result, scenario, start_s=60, end_s=240, step_s=60, width=WIDTH)
    legs = _legs(result)
    blue, red = viz.SIDE_COLORS["coalition"], viz.SIDE_COLORS["russia"]
    for frame, t in enumerate(anim.times):
        rgba = anim.frame_rgba(frame)
        us = _pixel(anim, *legs["US-F16"].position_at(t)[:2], rgba.shape[0])
        ru = _pixel(anim, *legs["RU-Su30"].position_at(t)[:2], rgba.shape[0])
        assert _near(rgba, *us, blue), f"no Coalition marker at {us} at t={t}"
        assert _near(rgba, *ru, red), f"no Russian marker at {ru} at t={t}"
        assert not _near(rgba, *us, red) and not _near(rgba, *ru, blue)


def test_encounter_flashes_only_around_closest_approach(two_jets) -> None:
    result, scenario = two_jets
    (enc,) = result.encounters
    color = viz.category_colors([c.name for c in result.categories])[enc.category]
    at_cpa = viz.replay(result, scenario, start_s=enc.t_cpa_s, end_s=enc.t_cpa_s + 60, width=WIDTH)
    rgba = at_cpa.frame_rgba(0)
    row, col = _pixel(at_cpa, enc.x_m, enc.y_m, rgba.shape[0])
    assert _near(rgba, row, col, color, radius=16)
    assert _count_in_map(at_cpa, rgba, color) > 20
    before = viz.replay(result, scenario, start_s=0, end_s=60, width=WIDTH)
    assert _count_in_map(before, before.frame_rgba(0), color) == 0
    long_after = viz.replay(
        result, scenario, start_s=enc.t_end_s + 900, end_s=enc.t_end_s + 960, width=WIDTH
    )
    assert _count_in_map(long_after, long_after.frame_rgba(0), color) == 0


def test_tracks_match_leg_positions(two_jets) -> None:
    result, _ = two_jets
    tracks = viz.Tracks.from_result(result)
    times = np.linspace(-100, 3700, 97)
    xy, heading, airborne = tracks.at(times)
    assert xy.shape == (97, 2, 2) and airborne.shape == (97, 2)
    for n, aid in enumerate(tracks.ids):
        leg = _legs(result)[aid]
        expect = np.array([leg.position_at(t)[:2] for t in times])
        np.testing.assert_allclose(xy[:, n], expect, atol=1e-6)
        np.testing.assert_array_equal(airborne[:, n], (times >= leg.t0_s) & (times <= leg.t1_s))
    # the Coalition jet flies east, the Russian north
    np.testing.assert_allclose(heading[50], [0.0, np.pi / 2], atol=0.01)


def test_follow_keeps_the_aircraft_in_the_centre(two_jets) -> None:
    result, scenario = two_jets
    anim = viz.replay(
        result,
        scenario,
        start_s=60,
        end_s=420,
        step_s=180,
        width=WIDTH,
        follow="RU-Su30",
        labels=True,
    )
    leg = _legs(result)["RU-Su30"]
    for frame, t in enumerate(anim.times):
        rgba = anim.frame_rgba(frame)
        bb = anim.map_ax.get_window_extent()
        row, col = _pixel(anim, *leg.position_at(t)[:2], rgba.shape[0])
        assert (
            abs(col - (bb.x0 + bb.x1) / 2) < 2
            and abs(row - (rgba.shape[0] - bb.y0 - bb.height / 2)) < 2
        )
        assert _near(rgba, row, col, viz.SIDE_COLORS["russia"])
    labels = [t.get_text() for t in anim.map_ax.texts if t.get_visible()]
    assert "RU-Su30" in labels
    with pytest.raises(viz.ReplayError, match="no aircraft 'nobody'"):
        viz.replay(result, follow="nobody")


def test_notified_area_shows_only_while_active(two_jets) -> None:
    result, _ = two_jets
    x, y = _legs(result)["US-F16"].position_at(1800)[:2]
    events = (
        Event(
            100.0,
            "notification_sent",
            "russia",
            "RU-Su30",
            info=Notice("strike", "RU-Su30", x, y, 20000.0, 600.0, 900.0),
        ),
        Event(  # far off the map: the ticker counts it, no ring shows
            100.0,
            "notification_sent",
            "russia",
            "RU-X",
            info=Notice("strike", "RU-X", 9e6, 9e6, 1000.0, 0.0, 9e4),
        ),
        Event(120.0, "hotline_request", "russia", "RU-Su30", info=CallRequest("mou-1", "strike")),
    )
    run = dataclasses.replace(result, events=events)
    areas = viz_events.notified_areas(events)
    assert [a.label for a in areas] == ["notified strike area"] * 2
    anim = viz.replay(run, start_s=300, end_s=1500, step_s=300, width=WIDTH)
    seen = [
        _count_in_map(anim, anim.frame_rgba(i), NOTIFIED, tol=12) > 30 for i in range(len(anim))
    ]
    assert seen == [False, True, True, False]  # frames at 300, 600, 900, 1200 s
    ticker = [t.get_text() for t in anim._scene.ticker.texts if t.get_text()]
    assert ticker[:3] == [
        "09:04 * NEAR MISS 0.1 NM 600 ft RU-Su30/US-F16",
        "09:02 RU hotline call queued RU-Su30",
        "09:01 RU strike notified x2",
    ]


def test_window_limits_frames() -> None:
    start = "2015-10-10T09:00:00Z"
    assert viz.parse_window("09:10", "09:20", start, 3600) == (600.0, 1200.0)
    assert viz.parse_window("+00:05", None, start, 3600) == (300.0, 3600.0)
    assert viz.parse_window(None, "11:00", start, 3600) == (0.0, 3600.0)
    assert viz.parse_window("23:30", "00:30", "2015-11-17T00:00:00Z", 86400) == (
        84600.0,
        86400.0,
    )
    for bad in ("8:61", "noon", "24:00"):
        with pytest.raises(viz.ReplayError, match="--from"):
            viz.parse_window(bad, None, start, 3600)
    with pytest.raises(viz.ReplayError, match="after the end of the run"):
        viz.parse_window("08:00", None, start, 3600)
    assert viz.frame_times(600, 1200, 60).size == 10


def test_each_format_opens_with_every_frame(two_jets, tmp_path: Path) -> None:
    result, scenario = two_jets
    anim = viz.replay(result, scenario, start_s=0, end_s=300, step_s=60, width=640)
    n = len(anim)
    assert n == 5
    ticks: list[float] = []
    gif = viz.save(anim, tmp_path / "r.gif", progress=ticks.append)
    assert ticks[-1] == pytest.approx(1.0) and len(ticks) == n
    with Image.open(gif) as im:
        assert im.n_frames == n and im.size == (640, 360)
    mp4 = viz.save(anim, tmp_path / "r.mp4")
    reader = imageio_ffmpeg.read_frames(str(mp4))
    meta = next(reader)
    assert tuple(meta["size"]) == (640, 360)
    assert sum(1 for _ in reader) == n
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.gif", "r.mp4"]
    with pytest.raises(viz.ReplayError, match="unknown replay format"):
        viz.save(anim, tmp_path / "r.avi")
    with pytest.raises(viz.ReplayError, match="replay_page"):  # a page is not a frame stack
        viz.save(anim, tmp_path / "r.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.gif", "r.mp4"]


def test_interrupted_save_leaves_nothing(two_jets, tmp_path: Path) -> None:
    result, _ = two_jets
    anim = viz.replay(result, start_s=0, end_s=600, step_s=60, width=320)

    def stop(frac: float) -> None:
        if frac > 0.3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        viz.save(anim, tmp_path / "r.gif", progress=stop)
    assert list(tmp_path.iterdir()) == []


def test_notebook_display_is_a_player_or_a_video(two_jets) -> None:
    import matplotlib as mpl

    result, _ = two_jets
    anim = viz.replay(result, start_s=0, end_s=120, width=320)
    html = anim._repr_html_()
    assert "<script" in html and html.count("data:image/png;base64,") == 2
    with mpl.rc_context({"animation.html": "html5"}):
        video = viz.replay(result, start_s=0, end_s=120, width=320)._repr_html_()
    assert "<video" in video and "data:video/mp4;base64," in video


def test_run_plot_and_replay_of_a_run_directory(tmp_path: Path) -> None:
    from sim.cli import app

    out = tmp_path / "run"
    runner = CliRunner()
    res = runner.invoke(app, ["run", "scenarios/two-jets.toml", "--out", str(out), "--plot"])
    assert res.exit_code == 0, res.output
    for name in ("map.png", "map.svg", "timeline.png", "timeline.svg"):
        assert (out / name).stat().st_size > 1000
    with Image.open(out / "map.png") as im:
        assert im.size == (1400, 1100)
    assert "no hotline traffic" in (out / "timeline.svg").read_text()
    res = runner.invoke(app, ["run", "scenarios/two-jets.toml", "--plot"])
    assert res.exit_code == 2 and "--plot" in res.output
    gif = tmp_path / "w.gif"
    res = runner.invoke(
        app,
        [
            "replay",
            str(out),
            "--out",
            str(gif),
            "--from",
            "09:10",
            "--to",
            "09:20",
            "--width",
            "320",
        ],
    )
    assert res.exit_code == 0, res.output
    with Image.open(gif) as im:
        assert im.n_frames == 10
    res = runner.invoke(app, ["replay", str(out), "--out", str(gif), "--from", "08:00"])
    assert res.exit_code == 2 and "after the end of the run" in res.output
    res = runner.invoke(app, ["replay", str(tmp_path), "--out", str(gif)])
    assert res.exit_code == 2 and "scenario.json: missing" in res.output


def test_hotline_load_counts_calls() -> None:
    events = [
        Event(t, kind, "russia", info=info)
        for t, kind, info in (
            (10, "hotline_request", CallRequest("mou-1", "strike")),
            (20, "hotline_request", CallRequest("mou-2", "strike")),
            (30, "hotline_answer", CallAnswer("mou-1", 20.0)),
            (40, "hotline_end", CallEnd("mou-1", "passed", 10.0)),
            (50, "hotline_answer", CallAnswer("mou-2", 30.0)),
            (60, "hotline_end", CallEnd("mou-2", "passed", 10.0)),
        )
    ]
    t, busy, queued = hotline_load(events)
    assert t.tolist() == [10, 20, 30, 40, 50, 60]
    assert busy.tolist() == [0, 0, 1, 0, 1, 0]
    assert queued.tolist() == [1, 2, 1, 1, 0, 0]
    assert hotline_load([])[0].size == 0


def test_event_readings_for_pictures(two_jets) -> None:
    from sim.viz import events

    result, scenario = two_jets
    call = Event(1.0, "hotline_request", "russia", info=CallRequest("mou-1", "strike"))
    assert events.hotline_calls([call] * 2) == 2
    end = Event(1.0, "hotline_end", "russia", info=CallEnd("mou-1", "passed", 60.0))
    assert not events.has_protocol_events([end])
    reroute = Reroute("notification", "RU-1")
    assert events.has_protocol_events([Event(1.0, "reroute", "coalition", "US-F16", info=reroute)])
    run = dataclasses.replace(
        result,
        events=(
            Event(60.0, "reroute", "coalition", "US-F16", info=reroute),
            Event(90.0, "reroute", "coalition", "US-F15", info=reroute),
            Event(200.0, "line_crossing", "russia", "RU-Su30", info=LineCrossing(False)),
            Event(210.0, "line_crossing", "russia", "RU-Su24", info=LineCrossing(True)),
        ),
    )
    lines = [text for _, text, _ in events.ticker_entries(run)]
    assert lines[:3] == [
        "09:01 US rerouted x2",
        "09:03 RU crossed the line UNNOTIFIED RU-Su30",
        "09:03 RU crossed the line RU-Su24",
    ]
    assert len(lines) == 3 + len(result.encounters)
    assert events.protocol_lines(scenario) == []
    assert events.scenario_zones(None) == [] and events.protocol_lines(None) == []
    line_on = scenario.with_overrides({"protocol": "line-2017"})
    assert [name for name, _ in events.protocol_lines(line_on)] == ["deconfliction line"]
    assert {name for name, _ in events.scenario_zones(line_on)} >= {"Hmeymim"}


def test_the_package_surface() -> None:
    import subprocess
    import sys

    import sim

    assert callable(sim.replay) and sim.replay.__module__ == "sim.api"
    assert all(hasattr(viz, name) for name in viz.__all__)
    code = "import sys, sim; sim.load_scenario; print('matplotlib' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False"
