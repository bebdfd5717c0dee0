"""Geometry kept from one run to the next in a process gives the same runs as geometry made
afresh: a day flown again after others (its strike areas, grown areas and routers now found in
the caches) is the same to the last float as the day flown with empty caches.
"""

from __future__ import annotations

from pathlib import Path

from sim.engine import simulate
from sim.protocol import avoidance, notification, reach
from sim.scenario import load

ROOT = Path(__file__).resolve().parent.parent
CACHES = (reach.shared_router, avoidance.grown_area, notification._disk, notification._corridor)


def _records(overrides: dict, seed: int) -> str:
    result = simulate(load(ROOT / "scenarios" / "mou-2015.toml", overrides), seed)
    return repr((result.legs, result.encounters, result.events, result.flights))


def test_a_day_flown_again_from_the_caches_is_the_same() -> None:
    day = {"duration_h": 8}
    for cache in CACHES:
        cache.cache_clear()
    fresh = _records(day, 2)
    _records({**day, "protocol": "mou-2015-no-hotline"}, 2)  # same traffic, other rules
    _records(day, 3)
    before = [c.cache_info().hits for c in CACHES]
    again = _records(day, 2)
    assert all(c.cache_info().hits > h for c, h in zip(CACHES, before, strict=True))
    assert again == fresh
