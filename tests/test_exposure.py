"""Exposure over Syria: exact hours inside the border, against Shapely's clipping; the line
changes who flies where, not whether the Coalition flies over Syria."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import exposure, geo
from sim.engine import simulate
from sim.metrics import summarize
from sim.scenario import load

coords = st.floats(-600e3, 600e3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(coords, coords, coords, coords, st.floats(1, 1e4)), min_size=1, max_size=20)
)
def test_hours_inside_syria_match_shapely_clipping(segs: list[tuple[float, ...]]) -> None:
    """An independent method: clip each segment with Shapely and take the length fraction."""
    syria = geo.syria()
    legs = np.array([[0.0, d, x0, y0, x1, y1] for x0, y0, x1, y1, d in segs])
    got = exposure.hours_inside(syria, legs)
    for (x0, y0, x1, y1, d), h in zip(segs, got, strict=True):
        line = shapely.LineString([(x0, y0), (x1, y1)])
        if line.length < 1e-6:  # a point (Shapely's clipping of a 1e-15 m segment is noise)
            want = d / 3600 * float(syria.contains(shapely.Point(x0, y0)))
        else:
            want = d / 3600 * syria.intersection(line).length / line.length
        assert abs(h - want) < 1e-6 * max(1.0, d / 3600)


def test_summary_has_hours_over_syria_by_side() -> None:
    s = summarize(simulate(load("scenarios/mou-2015.toml"), 1))
    by_side = s["flight_hours_over_syria_by_side"]
    assert set(by_side) == {"coalition", "russia"}
    assert abs(sum(by_side.values()) - s["flight_hours_over_syria"]) < 1e-4
    assert 0 < s["flight_hours_over_syria"] < s["flight_hours"]
    over = s["rates_per_1000_fh_over_syria"]
    assert set(over) == set(s["rates_per_1000_fh"])
    for name, r in over.items():
        assert r["count"] <= s["rates_per_1000_fh"][name]["count"]


def test_the_line_keeps_the_coalition_over_syria() -> None:
    """dec-2017, seeds 1-5: Coalition hours over Syria under line-2017 are at least 90 % of
    those with no protocol."""

    def hours(overrides: dict[str, str]) -> float:
        s = load("scenarios/dec-2017.toml", overrides)
        return sum(
            summarize(simulate(s, seed))["flight_hours_over_syria_by_side"]["coalition"]
            for seed in range(1, 6)
        )

    line, none = hours({}), hours({"protocol": "none"})
    assert line >= 0.9 * none, (line, none)
