"""What a protocol costs: extra flight time, holds, strikes displaced or dropped."""

from __future__ import annotations

import math

import pytest

from sim.cost import mission_cost
from sim.engine import simulate
from sim.metrics import summarize
from sim.scenario import load
from sim.units import MIN

CROWDED = "scenarios/crowded-sky.toml"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_extra_time_is_what_the_changes_added_to_the_flown_time(seed: int) -> None:
    """Independent check: for every aircraft that flew its route to the end within the run,
    the time it flew is its plan's time plus what the changes added, to the microsecond."""
    scen = load(CROWDED)
    result = simulate(scen, seed)
    done = [
        f for f in result.flights if f.kind != "missile" and f.landing_s < scen.duration_s - 1.0
    ]
    assert any(f.extra_s > 60 for f in done)  # the protocol did change flights
    for f in done:
        assert f.landing_s - f.takeoff_s == pytest.approx(f.planned_s + f.extra_s, abs=1e-6)
        assert sum(f.extra_by.values()) == pytest.approx(f.extra_s, abs=1e-9)


def test_no_protocol_costs_nothing_and_strikes_reach_their_aim() -> None:
    scen = load(CROWDED, {"protocol": "none"})
    for seed in (1, 2):
        result = simulate(scen, seed)
        cost = mission_cost(result)
        assert cost["extra_flight_min"] == 0 and cost["hold_min"] == 0
        assert cost["strikes"] > 0
        assert cost["strikes_displaced"] == cost["strikes_dropped"] == 0
        assert cost["strikes_reached"] == cost["strikes"]


def test_displaced_strikes_were_rerouted_and_costs_add_up() -> None:
    result = simulate(load(CROWDED), 1)
    summary = summarize(result)
    cost = summary["mission_cost"]
    strikes = [f for f in result.flights if f.aim]
    displaced = [f for f in strikes if f.aim == "displaced"]
    assert displaced and all(f.rerouted for f in displaced)
    assert cost["strikes_displaced"] == len(displaced)
    assert {f.aim for f in strikes} <= {"reached", "displaced", "dropped", "after_end"}
    by = sum(v for k, v in cost.items() if k.startswith("extra_flight_min_"))
    assert by == pytest.approx(cost["extra_flight_min"], abs=1e-3)
    aircraft = [f for f in result.flights if f.kind != "missile"]
    assert cost["extra_flight_min"] == pytest.approx(
        sum(f.extra_s for f in aircraft) / MIN, abs=1e-3
    )


def test_holding_strikes_costs_minutes_on_the_ground() -> None:
    """With notices acted on by holding, waiting flights are counted, those held past the end
    of the run too (they never took off, so they are not exposure)."""
    scen = load(CROWDED, {"protocol.notification.action": "hold"})
    result = simulate(scen, 1)
    cost = mission_cost(result)
    held = [f for f in (*result.flights, *result.grounded) if f.held_s > 0]
    assert held and cost["hold_min"] == pytest.approx(sum(f.held_s for f in held) / MIN, abs=1e-3)
    assert cost["flights_grounded"] == len(result.grounded)
    for f in result.grounded:
        assert math.isnan(f.takeoff_s) and f.held_s > 0
