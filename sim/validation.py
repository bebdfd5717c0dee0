"""The gas model: the encounter rate of random straight-line traffic, simulated and analytic.

N aircraft at one altitude fly straight for ``T`` seconds at speed ``v`` on uniform random
headings from uniform random positions on a square torus of side ``L`` (periodic images make
the density uniform, with no edges). The expected number of pairs that come within ``R`` is

    C(N, 2) × (2 R E|v_rel| T + π R²) / L²,   with E|v_rel| = 4 v / π for equal speeds,

the swept-area ("gas") model plus the pairs already inside at the start. The simulated count
is measured by the same :class:`~sim.encounters.Detector` that measures every run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.encounters import Category, Detector, Leg


@dataclass(frozen=True)
class GasCase:
    """One density and radius: ``n`` aircraft on a torus of ``side_m``, radius ``radius_m``."""

    n: int
    side_m: float
    radius_m: float
    speed_mps: float = 200.0
    duration_s: float = 600.0

    @property
    def expected(self) -> float:
        """The analytic expected number of encounters."""
        pairs = self.n * (self.n - 1) / 2
        swept = 2 * self.radius_m * (4 * self.speed_mps / math.pi) * self.duration_s
        return pairs * (swept + math.pi * self.radius_m**2) / self.side_m**2


def simulate_gas(case: GasCase, seed: int) -> int:
    """Encounters counted by the Detector for one random draw of the traffic."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, case.side_m, size=(case.n, 2))
    heading = rng.uniform(0, 2 * math.pi, size=case.n)
    v = case.speed_mps * np.column_stack([np.cos(heading), np.sin(heading)])
    end = xy + v * case.duration_s
    cylinder = Category("gas", case.radius_m, 1e6)
    det = Detector((cylinder,), pairs="all")
    shifts = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    for k in range(case.n):
        for i, (dx, dy) in enumerate(shifts):
            ox, oy = dx * case.side_m, dy * case.side_m
            leg = Leg(
                0.0,
                case.duration_s,
                xy[k, 0] + ox,
                xy[k, 1] + oy,
                5000.0,
                end[k, 0] + ox,
                end[k, 1] + oy,
                5000.0,
            )
            det.add_leg(f"{k}" if (dx, dy) == (0, 0) else f"{k}@{i}", "any", leg)
    found = det.finish()
    # Each physical pair meets once between an original and an image of the other, seen from
    # both originals: count (original, image-or-original) pairs of different aircraft, halved
    # where both are images of different aircraft is excluded.
    count = 0
    for e in found:
        a, b = e.a_id.split("@")[0], e.b_id.split("@")[0]
        if a == b:
            continue
        originals = ("@" not in e.a_id) + ("@" not in e.b_id)
        if originals == 2:
            count += 2
        elif originals == 1:
            count += 1
    return count // 2
