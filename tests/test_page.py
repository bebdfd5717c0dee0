"""The classroom page, driven in headless Chromium with the network blocked.

Every page is served at a made-up address whose only answer is the page itself: any other
request it makes is refused and recorded, and a test fails on any request or console error.
Where the page draws an aircraft is checked against an independent computation: the legs
read back from ``legs.csv``, interpolated here, and placed with the bounds of the map the page
shows.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image
from playwright.sync_api import Page, expect
from typer.testing import CliRunner

from sim.cli import app
from sim.encounters import Leg
from sim.output import read_legs
from sim.viz.style import SIDE_COLORS

URL = "http://replay.invalid/page.html"
"""The page's address in the tests: nothing else answers there."""
MAX_PAGE_BYTES = 15_000_000
MAX_LOAD_S = 10.0
PX_TOL = 0.5
"""How far a marker may stand from where the legs put it, pixels (the page keeps positions to
the metre and times to a tenth of a second: a few metres at most, well under a pixel)."""


@dataclass
class Opened:
    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    load_s: float = 0.0


def _open(page: Page, html: Path) -> Opened:
    """Serve ``html`` at :data:`URL`, refuse every other request, and wait until it is ready."""
    body = html.read_bytes()
    opened = Opened(page)

    def route(r):  # noqa: ANN001 - playwright's Route
        if r.request.url == URL:
            r.fulfill(body=body, content_type="text/html; charset=utf-8")
        else:
            opened.requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(f"page error: {e}"))
    t0 = time.perf_counter()
    page.goto(URL)
    page.wait_for_function("window.replay && window.replay.ready", timeout=MAX_LOAD_S * 1000)
    opened.load_s = time.perf_counter() - t0
    return opened


def _positions(legs: list[tuple[str, Leg]], t: float) -> dict[str, tuple[float, float]]:
    """Where each aircraft airborne at ``t`` is: on its last leg started by then (the legs as
    ``legs.csv`` has them; airborne from its first leg's start to its last leg's end)."""
    by_id: dict[str, list[Leg]] = defaultdict(list)
    for aid, leg in legs:
        by_id[aid].append(leg)
    out = {}
    for aid, mine in by_id.items():
        if not min(g.t0_s for g in mine) <= t <= max(g.t1_s for g in mine):
            continue
        leg = max((g for g in mine if g.t0_s <= t), key=lambda g: g.t0_s)
        x, y, _ = leg.position_at(t)
        out[aid] = (x, y)
    return out


def _to_screen(view: dict, x: float, y: float) -> tuple[float, float]:
    """Pixel of a plane position, from the bounds of the map the page shows."""
    px = (x - view["x0"]) / (view["x1"] - view["x0"]) * view["width"]
    py = (view["y1"] - y) / (view["y1"] - view["y0"]) * view["height"]
    return px, py


def _check_markers(opened: Opened, legs: list[tuple[str, Leg]], t: float) -> int:
    """The page's markers at ``t`` against the legs: the same aircraft, within PX_TOL."""
    page = opened.page
    page.evaluate(f"window.replay.setTime({t})")
    view = page.evaluate("window.replay.view()")
    drawn = {m["id"]: m for m in page.evaluate("window.replay.markers()")}
    expect = _positions(legs, t)
    assert set(drawn) == set(expect), t
    for aid, (x, y) in expect.items():
        px, py = _to_screen(view, x, y)
        m = drawn[aid]
        assert abs(m["px"] - px) < PX_TOL and abs(m["py"] - py) < PX_TOL, (aid, t, m, px, py)
        assert page.evaluate(f"window.replay.project({x}, {y})") == pytest.approx(
            [px, py], abs=1e-6
        )
    return len(expect)


def _near(rgb: np.ndarray, px: float, py: float, color: str, radius: int = 4) -> bool:
    r, c = int(round(py)), int(round(px))
    patch = rgb[max(r - radius, 0) : r + radius + 1, max(c - radius, 0) : c + radius + 1]
    target = np.array(to_rgb(color)) * 255
    return bool((np.linalg.norm(patch.astype(float) - target, axis=-1) < 30).any())


def _encounters(run_dir: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((run_dir / "encounters.csv").read_text())))


# --------------------------------------------------------------------------- pages


