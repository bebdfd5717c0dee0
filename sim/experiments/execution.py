"""Executing a plan: run what is missing on a backend, saving finished runs as they come."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.backends import BackendName, MapFn, _check_backend, make_backend
from sim.experiments.dataset import evolve_schema, run_schema, tidy, to_table
from sim.experiments.plan import RunTask, SweepPlan
from sim.experiments.rows import run_task
from sim.experiments.store import RunStore

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` when the sweep starts and after every finished run."""


@dataclass(frozen=True)
class SweepOutcome:
    """What :func:`execute` did: every run of the plan, and how many ran this time."""

    runs: pd.DataFrame
    ran: int
    already_done: int
    total: int


def execute(
    plan: SweepPlan,
    out: str | Path | None = None,
    backend: BackendName = "pool",
    workers: int | None = None,
    cluster: str | None = None,
    progress: Progress | None = None,
    chunk_rows: int = 32,
    flush_s: float = 2.0,
) -> SweepOutcome:
    """Run what is missing of a plan; with ``out``, save runs as they finish.

    Finished runs are flushed every ``chunk_rows`` runs or ``flush_s`` seconds, and on any
    interruption (Ctrl-C, a dead worker, a lost cluster) before the exception propagates.
    """
    _check_backend(backend, workers)
    backend_for = functools.partial(make_backend, backend, workers, cluster)
    flush = (chunk_rows, flush_s)
    if out is None:
        tasks = plan.tasks()
        rows = _drive(plan, tasks, None, backend_for, progress, 0, flush)
        base = run_schema(plan)
        table = to_table(rows, evolve_schema(base, base, rows))
        return SweepOutcome(tidy(table.to_pandas()), len(tasks), 0, plan.n_runs)
    with RunStore(out).session(plan) as store:
        tasks = plan.tasks(skip=store.done_keys())
        already = plan.n_runs - len(tasks)
        _drive(plan, tasks, store, backend_for, progress, already, flush)
        return SweepOutcome(store.read(), len(tasks), already, plan.n_runs)


def _drive(
    plan: SweepPlan,
    tasks: list[RunTask],
    store: RunStore | None,
    backend_for: Callable[[int], AbstractContextManager[MapFn]],
    progress: Progress | None,
    already: int,
    flush: tuple[int, float],
) -> list[dict[str, Any]]:
    """Feed tasks to the backend; with a store, flush finished rows to it in chunks (and
    whatever finished when an exception stops the sweep), else keep them.
    """
    if progress is not None:
        progress(already, plan.n_runs)
    if not tasks:
        return []
    kept: list[dict[str, Any]] = []
    buffer: list[dict[str, Any]] = []
    last = time.monotonic()
    try:
        with backend_for(len(tasks)) as run_map:
            for i, metrics in enumerate(run_map(run_task, tasks), start=1):
                (buffer if store is not None else kept).append(plan.row(metrics))
                if progress is not None:
                    progress(already + i, plan.n_runs)
                due = len(buffer) >= flush[0] or time.monotonic() - last >= flush[1]
                if store is not None and buffer and due:
                    store.write(buffer)
                    buffer, last = [], time.monotonic()
    finally:
        if store is not None and buffer:
            store.write(buffer)
    return kept
