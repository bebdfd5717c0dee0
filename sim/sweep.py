"""Parameter sweeps and paired comparisons: grids × replications on a pool or a Dask cluster.

A sweep runs one scenario at every point of a parameter grid (the cartesian product of the
values of each varied dotted path), ``replications`` times per point. Replication ``r`` runs
on seed ``SeedSequence([scenario.seed, r])`` at every point, so points are compared on common
random numbers. A run is a pure function of (scenario, seed), so the rows do not depend on
the backend that ran them: this process, a local process pool or a Dask cluster.

With an output directory the sweep is resumable: ``DIR/sweep.json`` fingerprints what is being
run (scenario, grid, replications, package version and code), and finished runs are flushed
in chunks to Parquet part files in ``DIR/runs/``; running the same sweep again runs only what
is missing. A row of ``DIR/runs`` holds ``point``, ``replication``, ``seed``, one column per
varied path, then the run's figures (see :func:`flatten_summary`).

The module is callable: ``sim.sweep(...)`` is :func:`sweep`.

Examples
--------
>>> import sim
>>> jets = sim.load_scenario("scenarios/two-jets.toml")
>>> runs = sim.sweep(jets, vary={"duration_h": [0.5, 1]}, replications=2, backend="local")
>>> runs[["point", "replication", "duration_h", "entered_separation"]]
   point  replication  duration_h  entered_separation
0      0            0         0.5                   1
1      0            1         0.5                   1
2      1            0         1.0                   1
3      1            1         1.0                   1
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import json
import math
import multiprocessing
import os
import re
import signal
import sys
import time
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock
    fcntl = None  # type: ignore[assignment]

from sim import __version__
from sim.errors import InputError
from sim.experiments.stats import mean_interval, paired_difference, pooled_rate
from sim.output import atomic_write
from sim.scenario import Scenario, parse_value

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BackendName = Literal["pool", "local", "dask"]
Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` when the sweep starts and after every finished run."""

KEY = ("point", "replication")
MANIFEST = "sweep.json"
FORMAT = 1
_FORM = re.compile(r"^\s*(linspace|range)\s*\((.*)\)\s*$", re.DOTALL)


class SweepError(RuntimeError):
    """A sweep stopped for a reason outside the scenario (a worker died, the cluster went away).

    Finished runs are saved; running the same sweep again resumes it (the CLI says so).
    """


# --------------------------------------------------------------------------- grids and seeds


def replication_seed(base_seed: int, replication: int) -> int:
    """The seed of replication ``replication``: the same at every point of a sweep.

    Examples
    --------
    >>> replication_seed(1, 0) == replication_seed(1, 0) != replication_seed(1, 1)
    True
    """
    return int(np.random.SeedSequence([base_seed, replication]).generate_state(1)[0])


def expand_values(path: str, spec: Any) -> list[Any]:
    """The values of one varied parameter.

    Parameters
    ----------
    path : str
        The dotted path (for messages).
    spec : list, tuple, numpy array, scalar or str
        A sequence of values; a string ``"linspace(a, b, n)"`` (``n`` evenly spaced values,
        ends included) or ``"range(a, b[, step])"`` (Python's range, ``b`` excluded, numbers
        may be fractional); any other string or scalar is one value.

    Examples
    --------
    >>> expand_values("traffic.scale", "linspace(0.5, 2, 4)")
    [0.5, 1.0, 1.5, 2.0]
    >>> expand_values("protocol.notification.lead_time_min", "range(0, 60, 15)")
    [0, 15, 30, 45]
    """
    if isinstance(spec, np.ndarray):
        spec = spec.tolist()
    if isinstance(spec, str):
        m = _FORM.match(spec)
        values = _expand_form(path, m.group(1), m.group(2)) if m else [spec]
    elif isinstance(spec, (list, tuple)):
        values = list(spec)
    else:
        values = [spec]
    if not values:
        raise InputError(f"--vary {path}: no values to vary over")
    return values


def _expand_form(path: str, kind: str, args_text: str) -> list[Any]:
    args = [parse_value(a.strip()) for a in args_text.split(",")]
    usage = "linspace(start, stop, n)" if kind == "linspace" else "range(start, stop[, step])"
    if not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
        raise InputError(f"--vary {path}: {kind}(...) takes numbers: {usage}")
    if kind == "linspace":
        if len(args) != 3 or not isinstance(args[2], int) or args[2] < 1:
            raise InputError(f"--vary {path}: expected {usage} with a whole n >= 1")
        raw = np.linspace(args[0], args[1], args[2]).tolist()
    else:
        if len(args) not in (2, 3) or (len(args) == 3 and args[2] == 0):
            raise InputError(f"--vary {path}: expected {usage} with a non-zero step")
        start, stop, step = args[0], args[1], args[2] if len(args) == 3 else 1
        n = max(0, math.ceil((stop - start) / step - 1e-9))
        raw = [start + i * step for i in range(n)]
    whole = all(isinstance(a, int) for a in args[:2]) and all(float(v).is_integer() for v in raw)
    return [int(v) if whole else float(f"{v:.12g}") for v in raw]


