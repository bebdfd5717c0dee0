"""The plots of a sweep: rate against each varied path, with its intervals."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.experiments.plan import SweepPlan
from sim.output import atomic_write

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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
