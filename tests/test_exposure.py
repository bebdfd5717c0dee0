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


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_the_border_raster_only_skips_legs_the_border_cannot_touch(data) -> None:
    """Legs near the border (on its vertices, on cell edges, a metre off), far from it and
    off the raster: the same fractions, bit for bit, as asking Shapely about every leg."""
    syria = geo.syria()
    border = shapely.get_coordinates(syria.boundary)
    raster = exposure._raster(syria)
    cell = raster.cell
    points = []
    for _ in range(data.draw(st.integers(2, 40))):
        kind = data.draw(st.sampled_from(["vertex", "edge", "anywhere", "far"]))
        if kind == "vertex":
            x, y = border[data.draw(st.integers(0, len(border) - 1))]
            x, y = x + data.draw(st.sampled_from([0.0, 1.0, -1.0])), y
        elif kind == "edge":
            x = raster.x0 + cell * data.draw(st.integers(0, raster.shape[1]))
            y = raster.y0 + cell * data.draw(st.integers(0, raster.shape[0]))
        elif kind == "anywhere":
            x, y = data.draw(coords), data.draw(coords)
        else:
            x, y = data.draw(st.sampled_from([-3e6, 3e6])), data.draw(coords)
        points.append((float(x), float(y)))
    legs = np.array(
        [[0.0, 600.0, *a, *b] for a, b in zip(points, points[1:], strict=False)]
        + [[0.0, 60.0, *points[0], *points[0]]]  # a point
    )
    want = (legs[:, 1] - legs[:, 0]) / 3600 * exposure._fraction_near(syria, legs)
    assert exposure.hours_inside(syria, legs).tobytes() == want.tobytes()