def parse_vary(text: str) -> tuple[str, list[Any]]:
    """Parse ``--vary PATH=V1,V2,...`` (values as TOML) or ``PATH=linspace(...)|range(...)``.

    Commas inside brackets or quotes belong to the value, so arrays can be varied too.

    Examples
    --------
    >>> parse_vary("protocol=none,mou-2015")
    ('protocol', ['none', 'mou-2015'])
    >>> parse_vary("traffic.scale=1, 2.5")
    ('traffic.scale', [1, 2.5])
    """
    if "=" not in text:
        raise InputError(f"--vary {text}: expected PATH=V1,V2,... e.g. traffic.scale=1,2,4")
    path, spec = (s.strip() for s in text.split("=", 1))
    if _FORM.match(spec):
        return path, expand_values(path, spec)
    pieces = _split_top_level(spec)
    if not pieces or any(not p for p in pieces):
        raise InputError(f"--vary {text}: empty value (expected PATH=V1,V2,...)")
    return path, [parse_value(p) for p in pieces]


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets, braces or quotes."""
    out, depth, quote, cur = [], 0, "", []
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur).strip())
    return out


def grid(vary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """All parameter points: the cartesian product, the first path varying slowest.

    Examples
    --------
    >>> grid({"a": [1, 2], "b": ["x", "y"]})
    [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    """
    paths = list(vary)
    values = [expand_values(p, vary[p]) for p in paths]
    return [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*values)]


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class Point:
    """One parameter point: its index, the varied values and the scenario they give."""

    index: int
    values: dict[str, Any]
    scenario: Scenario


@dataclass(frozen=True)
class RunTask:
    """What a worker needs for one run: the resolved scenario (as data) and the seed."""

    point: int
    replication: int
    seed: int
    scenario: Scenario


@dataclass(frozen=True)
class SweepPlan:
    """Validated points × replications, with the identity that fingerprints a store.

    Build it with :func:`plan_sweep` or :func:`plan_compare`.
    """

    kind: str
    points: tuple[Point, ...]
    params: dict[str, str]
    """Varied path -> column kind (``int``, ``float``, ``bool``, ``string`` or ``json``)."""
    replications: int
    base_seed: int
    identity: dict[str, Any] = field(repr=False)
    categories: tuple[str, ...] = ()

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.replications

    @property
    def seeds(self) -> list[int]:
        return [replication_seed(self.base_seed, r) for r in range(self.replications)]

    @property
    def fingerprint(self) -> str:
        text = json.dumps(self.identity, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def tasks(
        self, skip: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset()
    ) -> list[RunTask]:
        """The runs still to do, replication-major so early results cover every point."""
        seeds = self.seeds
        return [
            RunTask(p.index, r, seeds[r], p.scenario)
            for r in range(self.replications)
            for p in self.points
            if (p.index, r) not in skip
        ]

    def row(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """A dataset row: the run's metrics with its point's varied values added."""
        values = self.points[int(metrics["point"])].values
        return {**metrics, **{p: _cell(values[p], kind) for p, kind in self.params.items()}}

    def display_values(self, point: int) -> dict[str, Any]:
        values = self.points[point].values
        return {p: _cell(values[p], kind) for p, kind in self.params.items()}


def _scenario_identity(scenario: Scenario) -> dict[str, Any]:
    """What a run depends on: the resolved scenario without its file path and sweep table."""
    return scenario.model_dump(mode="json", exclude={"path", "sweep"})


def plan_sweep(
    scenario: Scenario, vary: Mapping[str, Any] | None = None, replications: int | None = None
) -> SweepPlan:
    """Validate every point of a sweep before anything runs.

    Parameters
    ----------
    scenario : Scenario
        The base scenario (``--set`` overrides already applied).
    vary : mapping of dotted path to values, optional
        Defaults to the scenario's ``[sweep] vary`` table; see :func:`expand_values`.
    replications : int, optional
        Defaults to the scenario's ``[sweep] replications``.

    Raises
    ------
    InputError
        For any path or value the scenario rejects, for every point at once.
    """
    vary = dict(scenario.sweep.vary if vary is None else vary)
    reps = _check_replications(
        scenario.sweep.replications if replications is None else replications
    )
    _check_paths(vary)
    combos = grid(vary)
    points, problems = [], []
    for i, values in enumerate(combos):
        try:
            points.append(Point(i, values, scenario.with_overrides(values) if values else scenario))
        except InputError as exc:
            problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise InputError(problems)
    identity = {
        "kind": "sweep",
        "scenario": _scenario_identity(scenario),
        "vary": {p: [_jsonable(v) for v in expand_values(p, vary[p])] for p in vary},
        "replications": reps,
        "format": FORMAT,
    }
    return _finish_plan("sweep", points, reps, scenario.seed, identity)


def plan_compare(a: Scenario, b: Scenario, replications: int | None = None) -> SweepPlan:
    """A two-point plan, ``arm`` ``"A"`` and ``"B"``, both on the seeds of ``a``."""
    reps = _check_replications(a.sweep.replications if replications is None else replications)
    points = [Point(0, {"arm": "A"}, a), Point(1, {"arm": "B"}, b)]
    identity = {
        "kind": "compare",
        "a": _scenario_identity(a),
        "b": _scenario_identity(b),
        "base_seed": a.seed,
        "replications": reps,
        "format": FORMAT,
    }
    return _finish_plan("compare", points, reps, a.seed, identity)


def _finish_plan(
    kind: str, points: list[Point], reps: int, base_seed: int, identity: dict[str, Any]
) -> SweepPlan:
    from sim.engine import categories_of

    names = list(points[0].values)
    params = {p: _column_kind([pt.values[p] for pt in points]) for p in names}
    cats: list[str] = []
    for pt in points:
        cats += [c.name for c in categories_of(pt.scenario) if c.name not in cats]
    return SweepPlan(kind, tuple(points), params, reps, base_seed, identity, tuple(cats))


def _check_replications(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"--replications: must be a whole number >= 1, got {n!r}")
    return n


def _check_paths(vary: Mapping[str, Any]) -> None:
    problems = []
    for path in vary:
        if path == "seed":
            problems.append(
                "--vary seed: replications have their own seeds; "
                "set the base seed with --set seed=N instead"
            )
        elif path in _RESERVED or path.startswith(("n_", "entered_", "rate_", "comms_", "effect_")):
            problems.append(f"--vary {path}: clashes with a result column name")
    if problems:
        raise InputError(problems)


_RESERVED = {"point", "replication", "seed", "flights", "missiles", "flight_hours", "wall_s"}


def _column_kind(values: list[Any]) -> str:
    """The Parquet column kind that holds every value of one varied parameter."""
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "float"
    if all(isinstance(v, str) for v in values):
        return "string"
    return "json"


def _cell(value: Any, kind: str) -> Any:
    if kind == "float":
        return float(value)
    if kind == "json":
        return json.dumps(_jsonable(value), sort_keys=True)
    return value


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


# --------------------------------------------------------------------------- one run


def run_task(task: RunTask) -> dict[str, Any]:
    """Run one (point, replication) and return its flat metrics (executed in workers)."""
    from sim.runner import run_scenario

    _, summary = run_scenario(task.scenario, task.seed)
    return {
        "point": task.point,
        "replication": task.replication,
        "seed": task.seed,
        **flatten_summary(summary),
    }


_GROUPS = {
    "encounters": "n_",
    "encounters_entered": "entered_",
    "comms": "comms_",
    "protocol_effects": "effect_",
}
"""Summary tables of figures and their column prefixes; other tables use ``<name>_``."""

_SCALARS = ("flights", "missiles", "flight_hours")


def flatten_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """One run's ``summary.json`` as flat columns.

    ``flights``, ``missiles``, ``flight_hours``; per category ``n_<c>`` (graded),
    ``entered_<c>`` and ``rate_<c>`` (per 1,000 flight hours); ``comms_<name>`` and
    ``effect_<name>`` (what the protocol did); any other table of numbers as
    ``<table>_<name>``; ``wall_s`` last.
    """
    row: dict[str, Any] = {k: summary[k] for k in _SCALARS if k in summary}
    row.update({f"rate_{c}": r["rate"] for c, r in summary["rates_per_1000_fh"].items()})
    for key, table in summary.items():
        if isinstance(table, Mapping) and key != "rates_per_1000_fh":
            prefix = _GROUPS.get(key, f"{key}_")
            row.update({prefix + k: _number(v) for k, v in table.items() if _is_number(v)})
    row["wall_s"] = summary["wall_s"]
    return row


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating))


def _number(v: Any) -> int | float:
    """A plain int (booleans included) or float."""
    return float(v) if isinstance(v, (float, np.floating)) else int(v)


_ARROW = {
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "string": pa.string(),
    "json": pa.string(),
}
_NULL_WHEN_ABSENT = ("n_", "entered_", "rate_")


def run_schema(plan: SweepPlan) -> pa.Schema:
    """The columns every sweep of this plan has: keys, varied parameters, then metrics.

    Figures found in the runs beyond these (see :func:`evolve_schema`) join before
    ``wall_s``, sorted by name.
    """
    from sim.records import EVENT_KINDS

    fields = [("point", pa.int64()), ("replication", pa.int64()), ("seed", pa.int64())]
    fields += [(p, _ARROW[kind]) for p, kind in plan.params.items()]
    fields += [("flights", pa.int64()), ("missiles", pa.int64()), ("flight_hours", pa.float64())]
    for prefix, typ in (("n_", pa.int64()), ("entered_", pa.int64()), ("rate_", pa.float64())):
        fields += [(prefix + c, typ) for c in plan.categories]
    fields += [("comms_" + k, pa.int64()) for k in EVENT_KINDS]
    fields.append(("wall_s", pa.float64()))
    return pa.schema(fields)


def evolve_schema(
    schema: pa.Schema, base: pa.Schema, rows: Sequence[Mapping[str, Any]]
) -> pa.Schema:
    """``schema`` grown to hold ``rows``: new figures added, integer columns widened to float
    when a fractional value arrives. The result depends only on the set of values seen, so
    an interrupted sweep ends with the same columns as an uninterrupted one."""
    types = {f.name: f.type for f in schema}
    for row in rows:
        for name, value in row.items():
            types[name] = _widen(types.get(name), value)
    extra = sorted(n for n in types if n not in base.names)
    names = [n for n in base.names if n != "wall_s"] + extra + ["wall_s"]
    return pa.schema([(n, types[n]) for n in names])


def _widen(current: pa.DataType | None, value: Any) -> pa.DataType:
    """The narrowest of int64 / float64 / string that holds ``current`` and ``value``."""
    if value is None:
        return current or pa.float64()
    if isinstance(value, str) or current == pa.string():
        return pa.string()
    if isinstance(value, float) or current == pa.float64():
        return pa.float64()
    return current or pa.int64()


def to_table(rows: Sequence[Mapping[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows conformed to the schema: an absent figure is 0, an absent category null."""
    cols = {f.name: [r.get(f.name, _absent(f.name)) for r in rows] for f in schema}
    return pa.Table.from_pydict(cols, schema=schema)


def _absent(name: str) -> int | None:
    return None if name.startswith(_NULL_WHEN_ABSENT) or name in _SCALARS else 0


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A saved table with the columns of ``schema``: missing ones filled, types widened."""
    cols = []
    for f in schema:
        if f.name in table.column_names:
            cols.append(table[f.name].cast(f.type))
        else:
            cols.append(pa.array([_absent(f.name)] * table.num_rows, type=f.type))
    return pa.Table.from_arrays(cols, schema=schema)


def _schema_json(schema: pa.Schema) -> list[list[str]]:
    return [[f.name, str(f.type)] for f in schema]


def _schema_from_json(fields: list[list[str]]) -> pa.Schema:
    types = {"int64": pa.int64(), "double": pa.float64(), "string": pa.string(), "bool": pa.bool_()}
    return pa.schema([(name, types[typ]) for name, typ in fields])


# --------------------------------------------------------------------------- backends

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
        context.set_forkserver_preload(["__main__", "sim.runner", "sim.sweep"])
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
def dask_cluster(address: str, workers: int | None = None) -> Iterator[MapFn]:
    """A Dask client: ``"local"`` starts a ``LocalCluster`` for the duration, else connects.

    Remote workers need this package installed (they import ``sim``). A cluster that cannot
    be reached or goes away mid-sweep raises :class:`SweepError`.
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
            yield lambda fn, tasks: _dask_map(client, fn, tasks, 2 * n)
    except (OSError, CancelledError, KilledWorker) as exc:
        raise SweepError(f"Dask cluster {address}: {exc or type(exc).__name__}") from exc
    finally:
        if cluster is not None:
            cluster.close()


@contextmanager
def _workers_ignore_sigint() -> Iterator[None]:
    """Processes started inside inherit an ignored Ctrl-C: this process handles it (saves
    what finished, closes the cluster); the workers are stopped, not interrupted."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _dask_map(
    client: Any, fn: Callable[[RunTask], dict[str, Any]], tasks: Sequence[RunTask], window: int
) -> Iterator[dict[str, Any]]:
    """Keep ``window`` runs submitted; each point's scenario goes to the workers once."""
    from distributed import as_completed

    scattered: dict[int, Any] = {}

    def submit(t: RunTask) -> Any:
        if id(t.scenario) not in scattered:
            scattered[id(t.scenario)] = client.scatter(t.scenario, broadcast=True, hash=False)
        ref = scattered[id(t.scenario)]
        return client.submit(_run_split, fn, t.point, t.replication, t.seed, ref, pure=False)

    todo = iter(tasks)
    running = as_completed([submit(t) for t in itertools.islice(todo, window)])
    try:
        for fut in running:
            result = fut.result()
            fut.release()
            for task in itertools.islice(todo, 1):
                running.add(submit(task))
            yield result
    finally:
        client.cancel(list(running.futures))


def _run_split(
    fn: Callable[[RunTask], dict[str, Any]], point: int, rep: int, seed: int, scenario: Scenario
) -> dict[str, Any]:
    """A run on a Dask worker, the scenario passed separately so it is shipped once."""
    return fn(RunTask(point, rep, seed, scenario))


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


# --------------------------------------------------------------------------- the store


class RunStore:
    """A sweep directory: ``sweep.json`` and a Parquet dataset of finished runs in ``runs/``.

    Every file is written atomically, so an interruption never leaves a part file that looks
    whole but is not. The manifest records the dataset's columns; when runs bring a new
    figure, the manifest is updated first, then the saved parts are rewritten to match (a
    rewrite cut short is finished when the store is next opened).
    """

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.runs = self.out / "runs"
        self.base = pa.schema([])
        self.schema = pa.schema([])
        self._manifest: dict[str, Any] = {}

    @contextmanager
    def session(self, plan: SweepPlan) -> Iterator[RunStore]:
        """Open the store and hold its lock: one sweep process writes to a directory at once."""
        self._open(plan)
        with open(self.out / ".lock", "w") as fh:
            if fcntl is not None:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise InputError(
                        f"{self.out}: another sweep is writing here; wait for it to finish "
                        "or choose a new --out"
                    ) from None
            for stale in self.runs.glob(".part-*.tmp"):  # left by a killed sweep
                stale.unlink(missing_ok=True)
            self._conform_parts()
            yield self

    def _open(self, plan: SweepPlan) -> None:
        """Write the manifest of a new sweep, or check that ``out`` holds this very sweep."""
        path = self.out / MANIFEST
        self.base = run_schema(plan)
        if path.exists():
            manifest = json.loads(path.read_text(encoding="utf-8"))
            self._check(manifest, plan)
            self.schema = _schema_from_json(manifest["columns"])
        elif self.out.exists() and any(self.out.iterdir()):
            raise InputError(
                f"{self.out}: exists and is not a sweep directory "
                "(no sweep.json); choose a new --out"
            )
        else:
            self.schema = self.base
            self._manifest = self._new_manifest(plan)
            self._save_manifest()
        self.runs.mkdir(parents=True, exist_ok=True)

    def _new_manifest(self, plan: SweepPlan) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": plan.kind,
            "fingerprint": plan.fingerprint,
            "version": __version__,
            "code": code_fingerprint(),
            "replications": plan.replications,
            "base_seed": plan.base_seed,
            "params": list(plan.params),
            "points": [
                {"point": p.index, **{k: _jsonable(v) for k, v in p.values.items()}}
                for p in plan.points
            ],
            "scenarios": sorted({p.scenario.name for p in plan.points}),
        }

    def _save_manifest(self) -> None:
        manifest = {**self._manifest, "columns": _schema_json(self.schema)}
        atomic_write(self.out / MANIFEST, json.dumps(manifest, indent=2) + "\n")

    def _check(self, manifest: dict[str, Any], plan: SweepPlan) -> None:
        where = self.out / MANIFEST
        if manifest.get("format") != FORMAT or manifest.get("version") != __version__:
            raise InputError(
                f"{where}: written by deconflict {manifest.get('version')}, this is "
                f"{__version__}; results would not be comparable, choose a new --out"
            )
        if manifest.get("code") != code_fingerprint():
            raise InputError(
                f"{where}: the simulator's code has changed since this sweep started; "
                "results would not be comparable, choose a new --out"
            )
        if manifest.get("fingerprint") != plan.fingerprint:
            raise InputError(
                f"{where}: holds a different {manifest.get('kind', 'sweep')} "
                "(scenario, grid or replications differ); choose a new --out "
                "or re-run it exactly as before to resume"
            )
        self._manifest = {k: v for k, v in manifest.items() if k != "columns"}

    def parts(self) -> list[Path]:
        return sorted(self.runs.glob("part-*.parquet"))

    def done_keys(self) -> set[tuple[int, int]]:
        """The (point, replication) keys already saved."""
        keys: set[tuple[int, int]] = set()
        for part in self.parts():
            t = pq.read_table(part, columns=list(KEY))
            keys.update(zip(t["point"].to_pylist(), t["replication"].to_pylist(), strict=True))
        return keys

    def write(self, rows: Sequence[Mapping[str, Any]]) -> Path:
        """Save finished runs as the next part file (atomically), growing the columns first
        if the rows bring new ones."""
        grown = evolve_schema(self.schema, self.base, rows)
        if not grown.equals(self.schema):
            self.schema = grown
            self._save_manifest()
            self._conform_parts()
        parts = self.parts()
        n = int(parts[-1].stem.split("-")[1]) + 1 if parts else 0
        path = self.runs / f"part-{n:06d}.parquet"
        _write_parquet(path, to_table(rows, self.schema))
        return path

    def _conform_parts(self) -> None:
        for part in self.parts():
            table = pq.read_table(part)
            if not table.schema.equals(self.schema, check_metadata=False):
                _write_parquet(part, conform(table, self.schema))

    def read(self) -> pd.DataFrame:
        """Every saved run, sorted by (point, replication)."""
        if not self.parts():
            return tidy(self.schema.empty_table().to_pandas())
        return tidy(pd.read_parquet(self.runs))


