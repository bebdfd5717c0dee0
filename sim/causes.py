"""Why two aircraft met: every encounter is labelled with a cause after detection.

The detector finds encounters from geometry alone; what brought a pair together is known to
the run: a mechanism that sends one aircraft after another records the interval during which
it was intercepting or shadowing (:class:`Interval`), and formations say who flies together.
:func:`label` reads both. An encounter is

- ``formation`` when both aircraft fly in the same formation (only counted with
  ``pairs = "all"``);
- the cause of a recorded interval of the same pair that overlaps it (``intercept``);
- ``chance`` otherwise: two independent flight plans crossing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sim.encounters import Encounter

__all__ = ["CAUSES", "Interval", "label"]

CAUSES: tuple[str, ...] = ("chance", "intercept", "formation")
"""Every cause an encounter may carry, in the order summaries list them."""


@dataclass(frozen=True, slots=True)
class Interval:
    """A pair of aircraft brought together on purpose from ``t0_s`` to ``t1_s``."""

    a_id: str
    b_id: str
    t0_s: float
    t1_s: float
    cause: str = "intercept"

    @property
    def pair(self) -> tuple[str, str]:
        """The two ids in sorted order (as in encounters)."""
        return (self.a_id, self.b_id) if self.a_id < self.b_id else (self.b_id, self.a_id)


def label(
    encounters: Iterable[Encounter],
    intervals: Iterable[Interval],
    formation_of: Mapping[str, str] | None = None,
) -> list[Encounter]:
    """The encounters with their ``cause`` set.

    Examples
    --------
    >>> e = Encounter("A", "B", "coalition", "russia", "near_miss", 100.0, 160.0, 130.0,
    ...               900.0, 50.0, 35.0, 38.0, 0.0, 0.0)
    >>> [x.cause for x in label([e], [Interval("B", "A", 150.0, 900.0)])]
    ['intercept']
    >>> [x.cause for x in label([e], [Interval("A", "B", 200.0, 900.0)])]
    ['chance']
    >>> [x.cause for x in label([e], [], {"A": "A", "B": "A"})]
    ['formation']
    """
    by_pair: dict[tuple[str, str], list[Interval]] = {}
    for iv in intervals:
        by_pair.setdefault(iv.pair, []).append(iv)
    formation_of = formation_of or {}
    out = []
    for e in encounters:
        cause = "chance"
        fa, fb = formation_of.get(e.a_id, ""), formation_of.get(e.b_id, "")
        if fa and fa == fb:
            cause = "formation"
        else:
            for iv in by_pair.get((e.a_id, e.b_id), ()):
                if iv.t0_s <= e.t_end_s and e.t_start_s <= iv.t1_s:
                    cause = iv.cause
                    break
        out.append(e if cause == e.cause else dataclasses.replace(e, cause=cause))
    return out
