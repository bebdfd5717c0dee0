"""Same seeds, same outputs: every file of ``run --out`` compared with digests written before the
protocol machinery was made faster (tests/data/golden/digests.json).

For each case (scenario, overrides, seed) the digests are the SHA-256 of encounters.csv,
flights.csv, events.csv, legs.csv and summary.json exactly as ``deconflict run --out`` writes
them (``wall_s`` set to null, the version pinned), plus a digest of the run's records at full
float precision (every leg, encounter and event as ``repr``), which the six-decimal files
could hide. A faster path that changed one float anywhere fails here.

Regenerate only when a change is meant to change results:
``PYTHONPATH=. python tests/test_golden.py --write`` (prints what changed).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIGESTS = ROOT / "tests" / "data" / "golden" / "digests.json"

SCENARIOS = ("mou-2015", "dec-2017", "feb-2016", "oct-2015", "crowded-sky")

FAST: list[tuple[str, dict[str, Any], int]] = [
    *((s, {"duration_h": 8}, seed) for s in SCENARIOS for seed in (1, 2, 3)),
    ("mou-2015", {"duration_h": 6, "traffic.scale": 3}, 1),
    ("mou-2015", {"duration_h": 8, "uncertainty.sample": True}, 4),
    ("dec-2017", {"duration_h": 8, "protocol": "none"}, 1),
]
"""Cases of the default suite: the first eight hours (the bomber raids and cruise missiles of
17 Nov 2015 fall in them), three seeds each, denser traffic, sampled position errors."""

SLOW: list[tuple[str, dict[str, Any], int]] = [
    *((s, {}, seed) for s in SCENARIOS for seed in (1, 2, 3, 4, 5)),
    *((s, {"protocol": "none"}, 1) for s in SCENARIOS),
    ("mou-2015", {"traffic.scale": 10}, 1),
    ("mou-2015", {"traffic.scale": 3}, 2),
    ("crowded-sky", {"traffic.scale": 3}, 1),
]
"""Whole days, five seeds, every protocol off once, and ten times the default day's traffic."""


def case_key(scenario: str, overrides: dict[str, Any], seed: int) -> str:
    """The case's name in the digests file, e.g. ``mou-2015 duration_h=8 seed=1``."""
    sets = " ".join(f"{k}={v}" for k, v in sorted(overrides.items()))
    return " ".join(p for p in (scenario, sets, f"seed={seed}") if p)


def digests(scenario: str, overrides: dict[str, Any], seed: int) -> dict[str, str]:
    """SHA-256 of each output file of the run, and of its records at full precision."""
    from sim import output
    from sim.engine import simulate
    from sim.metrics import summarize
    from sim.scenario import load

    scen = load(ROOT / "scenarios" / f"{scenario}.toml", overrides)
    result = simulate(scen, seed)
    summary = summarize(result, wall_s=None, version="golden")
    texts = {
        "encounters.csv": output.encounters_csv(result),
        "flights.csv": output.flights_csv(result),
        "events.csv": output.events_csv(result),
        "legs.csv": output.legs_csv(result),
        "summary.json": output.summary_json(summary),
        "records": repr((result.legs, result.encounters, result.events, result.flights)),
    }
    return {k: hashlib.sha256(v.encode("utf-8")).hexdigest() for k, v in texts.items()}


def _check(case: tuple[str, dict[str, Any], int]) -> None:
    expected = json.loads(DIGESTS.read_text("utf-8"))[case_key(*case)]
    got = digests(*case)
    changed = [name for name in expected if got[name] != expected[name]]
    assert not changed, f"{case_key(*case)}: {', '.join(changed)} differ from before"


@pytest.mark.parametrize("case", FAST, ids=[case_key(*c) for c in FAST])
def test_same_outputs_as_before(case: tuple[str, dict[str, Any], int]) -> None:
    _check(case)


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW, ids=[case_key(*c) for c in SLOW])
def test_same_outputs_as_before_whole_days(case: tuple[str, dict[str, Any], int]) -> None:
    _check(case)


def test_the_digests_cover_every_case() -> None:
    stored = json.loads(DIGESTS.read_text("utf-8"))
    assert {case_key(*c) for c in FAST + SLOW} <= set(stored)
    assert all(len(d) == 6 for d in stored.values())


def _write() -> None:
    old = json.loads(DIGESTS.read_text("utf-8")) if DIGESTS.exists() else {}
    new = {}
    for case in FAST + SLOW:
        key = case_key(*case)
        new[key] = digests(*case)
        if key in old and old[key] != new[key]:
            print(f"changed: {key}", file=sys.stderr)
        print(key, flush=True)
    DIGESTS.parent.mkdir(parents=True, exist_ok=True)
    DIGESTS.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n", "utf-8")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: PYTHONPATH=. python tests/test_golden.py --write")
    _write()
