"""What finished runs report: rate summaries per sweep point, paired differences of a compare.

Both use the variation between days: a sweep point's mean rate has a t-interval over its
replications, its pooled rate an exact interval scaled by the over-dispersion between days
(:func:`~sim.experiments.stats.day_dispersion`, at least that of the widest category); a
compare's differences are paired by day. Where nothing was seen the figure to quote is the
one-sided 95 % upper bound (``upper_95``), and each says how many replications would detect a
relative change (:mod:`~sim.experiments.power`). What the protocol cost (``mission_cost``)
is summarised beside the rates.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.causes import CAUSES
from sim.experiments.plan import SweepPlan
from sim.experiments.power import CHANGE, POWER, compare_replications, point_replications
from sim.experiments.stats import (
    day_dispersion,
    mean_interval,
    paired_difference,
    pooled_rate,
    pooled_upper,
)
from sim.output import atomic_write
from sim.scenario import Scenario

COST = ("extra_flight_min", "hold_min", "strikes_displaced", "strikes_dropped")
"""The ``mission_cost`` figures summarised beside the rates (columns ``mission_cost_<name>``)."""


def summarize_points(
    runs: pd.DataFrame, plan: SweepPlan, level: float = 0.95, change: float = CHANGE
) -> pd.DataFrame:
    """Per point: varied values, ``n``, and per category the mean rate with its t-interval
    (between replications) and the pooled rate with its interval (over-dispersion between
    replications allowed for).

    Columns per category ``c``: ``mean_rate_c``, ``mean_rate_c_ci_low``,
    ``mean_rate_c_ci_high``, ``pooled_rate_c``, ``pooled_rate_c_ci_low``,
    ``pooled_rate_c_ci_high``, ``entered_c`` (total count), ``upper_95_c`` (one-sided 95 %
    upper bound on the pooled rate) and ``replications_needed_c`` (paired replications to
    detect a relative change of ``change`` in the rate with 80 % power). Then per
    ``mission_cost`` figure ``x`` (of :data:`COST`): ``mean_x``, ``mean_x_ci_low``,
    ``mean_x_ci_high``.
    Under a position-error model also ``mean_expected_rate_c`` with its t-interval
    (``..._ci_low``, ``..._ci_high``), and ``mean_collision_rate_per_fh`` with its interval;
    with ``timing_draws``, ``mean_timing_expected_rate_c`` (averaged over re-timed days) and
    ``mean_timing_collision_rate_per_fh`` likewise, where every run's figure is exact (no
    mechanism on: see :mod:`sim.timing`).
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
            row.update(_category_summary(sub, c, plan.categories[-1], level, change))
        row.update(_cost_summary(sub, level))
        for c in plan.categories:
            row.update(_mean_columns(sub, f"expected_rate_{c}", f"mean_expected_rate_{c}", level))
            if _exact_timing(sub):
                row.update(
                    _mean_columns(
                        sub, f"timing_expected_rate_{c}", f"mean_timing_expected_rate_{c}", level
                    )
                )
        row.update(_mean_columns(sub, "collision_rate_per_fh", "mean_collision_rate_per_fh", level))
        if _exact_timing(sub):
            row.update(
                _mean_columns(
                    sub,
                    "timing_expected_collision_rate_per_fh",
                    "mean_timing_collision_rate_per_fh",
                    level,
                )
            )
        out.append(row)
    return pd.DataFrame(out)


def _dispersion(
    sub: pd.DataFrame, c: str, widest: str, kind: str = "", hours: str = "flight_hours"
) -> float:
    """Between-day over-dispersion of a category, at least that of the widest category
    (``kind = "over_syria_"``, ``hours = "flight_hours_over_syria"``: over Syria).
    """
    fh = sub[hours].to_numpy(dtype=float)
    own = day_dispersion(sub[f"entered_{kind}{c}"].to_numpy(dtype=float), fh)
    return max(own, day_dispersion(sub[f"entered_{kind}{widest}"].to_numpy(dtype=float), fh))


