"""What finished runs report: rate summaries per sweep point, paired differences of a compare."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.plan import SweepPlan
from sim.experiments.stats import mean_interval, paired_difference, pooled_rate
from sim.output import atomic_write
from sim.scenario import Scenario


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


def compare_report(runs: pd.DataFrame, plan: SweepPlan, level: float = 0.95) -> dict[str, Any]:
    """Paired differences B − A per category, of the rate and of the count entered, per 1,000
    flight hours (``categories``) and per 1,000 flight hours over Syria
    (``categories_over_syria``).

    ``significant`` is true when the ``level`` interval of the mean difference excludes 0.
    """
    a = runs[runs["point"] == 0].sort_values("replication")
    b = runs[runs["point"] == 1].sort_values("replication")
    if a["replication"].tolist() != b["replication"].tolist():
        raise ValueError("compare: the two arms do not have the same replications")
    cats = {c: _paired(a, b, "", c, level) for c in plan.categories}
    over = {}
    if all(f"rate_over_syria_{c}" in runs for c in plan.categories):
        over = {c: _paired(a, b, "over_syria_", c, level) for c in plan.categories}
    hours = ("flight_hours", "flight_hours_over_syria")
    return {
        "a": _describe(plan.points[0].scenario),
        "b": _describe(plan.points[1].scenario),
        "replications": plan.replications,
        "level": level,
        "seeds": plan.seeds,
        **{
            h: {"mean_a": float(a[h].mean()), "mean_b": float(b[h].mean())}
            for h in hours
            if h in runs
        },
        "categories": cats,
        "categories_over_syria": over,
    }


def _paired(a: pd.DataFrame, b: pd.DataFrame, kind: str, c: str, level: float) -> dict[str, Any]:
    """The paired difference B − A of one category's rate and count entered (``kind``:
    ``""`` for all flying, ``"over_syria_"`` for the rate over Syria).
    """
    rate = paired_difference(a[f"rate_{kind}{c}"], b[f"rate_{kind}{c}"], level)
    count = paired_difference(a[f"entered_{kind}{c}"], b[f"entered_{kind}{c}"], level)
    return {
        **_diff_fields(rate.as_dict()),
        "counts": {
            **_diff_fields(count.as_dict()),
            "total_a": int(a[f"entered_{kind}{c}"].sum()),
            "total_b": int(b[f"entered_{kind}{c}"].sum()),
        },
    }


def _diff_fields(d: dict[str, Any]) -> dict[str, Any]:
    renamed = {"low": "ci_low", "high": "ci_high"}
    return {renamed.get(k, k): _finite_or_none(v) for k, v in d.items()}


def _finite_or_none(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _describe(s: Scenario) -> dict[str, Any]:
    return {"scenario": s.name, "protocol": s.protocol.name, "path": s.path, "seed": s.seed}
