"""Where runs execute: this process, a local process pool or a Dask cluster.

A backend is a context manager that gives a map function (:data:`MapFn`): it runs tasks and
yields their results as they finish. A run is a pure function of (scenario, seed), so the
rows do not depend on the backend that ran them.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Literal

from sim.errors import InputError
from sim.experiments.plan import RunTask
from sim.scenario import Scenario

BackendName = Literal["pool", "local", "dask"]


class SweepError(RuntimeError):
    """A sweep stopped for a reason outside the scenario (a worker died, the cluster went away).

    Finished runs are saved; running the same sweep again resumes it (the CLI says so).
    """


MapFn = Callable[[Callable[[RunTask], dict[str, Any]], Sequence[RunTask]], Iterator[dict[str, Any]]]
"""A backend: maps the run function over tasks, yielding results as they finish."""


@contextmanager
def in_process() -> Iterator[MapFn]:
    """Run every task here, one after another."""
    yield lambda fn, tasks: map(fn, tasks)


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which saves what finished and stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def process_pool(workers: int) -> Iterator[MapFn]:
    """A local process pool (``forkserver`` where available, else ``spawn``; set locally)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # The fork server imports the run function once; each worker forks from it.
        context.set_forkserver_preload(["__main__", "sim.runner", "sim.experiments.rows"])
    else:
        context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_sigint)
    try:
        yield lambda fn, tasks: _pool_map(pool, fn, tasks, 2 * workers)
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _pool_map(
    pool: ProcessPoolExecutor,
    fn: Callable[[RunTask], dict[str, Any]],
    tasks: Sequence[RunTask],
    window: int,
) -> Iterator[dict[str, Any]]:
    """Keep at most ``window`` runs submitted, so an interruption loses only those."""
    todo = iter(tasks)
    pending: set[Future[dict[str, Any]]] = set()
    while True:
        for task in itertools.islice(todo, window - len(pending)):
            pending.add(pool.submit(fn, task))
        if not pending:
            return
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for fut in done:
            try:
                yield fut.result()
            except BrokenProcessPool as exc:
                raise SweepError("a worker process died") from exc


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel queued runs and end the pool's worker processes (runs in flight are lost)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=5)


_LOCAL_DASK_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.tick.limit": "30s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.nanny.pre-spawn-environ.MALLOC_ARENA_MAX": 1,
    "distributed.scheduler.worker-saturation": "inf",
}
"""For the workers of ``--cluster local``. A run is pure Python holding the GIL in a worker
thread; the worker's sampling profiler, its event loop waking every 20-100 ms and glibc's
per-thread malloc arenas slow it down by a fifth or more. Remote clusters keep their own
configuration (the same settings help there)."""


@contextmanager
def dask_cluster(
    address: str, workers: int | None = None, batch: int | None = None
) -> Iterator[MapFn]:
    """A Dask client: ``"local"`` starts a ``LocalCluster`` for the duration, else connects.

    Runs go to the workers in batches of ``batch`` runs, or by default in batches that
    shrink as the sweep nears its end (:func:`guided_batch`), so the scheduler's share of the
    time stays small and no worker is left waiting on another's last batch. Remote workers
    need this package installed (they import ``sim``). A cluster that cannot be reached or
    goes away mid-sweep raises :class:`SweepError`.
    """
    import logging
    from concurrent.futures import CancelledError

    import dask
    from distributed import Client, KilledWorker, LocalCluster

    cluster = None
    if address == "local":
        with dask.config.set(_LOCAL_DASK_CONFIG), _workers_ignore_sigint():
            cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
    try:
        with Client(cluster if cluster is not None else address, timeout="10s") as client:
            n = workers or max(1, len(client.scheduler_info().get("workers", {})))
            yield lambda fn, tasks: _dask_map(client, fn, tasks, 2 * n, batch, n)
    except (OSError, CancelledError, KilledWorker) as exc:
        raise SweepError(f"Dask cluster {address}: {exc or type(exc).__name__}") from exc
    finally:
        if cluster is not None:
            cluster.close()


