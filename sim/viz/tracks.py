"""Where every aircraft is at any time, from the run's legs, for many times at once.

The legs are sorted by aircraft and start time under one key, so one
:func:`numpy.searchsorted` finds every aircraft's current leg for any number of times (a
replay's trail is the same query at a few earlier times).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.records import RunResult

__all__ = ["KINDS", "SIDES", "Tracks"]

SIDES = ("coalition", "russia", "other")
KINDS = ("fixed_wing", "uav", "support", "missile")


@dataclass(frozen=True)
class Tracks:
    """Every aircraft's legs as flat arrays, for vectorised positions at any times.

    Legs are sorted by aircraft, then start time, under one key ``owner * span + t0`` so a
    single :func:`numpy.searchsorted` finds the current leg of every aircraft at once.

    Attributes
    ----------
    ids : tuple of str
        Aircraft ids, index ``n`` of the per-aircraft arrays.
    side, kind : numpy.ndarray
        Per aircraft: index into :data:`SIDES` and :data:`KINDS`.
    first_s, last_s : numpy.ndarray
        Per aircraft: start of its first leg and end of its last (airborne in between).
    """

    ids: tuple[str, ...]
    side: np.ndarray
    kind: np.ndarray
    first_s: np.ndarray
    last_s: np.ndarray
    key: np.ndarray
    owner: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    xy0: np.ndarray
    xy1: np.ndarray
    heading: np.ndarray
    span: float
    base: float

    @classmethod
    def from_result(cls, result: RunResult) -> Tracks:
        """Index the legs of a run (aircraft without legs are left out)."""
        flights = {f.id: f for f in result.flights}
        ids = tuple(dict.fromkeys(aid for aid, _ in result.legs))
        index = {aid: n for n, aid in enumerate(ids)}
        raw = np.array(
            [
                (index[aid], leg.t0_s, leg.t1_s, leg.x0_m, leg.y0_m, leg.x1_m, leg.y1_m)
                for aid, leg in result.legs
            ],
            dtype=float,
        ).reshape(-1, 7)
        raw = raw[np.lexsort((raw[:, 1], raw[:, 0]))]
        owner = raw[:, 0].astype(np.int64)
        t0, t1 = raw[:, 1], np.maximum(raw[:, 2], raw[:, 1])
        base = float(min(t0.min(), 0.0)) if len(raw) else 0.0
        span = float(t1.max() - base) + 1.0 if len(raw) else 1.0
        n = len(ids)
        first = np.full(n, np.inf)
        last = np.full(n, -np.inf)
        np.minimum.at(first, owner, t0)
        np.maximum.at(last, owner, t1)

        def side_of(aid: str) -> int:
            f = flights.get(aid)
            return SIDES.index(f.side) if f is not None and f.side in SIDES else 2

        def kind_of(aid: str) -> int:
            f = flights.get(aid)
            return KINDS.index(f.kind) if f is not None and f.kind in KINDS else 0

        return cls(
            ids=ids,
            side=np.array([side_of(a) for a in ids], dtype=np.int64),
            kind=np.array([kind_of(a) for a in ids], dtype=np.int64),
            first_s=first,
            last_s=last,
            key=owner * span + (t0 - base),
            owner=owner,
            t0=t0,
            t1=t1,
            xy0=raw[:, 3:5].copy(),
            xy1=raw[:, 5:7].copy(),
            heading=_leg_headings(owner, raw[:, 3:5], raw[:, 5:7]),
            span=span,
            base=base,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def at(self, t_s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions, headings and airborne flags of every aircraft at the given times.

        Parameters
        ----------
        t_s : float or numpy.ndarray
            Times, seconds since the run start, any shape ``S``.

        Returns
        -------
        xy : numpy.ndarray
            Shape ``S + (N, 2)``, plane metres (last known position when not airborne).
        heading : numpy.ndarray
            Shape ``S + (N,)``, radians counter-clockwise from east, of the current leg.
        airborne : numpy.ndarray
            Shape ``S + (N,)``, bool.
        """
        t = np.asarray(t_s, dtype=float)[..., None]
        n = np.arange(len(self.ids))
        if len(self.key) == 0:
            shape = t.shape[:-1] + (0,)
            return np.zeros((*shape, 2)), np.zeros(shape), np.zeros(shape, dtype=bool)
        tc = np.clip(t, self.first_s, self.last_s)
        i = np.searchsorted(self.key, n * self.span + (tc - self.base), side="right") - 1
        i = np.clip(i, 0, len(self.key) - 1)
        dur = self.t1[i] - self.t0[i]
        frac = np.clip(np.divide(tc - self.t0[i], dur, out=np.ones_like(tc), where=dur > 0), 0, 1)
        xy = self.xy0[i] + frac[..., None] * (self.xy1[i] - self.xy0[i])
        airborne = (t >= self.first_s) & (t <= self.last_s)
        return xy, self.heading[i], airborne


def _leg_headings(owner: np.ndarray, xy0: np.ndarray, xy1: np.ndarray) -> np.ndarray:
    """Heading of each leg; legs that do not move take the heading of the one before."""
    d = xy1 - xy0
    moving = np.hypot(d[:, 0], d[:, 1]) > 1.0
    heading = np.arctan2(d[:, 1], d[:, 0])
    # forward-fill within each aircraft, then back-fill its leading stationary legs
    idx = np.where(moving, np.arange(len(owner)), -1)
    idx = np.maximum.accumulate(idx) if len(idx) else idx
    ok = (idx >= 0) & (owner[np.maximum(idx, 0)] == owner)
    back = np.where(moving, np.arange(len(owner)), len(owner))
    back = np.minimum.accumulate(back[::-1])[::-1] if len(back) else back
    ok_back = (back < len(owner)) & (owner[np.minimum(back, len(owner) - 1)] == owner)
    fill = np.where(ok, idx, np.where(ok_back, back, -1))
    return np.where(fill >= 0, heading[np.maximum(fill, 0)], math.pi / 2)
