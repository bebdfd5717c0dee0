"""Expected NMACs on the default day: what they cost per run and how much variance they save.

Run: python benchmarks/risk.py [--days 100] [--compare-days 30] [--repeat 5] [--timing-draws 40]

1. Cost: the default day (seed 1) under `none` and under `mou-2015`, simulated with the default
   error model and with every sd set to 0 (no expected counts); the median times, the time of
   ``sim.expected.expected_counts`` alone, and its share of the run.
2. Variance reduction under `--set protocol=none` over ``--days`` seeds: the mean and standard
   deviation of the daily expected NMACs, the relative standard error of the NMAC rate from
   30 days, and the days needed for a +-20 % 95 % interval on the NMAC rate by the estimator
   (``(1.96 cv / 0.2)^2``) and by counting NMACs (Poisson: ``(1.96 / 0.2)^2 / mean per day``);
   the same for the expected NMACs averaged over ``--timing-draws`` re-timings of each day
   (``sim.timing``), with the relative standard error of each 30-day block.
3. The paired comparison of none with the MOU over ``--compare-days`` days: the difference of
   the expected NMAC rate per 1,000 flight hours with its 95 % interval.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

SCENARIO = "scenarios/mou-2015.toml"
NO_ERROR = {
    "uncertainty.lateral_sd_nm": 0,
    "uncertainty.along_track_sd_s": 0,
    "uncertainty.vertical_sd_ft": 0,
}


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def cost(repeat: int) -> None:
    from sim.engine import error_model_of, simulate
    from sim.expected import expected_counts
    from sim.scenario import load

    for protocol in ("none", "mou-2015"):
        with_err = load(SCENARIO, {"protocol": protocol})
        without = with_err.with_overrides(NO_ERROR)
        t_with, result = timed(lambda s=with_err: simulate(s, 1), repeat)
        t_without, _ = timed(lambda s=without: simulate(s, 1), repeat)
        aircraft = {f.id: (f.side, f.type) for f in result.flights}
        model = error_model_of(with_err)
        t_exp, out = timed(
            lambda r=result, a=aircraft, m=model: expected_counts(
                r.legs, a, r.categories, "cross-side", m
            ),
            repeat,
        )
        print(
            f"{protocol:9s}: day {t_with:.3f} s with the error model, {t_without:.3f} s without; "
            f"expected counts {t_exp * 1000:.1f} ms ({out.passes} passes in reach, "
            f"{len(result.legs)} legs) = {t_exp / t_with:.0%} of the run"
        )


def variance(days: int, draws: int) -> None:
    from sim.engine import simulate
    from sim.metrics import flight_hours
    from sim.scenario import load

    s = load(SCENARIO, {"protocol": "none", "uncertainty.timing_draws": draws})
    expected, counted, hours, timing = [], [], [], []
    for seed in range(days):
        r = simulate(s, seed)
        expected.append(r.expected.encounters["nmac"])
        counted.append(sum(e.category == "nmac" for e in r.encounters))
        hours.append(flight_hours(r))
        if r.expected_over_timing is not None:
            timing.append(r.expected_over_timing.encounters["nmac"])
    e = np.array(expected)
    mean, sd = float(e.mean()), float(e.std(ddof=1))
    cv = sd / mean
    rate = e.sum() / sum(hours) * 1000
    print(
        f"none, {days} days: expected NMACs a day {mean:.2e} (sd {sd:.2e}, cv {cv:.2f}); "
        f"rate {rate:.4f} per 1,000 fh; NMACs counted {sum(counted)}"
    )
    print(f"  relative standard error of the rate from 30 days: {cv / math.sqrt(30):.0%}")
    need_est = (1.96 * cv / 0.2) ** 2
    need_count = (1.96 / 0.2) ** 2 / mean
    print(
        f"  days for a +-20 % interval: estimator {need_est:,.0f}, counting {need_count:,.0f} "
        f"({need_count / need_est:.0f} times fewer days)"
    )
    if timing:
        over_timing(np.array(timing), e, draws)


def over_timing(t: np.ndarray, plain: np.ndarray, draws: int) -> None:
    """The same figures for the expected NMACs averaged over re-timed days (``sim.timing``)."""
    cv = float(t.std(ddof=1) / t.mean())
    diff = plain - t
    z = diff.mean() / (diff.std(ddof=1) / math.sqrt(diff.size))
    blocks = [t[k : k + 30] for k in range(0, t.size - 29, 30)]
    rse = [float(b.std(ddof=1) / math.sqrt(30) / b.mean()) for b in blocks]
    print(
        f"  over timing ({draws} re-timings a day): expected NMACs a day {t.mean():.2e} "
        f"(cv {cv:.2f}); paired difference from the plain estimate z = {z:+.2f}"
    )
    print(
        f"  relative standard error from 30 days: {cv / math.sqrt(30):.0%} "
        f"(per 30-day block: {', '.join(f'{x:.0%}' for x in rse)}); days for a +-20 % "
        f"interval {(1.96 * cv / 0.2) ** 2:,.0f}"
    )


def compare(days: int) -> None:
    import sim

    a = sim.load_scenario(SCENARIO, protocol="none")
    b = sim.load_scenario(SCENARIO)
    report = sim.compare(a, b, replications=days, workers=2)
    e = report["categories"]["nmac"]["expected"]
    print(
        f"compare none / mou-2015, {days} paired days: expected NMAC rate per 1,000 fh "
        f"{e['mean_a']:.4f} / {e['mean_b']:.4f}, B - A {e['mean_diff']:+.4f} "
        f"[{e['ci_low']:+.4f}, {e['ci_high']:+.4f}]"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--days", type=int, default=100)
    ap.add_argument("--compare-days", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--timing-draws", type=int, default=40, help="0: skip the over-timing")
    args = ap.parse_args()
    cost(args.repeat)
    variance(args.days, args.timing_draws)
    if args.compare_days:
        compare(args.compare_days)


if __name__ == "__main__":
    main()
