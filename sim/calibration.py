"""Calibration: the historical scenarios against every figure the sources give.

The figures, their sources and where the model is meant to agree are data
(``sim/data/calibration.toml``); :func:`calibrate` runs each historical scenario over many
seeds (common seeds, through the sweep machinery) and sets the model's mean, its 95 %
interval and the day-to-day range beside each reported figure. The README's validation table
is this table from 100 seeds or more; notebook 04 and ``tests/test_calibration.py`` recompute
it.
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.stats import mean_interval

__all__ = ["Figure", "calibrate", "figures", "markdown", "within"]


@dataclass(frozen=True)
class Figure:
    """One reported figure: the scenario, the model's column, the reported range and why."""

    scenario: str
    figure: str
    column: str
    reported: str
    low: float
    high: float | None
    source: str
    agrees: bool
    gap: str


@functools.cache
def figures() -> tuple[Figure, ...]:
    """Every row of ``sim/data/calibration.toml``."""
    text = resources.files("sim").joinpath("data", "calibration.toml").read_text(encoding="utf-8")
    return tuple(
        Figure(
            r["scenario"],
            r["figure"],
            r["column"],
            r["reported"],
            float(r["low"]),
            None if r.get("high") is None else float(r["high"]),
            r["source"],
            bool(r["agrees"]),
            r.get("gap", ""),
        )
        for r in tomllib.loads(text)["row"]
    )


def within(row: dict[str, Any]) -> bool:
    """Whether the model's 95 % interval of the mean meets the reported range.

    Examples
    --------
    >>> within({"ci_low": 5.0, "ci_high": 7.0, "low": 6.0, "high": 8.0})
    True
    >>> within({"ci_low": 9.0, "ci_high": 10.0, "low": 6.0, "high": 8.0})
    False
    """
    high = math.inf if row["high"] is None or row["high"] != row["high"] else row["high"]
    return bool(row["ci_high"] >= row["low"] and row["ci_low"] <= high)


def calibrate(
    replications: int = 100,
    scenarios: str | Path = "scenarios",
    backend: str = "pool",
    workers: int | None = None,
    only: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """The calibration table: one row per figure, the model over ``replications`` seeds.

    Columns: ``scenario, figure, reported, low, high, mean, ci_low, ci_high`` (95 % t-interval
    of the mean), ``p05, p95`` (the day-to-day range), ``n``, ``agrees``, ``within``,
    ``source``, ``gap``. A figure whose column the model does not produce (yet) has NaN
    figures and ``within`` false.
    """
    from sim.api import sweep
    from sim.scenario import load

    rows = [f for f in figures() if only is None or f.scenario in only]
    runs = {
        name: sweep(
            load(Path(scenarios) / f"{name}.toml"),
            vary={},
            replications=replications,
            backend=backend,  # type: ignore[arg-type]
            workers=workers,
        )
        for name in dict.fromkeys(f.scenario for f in rows)
    }
    out = []
    for f in rows:
        df = runs[f.scenario]
        values = df[f.column].to_numpy(dtype=float) if f.column in df else np.array([])
        if len(values):
            m = mean_interval(values)
            mean, lo, hi = m.mean, m.low, m.high
            p05, p95 = np.percentile(values, [5, 95])
        else:
            mean = lo = hi = p05 = p95 = float("nan")
        row = {
            "scenario": f.scenario,
            "figure": f.figure,
            "reported": f.reported,
            "low": f.low,
            "high": f.high,
            "mean": mean,
            "ci_low": lo,
            "ci_high": hi,
            "p05": p05,
            "p95": p95,
            "n": len(values),
            "agrees": f.agrees,
            "source": f.source,
            "gap": f.gap,
        }
        row["within"] = bool(len(values)) and within(row)
        out.append(row)
    return pd.DataFrame(out)


def markdown(table: pd.DataFrame) -> str:
    """The table as the README shows it (Markdown)."""
    head = (
        "| scenario | figure | model: mean [95 %] (days 5-95 %) | reported | agrees | source; "
        "where and why they differ |\n|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in table.to_dict("records"):
        if r["n"] == 0:
            model = "not modelled yet"
        else:
            model = (
                f"{r['mean']:.1f} [{r['ci_low']:.1f}, {r['ci_high']:.1f}] "
                f"({r['p05']:.0f}-{r['p95']:.0f})"
            )
        verdict = ("yes" if r["within"] else "NO") if r["agrees"] else "no (see why)"
        why = r["source"] + (f"; {r['gap']}" if r["gap"] else "")
        lines.append(
            f"| `{r['scenario']}` | {r['figure']} | {model} | {r['reported']} | {verdict} | {why} |"
        )
    return head + "\n".join(lines) + "\n"
