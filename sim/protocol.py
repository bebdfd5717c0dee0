"""The rules of a protocol, installed on a run before anyone flies.

Each enabled mechanism of the scenario's protocol becomes SimPy processes and plan changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.engine import Run
    from sim.traffic import FlightPlan

MECHANISMS = ("hotline", "ceasefire_hotline", "notification", "keep_out", "radio", "comms_test",
              "deconfliction_line", "separation", "unilateral")


def install(run: Run, plans: list[FlightPlan]) -> list[FlightPlan]:
    """Start the processes of every enabled mechanism; return the (possibly changed) plans."""
    enabled = [m for m in MECHANISMS if getattr(run.scenario.protocol, m).enabled]
    if enabled:
        raise ValueError(f"protocol {run.scenario.protocol.name!r}: mechanisms {enabled} "
                         "are not modelled in this version")
    return plans
