"""Time one simulated day against the code before the speed-up, in the same run.

Run: python benchmarks/engine.py [--repeat 3] [--scales 1 10] [--baseline REV]

The baseline is the package as it was at commit ``REV`` (default: the last commit before the
protocol machinery was made faster), taken with ``git archive`` into a temporary directory, so
the old path stays callable without living in the package. For the default scenario under
protocol ``none`` and under its own ``mou-2015`` (every mechanism on), at each traffic scale,
old and new take turns in fresh interpreters; each turn simulates the day ``--repeat`` times
(seed 1, after one warm-up run) and keeps the best, as ``wall_s`` is read. Printed: best
times, the speed-up old / new, the cost ratio of the largest scale to scale 1 (bar: 1.2 times
the traffic ratio), the bar of 0.15 s for the default day under its protocol, and whether
old and new gave the same records (a digest of every leg, encounter, event and flight).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "scenarios/mou-2015.toml"
BASELINE = "6d8c1234a0905d532333e874599b0db1cc558d41"
"""The last commit before issue 17's changes (its outputs are tests/data/golden)."""
BAR_DAY_S = 0.15
BAR_GROWTH = 1.2
"""Cost may grow at most this much faster than traffic (10x traffic: at most 12x the time)."""

WORKER = """
import hashlib, json, sys, time
from sim.engine import simulate
from sim.scenario import load
protocol, scale, repeat = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
scen = load("scenarios/mou-2015.toml", {"protocol": protocol, "traffic.scale": scale})
result = simulate(scen, 1)
best = float("inf")
for _ in range(repeat):
    t = time.perf_counter()
    result = simulate(scen, 1)
    best = min(best, time.perf_counter() - t)
records = repr((result.legs, result.encounters, result.events, result.flights))
print(json.dumps({
    "s": best, "legs": len(result.legs), "flights": len(result.flights),
    "encounters": len(result.encounters),
    "digest": hashlib.sha256(records.encode()).hexdigest(),
}))
"""


def baseline_tree(rev: str, into: Path) -> Path:
    """The package, protocols and scenarios as they were at ``rev``, unpacked in ``into``."""
    tar = subprocess.run(
        ["git", "archive", rev, "sim", "protocols", "scenarios"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")
    return into


def measure(tree: Path, protocol: str, scale: float, repeat: int) -> dict:
    """Best of ``repeat`` days in a fresh interpreter running the code in ``tree``."""
    out = subprocess.run(
        [sys.executable, "-c", WORKER, protocol, str(scale), str(repeat)],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def import_time(tree: Path) -> float:
    """Seconds to import the engine in a fresh interpreter (minus the interpreter's start)."""

    def run(code: str) -> float:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=tree, check=True)
        return time.perf_counter() - t

    bare = min(run("pass") for _ in range(3))
    return min(run("import sim.engine, sim.scenario") for _ in range(3)) - bare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="days per turn (best is kept)")
    ap.add_argument("--rounds", type=int, default=1, help="turns of old and new per case")
    ap.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    ap.add_argument("--protocols", nargs="+", default=["none", "mou-2015"])
    ap.add_argument("--baseline", default=BASELINE, help="commit of the old code")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        trees = {"old": baseline_tree(args.baseline, Path(tmp)), "new": ROOT}
        print(f"baseline {args.baseline[:10]}; best of {args.repeat} days, seed 1")
        print(f"import sim.engine: new {import_time(ROOT):.3f} s")
        best: dict[tuple[str, str, float], dict] = {}
        for protocol in args.protocols:
            for scale in args.scales:
                for _ in range(args.rounds):
                    for name, tree in trees.items():
                        got = measure(tree, protocol, scale, args.repeat)
                        key = (name, protocol, scale)
                        if key not in best or got["s"] < best[key]["s"]:
                            best[key] = got
                report(best, protocol, scale)
            growth(best, protocol, args.scales)


def report(best: dict, protocol: str, scale: float) -> None:
    """One line per case: old, new, speed-up, same records."""
    old, new = best[("old", protocol, scale)], best[("new", protocol, scale)]
    same = "same records" if old["digest"] == new["digest"] else "RECORDS DIFFER"
    bar = ""
    if protocol != "none" and scale == 1:
        bar = f"; bar {BAR_DAY_S} s {'met' if new['s'] <= BAR_DAY_S else 'NOT met'}"
    print(
        f"{protocol:9s} scale {scale:4g}: old {old['s']:7.3f} s  new {new['s']:7.3f} s  "
        f"speed-up {old['s'] / new['s']:5.2f}  ({new['flights']} flights, {new['legs']} legs, "
        f"{new['encounters']} encounters; {same}{bar})",
        flush=True,
    )


def growth(best: dict, protocol: str, scales: list[float]) -> None:
    """Cost ratio of the largest scale to the smallest, old and new, against the bar."""
    lo, hi = min(scales), max(scales)
    if lo == hi:
        return
    ratios = {n: best[n, protocol, hi]["s"] / best[n, protocol, lo]["s"] for n in ("old", "new")}
    bar = BAR_GROWTH * hi / lo
    verdict = "met" if ratios["new"] <= bar else "NOT met"
    print(
        f"{protocol:9s} cost ratio scale {hi:g} / {lo:g}: old {ratios['old']:.1f}  "
        f"new {ratios['new']:.1f}  (bar {bar:.1f}: {verdict})",
        flush=True,
    )


if __name__ == "__main__":
    main()
