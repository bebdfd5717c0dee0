"""Sweep throughput: replications of one scenario on the local pool and on Dask.

Times ``N`` replications of the default day (``scenarios/mou-2015.toml``) on a local process
pool and on a Dask ``LocalCluster`` with the same number of workers, after a warm-up run per
worker (start-up is reported separately). The backends take turns each round, so load from
elsewhere on the machine hits both alike. Prints runs/s, the projected time of 1,000
replications on the pool against the 90 s bar, and the Dask overhead per run against
the 5 % bar, as ratios. The overhead is measured twice: on the scenario's runs (what a user
sees, noisy on a busy machine) and on a fixed 0.2 s CPU-bound task (dispatch cost alone).

    python benchmarks/sweep.py --replications 30 --workers 2
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from typing import Any

from sim import experiments as ex
from sim.scenario import load, parse_assignment

BAR_1000_S = 90.0
BAR_DASK_OVERHEAD = 0.05
BUSY_S = 0.2

Backend = Callable[[], AbstractContextManager[ex.MapFn]]


def busy(task: ex.RunTask) -> dict[str, Any]:
    """A stand-in run: ``BUSY_S`` seconds of pure-Python work, nothing allocated."""
    t, x = time.perf_counter(), 0
    while time.perf_counter() - t < BUSY_S:
        x += 1
    return {"wall_s": time.perf_counter() - t}


def timed_backends(
    backends: dict[str, Backend], jobs: dict[str, tuple[Callable, list[ex.RunTask]]], rounds: int
) -> dict[str, dict[str, Any]]:
    """Start every backend and warm its workers, then time each job on each backend,
    backends taking turns within a round. Returns times per (job, backend)."""
    out: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        maps = {}
        for name, backend in backends.items():
            t0 = time.perf_counter()
            maps[name] = stack.enter_context(backend())
            fn, tasks = jobs["warmup"]
            list(maps[name](fn, tasks))
            out[f"startup/{name}"] = {"s": time.perf_counter() - t0}
        for job, (fn, tasks) in jobs.items():
            if job == "warmup":
                continue
            for _ in range(rounds):
                for name, run_map in maps.items():
                    res = out.setdefault(f"{job}/{name}", {"times": [], "rows": []})
                    t = time.perf_counter()
                    res["rows"] = list(run_map(fn, tasks))
                    res["times"].append(time.perf_counter() - t)
    return out


def serial_run_time(tasks: list[ex.RunTask]) -> float:
    """Mean seconds per run in this process, one after another (no parallelism, no IPC)."""
    t = time.perf_counter()
    for task in tasks:
        ex.run_task(task)
    return (time.perf_counter() - t) / len(tasks)


def overhead_per_run(pool: list[float], dask: list[float], n: int, w: int) -> float:
    """Median over rounds of the extra worker-seconds per run on Dask (rounds are paired)."""
    return statistics.median(d - p for d, p in zip(dask, pool, strict=True)) * w / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="scenarios/mou-2015.toml")
    ap.add_argument("--replications", "-n", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="timed passes per backend")
    ap.add_argument("--serial", type=int, default=6, help="runs timed in-process")
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="PATH=VALUE")
    args = ap.parse_args()

    scen = load(args.scenario, dict(parse_assignment(s) for s in args.sets))
    tasks = ex.plan_sweep(scen, {}, args.replications).tasks()
    warmup = ex.plan_sweep(scen.with_overrides({"seed": scen.seed + 1}), {}, args.workers).tasks()
    w = args.workers
    print(
        f"{scen.name} (protocol {scen.protocol.name}, {scen.duration_h:g} h): "
        f"{len(tasks)} replications, {w} workers, {args.rounds} rounds"
    )
    serial = serial_run_time(tasks[: args.serial])
    backends: dict[str, Backend] = {
        "pool": lambda: ex.process_pool(w),
        "dask": lambda: ex.dask_cluster("local", w),
    }
    jobs = {"warmup": (ex.run_task, warmup), "runs": (ex.run_task, tasks), "busy": (busy, tasks)}
    report(len(tasks), w, serial, timed_backends(backends, jobs, args.rounds))


def report(n: int, w: int, serial: float, res: dict[str, dict[str, Any]]) -> None:
    """Print the figures and the ratios against the bars."""
    pool, dask = res["runs/pool"], res["runs/dask"]
    run_s = sum(r["wall_s"] for r in pool["rows"]) / n  # simulating time per run, in a worker
    pool_rate = n / min(pool["times"])
    start_pool, start_dask = res["startup/pool"]["s"], res["startup/dask"]["s"]
    projected = 1000 / pool_rate + start_pool
    over = overhead_per_run(pool["times"], dask["times"], n, w) / run_s
    dispatch = overhead_per_run(res["busy/pool"]["times"], res["busy/dask"]["times"], n, w)
    pairs = zip(pool["times"], dask["times"], strict=True)
    rows = [
        ("serial, in-process", f"{serial:.3f} s/run"),
        ("simulating, in a pool worker", f"{run_s:.3f} s/run"),
        ("start-up: pool / dask", f"{start_pool:.2f} / {start_dask:.2f} s"),
        ("rounds: pool / dask", ", ".join(f"{p:.2f}/{d:.2f}" for p, d in pairs) + " s"),
        ("pool (best round)", f"{pool_rate:.2f} runs/s"),
        ("dask (best round)", f"{n / min(dask['times']):.2f} runs/s"),
        ("ratio pool speed-up over serial", f"{serial * pool_rate:.2f} (ideal {w})"),
        ("projected 1,000 replications, pool", f"{projected:.1f} s"),
        (
            f"ratio projected / {BAR_1000_S:g} s bar",
            f"{projected / BAR_1000_S:.2f} {_verdict(projected, BAR_1000_S)}",
        ),
        ("dask overhead per run, runs", f"{over * run_s * 1000:.1f} ms"),
        (
            f"ratio to run time, bar {BAR_DASK_OVERHEAD:g}",
            f"{over:.3f} {_verdict(over, BAR_DASK_OVERHEAD)}",
        ),
        (f"dask overhead per run, {BUSY_S:g} s task", f"{dispatch * 1000:.1f} ms"),
        ("ratio to run time", f"{dispatch / run_s:.3f}"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


def _verdict(value: float, bar: float) -> str:
    return "(met)" if value < bar else "(NOT met)"


if __name__ == "__main__":
    main()
