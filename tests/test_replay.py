"""The replay and the static figures, checked by looking at the pixels they produce."""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image
from typer.testing import CliRunner

from sim import figures
from sim.engine import simulate
from sim.records import Event, RunResult
from sim.scenario import Scenario, load

replay = importlib.import_module("sim.replay")  # the module; sim.replay is the API function

WIDTH = 800  # small pictures keep the tests quick; the layout is the same at any width


@pytest.fixture(scope="module")
def two_jets() -> tuple[RunResult, Scenario]:
    scenario = load("scenarios/two-jets.toml")
    return simulate(scenario, 1), scenario


def _legs(result: RunResult) -> dict[str, object]:
    return {aid: leg for aid, leg in result.legs}


def _pixel(anim: replay.ReplayAnimation, x: float, y: float, height: int) -> tuple[int, int]:
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
    anim: replay.ReplayAnimation, rgba: np.ndarray, color: str, tol: float = 30.0
) -> int:
    """Pixels of ``color`` inside the map axes."""
    bb = anim.map_ax.get_window_extent()
    h = rgba.shape[0]
    region = rgba[int(h - bb.y1) : int(h - bb.y0), int(bb.x0) : int(bb.x1), :3].astype(float)
    target = np.array(to_rgb(color)) * 255
    return int((np.linalg.norm(region - target, axis=-1) < tol).sum())


def test_aircraft_markers_are_where_the_legs_put_them(two_jets) -> None:
    result, scenario = two_jets
    anim = replay.replay(result, scenario, start_s=60, end_s=240, step_s=60, width=WIDTH)
    legs = _legs(result)
    blue, red = figures.SIDE_COLORS["coalition"], figures.SIDE_COLORS["russia"]
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
    color = figures.category_colors([c.name for c in result.categories])[enc.category]
    at_cpa = replay.replay(
        result, scenario, start_s=enc.t_cpa_s, end_s=enc.t_cpa_s + 60, width=WIDTH
    )
    rgba = at_cpa.frame_rgba(0)
    row, col = _pixel(at_cpa, enc.x_m, enc.y_m, rgba.shape[0])
    assert _near(rgba, row, col, color, radius=16)
    assert _count_in_map(at_cpa, rgba, color) > 20
    before = replay.replay(result, scenario, start_s=0, end_s=60, width=WIDTH)
    assert _count_in_map(before, before.frame_rgba(0), color) == 0
    long_after = replay.replay(
        result, scenario, start_s=enc.t_end_s + 900, end_s=enc.t_end_s + 960, width=WIDTH
    )
    assert _count_in_map(long_after, long_after.frame_rgba(0), color) == 0


def test_tracks_match_leg_positions(two_jets) -> None:
    result, _ = two_jets
    tracks = replay.Tracks.from_result(result)
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
    anim = replay.replay(
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
        assert _near(rgba, row, col, figures.SIDE_COLORS["russia"])
    labels = [t.get_text() for t in anim.map_ax.texts if t.get_visible()]
    assert "RU-Su30" in labels
    with pytest.raises(replay.ReplayError, match="no aircraft 'nobody'"):
        replay.replay(result, follow="nobody")


def test_notified_area_shows_only_while_active(two_jets) -> None:
    result, _ = two_jets
    x, y = _legs(result)["US-F16"].position_at(1800)[:2]
    events = (
        Event(
            100.0,
            "notification_sent",
            "russia",
            "RU-Su30",
            "",
            f"x_m={x};y_m={y};radius_m=20000;from_s=600;to_s=900",
        ),
        Event(100.0, "notification_sent", "russia", "RU-X", "", "strike=RU-X"),  # no area
        Event(120.0, "hotline_request", "russia", "RU-Su30", "", "call=1"),
    )
    run = dataclasses.replace(result, events=events)
    anim = replay.replay(run, start_s=300, end_s=1500, step_s=300, width=WIDTH)
    seen = [
        _count_in_map(anim, anim.frame_rgba(i), figures.NOTIFIED, tol=12) > 30
        for i in range(len(anim))
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
    assert replay.parse_window("09:10", "09:20", start, 3600) == (600.0, 1200.0)
    assert replay.parse_window("+00:05", None, start, 3600) == (300.0, 3600.0)
    assert replay.parse_window(None, "11:00", start, 3600) == (0.0, 3600.0)
    assert replay.parse_window("23:30", "00:30", "2015-11-17T00:00:00Z", 86400) == (
        84600.0,
        86400.0,
    )
    for bad in ("8:61", "noon", "24:00"):
        with pytest.raises(replay.ReplayError, match="--from"):
            replay.parse_window(bad, None, start, 3600)
    with pytest.raises(replay.ReplayError, match="after the end of the run"):
        replay.parse_window("08:00", None, start, 3600)
    assert replay.frame_times(600, 1200, 60).size == 10


def test_each_format_opens_with_every_frame(two_jets, tmp_path: Path) -> None:
    result, scenario = two_jets
    anim = replay.replay(result, scenario, start_s=0, end_s=300, step_s=60, width=640)
    n = len(anim)
    assert n == 5
    ticks: list[float] = []
    gif = replay.save(anim, tmp_path / "r.gif", progress=ticks.append)
    assert ticks[-1] == pytest.approx(1.0) and len(ticks) == n
    with Image.open(gif) as im:
        assert im.n_frames == n and im.size == (640, 360)
    mp4 = replay.save(anim, tmp_path / "r.mp4")
    reader = imageio_ffmpeg.read_frames(str(mp4))
    meta = next(reader)
    assert tuple(meta["size"]) == (640, 360)
    assert sum(1 for _ in reader) == n
    html = replay.save(anim, tmp_path / "r.html").read_text()
    assert len(re.findall(r"data:image/png;base64,", html)) == n
    assert "<script" in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.gif", "r.html", "r.mp4"]
    with pytest.raises(replay.ReplayError, match="unknown replay format"):
        replay.save(anim, tmp_path / "r.avi")


def test_interrupted_save_leaves_nothing(two_jets, tmp_path: Path) -> None:
    result, _ = two_jets
    anim = replay.replay(result, start_s=0, end_s=600, step_s=60, width=320)

    def stop(frac: float) -> None:
        if frac > 0.3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        replay.save(anim, tmp_path / "r.gif", progress=stop)
    assert list(tmp_path.iterdir()) == []


def test_notebook_display_is_a_player_or_a_video(two_jets) -> None:
    import matplotlib as mpl

    result, _ = two_jets
    anim = replay.replay(result, start_s=0, end_s=120, width=320)
    html = anim._repr_html_()
    assert "<script" in html and html.count("data:image/png;base64,") == 2
    with mpl.rc_context({"animation.html": "html5"}):
        video = replay.replay(result, start_s=0, end_s=120, width=320)._repr_html_()
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
        Event(t, k, "russia")
        for t, k in (
            (10, "hotline_request"),
            (20, "hotline_request"),
            (30, "hotline_answer"),
            (40, "hotline_end"),
            (50, "hotline_answer"),
            (60, "hotline_end"),
        )
    ]
    t, busy, queued = figures.hotline_load(events)
    assert t.tolist() == [10, 20, 30, 40, 50, 60]
    assert busy.tolist() == [0, 0, 1, 0, 1, 0]
    assert queued.tolist() == [1, 2, 1, 1, 0, 0]
    assert figures.hotline_load([])[0].size == 0