@pytest.fixture(scope="module")
def jets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two crossing jets: ``run --out`` and then ``replay RUN_DIR --out page.html``."""
    tmp = tmp_path_factory.mktemp("jets")
    run_dir, html = tmp / "run", tmp / "jets.html"
    runner = CliRunner()
    res = runner.invoke(app, ["run", "scenarios/two-jets.toml", "--out", str(run_dir)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["replay", str(run_dir), "--out", str(html)])
    assert res.exit_code == 0, res.output
    return run_dir, html


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The default day: its run directory, the whole day's page and the first six hours'."""
    tmp = tmp_path_factory.mktemp("day")
    run_dir, whole, six = tmp / "run", tmp / "day.html", tmp / "six.html"
    runner = CliRunner()
    for args in (
        # seed 4: a day of the default scenario with several encounters to click on
        ["run", "scenarios/mou-2015.toml", "--seed", "4", "--out", str(run_dir)],
        ["replay", str(run_dir), "--out", str(whole)],
        ["replay", str(run_dir), "--out", str(six), "--from", "00:00", "--to", "06:00"],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
    return run_dir, whole, six


# --------------------------------------------------------------------------- tests


def test_the_page_stands_alone(jets) -> None:
    """Nothing in the file points outside it: no src/href to another file, no url(), no
    @import, no font to fetch."""
    _, html = jets
    text = html.read_text()
    assert re.findall(r"""(?:src|href)\s*=\s*["'](?!data:|#)""", text) == []
    assert "url(" not in text and "@import" not in text and "@font-face" not in text
    assert "<canvas" in text and "data:image/png" not in text  # vectors, not frames


def test_loads_offline_and_markers_stand_where_the_legs_put_them(page: Page, jets) -> None:
    run_dir, html = jets
    opened = _open(page, html)
    legs = read_legs(run_dir / "legs.csv")
    counts = [_check_markers(opened, legs, t) for t in (10.0, 45.0, 200.0, 256.0, 400.0, 1234.5)]
    assert counts == [1, 2, 2, 2, 2, 0]  # the Su-30 leaves 30 s later; both land by 09:09
    # and the pixels: each jet's colour where the legs put it, not the other's
    t = 200.0
    page.evaluate(f"window.replay.setTime({t})")
    view = page.evaluate("window.replay.view()")
    rgb = np.asarray(Image.open(io.BytesIO(page.locator("#map").screenshot())).convert("RGB"))
    assert rgb.shape[:2] == (round(view["height"]), round(view["width"]))
    where = _positions(legs, t)
    us = _to_screen(view, *where["US-F16"])
    ru = _to_screen(view, *where["RU-Su30"])
    blue, red = SIDE_COLORS["coalition"], SIDE_COLORS["russia"]
    assert _near(rgb, *us, blue) and _near(rgb, *ru, red)
    assert not _near(rgb, *us, red) and not _near(rgb, *ru, blue)
    assert opened.requests == [] and opened.errors == []


def test_encounter_row_moves_the_clock_to_closest_approach(page: Page, day) -> None:
    run_dir, whole, _ = day
    opened = _open(page, whole)
    encounters = _encounters(run_dir)
    assert len(encounters) >= 2
    legs = read_legs(run_dir / "legs.csv")
    rows = page.locator("#encounters tr[data-k]")
    assert rows.count() == len(encounters)
    # the page lists them by closest approach
    order = sorted(range(len(encounters)), key=lambda k: float(encounters[k]["t_cpa_s"]))
    for k in (1, len(encounters) - 1):
        enc = encounters[order[k]]
        rows.nth(k).click()
        assert page.evaluate("window.replay.time()") == pytest.approx(float(enc["t_cpa_s"]))
        assert page.evaluate("window.replay.selectedEncounter()") == k
        assert sorted(page.evaluate("window.replay.highlighted()")) == [enc["a_id"], enc["b_id"]]
        # the list and the selection panel are redrawn on the next animation frame: wait for it
        expect(rows.nth(k)).to_have_class(re.compile(r"\bselected\b"))
        expect(page.locator("#selection")).to_contain_text(enc["a_id"])
        # zoomed in on the pair, the markers still stand where the legs put them
        page.locator("#sel-zoom").click()
        assert page.evaluate("window.replay.view().x1 - window.replay.view().x0") < 200e3
        _check_markers(opened, legs, float(enc["t_cpa_s"]))
        page.keyboard.press("0")
    # next / previous step from closest approach to closest approach
    first = float(encounters[order[0]]["t_cpa_s"])
    page.evaluate(f"window.replay.setTime({first - 60})")
    page.keyboard.press("n")
    assert page.evaluate("window.replay.time()") == pytest.approx(first)
    page.locator("#next-enc").click()
    assert page.evaluate("window.replay.time()") == pytest.approx(
        float(encounters[order[1]]["t_cpa_s"])
    )
    page.keyboard.press("p")
    assert page.evaluate("window.replay.time()") == pytest.approx(first)
    assert opened.requests == [] and opened.errors == []


def test_play_advances_the_clock_and_the_keys_work(page: Page, jets) -> None:
    _, html = jets
    opened = _open(page, html)
    page.evaluate("window.replay.setTime(600)")
    page.locator("#play").click()
    assert page.evaluate("window.replay.playing()")
    page.wait_for_function("window.replay.time() > 630", timeout=10_000)
    page.keyboard.press(" ")
    assert not page.evaluate("window.replay.playing()")
    t = page.evaluate("window.replay.time()")
    page.wait_for_timeout(300)
    assert page.evaluate("window.replay.time()") == t
    slider = page.locator("#slider")
    assert abs(float(slider.input_value()) - t) <= 1
    # arrows step a minute (ten with shift); up and down change the speed
    page.keyboard.press("ArrowRight")
    assert page.evaluate("window.replay.time()") == pytest.approx(t + 60)
    page.keyboard.press("Shift+ArrowLeft")
    assert page.evaluate("window.replay.time()") == pytest.approx(t - 540)
    speed = page.evaluate("window.replay.speed()")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("window.replay.speed()") > speed
    # the slider sets the clock
    slider.fill("1200")
    assert page.evaluate("window.replay.time()") == 1200
    # layers switch off and on, by key and by box
    assert not page.evaluate("window.replay.layers().labels")
    page.keyboard.press("l")
    assert page.evaluate("window.replay.layers().labels")
    page.locator("#layers summary").click()
    page.locator('input[data-layer="trails"]').uncheck()
    assert not page.evaluate("window.replay.layers().trails")
    assert opened.requests == [] and opened.errors == []


def test_hover_and_click_tell_what_an_aircraft_is(page: Page, jets) -> None:
    _, html = jets
    opened = _open(page, html)
    page.evaluate("window.replay.setTime(200)")
    marker = next(m for m in page.evaluate("window.replay.markers()") if m["id"] == "RU-Su30")
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + marker["px"], box["y"] + marker["py"])
    tip = page.locator("#tooltip")
    expect(tip).to_be_visible()  # waits for the hover to be handled
    expect(tip).to_contain_text("RU-Su30")
    text = tip.inner_text()
    for word in ("RU-Su30", "Su-30SM", "Russia", "explicit", "25,600 ft", "480 kt"):
        assert word in text, (word, text)
    page.mouse.click(box["x"] + marker["px"], box["y"] + marker["py"])
    page.wait_for_function("window.replay.highlighted().join() === 'RU-Su30'")
    expect(page.locator("#selection")).to_contain_text("Su-30SM")
    page.keyboard.press("Escape")
    page.wait_for_function("window.replay.highlighted().length === 0")
    assert opened.requests == [] and opened.errors == []


