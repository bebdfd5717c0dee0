"""What a protocol cost the missions of one run: flight time added, time held, strikes moved.

Read from the flight records (``sim.records.FlightRecord``), which the run state fills in as
the mechanisms change flights (``sim.state.Flight``): each reroute, manoeuvre or replan adds
the change in flight time of the route ahead at the moment of the change (``extra_s``, by the
mechanism or manoeuvre rule that made it); a hold delays take-off (``held_s``, up to the end of
the run for an aircraft held past it); a strike sortie's aim point is ``reached``,
``displaced`` (its station points were moved away from the aim point) or ``dropped`` (due on
station within the run, never got there).
"""

from __future__ import annotations

from collections import defaultdict

from sim.records import RunResult
from sim.units import MIN

AIM_STATES = ("reached", "displaced", "dropped")
"""What became of strike sorties due on station within the run (``after_end`` is left out)."""


def mission_cost(result: RunResult) -> dict[str, float]:
    """The ``mission_cost`` table of ``summary.json``.

    ``extra_flight_min`` (flight minutes the protocol's changes added to the routes, summed
    over aircraft), ``extra_flight_min_<by>`` (the same by mechanism or manoeuvre rule),
    ``hold_min`` (minutes aircraft waited on the ground), ``flights_grounded`` (held past the
    end of the run), ``strikes`` (strike sorties due on station within the run),
    ``strikes_reached``, ``strikes_displaced``, ``strikes_dropped``.

    Examples
    --------
    >>> from sim.scenario import load
    >>> from sim.engine import simulate
    >>> cost = mission_cost(simulate(load("scenarios/two-jets.toml")))
    >>> cost["extra_flight_min"], cost["hold_min"], cost["strikes"]
    (0.0, 0.0, 0)
    """
    aircraft = [f for f in (*result.flights, *result.grounded) if f.kind != "missile"]
    by: dict[str, float] = defaultdict(float)
    for f in aircraft:
        for name, s in f.extra_by.items():
            by[name] += s
    aims = [f.aim for f in aircraft if f.aim in AIM_STATES]
    out: dict[str, float] = {
        "extra_flight_min": round(sum(f.extra_s for f in aircraft) / MIN, 4) + 0.0,
        "hold_min": round(sum(f.held_s for f in aircraft) / MIN, 4),
        "flights_grounded": len(result.grounded),
        "strikes": len(aims),
        **{f"strikes_{state}": aims.count(state) for state in AIM_STATES},
    }
    out.update({f"extra_flight_min_{k}": round(v / MIN, 4) + 0.0 for k, v in sorted(by.items())})
    return out