def _write_parquet(path: Path, table: pa.Table) -> None:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    atomic_write(path, sink.getvalue().to_pybytes())


def code_fingerprint() -> str:
    """A hash of the package's files (code and data): runs depend on them as on the scenario."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def tidy(runs: pd.DataFrame) -> pd.DataFrame:
    """Sort by (point, replication), drop repeated keys, renumber the index."""
    runs = runs.drop_duplicates(list(KEY)).sort_values(list(KEY), kind="stable")
    return runs.reset_index(drop=True)


# --------------------------------------------------------------------------- executing


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
    whatever finished when an exception stops the sweep), else keep them."""
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


# --------------------------------------------------------------------------- summaries


def summarize_points(runs: pd.DataFrame, plan: SweepPlan, level: float = 0.95) -> pd.DataFrame:
    """Per point: varied values, ``n``, and per category the mean rate with its t-interval
    (between replications) and the pooled rate with its exact Poisson interval.

    Columns per category ``c``: ``mean_rate_c``, ``mean_rate_c_ci_low``,
    ``mean_rate_c_ci_high``, ``pooled_rate_c``, ``pooled_rate_c_ci_low``,
    ``pooled_rate_c_ci_high`` and ``entered_c`` (total count).
    """
    out = []
    for point in plan.points:
        sub = runs[runs["point"] == point.index]
        row: dict[str, Any] = {
            "point": point.index,
            **plan.display_values(point.index),
            "n": len(sub),
            "flight_hours": float(sub["flight_hours"].sum()),
        }
        for c in plan.categories:
            row.update(_category_summary(sub, c, level))
        out.append(row)
    return pd.DataFrame(out)