def test_the_default_day_is_small_and_opens_fast(page: Page, day) -> None:
    """The whole default day and six hours of it: sizes, and the whole day opened offline,
    also from the file itself as a user would, without a request or an error."""
    run_dir, whole, six = day
    assert whole.stat().st_size <= MAX_PAGE_BYTES
    assert six.stat().st_size < whole.stat().st_size
    opened = _open(page, whole)
    assert opened.load_s < MAX_LOAD_S
    legs = read_legs(run_dir / "legs.csv")
    seen = sum(_check_markers(opened, legs, t) for t in (3 * 3600.0, 9 * 3600.0 + 17, 20 * 3600.0))
    assert seen > 20
    assert opened.requests == [] and opened.errors == []
    # from file://, as a double click opens it
    requests: list[str] = []
    errors: list[str] = []
    other = page.context.new_page()
    other.on("request", lambda r: requests.append(r.url) if r.url != whole.as_uri() else None)
    other.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    other.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    other.goto(whole.as_uri())
    other.wait_for_function("window.replay && window.replay.ready", timeout=MAX_LOAD_S * 1000)
    assert time.perf_counter() - t0 < MAX_LOAD_S
    assert requests == [] and errors == []


def test_same_run_same_page(jets, tmp_path: Path) -> None:
    run_dir, html = jets
    again = tmp_path / "again.html"
    res = CliRunner().invoke(app, ["replay", str(run_dir), "--out", str(again)])
    assert res.exit_code == 0, res.output
    assert again.read_bytes() == html.read_bytes()


def test_without_a_browser_the_page_tests_say_what_was_tried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No /usr/bin/chromium: apt-get as root on Debian, then Playwright's download; when both
    fail, no path and every attempt named (the fixture then fails the test, never skips)."""
    import subprocess

    import conftest

    calls: list[list[str]] = []

    def refuse(cmd: list[str], **_: object) -> subprocess.CompletedProcess:
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 100, "", "no network")

    monkeypatch.setattr(conftest, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.setattr(conftest, "_is_debian_root", lambda: True)
    monkeypatch.setattr(conftest.subprocess, "run", refuse)
    path, tried = conftest._get_chromium(lambda: "/nonexistent/bundled")
    assert path is None
    assert calls[0] == ["apt-get", "update"]
    assert calls[-1][1:] == ["-m", "playwright", "install", "chromium"]
    assert len(tried) == 2 and all("exited 100: no network" in t for t in tried)
