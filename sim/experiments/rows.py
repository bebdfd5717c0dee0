"""One run of a plan as one flat row of figures: what a worker computes and returns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.experiments.plan import RunTask


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
    "expected_encounters": "expected_",
    "expected_rates_per_1000_fh": "expected_rate_",
    "collision": "collision_",
    "expected_over_timing": "timing_expected_",
    "expected_rates_over_timing_per_1000_fh": "timing_expected_rate_",
}
"""Summary tables of figures and their column prefixes; other tables use ``<name>_``."""

_SCALARS = ("flights", "missiles", "flight_hours", "flight_hours_over_syria")


def flatten_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """One run's ``summary.json`` as flat columns.

    ``flights``, ``missiles``, ``flight_hours``; per category ``n_<c>`` (graded),
    ``entered_<c>`` and ``rate_<c>`` (per 1,000 flight hours), ``entered_over_syria_<c>`` and
    ``rate_over_syria_<c>`` (over Syria, per 1,000 flight hours over Syria); under a
    position-error model ``expected_<c>``, ``expected_rate_<c>`` and ``collision_<name>``,
    and with ``timing_draws`` ``timing_expected_<name>`` and ``timing_expected_rate_<c>``;
    per cause of encounter ``entered_<cause>_<c>`` and ``rate_<cause>_<c>``;
    ``comms_<name>`` and
    ``effect_<name>`` (what the protocol did); any other table of numbers as
    ``<table>_<name>``; ``wall_s`` last.
    """
    row: dict[str, Any] = {k: summary[k] for k in _SCALARS if k in summary}
    row.update({f"rate_{c}": r["rate"] for c, r in summary["rates_per_1000_fh"].items()})
    for c, r in summary.get("rates_per_1000_fh_over_syria", {}).items():
        row.update({f"rate_over_syria_{c}": r["rate"], f"entered_over_syria_{c}": r["count"]})
    for cause, cats in summary.get("rates_per_1000_fh_by_cause", {}).items():
        for c, r in cats.items():
            row.update({f"rate_{cause}_{c}": r["rate"], f"entered_{cause}_{c}": r["count"]})
    for key, table in summary.items():
        if isinstance(table, Mapping) and not key.startswith("rates_per_1000_fh"):
            prefix = _GROUPS.get(key, f"{key}_")
            row.update({prefix + k: _number(v) for k, v in table.items() if _is_number(v)})
    row["wall_s"] = summary["wall_s"]
    return row


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating))


def _number(v: Any) -> int | float:
    """A plain int (booleans included) or float."""
    return float(v) if isinstance(v, (float, np.floating)) else int(v)