def _category_summary(sub: pd.DataFrame, c: str, level: float) -> dict[str, Any]:
    mean = mean_interval(sub[f"rate_{c}"].to_numpy(dtype=float), level)
    pooled = pooled_rate(
        sub[f"entered_{c}"].to_numpy(dtype=float),
        sub["flight_hours"].to_numpy(dtype=float),
        level=level,
    )
    return {
        f"mean_rate_{c}": mean.mean,
        f"mean_rate_{c}_ci_low": mean.low,
        f"mean_rate_{c}_ci_high": mean.high,
        f"pooled_rate_{c}": pooled.mean,
        f"pooled_rate_{c}_ci_low": pooled.low,
        f"pooled_rate_{c}_ci_high": pooled.high,
        f"entered_{c}": int(sub[f"entered_{c}"].sum()),
    }


def write_summary(summary: pd.DataFrame, out: str | Path) -> Path:
    """``DIR/summary.csv`` (atomically)."""
    path = Path(out) / "summary.csv"
    atomic_write(path, summary.to_csv(index=False, lineterminator="\n"))
    return path


def write_plots(summary: pd.DataFrame, plan: SweepPlan, out: str | Path) -> list[Path]:
    """``DIR/plots/rate_vs_<path>.png|svg``: a figure per varied path, a panel per category:
    mean rate with its t-interval band (lines) and the pooled rate (crosses).

    Without varied paths, ``rates.png|svg`` shows each category's rate at the one point.
    """
    plots = Path(out) / "plots"
    if plan.params:
        figures = {f"rate_vs_{_file_safe(p)}": _param_figure(summary, plan, p) for p in plan.params}
    else:
        figures = {"rates": _bars_figure(summary, plan)}
    paths = []
    for name, fig in figures.items():
        for fmt in ("png", "svg"):
            buf = io.BytesIO()
            meta = {"Date": None} if fmt == "svg" else {}
            fig.savefig(buf, format=fmt, dpi=120, metadata=meta)
            atomic_write(plots / f"{name}.{fmt}", buf.getvalue())
            paths.append(plots / f"{name}.{fmt}")
    return paths


