"""Altitude blocks: notices and keep-out zones with a floor and a ceiling move only the
flights inside them."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from scipy import stats

from sim.engine import simulate
from sim.experiments.stats import paired_difference
from sim.protocol.avoidance import TimedArea, crosses_during
from sim.scenario import load
from sim.units import FT

SQUARE = shapely.box(-1000.0, -1000.0, 1000.0, 1000.0)


@pytest.mark.parametrize(
    ("z0", "z1", "inside"),
    [
        (6000.0, 6000.0, True),  # level through the block
        (9000.0, 9000.0, False),  # level above the ceiling
        (1000.0, 1000.0, False),  # level below the floor
        (9000.0, 1000.0, True),  # descends through it over the area
    ],
)
def test_a_segment_counts_only_inside_the_block(z0: float, z1: float, inside: bool) -> None:
    area = TimedArea("a", SQUARE, floor_m=5000.0, ceiling_m=7000.0)
    start, route = (-2000.0, 0.0, z0), [(2000.0, 0.0, z1)]
    assert crosses_during(start, route, 0.0, 100.0, area) is inside
    assert crosses_during(start, route, 0.0, 100.0, TimedArea("a", SQUARE))  # no block


def test_a_climb_into_the_block_after_the_area_does_not_count() -> None:
    """Over the area the segment is still below the floor; it reaches the block only later."""
    area = TimedArea("a", SQUARE, floor_m=5000.0, ceiling_m=7000.0)
    start, route = (-1500.0, 0.0, 0.0), [(10_000.0, 0.0, 6000.0)]
    # over the square (x <= 1000) the altitude is at most 6000 * 2500 / 11500 < 5000
    assert not crosses_during(start, route, 0.0, 100.0, area)


def test_notices_carry_their_block() -> None:
    r = simulate(load("scenarios/mou-2015.toml"), 1)
    notices = [e.info for e in r.events if e.kind == "notification_sent"]
    assert notices
    missiles = {f.id for f in r.flights if f.kind == "missile"}
    salvoes = missiles | {m.rsplit("-", 1)[0] for m in missiles}  # salvo ids: <group>-<n>
    for n in notices:
        assert n.floor_m is not None and n.ceiling_m is not None
        assert 0.0 <= n.floor_m < n.ceiling_m
        if n.key in salvoes:
            assert n.floor_m == 0.0 and n.ceiling_m >= 3000 * FT  # a corridor from the ground
        else:
            assert n.ceiling_m - n.floor_m >= 6000 * FT - 1e-6  # the altitudes +- 3,000 ft


def _reroutes_and_encounters(block: bool, seeds: range) -> tuple[np.ndarray, np.ndarray]:
    """Per seed: the share of Coalition flights rerouted for a notice, and the chance
    encounters that involve a notified strike (any aircraft of its formation)."""
    s = load("scenarios/mou-2015.toml", {"protocol.notification.altitude_block": block})
    shares, met = [], []
    for seed in seeds:
        r = simulate(s, seed)
        coalition = {f.id for f in r.flights if f.side == "coalition" and f.kind != "missile"}
        moved = {
            e.aircraft_id
            for e in r.events
            if e.kind == "reroute" and e.info.by == "notification" and e.aircraft_id in coalition
        }
        shares.append(len(moved) / len(coalition))
        unit = {f.id: f.formation or f.id for f in r.flights}
        told = {
            unit.get(e.aircraft_id, e.aircraft_id)
            for e in r.events
            if e.kind == "notification_received" and e.info.subject == "strike"
        }
        met.append(
            sum(
                e.cause == "chance" and (unit.get(e.a_id) in told or unit.get(e.b_id) in told)
                for e in r.encounters
            )
        )
    return np.array(shares), np.array(met)


def test_altitude_blocks_cut_reroutes() -> None:
    seeds = range(8)
    flat, _ = _reroutes_and_encounters(False, seeds)
    blocks, _ = _reroutes_and_encounters(True, seeds)
    assert blocks.mean() < 0.9 * flat.mean()
    assert stats.ttest_rel(blocks, flat, alternative="less").pvalue < 0.05


@pytest.mark.slow
def test_altitude_blocks_cut_reroutes_without_raising_encounters_with_notified_strikes() -> None:
    """Paired seeds: far fewer Coalition flights rerouted, and the chance encounters with the
    notified strikes not significantly raised (one-sided paired t-test), the mean rise under
    a third of the rate without blocks."""
    seeds = range(30)
    flat_share, flat_met = _reroutes_and_encounters(False, seeds)
    block_share, block_met = _reroutes_and_encounters(True, seeds)
    assert block_share.mean() < 0.85 * flat_share.mean()
    assert stats.ttest_rel(block_share, flat_share, alternative="less").pvalue < 0.01
    diff = paired_difference(flat_met, block_met)
    assert diff.mean_diff < max(flat_met.mean() / 3, 0.05), diff
    assert stats.ttest_rel(block_met, flat_met, alternative="greater").pvalue > 0.05
