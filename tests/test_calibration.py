"""The calibration table: recomputed on fewer seeds, the model agrees with the sources where
the README says it does, and the README's table lists every figure of the data file."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim import calibration


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    return calibration.calibrate(replications=8, backend="local")


def test_model_within_the_source_interval_where_the_readme_says_they_agree(table) -> None:  # type: ignore[no-untyped-def]
    agree = table[table["agrees"]]
    assert len(agree) >= 8
    bad = agree[~agree["within"]]
    assert bad.empty, bad[["scenario", "figure", "mean", "ci_low", "ci_high", "low", "high"]]


def test_rows_that_differ_say_why_and_unmodelled_figures_stay_empty(table) -> None:  # type: ignore[no-untyped-def]
    for r in table.to_dict("records"):
        if not r["agrees"]:
            assert r["gap"], r["figure"]
        if r["n"] == 0:
            assert math.isnan(r["mean"]) and not r["within"]
    assert "effect_intercepts" in {f.column for f in calibration.figures()}  # the hook


def test_readme_table_lists_every_figure_from_100_seeds_or_more() -> None:
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("### Calibration", 1)[1].split("\n## ", 1)[0]
    for f in calibration.figures():
        assert f"| `{f.scenario}` | {f.figure} |" in section, f.figure
    seeds = int(section.split("from ", 1)[1].split(" seeds", 1)[0])
    assert seeds >= 100