@contextmanager
def _workers_ignore_sigint() -> Iterator[None]:
    """Processes started inside inherit an ignored Ctrl-C: this process handles it (saves
    what finished, closes the cluster); the workers are stopped, not interrupted.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


BATCH_MAX = 8
"""At most this many runs go to a Dask worker as one task: with a default day taking 0.1-0.5 s,
eight runs keep the scheduler's share of the time small while an interruption loses only a few
seconds of work per worker."""


def guided_batch(left: int, workers: int) -> int:
    """Runs in the next Dask task (guided self-scheduling): a quarter of what each worker still
    has to do, at most :data:`BATCH_MAX`, at least one, so batches shrink to single runs at
    the end and the workers finish together.

    Examples
    --------
    >>> guided_batch(200, 2), guided_batch(20, 2), guided_batch(7, 2), guided_batch(1, 4)
    (8, 2, 1, 1)
    """
    return max(1, min(BATCH_MAX, left // (4 * max(workers, 1))))


def _dask_map(
    client: Any,
    fn: Callable[[RunTask], dict[str, Any]],
    tasks: Sequence[RunTask],
    window: int,
    batch: int | None = None,
    workers: int = 1,
) -> Iterator[dict[str, Any]]:
    """Keep ``window`` batches (of one point each) submitted: ``batch`` runs each, or by default
    :func:`guided_batch` for ``workers``; each point's scenario goes to the workers once.
    """
    from distributed import as_completed

    scattered: dict[int, Any] = {}

    def submit(group: list[RunTask]) -> Any:
        scenario = group[0].scenario
        if id(scenario) not in scattered:
            scattered[id(scenario)] = client.scatter(scenario, broadcast=True, hash=False)
        keys = [(t.point, t.replication, t.seed) for t in group]
        return client.submit(_run_batch, fn, keys, scattered[id(scenario)], pure=False)

    todo = _batches(tasks, batch, workers)
    running = as_completed([submit(g) for g in itertools.islice(todo, window)])
    try:
        for fut in running:
            results = fut.result()
            fut.release()
            for group in itertools.islice(todo, 1):
                running.add(submit(group))
            yield from results
    finally:
        client.cancel(list(running.futures))


def _batches(tasks: Sequence[RunTask], batch: int | None, workers: int) -> Iterator[list[RunTask]]:
    """Consecutive runs, ``batch`` at a time or by default :func:`guided_batch` of those left,
    cut where the point changes (a batch never spans two points).
    """
    start = 0
    while start < len(tasks):
        end = min(start + (batch or guided_batch(len(tasks) - start, workers)), len(tasks))
        scenario = tasks[start].scenario
        cut = next((i for i in range(start, end) if tasks[i].scenario is not scenario), end)
        yield list(tasks[start:cut])
        start = cut


def _run_batch(
    fn: Callable[[RunTask], dict[str, Any]],
    keys: list[tuple[int, int, int]],
    scenario: Scenario,
) -> list[dict[str, Any]]:
    """Runs on a Dask worker, the scenario passed separately so it is shipped once."""
    return [fn(RunTask(point, rep, seed, scenario)) for point, rep, seed in keys]


def make_backend(
    backend: BackendName = "pool",
    workers: int | None = None,
    cluster: str | None = None,
    n_tasks: int | None = None,
) -> AbstractContextManager[MapFn]:
    """Pick the executor: ``local`` (this process), ``pool`` (processes) or ``dask``.

    A pool of one worker, or a sweep of at most one run, runs in this process.
    """
    _check_backend(backend, workers)
    if backend == "dask" or cluster is not None:
        return dask_cluster(cluster or "local", workers)
    if backend == "local":
        return in_process()
    n = workers or os.cpu_count() or 1
    if n_tasks is not None:
        n = min(n, n_tasks)
    return in_process() if n <= 1 else process_pool(n)


def _check_backend(backend: str, workers: int | None) -> None:
    if backend not in ("pool", "local", "dask"):
        raise InputError(f"backend: expected 'pool', 'local' or 'dask', got {backend!r}")
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise InputError(f"--workers: must be >= 1, got {workers}")
