"""Sequential paired comparisons: add paired days until the difference is known well enough.

``compare --target-halfwidth H --max-replications N`` runs A and B on the same seeds in
batches and stops when the 95 % interval of the difference B − A in one category's rate (the
widest category unless told) is at most ``H`` either side, or when ``N`` paired days have run.

The procedure, fixed in advance:

1. Start with ``n0 = max(start, MIN_REPLICATIONS)`` paired days (``start`` defaults to A's
   ``[sweep] replications``), at most ``N``.
2. After each batch, compute the paired t-interval of the difference over all days so far.
   Stop if its half-width is at most ``H`` (``stopped = "halfwidth"``) or ``n = N``
   (``stopped = "max_replications"``).
3. Otherwise grow to the size the half-width projects (half-width falls as ``1 / sqrt(n)``),
   but by at least a quarter and at most double: ``n <- min(N, clamp(ceil(n (h / H)^2),
   n + ceil(n / 4), 2 n))``; then go to 2.

Replication ``r`` always runs on the seed ``SeedSequence([A's seed, r])``, so the days are
the same whatever the batches; with ``--out`` every finished run is saved, and running the
same command again replays the procedure on the saved days and carries on (on any backend).

Optional stopping: the rule looks at the *width* of the interval, never at the estimate or
its significance. For differences that are normal, width (the sample spread) and estimate
are independent, so the final interval keeps its 95 % coverage. Encounter counts are skewed:
a spread that happens to look small tends to come with a difference that looks small, and
stopping then costs coverage. The minimum of ``MIN_REPLICATIONS`` days and the few looks the
batches make keep the loss small: on simulated over-dispersed daily counts where B removes
some of A's encounters and adds others, the final 95 % interval held the true difference
94-95 % of the time (a test checks at least 93 %); in the extreme where B only ever removes
encounters (every daily difference of one sign) it held it 90-92 % of the time when the
procedure stopped within about 50 days, 94 % by 200. Never stop on significance: to test a
hypothesis, fix the number of days first (see ``replications_needed``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.experiments.backends import BackendName
from sim.experiments.execution import Progress, SweepOutcome, execute
from sim.experiments.plan import plan_compare
from sim.experiments.power import CHANGE
from sim.experiments.report import compare_report
from sim.output import atomic_write
from sim.scenario import Scenario

MIN_REPLICATIONS = 20
"""Paired days before the first look (a spread from fewer is too uncertain to stop on)."""


def next_replications(n: int, halfwidth: float, target: float, max_n: int) -> int | None:
    """The next number of paired days, or None to stop.

    Examples
    --------
    >>> next_replications(10, 4.0, 2.0, 1000)  # projects 40: at most double
    20
    >>> next_replications(20, 2.1, 2.0, 1000)  # projects 23: at least a quarter more
    25
    >>> next_replications(25, 1.9, 2.0, 1000) is None
    True
    """
    if n >= max_n or (math.isfinite(halfwidth) and halfwidth <= target):
        return None
    projected = math.ceil(n * (halfwidth / target) ** 2) if math.isfinite(halfwidth) else 2 * n
    return min(max_n, max(n + math.ceil(n / 4), min(projected, 2 * n)))


def sequential_looks(
    halfwidth_at: Callable[[int], float], start: int, target: float, max_n: int
) -> tuple[list[dict[str, Any]], str]:
    """Run the procedure: ``halfwidth_at(n)`` runs (or reads) the first ``n`` days and
    returns the half-width. Returns the looks (``replications``, ``halfwidth``) and why it
    stopped.
    """
    n = min(max(start, MIN_REPLICATIONS), max_n)
    looks = []
    while True:
        h = halfwidth_at(n)
        looks.append({"replications": n, "halfwidth": h if math.isfinite(h) else None})
        nxt = next_replications(n, h, target, max_n)
        if nxt is None:
            done = math.isfinite(h) and h <= target
            return looks, "halfwidth" if done else "max_replications"
        n = nxt


def sequential_compare(
    a: Scenario,
    b: Scenario,
    target_halfwidth: float,
    max_replications: int,
    start: int | None = None,
    category: str | None = None,
    out: str | Path | None = None,
    backend: BackendName = "pool",
    workers: int | None = None,
    cluster: str | None = None,
    progress: Progress | None = None,
    level: float = 0.95,
    change: float = CHANGE,
) -> tuple[SweepOutcome, dict[str, Any]]:
    """Add paired days until the interval of B − A is ``target_halfwidth`` wide either side.

    Parameters
    ----------
    a, b : Scenario
        Baseline and alternative.
    target_halfwidth : float
        Stop when the difference's interval is at most this much either side of the
        estimate (rate per 1,000 flight hours).
    max_replications : int
        Stop here in any case.
    start : int, optional
        Paired days of the first batch (at least ``MIN_REPLICATIONS``); A's ``[sweep]
        replications`` by default.
    category : str, optional
        The category whose rate difference is watched; the widest by default.
    out, backend, workers, cluster, progress, level, change
        As for :func:`~sim.experiments.compare`.

    Returns
    -------
    (SweepOutcome, dict)
        The runs used and the compare report, with ``sequential``: ``category``,
        ``target_halfwidth``, ``max_replications``, ``min_replications``, ``looks`` and
        ``stopped`` (``"halfwidth"`` or ``"max_replications"``).
    """
    if not (isinstance(target_halfwidth, (int, float)) and target_halfwidth > 0):
        raise InputError(f"--target-halfwidth: must be > 0, got {target_halfwidth!r}")
    if isinstance(max_replications, bool) or max_replications < 2:
        raise InputError(f"--max-replications: must be a whole number >= 2, got {max_replications}")
    first = plan_compare(a, b, min(max_replications, max(start or 2, 2)))
    cat = category or first.categories[-1]
    if cat not in first.categories:
        raise InputError(f"--category {cat}: expected one of {', '.join(first.categories)}")
    identity = {**first.identity, "replications": "sequential"}
    state: dict[str, Any] = {}

    with _store(out) as where:

        def halfwidth_at(n: int) -> float:
            plan = dataclasses.replace(plan_compare(a, b, n), identity=identity)
            outcome = execute(plan, where, backend, workers, cluster, progress)
            runs = outcome.runs[outcome.runs["replication"] < n].reset_index(drop=True)
            report = compare_report(runs, plan, level, change)
            state.update(outcome=dataclasses.replace(outcome, runs=runs), report=report)
            c = report["categories"][cat]
            if c["ci_low"] is None:
                return math.inf
            return (c["ci_high"] - c["ci_low"]) / 2

        looks, stopped = sequential_looks(
            halfwidth_at, start or a.sweep.replications, target_halfwidth, max_replications
        )
    report = state["report"]
    report["sequential"] = {
        "category": cat,
        "target_halfwidth": target_halfwidth,
        "max_replications": max_replications,
        "min_replications": MIN_REPLICATIONS,
        "looks": looks,
        "stopped": stopped,
    }
    if out is not None:
        text = json.dumps(report, indent=2, allow_nan=False) + "\n"
        atomic_write(Path(out) / "compare.json", text)
    return state["outcome"], report


@contextmanager
def _store(out: str | Path | None) -> Iterator[Path]:
    """``out``, or a store in a temporary directory (the batches still skip finished days)."""
    if out is not None:
        yield Path(out)
        return
    with tempfile.TemporaryDirectory(prefix="deconflict-compare-") as tmp:
        yield Path(tmp) / "compare"