def _category_summary(
    sub: pd.DataFrame, c: str, widest: str, level: float, change: float
) -> dict[str, Any]:
    rates = sub[f"rate_{c}"].to_numpy(dtype=float)
    mean = mean_interval(rates, level)
    counts = sub[f"entered_{c}"].to_numpy(dtype=float)
    fh = sub["flight_hours"].to_numpy(dtype=float)
    phi = _dispersion(sub, c, widest)
    pooled = pooled_rate(counts, fh, level=level, dispersion=phi)
    return {
        f"mean_rate_{c}": mean.mean,
        f"mean_rate_{c}_ci_low": mean.low,
        f"mean_rate_{c}_ci_high": mean.high,
        f"pooled_rate_{c}": pooled.mean,
        f"pooled_rate_{c}_ci_low": pooled.low,
        f"pooled_rate_{c}_ci_high": pooled.high,
        f"entered_{c}": int(sub[f"entered_{c}"].sum()),
        f"upper_95_{c}": pooled_upper(counts, fh, dispersion=phi),
        f"replications_needed_{c}": point_replications(rates, change),
    }


def _mean_columns(sub: pd.DataFrame, column: str, name: str, level: float) -> dict[str, Any]:
    """Mean of a per-run figure with its t-interval, if the runs have it."""
    if column not in sub or sub[column].isna().all():
        return {}
    iv = mean_interval(sub[column].to_numpy(dtype=float), level)
    return {name: iv.mean, f"{name}_ci_low": iv.low, f"{name}_ci_high": iv.high}


