"""The tables the ``deconflict`` command prints: built here, printed by ``sim.cli``.

Every rate is printed with what it means: a count of zero reads "none in N days, < X per
1,000 fh" (the one-sided 95 % upper bound), never a zero-width interval; comparisons say how
many paired days would detect a change; what the protocol cost sits beside the safety figures.
"""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table

__all__ = [
    "compare_cost_table",
    "compare_table",
    "cost_table",
    "none_seen",
    "sequential_note",
    "sensitivity_table",
    "small",
    "sweep_table",
]


def none_seen(days: int, upper: float) -> str:
    """What to print for a count of zero.

    Examples
    --------
    >>> none_seen(1, 15.768)
    'none in 1 day, < 15.8 per 1,000 fh'
    >>> none_seen(200, 0.0642)
    'none in 200 days, < 0.0642 per 1,000 fh'
    """
    return f"none in {days} day{'s' if days != 1 else ''}, < {_sig(upper)} per 1,000 fh"


def _sig(x: float) -> str:
    """Three significant figures, without an exponent for everyday sizes."""
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    digits = max(0, 2 - int(math.floor(math.log10(abs(x)))))
    return f"{x:,.{digits}f}"


def small(x: float | None) -> str:
    """A figure that may be tiny: fixed decimals when readable, else scientific.

    Examples
    --------
    >>> small(0.25), small(2.63e-5), small(None)
    ('0.250', '2.63e-05', 'n/a')
    """
    if x is None or x != x:
        return "n/a"
    return f"{x:.3f}" if x == 0 or abs(x) >= 0.01 else f"{x:.2e}"


def _num(value: float | None, fmt: str = ".2f") -> str:
    return "n/a" if value is None or value != value else format(value, fmt)


def _days(n: int | None) -> str:
    return "n/a" if n is None else f"{n:,}"


def cost_table(summary: dict[str, Any]) -> Table:
    """What the protocol cost the missions of one run (``summary.json`` ``mission_cost``)."""
    c = summary["mission_cost"]
    t = Table(title="what the protocol cost", title_justify="left", show_header=False)
    t.add_column("what")
    t.add_column("value", justify="right")
    t.add_row("extra flight (reroutes, manoeuvres, replans)", f"{c['extra_flight_min']:.1f} min")
    for key, value in c.items():
        if key.startswith("extra_flight_min_"):
            t.add_row(f"  of which {key.removeprefix('extra_flight_min_')}", f"{value:.1f} min")
    t.add_row("held on the ground", f"{c['hold_min']:.1f} min")
    t.add_row(
        "strike sorties: displaced / dropped / due",
        f"{c['strikes_displaced']} / {c['strikes_dropped']} / {c['strikes']}",
    )
    return t


def sweep_table(summary: Any, plan: Any) -> Table:
    """Per point: varied values, n, mean rate ± its 95 % t-interval per category (or the
    upper bound when none was seen), extra flight minutes, and the replications a halving of
    the widest category's rate would need.
    """
    widest = plan.categories[-1]
    t = Table(
        title="rate per 1,000 flight hours: mean of replications ± 95 % t-interval",
        title_justify="left",
    )
    for p in ["point", *plan.params, "n"]:
        t.add_column(p, justify="right")
    for c in plan.categories:
        t.add_column(c, justify="right")
    first = plan.categories[0]
    has_expected = f"mean_expected_rate_{first}" in summary
    if has_expected:
        t.add_column(f"{first} expected", justify="right")
    over_timing = f"mean_timing_expected_rate_{first}"
    has_timing = over_timing in summary
    if has_timing:
        t.add_column(f"{first} over timing", justify="right")
    t.add_column("extra flight min", justify="right")
    t.add_column(f"n to detect {widest} change", justify="right")
    for row in summary.to_dict("records"):
        cells = [str(row[p]) for p in ["point", *plan.params, "n"]]
        for c in plan.categories:
            if row[f"entered_{c}"] == 0:
                cells.append(none_seen(int(row["n"]), row[f"upper_95_{c}"]))
            else:
                cells.append(_plus_minus(row[f"mean_rate_{c}"], row[f"mean_rate_{c}_ci_high"]))
        if has_expected:
            cells.append(_mean_cell(row, f"mean_expected_rate_{first}"))
        if has_timing:
            cells.append(_mean_cell(row, over_timing))
        cells.append(
            _plus_minus(row["mean_extra_flight_min"], row["mean_extra_flight_min_ci_high"])
        )
        cells.append(_days(_int_or_none(row[f"replications_needed_{widest}"])))
        t.add_row(*cells)
    t.caption = (
        "n to detect: paired replications that would detect halving the rate with 80 % power, "
        "from the variation seen (see summary.csv for every category)"
    )
    return t


def _int_or_none(v: Any) -> int | None:
    return None if v is None or v != v else int(v)


def _plus_minus(mean: float, high: float) -> str:
    return f"{mean:.2f}" if high != high else f"{mean:.2f} ± {high - mean:.2f}"


