"""The gas-model check: random straight-line traffic meets at the analytic rate."""

from __future__ import annotations

import math

import pytest

from sim.validation import GasCase, simulate_gas

CASES = [
    GasCase(100, 400_000.0, 5_000.0),
    GasCase(200, 400_000.0, 3_000.0),
    GasCase(400, 400_000.0, 2_000.0),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"n{c.n}-r{c.radius_m:.0f}")
def test_encounter_count_matches_the_gas_model(case: GasCase) -> None:
    seeds = range(8)
    total = sum(simulate_gas(case, s) for s in seeds)
    expected = case.expected * len(seeds)
    assert abs(total - expected) < 3.5 * math.sqrt(expected), (total, expected)


def test_the_check_can_fail() -> None:
    """A detector that missed a tenth of the encounters would be caught at this size."""
    case = CASES[2]
    total = sum(simulate_gas(case, s) for s in range(8))
    expected = case.expected * 8
    assert abs(0.9 * total - expected) > 3.5 * math.sqrt(expected)
