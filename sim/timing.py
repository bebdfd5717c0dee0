"""Expected counts over the traffic's timing: the closed form averaged over re-timed days.

The closed-form expected counts (:mod:`sim.expected`) integrate over position error but keep
the day's departure times, so whether two routes that cross at one level are flown at the
same moment is still left to that day's draw; on the default day a few such co-level passes
carry most of the expected NMACs of many days. Conditional Monte Carlo over the departures
(Rao-Blackwellisation) removes most of that variance: given the number of sorties a stream
flies in a day, each departs uniformly within the stream's daily window (a Poisson process,
``sim.traffic.departure_times``), and what it flies does not depend on when it leaves. So the
day's paths, each sortie shifted in time as a whole (its formation, escort and missiles with
it) to a fresh departure drawn from its window, make another day exactly as likely as the one
flown, and the mean of the closed form over ``draws`` such re-timings estimates the same
expected count as the plain closed form, with less variance.

That holds when a flight's path does not depend on its timing: protocol ``none``, or
mechanisms that act only on routes fixed in time. Timed and tactical mechanisms (notices,
holds, conflict watches, intercepts) shape paths around the timing flown; re-timed, such
paths keep their changes but not the reactions a new timing would bring, so the figure is
then that of the protocol's paths at random timing, and ``exact`` is false.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.encounters import Category, Leg
from sim.expected import counts_of_rows, leg_rows
from sim.uncertainty import ErrorModel

__all__ = ["STREAM", "TimingCounts", "Unit", "expected_over_timing"]

STREAM = "timing"
"""The random stream the re-timed departures are drawn from."""


@dataclass(frozen=True)
class Unit:
    """A sortie that departs as one: its flights, when it left, and the windows it may leave in."""

    flights: tuple[str, ...]
    depart_s: float
    windows: tuple[tuple[float, float], ...]

    def draw(self, rng: np.random.Generator) -> float:
        """A departure uniform over the windows."""
        lengths = np.array([hi - lo for lo, hi in self.windows])
        u = float(rng.uniform(0.0, lengths.sum()))
        k = min(int(np.searchsorted(np.cumsum(lengths), u, side="right")), len(lengths) - 1)
        return self.windows[k][0] + u - float(lengths[:k].sum())


@dataclass(frozen=True)
class TimingCounts:
    """Expected counts averaged over re-timings of the day's sorties.

    ``encounters[c]`` and ``collisions``: means over ``draws`` re-timings; ``sd`` and
    ``collisions_sd``: their standard deviations between re-timings (the mean's Monte Carlo
    error is ``sd / sqrt(draws)``). ``exact``: no flight's path depends on the timing flown.
    """

    categories: tuple[str, ...]
    draws: int
    encounters: dict[str, float]
    sd: dict[str, float]
    collisions: float
    collisions_sd: float
    exact: bool


def expected_over_timing(
    paths: Sequence[tuple[str, Leg]],
    units: Sequence[Unit],
    aircraft: Mapping[str, tuple[str, str]],
    categories: Sequence[Category],
    pairs: str,
    model: ErrorModel,
    draws: int,
    rng: np.random.Generator,
    end_s: float,
    exact: bool = True,
) -> TimingCounts:
    """Expected encounters and collisions averaged over ``draws`` re-timings of the sorties.

    Parameters
    ----------
    paths
        ``(aircraft id, leg)``: every flight's whole path (legs the end of the run cut are
        completed), as planned after the protocol.
    units
        The sorties that depart together (:func:`sim.sorties.units_of`); flights in none keep
        their times.
    aircraft, categories, pairs, model
        As for :func:`sim.expected.expected_counts`.
    draws
        Re-timings to average (at least 1).
    rng
        The generator of the new departures.
    end_s
        The end of the run: legs of a re-timed day that start after it are dropped, legs
        running past it are cut there, as the engine does.
    exact
        Whether the paths do not depend on the timing flown (reported as given).
    """
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    ids = [a for a, _ in paths]
    rows = leg_rows([leg for _, leg in paths])
    unit_index = {f: k for k, u in enumerate(units) for f in u.flights}
    of_leg = np.array([unit_index.get(a, -1) for a in ids], dtype=np.int64)
    names = tuple(c.name for c in categories)
    found = np.zeros((draws, len(names) + 1))
    for d in range(draws):
        shift = np.array([u.draw(rng) - u.depart_s for u in units] + [0.0])
        moved = rows.copy()
        moved[:, 0:2] += shift[of_leg][:, None]
        keep = moved[:, 0] < end_s
        moved[:, 1] = np.minimum(moved[:, 1], end_s)
        kept = np.flatnonzero(keep)
        counts = counts_of_rows(
            moved[kept], [ids[k] for k in kept], aircraft, categories, pairs, model
        )
        found[d] = [*(counts.encounters[n] for n in names), counts.collisions]
    mean = found.mean(axis=0)
    sd = found.std(axis=0, ddof=1) if draws > 1 else np.full(found.shape[1], math.nan)
    return TimingCounts(
        names,
        draws,
        {n: float(mean[k]) for k, n in enumerate(names)},
        {n: float(sd[k]) for k, n in enumerate(names)},
        float(mean[-1]),
        float(sd[-1]),
        exact,
    )