def _file_safe(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", path).strip("_")


def _param_figure(summary: pd.DataFrame, plan: SweepPlan, param: str) -> Figure:
    """Rate against one varied path; one line per combination of the other varied paths."""
    from matplotlib.figure import Figure

    cats = plan.categories
    fig = Figure(figsize=(4.2 * len(cats), 3.6), layout="constrained")
    axes = fig.subplots(1, len(cats), squeeze=False)[0]
    numeric = plan.params[param] in ("int", "float")
    levels = list(dict.fromkeys(summary[param]))
    others = [q for q in plan.params if q != param]
    groups = list(summary.groupby(others, sort=False)) if others else [((), summary)]
    for ax, c in zip(axes, cats, strict=True):
        for key, g in groups:
            g = g.assign(_x=g[param] if numeric else [levels.index(v) for v in g[param]])
            g = g.sort_values("_x")
            label = ", ".join(f"{q}={v}" for q, v in zip(others, key, strict=True)) or None
            (line,) = ax.plot(g["_x"], g[f"mean_rate_{c}"], marker="o", label=label)
            ax.fill_between(
                g["_x"],
                g[f"mean_rate_{c}_ci_low"],
                g[f"mean_rate_{c}_ci_high"],
                color=line.get_color(),
                alpha=0.2,
                linewidth=0,
            )
            ax.plot(g["_x"], g[f"pooled_rate_{c}"], "x", color=line.get_color())
        if not numeric:
            ax.set_xticks(range(len(levels)), [str(v) for v in levels])
        ax.set_ylim(bottom=0)  # rates are not negative; the t-interval may reach below 0
        ax.set_title(c)
        ax.set_xlabel(param)
        ax.set_ylabel("rate per 1,000 flight hours")
    if others:
        axes[-1].legend(fontsize="small")
    fig.suptitle(_caption(plan), fontsize="medium")
    return fig


def _bars_figure(summary: pd.DataFrame, plan: SweepPlan) -> Figure:
    """Each category's rate at the single point of a sweep without varied paths."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0, 3.6), layout="constrained")
    ax = fig.subplots()
    row = summary.iloc[0]
    x = np.arange(len(plan.categories))
    mean = np.array([row[f"mean_rate_{c}"] for c in plan.categories], dtype=float)
    low = np.array([row[f"mean_rate_{c}_ci_low"] for c in plan.categories], dtype=float)
    high = np.array([row[f"mean_rate_{c}_ci_high"] for c in plan.categories], dtype=float)
    ax.bar(x, mean, yerr=np.vstack([mean - low, high - mean]), capsize=4, alpha=0.7)
    ax.plot(x, [row[f"pooled_rate_{c}"] for c in plan.categories], "kx", label="pooled")
    ax.set_xticks(x, list(plan.categories))
    ax.set_ylabel("rate per 1,000 flight hours")
    ax.legend(fontsize="small")
    fig.suptitle(_caption(plan), fontsize="medium")
    return fig


def _caption(plan: SweepPlan) -> str:
    names = ", ".join(sorted({p.scenario.name for p in plan.points}))
    return (
        f"{names}: mean of {plan.replications} replications with 95 % t-interval; x = pooled rate"
    )


# --------------------------------------------------------------------------- comparisons


def compare_report(runs: pd.DataFrame, plan: SweepPlan, level: float = 0.95) -> dict[str, Any]:
    """Paired differences B − A per category, of the rate and of the count entered.

    ``significant`` is true when the ``level`` interval of the mean difference excludes 0.
    """
    a = runs[runs["point"] == 0].sort_values("replication")
    b = runs[runs["point"] == 1].sort_values("replication")
    if a["replication"].tolist() != b["replication"].tolist():
        raise ValueError("compare: the two arms do not have the same replications")
    cats = {}
    for c in plan.categories:
        rate = paired_difference(a[f"rate_{c}"], b[f"rate_{c}"], level)
        count = paired_difference(a[f"entered_{c}"], b[f"entered_{c}"], level)
        cats[c] = {
            **_diff_fields(rate.as_dict()),
            "counts": {
                **_diff_fields(count.as_dict()),
                "total_a": int(a[f"entered_{c}"].sum()),
                "total_b": int(b[f"entered_{c}"].sum()),
            },
        }
    return {
        "a": _describe(plan.points[0].scenario),
        "b": _describe(plan.points[1].scenario),
        "replications": plan.replications,
        "level": level,
        "seeds": plan.seeds,
        "flight_hours": {
            "mean_a": float(a["flight_hours"].mean()),
            "mean_b": float(b["flight_hours"].mean()),
        },
        "categories": cats,
    }


def _diff_fields(d: dict[str, Any]) -> dict[str, Any]:
    renamed = {"low": "ci_low", "high": "ci_high"}
    return {renamed.get(k, k): _finite_or_none(v) for k, v in d.items()}


def _finite_or_none(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _describe(s: Scenario) -> dict[str, Any]:
    return {"scenario": s.name, "protocol": s.protocol.name, "path": s.path, "seed": s.seed}


# --------------------------------------------------------------------------- public API


def _as_scenario(s: Scenario | str | Path) -> Scenario:
    if isinstance(s, Scenario):
        return s
    from sim.scenario import load

    return load(s)


def run_sweep(
    plan: SweepPlan,
    out: str | Path | None = None,
    backend: BackendName = "pool",
    workers: int | None = None,
    cluster: str | None = None,
    progress: Progress | None = None,
) -> SweepOutcome:
    """Execute a plan; with ``out``, also write ``summary.csv`` and ``plots/`` when it is done
    (again only if something new ran or they are missing)."""
    outcome = execute(plan, out, backend, workers, cluster, progress)
    if out is not None and (outcome.ran or not (Path(out) / "summary.csv").exists()):
        summary = summarize_points(outcome.runs, plan)
        write_summary(summary, out)
        write_plots(summary, plan, out)
    return outcome


def sweep(
    scenario: Scenario | str | Path,
    vary: Mapping[str, Any] | None = None,
    replications: int | None = None,
    backend: BackendName = "pool",
    workers: int | None = None,
    cluster: str | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Run a scenario at every point of a grid, ``replications`` times each.

    Parameters
    ----------
    scenario : Scenario or path
        The base scenario.
    vary : mapping, optional
        Dotted path -> values (a list, or ``"linspace(a, b, n)"`` / ``"range(a, b[, step])"``);
        the points are the cartesian product. Defaults to the scenario's ``[sweep] vary``.
    replications : int, optional
        Runs per point, on the seeds ``SeedSequence([scenario.seed, r])`` shared by every
        point. Defaults to the scenario's ``[sweep] replications``.
    backend : {"pool", "local", "dask"}
        A local process pool, this process, or a Dask cluster.
    workers : int, optional
        Pool size (default: the CPU count); for ``cluster="local"``, the number of workers.
    cluster : str, optional
        ``"local"`` (a ``distributed.LocalCluster`` for the duration) or a scheduler address
        such as ``"tcp://host:8786"``; implies the Dask backend.
    out : path, optional
        Save runs to ``out/runs`` as they finish (resumable), then ``out/summary.csv`` and
        ``out/plots``.
    progress : callable, optional
        ``progress(done, total)``, called at the start and after each finished run.

    Returns
    -------
    pandas.DataFrame
        One row per (point, replication), sorted: ``point``, ``replication``, ``seed``, a
        column per varied path, then the run's metrics.

    Raises
    ------
    InputError
        A path or value the scenario rejects (every point is checked before anything runs),
        or an ``out`` holding a different sweep.

    Examples
    --------
    >>> runs = sweep("scenarios/mou-2015.toml", vary={"traffic.scale": [1, 2]},
    ...              replications=5, workers=2)  # doctest: +SKIP
    >>> runs.groupby("traffic.scale")["rate_near_miss"].mean()  # doctest: +SKIP
    """
    plan = plan_sweep(_as_scenario(scenario), vary, replications)
    return run_sweep(plan, out, backend, workers, cluster, progress).runs


def run_compare(
    plan: SweepPlan,
    out: str | Path | None = None,
    backend: BackendName = "pool",
    workers: int | None = None,
    cluster: str | None = None,
    progress: Progress | None = None,
    level: float = 0.95,
) -> tuple[SweepOutcome, dict[str, Any]]:
    """Execute a compare plan; with ``out``, also write ``compare.json``."""
    outcome = execute(plan, out, backend, workers, cluster, progress)
    report = compare_report(outcome.runs, plan, level)
    if out is not None:
        text = json.dumps(report, indent=2, allow_nan=False) + "\n"
        atomic_write(Path(out) / "compare.json", text)
    return outcome, report


def compare(
    a: Scenario | str | Path,
    b: Scenario | str | Path,
    replications: int | None = None,
    backend: BackendName = "pool",
    workers: int | None = None,
    cluster: str | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
    level: float = 0.95,
) -> dict[str, Any]:
    """Run two scenarios on the same seeds and report paired differences B − A.

    A compare is a sweep of two points (``arm`` ``"A"`` and ``"B"``); replication ``r`` of
    both runs on the seed ``SeedSequence([a.seed, r])``.

    Parameters
    ----------
    a, b : Scenario or path
        The baseline and the alternative.
    replications : int, optional
        Defaults to ``a``'s ``[sweep] replications``.
    backend, workers, cluster, out, progress
        As for :func:`sweep`; ``out`` gets ``runs/`` and ``compare.json``.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    dict
        ``categories[c]``: ``mean_a``, ``mean_b``, ``mean_diff`` (B − A rate per 1,000 flight
        hours), ``ci_low``, ``ci_high``, ``p_value``, ``significant``, ``n``, and ``counts``
        (the same for the count entered, plus ``total_a``, ``total_b``).

    Examples
    --------
    >>> from sim.scenario import load
    >>> base = load("scenarios/mou-2015.toml")
    >>> report = compare(base, base.with_overrides({"traffic.scale": 2}),
    ...                  replications=10)  # doctest: +SKIP
    >>> report["categories"]["separation"]["significant"]  # doctest: +SKIP
    True
    """
    plan = plan_compare(_as_scenario(a), _as_scenario(b), replications)
    return run_compare(plan, out, backend, workers, cluster, progress, level)[1]


class _CallableModule(types.ModuleType):
    """``sim.sweep(...)`` calls :func:`sweep`: the module is the public API's ``sweep``."""

    def __call__(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
