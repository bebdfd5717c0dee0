"""Replay rendering: a whole day to MP4 and one hour to GIF.

Simulates the default day (``scenarios/mou-2015.toml``, its protocol unless ``--set``
changes it), then renders a 24-hour replay at one frame per simulated minute (1,440 frames)
to MP4 and a one-hour window to GIF. Prints frames per second, the total time against the
2-minute bar and the GIF's size against the 10 MB bar, as ratios (below 1 meets the bar).

    python benchmarks/replay.py
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