def compare_table(report: dict[str, Any]) -> Table:
    """Paired differences B - A per category: rates (or upper bounds when none was seen),
    the difference with its interval, counts, and the replications a change would need.
    """
    a, b, n = report["a"], report["b"], report["replications"]
    t = Table(
        title=f"B - A over {n} paired replications\n"
        f"A: {a['scenario']} (protocol {a['protocol']})  "
        f"B: {b['scenario']} (protocol {b['protocol']})",
        title_justify="left",
    )
    t.add_column("category", no_wrap=True)
    change = f"n to detect {report['change']:.0%} change"
    for col in ("rate A", "rate B", "B - A [95 %]", "sig.", "count A", "count B", change):
        t.add_column(col, justify="right", no_wrap=col.startswith("B"))
    rows = []
    for k, c in report["categories"].items():
        rows.append((k, c))
        rows += [(f"  {k} by {cause}", d) for cause, d in c.get("by_cause", {}).items()]
    rows += [(f"{k} (over Syria)", c) for k, c in report.get("categories_over_syria", {}).items()]
    for name, c in rows:
        counts = c["counts"]
        rate_a = none_seen(n, c["a_upper_95"]) if counts["total_a"] == 0 else _num(c["mean_a"])
        rate_b = none_seen(n, c["b_upper_95"]) if counts["total_b"] == 0 else _num(c["mean_b"])
        if counts["total_a"] == 0 and counts["total_b"] == 0:
            diff = f"none in either [{c['ci_low']:+.2f}, {c['ci_high']:+.2f}]"
        else:
            diff = _num(c["mean_diff"], "+.2f")
            if c["ci_low"] is not None:
                diff += f" [{c['ci_low']:+.2f}, {c['ci_high']:+.2f}]"
        t.add_row(
            name,
            rate_a,
            rate_b,
            diff,
            "yes" if c["significant"] else "no",
            str(counts["total_a"]),
            str(counts["total_b"]),
            _days(c["replications_needed"]),
        )
    for key, label in (("expected", "expected"), ("expected_over_timing", "over timing")):
        for name, c in report["categories"].items():
            if (e := c.get(key)) is not None:
                diff = small(e["mean_diff"])
                if e["ci_low"] is not None:
                    diff += f" [{small(e['ci_low'])}, {small(e['ci_high'])}]"
                sig = "yes" if e["significant"] else "no"
                t.add_row(f"{name} ({label})", small(e["mean_a"]), small(e["mean_b"]), diff, sig)
    t.caption = (
        "rates per 1,000 flight hours (over Syria: encounters inside Syria per 1,000 flight "
        "hours inside Syria's border); sig.: the interval excludes 0; counts: encounters "
        "entering the cylinder; n to detect: paired replications for 80 % power, from the "
        "spread seen; with none in either arm the interval spans both upper bounds; by chance, "
        "by intercept: the encounters of independent plans crossing, and of one aircraft "
        "intercepting or shadowing the other"
    )
    if any("expected" in c for c in report["categories"].values()):
        t.caption += "; (expected): expected rate under the position-error model"
    if any("expected_over_timing" in c for c in report["categories"].values()):
        t.caption += "; (over timing): the same, averaged over re-timed days"
    return t


def _mean_cell(row: dict[str, Any], name: str) -> str:
    """A mean ± the half-width of its interval (the mean alone when there is none)."""
    mean, high = row[name], row[f"{name}_ci_high"]
    return small(mean) if high != high else f"{small(mean)} ± {small(high - mean)}"


def compare_cost_table(report: dict[str, Any]) -> Table:
    """What B cost against A, per day, paired (``mission_cost`` of ``compare.json``)."""
    t = Table(title="what the protocol cost, per day", title_justify="left")
    for col in ("", "A", "B", "B - A [95 %]", "sig."):
        t.add_column(col, justify="right" if col else "left")
    labels = {
        "extra_flight_min": "extra flight, min",
        "hold_min": "held on the ground, min",
        "strikes_displaced": "strike sorties displaced",
        "strikes_dropped": "strike sorties dropped",
    }
    for key, d in report.get("mission_cost", {}).items():
        diff = _num(d["mean_diff"], "+.2f")
        if d["mean_a"] == 0 and d["mean_b"] == 0:
            diff = "none in either"
        elif d["ci_low"] is not None:
            diff += f" [{d['ci_low']:+.2f}, {d['ci_high']:+.2f}]"
        sig = "yes" if d["significant"] else "no"
        t.add_row(labels.get(key, key), _num(d["mean_a"]), _num(d["mean_b"]), diff, sig)
    return t


def sequential_note(seq: dict[str, Any]) -> str:
    """How a sequential compare went: its looks and why it stopped."""
    looks = ", ".join(f"{k['replications']}: ±{_num(k['halfwidth'])}" for k in seq["looks"])
    why = (
        f"the {seq['category']} interval reached ±{seq['target_halfwidth']:g}"
        if seq["stopped"] == "halfwidth"
        else f"it reached --max-replications {seq['max_replications']} first"
    )
    return f"sequential: looked at {looks} paired days; stopped because {why}"


def sensitivity_table(indices: Any, method: str, metric: str) -> Table:
    """The indices of one output metric, parameters by importance (ST or mu*)."""
    key = "ST" if method == "sobol" else "mu_star"
    cols = ["S1", "S1_conf", "ST", "ST_conf"] if method == "sobol" else []
    cols = cols or ["mu_star", "mu_star_conf", "sigma"]
    sub = indices[indices["metric"] == metric].sort_values(key, ascending=False)
    t = Table(title=f"{method} indices of {metric}", title_justify="left")
    t.add_column("parameter")
    for col in cols:
        t.add_column(col, justify="right")
    for row in sub.to_dict("records"):
        t.add_row(row["parameter"], *(_num(row[c], ".3f") for c in cols))
    return t