def _cost_summary(sub: pd.DataFrame, level: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in COST:
        col = f"mission_cost_{name}"
        values = sub[col].to_numpy(dtype=float) if col in sub else [0.0] * len(sub)
        iv = mean_interval(values, level)
        out.update({f"mean_{name}": iv.mean, f"mean_{name}_ci_low": iv.low})
        out[f"mean_{name}_ci_high"] = iv.high
    return out


def write_summary(summary: pd.DataFrame, out: str | Path) -> Path:
    """``DIR/summary.csv`` (atomically)."""
    path = Path(out) / "summary.csv"
    atomic_write(path, summary.to_csv(index=False, lineterminator="\n"))
    return path


def compare_report(
    runs: pd.DataFrame, plan: SweepPlan, level: float = 0.95, change: float = CHANGE
) -> dict[str, Any]:
    """Paired differences B − A per category, of the rate and of the count entered, per 1,000
    flight hours (``categories``) and per 1,000 flight hours over Syria
    (``categories_over_syria``), and of what the protocol cost (``mission_cost``).

    ``significant`` is true when the ``level`` interval of the mean difference excludes 0.
    Every category has ``a_upper_95`` and ``b_upper_95``: one-sided 95 % upper bounds on each
    arm's pooled rate per 1,000 flight hours. When neither arm saw the category, the
    difference's interval is ``[-A's bound, +B's bound]`` at ``1 - (1 - level) / 2`` each
    (both rates lie below their bounds with probability ``level``), never a zero-width one.
    ``replications_needed`` is the number of paired replications that would detect a change
    of ``change`` times A's rate with 80 % power, from the variation seen.
    Each category has ``by_cause``: the same figures for the encounters of each cause
    (``chance``: independent plans crossing; ``intercept``: one aircraft intercepting or
    shadowing the other), the rates over all flight hours.
    Under a position-error model each category also has ``expected``: the paired difference
    of the expected rate per 1,000 flight hours; and the report has ``collision``: the paired
    difference of the expected collision rate per flight hour. With ``timing_draws`` each
    category also has ``expected_over_timing`` (the same, averaged over re-timed days) when
    both arms' figures are exact (no mechanism on in either).
    """
    a = runs[runs["point"] == 0].sort_values("replication")
    b = runs[runs["point"] == 1].sort_values("replication")
    if a["replication"].tolist() != b["replication"].tolist():
        raise ValueError("compare: the two arms do not have the same replications")
    widest = plan.categories[-1]
    cats = {c: _compare_category(a, b, c, widest, level, change) for c in plan.categories}
    for c in plan.categories:  # the same per cause of encounter (chance, intercept, ...)
        by_cause = {
            cause: _compare_category(a, b, c, widest, level, change, f"{cause}_")
            for cause in CAUSES
            if all(f"entered_{cause}_{k}" in runs for k in plan.categories)
        }
        if by_cause:
            cats[c]["by_cause"] = by_cause
    cost = {}
    for name in COST:
        col = f"mission_cost_{name}"
        if col in a and col in b:
            cost[name] = _diff_fields(paired_difference(a[col], b[col], level).as_dict())
    for c in plan.categories:
        expected = _paired_column(a, b, f"expected_rate_{c}", level)
        if expected is not None:
            cats[c]["expected"] = expected
        over_timing = _paired_column(a, b, f"timing_expected_rate_{c}", level)
        if over_timing is not None and _exact_timing(a) and _exact_timing(b):
            cats[c]["expected_over_timing"] = over_timing
    collision = _paired_column(a, b, "collision_rate_per_fh", level)
    over = {}
    if all(f"rate_over_syria_{c}" in runs for c in plan.categories):
        over = {
            c: _compare_category(
                a, b, c, widest, level, change, "over_syria_", "flight_hours_over_syria"
            )
            for c in plan.categories
        }
    return {
        "a": _describe(plan.points[0].scenario),
        "b": _describe(plan.points[1].scenario),
        "replications": len(a),
        "level": level,
        "seeds": a["seed"].astype(int).tolist(),
        "change": change,
        "power": POWER,
        "flight_hours": {
            "mean_a": float(a["flight_hours"].mean()),
            "mean_b": float(b["flight_hours"].mean()),
        },
        **(
            {
                "flight_hours_over_syria": {
                    "mean_a": float(a["flight_hours_over_syria"].mean()),
                    "mean_b": float(b["flight_hours_over_syria"].mean()),
                }
            }
            if "flight_hours_over_syria" in runs
            else {}
        ),
        "categories": cats,
        "categories_over_syria": over,
        "mission_cost": cost,
        **({"collision": collision} if collision is not None else {}),
    }


def _compare_category(
    a: pd.DataFrame,
    b: pd.DataFrame,
    c: str,
    widest: str,
    level: float,
    change: float,
    kind: str = "",
    hours: str = "flight_hours",
) -> dict[str, Any]:
    """One category's paired differences (``kind``/``hours``: of the rate over Syria, or of
    one cause's encounters with ``kind = "<cause>_"``).
    """
    rate = paired_difference(a[f"rate_{kind}{c}"], b[f"rate_{kind}{c}"], level)
    count = paired_difference(a[f"entered_{kind}{c}"], b[f"entered_{kind}{c}"], level)
    total_a, total_b = int(a[f"entered_{kind}{c}"].sum()), int(b[f"entered_{kind}{c}"].sum())
    need = compare_replications(a[f"rate_{kind}{c}"], b[f"rate_{kind}{c}"], change)
    out = {
        **_diff_fields(rate.as_dict()),
        "a_upper_95": _upper(a, c, widest, kind=kind, hours=hours),
        "b_upper_95": _upper(b, c, widest, kind=kind, hours=hours),
        "replications_needed": need,
        "counts": {**_diff_fields(count.as_dict()), "total_a": total_a, "total_b": total_b},
    }
    if total_a == 0 and total_b == 0:
        each = 1 - (1 - level) / 2
        out.update(
            ci_low=-_upper(a, c, widest, each, kind, hours),
            ci_high=_upper(b, c, widest, each, kind, hours),
            p_value=None,
            significant=False,
        )
    return out


def _upper(
    arm: pd.DataFrame,
    c: str,
    widest: str,
    level: float = 0.95,
    kind: str = "",
    hours: str = "flight_hours",
) -> float:
    fh = arm[hours].to_numpy(dtype=float)
    counts = arm[f"entered_{kind}{c}"].to_numpy(dtype=float)
    phi = _dispersion(arm, c, widest, kind, hours)
    return pooled_upper(counts, fh, dispersion=phi, level=level)


def _exact_timing(runs: pd.DataFrame) -> bool:
    """Whether every run has an exact expected count over timing (see :mod:`sim.timing`)."""
    col = "timing_expected_exact"
    return col in runs and bool(runs[col].notna().all()) and bool((runs[col] == 1).all())


def _paired_column(
    a: pd.DataFrame, b: pd.DataFrame, column: str, level: float
) -> dict[str, Any] | None:
    """Paired difference B - A of a per-run figure both arms have for every run, else None."""
    if column not in a or column not in b or a[column].isna().any() or b[column].isna().any():
        return None
    return _diff_fields(paired_difference(a[column], b[column], level).as_dict())


def _diff_fields(d: dict[str, Any]) -> dict[str, Any]:
    renamed = {"low": "ci_low", "high": "ci_high"}
    return {renamed.get(k, k): _finite_or_none(v) for k, v in d.items()}


def _finite_or_none(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _describe(s: Scenario) -> dict[str, Any]:
    return {"scenario": s.name, "protocol": s.protocol.name, "path": s.path, "seed": s.seed}
