"""Exact encounter detection for straight 3-D legs (pure numpy).

- :mod:`~sim.encounters.geometry`: legs, encounter cylinders, encounters;
- :mod:`~sim.encounters.closed_form`: the exact stay of a pair of legs inside each cylinder;
- :mod:`~sim.encounters.grid`: the space-time grid that picks the pairs worth solving;
- :mod:`~sim.encounters.detector`: :class:`Detector`, legs of a run in, encounters out.
"""

from sim.encounters.closed_form import LegArrays, PairSolution, closest_approach, solve_pairs
from sim.encounters.detector import Detector
from sim.encounters.geometry import (
    DEFAULT_CATEGORIES,
    ENCOUNTER_COLUMNS,
    PAIR_MODES,
    Category,
    Encounter,
    Leg,
    outermost,
)

__all__ = [
    "Leg",
    "Category",
    "DEFAULT_CATEGORIES",
    "Encounter",
    "ENCOUNTER_COLUMNS",
    "PAIR_MODES",
    "LegArrays",
    "PairSolution",
    "Detector",
    "closest_approach",
    "outermost",
    "solve_pairs",
]
