"""Sweep plans: the values of varied parameters, their grid, and the runs a plan asks for.

A plan is checked in full before anything runs: every point of the grid is resolved into a
scenario, so a bad path or value is reported for every point at once. Replication ``r`` runs
on seed ``SeedSequence([scenario.seed, r])`` at every point, so points are compared on common
random numbers. The plan's identity (scenario, grid, replications) fingerprints the
directory that stores its runs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import InputError
from sim.scenario import Scenario, parse_value

FORMAT = 1
"""The layout of a plan's identity and of a store's manifest; part of every fingerprint."""

_FORM = re.compile(r"^\s*(linspace|range)\s*\((.*)\)\s*$", re.DOTALL)


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


@dataclass(frozen=True)
class GridPoint:
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
    points: tuple[GridPoint, ...]
    params: dict[str, str]
    """Varied path -> column kind (``int``, ``float``, ``bool``, ``string`` or ``json``)."""
    replications: int
    base_seed: int
    identity: dict[str, Any] = field(repr=False)
    categories: tuple[str, ...] = ()

    @property
    def n_runs(self) -> int:
        """Runs in the plan: points times replications."""
        return len(self.points) * self.replications

    @property
    def seeds(self) -> list[int]:
        """The seed of each replication (shared by every point)."""
        return [replication_seed(self.base_seed, r) for r in range(self.replications)]

    @property
    def fingerprint(self) -> str:
        """A hash of what the plan runs (a store refuses the runs of another plan)."""
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
        """The varied values of ``point``, as the columns show them."""
        values = self.points[point].values
        return {p: _cell(values[p], kind) for p, kind in self.params.items()}


def _scenario_identity(scenario: Scenario) -> dict[str, Any]:
    """What a run depends on: the resolved scenario without its file path and the tables of
    experiments (``sweep``, ``sensitivity``).
    """
    return scenario.model_dump(mode="json", exclude={"path", "sweep", "sensitivity"})


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
            points.append(
                GridPoint(i, values, scenario.with_overrides(values) if values else scenario)
            )
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
    points = [GridPoint(0, {"arm": "A"}, a), GridPoint(1, {"arm": "B"}, b)]
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
    kind: str, points: list[GridPoint], reps: int, base_seed: int, identity: dict[str, Any]
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
        elif path in _RESERVED or path.startswith(
            ("n_", "entered_", "rate_", "comms_", "effect_", "expected_", "collision_")
        ):
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


def _as_scenario(s: Scenario | str | Path) -> Scenario:
    if isinstance(s, Scenario):
        return s
    from sim.scenario import load

    return load(s)
