"""Replays: the classroom page for the whole day and six hours; a whole day to MP4 and one
hour to GIF.

Simulates the default day (``scenarios/mou-2015.toml``, its protocol unless ``--set``
changes it), writes the HTML page for the whole day and for its first six hours (size
against the 15 MB bar, and the time to open it offline in headless Chromium against the
10 s bar, when Playwright and ``/usr/bin/chromium`` are there), then renders a 24-hour replay
at one frame per simulated minute (1,440 frames) to MP4 and a one-hour window to GIF. Prints
frames per second, the total time against the 2-minute bar and the GIF's size against the
10 MB bar, as ratios (below 1 meets the bar).

    python benchmarks/replay.py
    python benchmarks/replay.py --page-only
    python benchmarks/replay.py --set protocol=mou-2015 --width 1280
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sim import viz
from sim.engine import simulate
from sim.scenario import load, parse_assignment

BAR_DAY_MP4_S = 120.0
BAR_HOUR_GIF_MB = 10.0
BAR_PAGE_MB = 15.0
BAR_PAGE_LOAD_S = 10.0
CHROMIUM = Path("/usr/bin/chromium")


def load_seconds(path: Path) -> float | None:
    """Seconds for headless Chromium to open the page from its file, offline, until it is
    ready to play (None without Playwright or Chromium)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not CHROMIUM.exists():
        return None
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        page = browser.new_page(viewport={"width": 1400, "height": 860})
        page.route("http*://**", lambda route: route.abort())
        t = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_function("window.replay && window.replay.ready")
        seconds = time.perf_counter() - t
        browser.close()
    return seconds


def pages(result, scenario, out: Path) -> None:  # noqa: ANN001
    for name, end_s in (("day", None), ("six-hours", 6 * 3600.0)):
        t = time.perf_counter()
        page = viz.replay_page(result, scenario, end_s=end_s)
        path = page.save(out / f"{name}.html")
        build_s = time.perf_counter() - t
        mb = page.size_bytes / 1e6
        opened = load_seconds(path)
        load = (
            "not opened (no Playwright or Chromium)"
            if opened is None
            else f"opened in {opened:.2f} s (ratio to the {BAR_PAGE_LOAD_S:.0f} s bar: "
            f"{opened / BAR_PAGE_LOAD_S:.3f})"
        )
        print(
            f"{name} page: built in {build_s:.2f} s, {mb:.2f} MB (ratio to the "
            f"{BAR_PAGE_MB:.0f} MB bar: {mb / BAR_PAGE_MB:.3f}); {load}"
        )


def timed_save(anim: viz.ReplayAnimation, path: Path) -> float:
    """Seconds to render and write every frame of ``anim`` to ``path``."""
    t = time.perf_counter()
    viz.save(anim, path)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="scenarios/mou-2015.toml")
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="PATH=VALUE")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--hour", type=float, default=8.0, help="start hour of the GIF window")
    ap.add_argument("--keep", type=Path, help="keep the files in this directory")
    ap.add_argument("--page-only", action="store_true", help="only the HTML pages")
    args = ap.parse_args()

    scenario = load(args.scenario, dict(parse_assignment(s) for s in args.sets))
    t = time.perf_counter()
    result = simulate(scenario, args.seed)
    sim_s = time.perf_counter() - t
    print(
        f"{scenario.name} (protocol {scenario.protocol.name}, seed {args.seed}): "
        f"{len(result.flights)} flights, {len(result.legs)} legs, "
        f"{len(result.encounters)} encounters, {len(result.events)} events; "
        f"simulated in {sim_s:.1f} s"
    )

    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        pages(result, scenario, out)
        if args.page_only:
            return

        t = time.perf_counter()
        day = viz.replay(result, scenario, step_s=60, width=args.width)
        build_s = time.perf_counter() - t
        render_s = timed_save(day, out / "day.mp4")
        total_s = build_s + render_s
        frames = len(day)
        mp4_mb = (out / "day.mp4").stat().st_size / 1e6
        print(
            f"day MP4: {frames} frames at {args.width} px, built in {build_s:.1f} s, "
            f"rendered in {render_s:.1f} s = {frames / render_s:.1f} frames/s; "
            f"total {total_s:.1f} s, {mp4_mb:.1f} MB; "
            f"ratio to the {BAR_DAY_MP4_S:.0f} s bar: {total_s / BAR_DAY_MP4_S:.2f}"
        )

        start = args.hour * 3600
        hour = viz.replay(
            result, scenario, start_s=start, end_s=start + 3600, step_s=60, width=args.width
        )
        gif_s = timed_save(hour, out / "hour.gif")
        gif_mb = (out / "hour.gif").stat().st_size / 1e6
        print(
            f"hour GIF: {len(hour)} frames in {gif_s:.1f} s, {gif_mb:.2f} MB; "
            f"ratio to the {BAR_HOUR_GIF_MB:.0f} MB bar: {gif_mb / BAR_HOUR_GIF_MB:.2f}"
        )


if __name__ == "__main__":
    main()
