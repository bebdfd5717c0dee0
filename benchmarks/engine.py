"""Time one simulated day: import, load, simulate; and how cost grows with traffic.

Run: python benchmarks/engine.py [--repeat 5]

Prints, for the default scenario under protocol `none` and under its own protocol
(`mou-2015`, every mechanism on), the median time to simulate one day at traffic scale 1 and
10, the ratio of the two (the bar: about 10 or less), and the import and load times apart.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

SCENARIO = "scenarios/mou-2015.toml"


def import_time() -> float:
    """Seconds to import the engine in a fresh interpreter (minus the interpreter's start)."""

    def run(code: str) -> float:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - t

    bare = min(run("pass") for _ in range(3))
    return min(run("import sim.engine, sim.scenario") for _ in range(3)) - bare


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from sim.engine import simulate
    from sim.scenario import load

    print(f"import sim.engine: {import_time():.3f} s")
    load_s, _ = timed(lambda: load(SCENARIO), args.repeat)
    print(f"load + validate {SCENARIO}: {load_s:.3f} s")
    for protocol in ("none", "mou-2015"):
        row = {}
        for scale in (1, 10):
            s = load(SCENARIO, {"protocol": protocol, "traffic.scale": scale})
            sim_s, result = timed(lambda s=s: simulate(s, seed=1), args.repeat)
            row[scale] = sim_s
            print(
                f"protocol {protocol:9s} scale {scale:2d}: {sim_s:7.3f} s "
                f"({len(result.flights)} flights, {len(result.legs)} legs, "
                f"{len(result.encounters)} encounters)"
            )
        print(f"protocol {protocol:9s} cost ratio scale 10 / scale 1: {row[10] / row[1]:.1f}")


if __name__ == "__main__":
    main()
