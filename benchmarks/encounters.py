"""Time the exact encounter detector against a time-stepped all-pairs check.

Random traffic: N aircraft airborne for one simulated hour, each flying consecutive straight
legs of 2-15 minutes at 100-300 m/s in a few altitude bands (some legs climb or descend to
another band), at fixed density: the square grows with N. The same legs go to

- ``Detector`` (``pairs="all"``), fed leg by leg in time order, then ``finish()``;
- the time-stepped way (state-based detection as in BlueSky): every ``dt`` = 1 s, all pairs'
  horizontal and vertical separations with vectorised numpy, in row chunks.

For each size it prints both times, their ratio, the recall (stepped encounters the detector
also reports; must be 100 %) and how many detector encounters the stepped check never sees.
For large N the stepped check is timed on a block of steps and extrapolated to the hour
(printed as such).

Usage::

    python benchmarks/encounters.py                 # sizes 100, 1000, 3000
    python benchmarks/encounters.py --sizes 100 1000
    python benchmarks/encounters.py --quick         # small sizes, a few seconds
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.encounters import DEFAULT_CATEGORIES, Detector, Leg, outermost  # noqa: E402

HOUR_S = 3600.0
KM2_PER_AIRCRAFT = 400.0
"""Fixed traffic density: one aircraft per 400 km^2 (a 200 km square holds 100)."""
BANDS_M = np.array([6000.0, 7500.0, 9000.0, 10500.0])
CLIMB_PROBABILITY = 0.2


@dataclass
class Traffic:
    """Legs of every aircraft, and the same legs as padded arrays for stepping."""

    legs: list[tuple[int, Leg]]
    side: float
    t0: np.ndarray
    t1: np.ndarray
    start: np.ndarray
    vel: np.ndarray
    n_legs: np.ndarray


def make_traffic(n: int, seed: int) -> Traffic:
    """N aircraft airborne for the hour, legs chained end to start, inside a square."""
    rng = np.random.default_rng(seed)
    side = float(np.sqrt(n * KM2_PER_AIRCRAFT)) * 1000.0
    per_aircraft: list[list[Leg]] = []
    for _ in range(n):
        x, y = rng.uniform(0, side, 2)
        z = float(rng.choice(BANDS_M))
        t = 0.0
        legs = []
        while t < HOUR_S:
            dur = float(rng.uniform(120.0, 900.0))
            speed = float(rng.uniform(100.0, 300.0))
            heading = rng.uniform(0, 2 * np.pi)
            x1, y1 = x + speed * dur * np.cos(heading), y + speed * dur * np.sin(heading)
            if not (0 <= x1 <= side and 0 <= y1 <= side):
                tx, ty = rng.uniform(0, side, 2)
                heading = np.arctan2(ty - y, tx - x)
                x1, y1 = x + speed * dur * np.cos(heading), y + speed * dur * np.sin(heading)
            z1 = float(rng.choice(BANDS_M)) if rng.random() < CLIMB_PROBABILITY else z
            legs.append(Leg(t, t + dur, x, y, z, float(x1), float(y1), z1))
            t, x, y, z = t + dur, float(x1), float(y1), z1
        per_aircraft.append(legs)
    k = max(len(legs) for legs in per_aircraft)
    t0 = np.full((n, k), np.inf)
    t1 = np.full((n, k), np.inf)
    start = np.zeros((n, k, 3))
    vel = np.zeros((n, k, 3))
    for a, legs in enumerate(per_aircraft):
        for j, leg in enumerate(legs):
            t0[a, j], t1[a, j] = leg.t0_s, leg.t1_s
            start[a, j] = (leg.x0_m, leg.y0_m, leg.z0_m)
            vel[a, j] = leg.velocity()
    flat = [(a, leg) for a, legs in enumerate(per_aircraft) for leg in legs]
    flat.sort(key=lambda e: (e[1].t0_s, e[0]))
    n_legs = np.array([len(legs) for legs in per_aircraft])
    return Traffic(flat, side, t0, t1, start, vel, n_legs)


def run_detector(traffic: Traffic, n: int) -> tuple[float, list]:
    """Feed the legs in time order, land everyone at the hour; (seconds, encounters)."""
    t = time.perf_counter()
    det = Detector(DEFAULT_CATEGORIES, pairs="all")
    for a, leg in traffic.legs:
        det.add_leg(f"A{a:05d}", "blue", leg)
    for a in range(n):
        det.end_flight(f"A{a:05d}", HOUR_S)
    encounters = det.finish()
    return time.perf_counter() - t, encounters


def run_stepped(
    traffic: Traffic, n: int, steps: np.ndarray, chunk: int = 64
) -> tuple[float, np.ndarray]:
    """All-pairs check at each time in ``steps``; (seconds, rows of (i, j, step time))."""
    cat = DEFAULT_CATEGORIES[outermost(DEFAULT_CATEGORIES)]
    r2, h = cat.radius_m**2, cat.half_height_m
    found = []
    t_start = time.perf_counter()
    idx = np.zeros(n, dtype=np.int64)
    rows = np.arange(n)
    for t in steps:
        while True:
            done = (traffic.t1[rows, idx] <= t) & (idx < traffic.n_legs - 1)
            if not done.any():
                break
            idx[done] += 1
        dt = t - traffic.t0[rows, idx]
        pos = traffic.start[rows, idx] + traffic.vel[rows, idx] * dt[:, None]
        x, y, z = pos[:, 0], pos[:, 1], pos[:, 2]
        for i0 in range(0, n, chunk):
            i1 = min(n, i0 + chunk)
            dx = x[i0:i1, None] - x[None, i0:]
            dy = y[i0:i1, None] - y[None, i0:]
            d2 = dx * dx
            d2 += dy * dy
            inside = d2 < r2
            inside &= np.abs(z[i0:i1, None] - z[None, i0:]) < h
            ii, jj = np.nonzero(inside)
            ii += i0
            jj += i0
            upper = jj > ii
            if upper.any():
                found.append(np.stack([ii[upper], jj[upper], np.full(upper.sum(), t)], axis=1))
    elapsed = time.perf_counter() - t_start
    samples = np.concatenate(found) if found else np.zeros((0, 3))
    return elapsed, samples


def compare(samples: np.ndarray, encounters: list, window: tuple[float, float]) -> dict:
    """Recall of stepped encounters (runs of consecutive inside samples) and detector misses."""
    intervals: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for e in encounters:
        key = (int(e.a_id[1:]), int(e.b_id[1:]))
        intervals.setdefault(key, []).append((e.t_start_s, e.t_end_s))
    order = np.lexsort((samples[:, 2], samples[:, 1], samples[:, 0]))
    s = samples[order]
    new_run = np.ones(len(s), dtype=bool)
    if len(s) > 1:
        same = (s[1:, 0] == s[:-1, 0]) & (s[1:, 1] == s[:-1, 1]) & (s[1:, 2] - s[:-1, 2] == 1)
        new_run[1:] = ~same
    run_id = np.cumsum(new_run) - 1
    covered = np.zeros(len(s), dtype=bool)
    seen: set[tuple[int, tuple[float, float]]] = set()
    for k, (i, j, t) in enumerate(s.tolist()):
        for lo, hi in intervals.get((int(i), int(j)), ()):
            if lo <= t <= hi:
                covered[k] = True
                seen.add((int(i) * 100000 + int(j), (lo, hi)))
                break
    n_runs = int(run_id[-1]) + 1 if len(s) else 0
    uncovered = np.bincount(run_id, weights=~covered, minlength=n_runs)
    runs_found = int((uncovered == 0).sum())
    in_window = [e for e in encounters if e.t_start_s >= window[0] and e.t_end_s <= window[1]]
    missed = sum(
        (int(e.a_id[1:]) * 100000 + int(e.b_id[1:]), (e.t_start_s, e.t_end_s)) not in seen
        for e in in_window
    )
    return {"stepped": n_runs, "found": runs_found, "missed": missed, "in_window": len(in_window)}


DETECTOR_RUNS = 3
"""The detector is timed this many times and the best kept (it takes well under a second)."""


def bench(n: int, seed: int, sample_steps: int | None) -> dict:
    """Time both methods for N aircraft; the stepped one on a block of steps if asked."""
    traffic = make_traffic(n, seed)
    runs = [run_detector(traffic, n) for _ in range(DETECTOR_RUNS)]
    t_det, encounters = min(t for t, _ in runs), runs[0][1]
    all_steps = np.arange(0.0, HOUR_S + 1.0)
    if sample_steps is None or sample_steps >= len(all_steps):
        steps, scale = all_steps, 1.0
    else:
        first = (len(all_steps) - sample_steps) // 2
        steps = all_steps[first : first + sample_steps]
        scale = len(all_steps) / sample_steps
    t_step, samples = run_stepped(traffic, n, steps)
    stats = compare(samples, encounters, (float(steps[0]), float(steps[-1])))
    return {
        "n": n,
        "legs": len(traffic.legs),
        "encounters": len(encounters),
        "detector_s": t_det,
        "stepped_s": t_step * scale,
        "stepped_sampled": scale != 1.0,
        "steps_timed": len(steps),
        **stats,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 3000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--sample-steps",
        type=int,
        default=None,
        help="time the stepped check on this many steps and extrapolate "
        "(default: all 3,601 steps below 2,000 aircraft, 300 from 2,000 on)",
    )
    parser.add_argument("--quick", action="store_true", help="sizes 100 and 300, 300 steps")
    args = parser.parse_args(argv)
    sizes = [100, 300] if args.quick else args.sizes
    print(
        f"{'N':>6} {'legs':>7} {'enc':>6} {'detector s':>11} {'stepped s':>10} "
        f"{'ratio':>7} {'recall':>8} {'missed by stepped':>18} {'det us/leg':>11}"
    )
    for n in sizes:
        sample = args.sample_steps
        if sample is None and (args.quick or n >= 2000):
            sample = 300
        r = bench(n, args.seed, sample)
        recall = 100.0 * r["found"] / r["stepped"] if r["stepped"] else 100.0
        note = (
            f"  (stepped: {r['steps_timed']} steps timed, extrapolated to 3,601)"
            if r["stepped_sampled"]
            else ""
        )
        missed = f"{r['missed']}/{r['in_window']}"
        print(
            f"{n:>6} {r['legs']:>7} {r['encounters']:>6} {r['detector_s']:>11.3f} "
            f"{r['stepped_s']:>10.2f} {r['stepped_s'] / r['detector_s']:>6.0f}x "
            f"{recall:>7.1f}% {missed:>18} {1e6 * r['detector_s'] / r['legs']:>11.1f}{note}",
            flush=True,
        )


if __name__ == "__main__":
    main()
