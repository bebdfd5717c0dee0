"""The encounter detector: legs of a run in, encounters out (pure numpy).

:class:`Detector` turns the legs of a run into encounters. It is fed leg by leg in time order,
the way the engine flies them.

Broad phase
-----------
Legs reach the detector in nondecreasing start time and a new leg can only meet legs that are
*current* (flown now or later), so the detector keeps only current legs. It logs arriving
legs and handles them in batches of at least ``batch_legs`` (a few thousand: a batch costs
dozens of small array operations whatever its size, and every batch grids the current legs
again) and at least as many as the current legs. By then the cut end of every logged leg is
known (a manoeuvre or a landing later in the batch shortens it), so almost every pair is
solved once with its final window; only pieces still running at the end of a batch are kept
provisionally and re-clipped if a leg is cut later. Batching changes when pairs are solved,
never what they give: each pair is solved from its final rows, and each pair's pieces are
merged in time order.

The candidate pairs come from the space-time grid of :mod:`sim.encounters.grid` and are
solved in closed form by :mod:`sim.encounters.closed_form`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from sim.encounters.closed_form import LegArrays, PairSolution, leg_row, solve_arrays
from sim.encounters.geometry import (
    DEFAULT_CATEGORIES,
    PAIR_MODES,
    Category,
    Encounter,
    Leg,
    outermost,
)
from sim.encounters.grid import grid_keys, may_meet, pairs_across_labels


class _Flight:
    """An aircraft in the air: its side, current leg, effective end, and where its row is."""

    __slots__ = ("side", "leg", "t1_s", "row", "in_log")

    def __init__(self, side: str, leg: Leg, row: int) -> None:
        self.side = side
        self.leg = leg
        self.t1_s = leg.t1_s
        self.row: int | None = row
        self.in_log = True


_Piece = tuple[float, float, float, float, int, float, float, float, float, float, str, str]
"""Part of an encounter from one pair of legs: window start and end, stay start and end,
category index, CPA time, horizontal and vertical separation, midpoint x and y, sides."""

_Pending = tuple[_Piece, int, int]
"""A piece that may still be cut, with the store rows of the two legs (a_id's first)."""


class Detector:
    """Exact encounters of a run, fed leg by leg in time order (see the module's broad phase).

    Parameters
    ----------
    categories
        Encounter cylinders, most severe first; the outermost must contain all others.
    pairs
        ``"cross-side"`` counts only pairs whose sides differ; ``"all"`` every pair.
    to_latlon
        Maps a plane position ``(x, y)`` in metres to ``(lat, lon)``; NaN if not given.
    cell_m, bucket_s
        Broad-phase grid cell side (default four outermost radii) and time bucket.
    batch_legs
        Smallest number of logged legs handled together.

    Examples
    --------
    >>> det = Detector()
    >>> det.add_leg("US-1", "coalition", Leg(0, 600, 0, -30_000, 7_100, 0, 30_000, 7_100))
    >>> det.add_leg("RU-1", "russia", Leg(0, 600, -30_000, 0, 7_000, 30_000, 0, 7_000))
    >>> [(e.a_id, e.b_id, e.category, e.t_cpa_s, e.min_horizontal_m) for e in det.finish()]
    [('RU-1', 'US-1', 'near_miss', 300.0, 0.0)]
    """

    def __init__(
        self,
        categories: Sequence[Category] = DEFAULT_CATEGORIES,
        pairs: str = "cross-side",
        to_latlon: Callable[[float, float], tuple[float, float]] | None = None,
        *,
        cell_m: float | None = None,
        bucket_s: float = 120.0,
        batch_legs: int = 4096,
    ) -> None:
        self._cats = tuple(categories)
        self._outer = outermost(self._cats)
        if pairs not in PAIR_MODES:
            raise ValueError(f"pairs must be one of {PAIR_MODES}, got {pairs!r}")
        self._all_pairs = pairs == "all"
        self._radius = np.array([c.radius_m for c in self._cats], dtype=float)
        self._half = np.array([c.half_height_m for c in self._cats], dtype=float)
        r_out = float(self._radius[self._outer])
        self._reach = 0.5 * r_out + 1.0
        self._cell = 4.0 * r_out if cell_m is None else float(cell_m)
        self._bucket = float(bucket_s)
        if not (self._cell > 0 and self._bucket > 0 and batch_legs >= 1):
            raise ValueError("cell_m and bucket_s must be > 0 and batch_legs >= 1")
        self._batch_min = int(batch_legs)
        self._to_latlon = to_latlon
        self._clock = -math.inf
        self._finished = False
        self._flying: dict[str, _Flight] = {}
        self._store = np.zeros((0, 8))
        self._store_ids: list[str] = []
        self._store_sides: list[str] = []
        self._store_cut: dict[int, float] = {}
        self._log_rows: list[float] = []
        """The logged legs' rows (of :func:`leg_row`) one after the other."""
        self._log_ids: list[str] = []
        self._log_sides: list[str] = []
        self._side_codes: dict[str, int] = {}
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._open: dict[tuple[str, str], list] = {}
        self._done: list[Encounter] = []

    @property
    def categories(self) -> tuple[Category, ...]:
        """The encounter cylinders, most severe first."""
        return self._cats

    @property
    def pairs(self) -> str:
        """Which pairs count: ``"cross-side"`` or ``"all"``."""
        return "all" if self._all_pairs else "cross-side"

    def add_leg(self, aircraft_id: str, side: str, leg: Leg) -> None:
        """Hand the detector an aircraft's next leg.

        A current leg of the same aircraft that runs past ``leg.t0_s`` is cut there (a
        manoeuvre replaced it); one ending exactly then is simply continued.

        Raises
        ------
        ValueError
            If the leg is malformed, starts before the latest leg or flight end already seen,
            or the aircraft changes side.
        """
        if self._finished:
            self._check_running()
        row = leg_row(leg)
        t0 = row[0]
        if t0 < self._clock:
            raise ValueError(
                f"legs must arrive in time order: {aircraft_id!r} starts a leg at "
                f"{t0} s, after the detector has reached {self._clock} s"
            )
        ids = self._log_ids
        row_index = len(ids)
        flight = self._flying.get(aircraft_id)
        if flight is None:
            self._flying[aircraft_id] = _Flight(side, leg, row_index)
            if side not in self._side_codes:
                self._side_codes[side] = len(self._side_codes)
        else:  # its next leg: the same record, moved on to it
            if flight.side != side:
                raise ValueError(f"{aircraft_id!r} is on side {flight.side!r}, got {side!r}")
            if t0 < flight.t1_s:  # a manoeuvre: the leg it replaces ends now
                self._cut(flight, t0)
            flight.leg, flight.t1_s, flight.row, flight.in_log = leg, leg.t1_s, row_index, True
        self._clock = t0
        self._log_rows.extend(row)
        ids.append(aircraft_id)
        self._log_sides.append(side)
        logged = row_index + 1
        if logged >= self._batch_min and logged >= len(self._store_ids):
            self._flush()

    def end_flight(self, aircraft_id: str, t_s: float) -> None:
        """The aircraft is gone from ``t_s`` on (landed): its current leg is cut there.

        Raises
        ------
        ValueError
            If the aircraft is not flying or ``t_s`` is before the latest time already seen.
        """
        self._check_running()
        if not math.isfinite(t_s) or t_s < self._clock:
            raise ValueError(
                f"end of {aircraft_id!r} at {t_s} s: must be finite and not before the "
                f"detector's time {self._clock} s"
            )
        flight = self._flying.pop(aircraft_id, None)
        if flight is None:
            raise ValueError(f"{aircraft_id!r} is not flying")
        self._clock = t_s
        self._cut(flight, t_s)

    def current_legs(self) -> dict[str, tuple[str, Leg]]:
        """Aircraft still flying, by id: their side and current leg (as cut, if it was)."""
        out: dict[str, tuple[str, Leg]] = {}
        for aircraft_id in sorted(self._flying):
            f = self._flying[aircraft_id]
            out[aircraft_id] = (f.side, f.leg if f.t1_s == f.leg.t1_s else _cut_leg(f.leg, f.t1_s))
        return out

    def advance(self, t_s: float) -> list[Encounter]:
        """Encounters certainly over by ``t_s``, not returned before, sorted; frees their memory.

        This promises that no later leg starts (and no flight ends) before ``t_s``. It is
        optional: :meth:`finish` returns whatever was not returned here.
        """
        self._check_running()
        if not math.isfinite(t_s) or t_s < self._clock:
            raise ValueError(f"cannot advance to {t_s} s: the detector is at {self._clock} s")
        self._clock = t_s
        self._flush()
        return self._take_done()

    def finish(self) -> list[Encounter]:
        """Close everything, legs as planned; return all encounters not returned yet, sorted.

        Sorted by ``(t_start_s, a_id, b_id)``. The detector takes no more legs afterwards.
        """
        self._check_running()
        self._flush()
        for pair, entry in list(self._pending.items()):
            self._merge(pair, entry[0])
        self._pending.clear()
        for pair, op in list(self._open.items()):
            self._close(pair, op)
        self._open.clear()
        self._finished = True
        self._flying.clear()
        self._store = np.zeros((0, 8))
        self._store_ids, self._store_sides = [], []
        return self._take_done()

    # -- internals -------------------------------------------------------------------------

    def _check_running(self) -> None:
        if self._finished:
            raise RuntimeError("the detector has finished; start a new one")

    def _take_done(self) -> list[Encounter]:
        done = sorted(self._done, key=lambda e: (e.t_start_s, e.a_id, e.b_id))
        self._done = []
        return done

    def _cut(self, flight: _Flight, t_s: float) -> None:
        """End a flight's current leg at ``t_s`` if it runs past it."""
        if t_s >= flight.t1_s:
            return
        flight.t1_s = t_s
        if flight.row is None:
            return
        if flight.in_log:
            self._log_rows[8 * flight.row + 1] = t_s
        else:
            self._store_cut[flight.row] = t_s

    def _flush(self) -> None:
        """Solve the logged legs against each other and the stored legs; settle what is final."""
        m = self._store.shape[0]
        cut_rows = set(self._store_cut)
        for r, t in self._store_cut.items():
            self._store[r, 1] = t
        batch = np.array(self._log_rows, dtype=float).reshape(-1, 8)
        rows = np.concatenate([self._store, batch]) if batch.shape[0] else self._store
        ids = self._store_ids + self._log_ids
        sides = self._store_sides + self._log_sides
        self._reclip(rows, cut_rows)
        new = self._solve_batch(rows, ids, sides, m) if batch.shape[0] else {}
        self._settle(new)
        self._close_finished()
        self._compact(rows, ids, sides, m)

    def _reclip(self, rows: np.ndarray, cut_rows: set[int]) -> None:
        """Re-solve provisional pieces whose legs were cut since the last batch."""
        redo = [(p, e) for p, e in self._pending.items() if e[1] in cut_rows or e[2] in cut_rows]
        if not redo:
            return
        ra = np.array([e[1] for _, e in redo])
        rb = np.array([e[2] for _, e in redo])
        sol = self._solve_rows(rows, ra, rb)
        fresh = self._pieces(sol, [(p, e[0][10], e[0][11]) for p, e in redo])
        for (pair, entry), piece in zip(redo, fresh, strict=True):
            if piece is None:
                del self._pending[pair]
            else:
                self._pending[pair] = (piece, entry[1], entry[2])

    def _solve_rows(self, rows: np.ndarray, ra: np.ndarray, rb: np.ndarray) -> PairSolution:
        a, b = LegArrays.from_matrix(rows[ra]), LegArrays.from_matrix(rows[rb])
        return solve_arrays(a, b, self._radius, self._half, self._outer)

    def _pieces(
        self, sol: PairSolution, labels: list[tuple[tuple[str, str], str, str]]
    ) -> list[_Piece | None]:
        """One piece per solved pair (None where the pair never entered the outermost cylinder)."""
        k = self._outer
        cols = zip(
            sol.hit.tolist(),
            sol.t_start_s.tolist(),
            sol.t_end_s.tolist(),
            sol.t_in_s[:, k].tolist(),
            sol.t_out_s[:, k].tolist(),
            sol.severity.tolist(),
            sol.t_cpa_s.tolist(),
            sol.min_horizontal_m.tolist(),
            sol.vertical_at_cpa_m.tolist(),
            sol.x_m.tolist(),
            sol.y_m.tolist(),
            labels,
            strict=True,
        )
        out: list[_Piece | None] = []
        for hit, ts, te, t_in, t_out, cat, t_cpa, d, dz, x, y, (_, sa, sb) in cols:
            out.append((ts, te, t_in, t_out, cat, t_cpa, d, dz, x, y, sa, sb) if hit else None)
        return out

    def _solve_batch(
        self, rows: np.ndarray, ids: list[str], sides: list[str], m: int
    ) -> dict[tuple[str, str], list[_Pending]]:
        """Pieces of every pair with a logged leg, found through the space-time grid."""
        n = rows.shape[0]
        is_new = np.arange(n) >= m
        t_first = float(rows[m, 0])
        cand = np.flatnonzero(is_new | (rows[:, 1] >= t_first))
        t_from = np.where(is_new[cand], rows[cand, 0], t_first)
        leg, key = grid_keys(rows[cand], t_from, self._reach, self._cell, self._bucket)
        codes: dict[str, int] = {}
        aircraft = np.array([codes.setdefault(a, len(codes)) for a in ids], dtype=np.int64)
        side = np.array([self._side_codes[s] for s in sides], dtype=np.int64)
        leg = cand[leg]
        # only pairs that can count: of two aircraft (of two sides, unless every pair counts)
        i, j = pairs_across_labels(leg, key, (aircraft if self._all_pairs else side)[leg], is_new)
        ok = (aircraft[i] != aircraft[j]) & (is_new[i] | is_new[j])
        ok &= np.maximum(rows[i, 0], rows[j, 0]) <= np.minimum(rows[i, 1], rows[j, 1])
        if not self._all_pairs:
            ok &= side[i] != side[j]
        lo, hi = np.minimum(i[ok], j[ok]), np.maximum(i[ok], j[ok])
        code = np.unique(lo * n + hi)
        lo, hi = code // n, code % n
        near = may_meet(rows, lo, hi, self._radius[self._outer], self._half[self._outer])
        lo, hi = lo[near], hi[near]
        sol = self._solve_rows(rows, lo, hi)
        hits = np.flatnonzero(sol.hit)
        if hits.size == 0:
            return {}
        sub = _take(sol, hits)
        labels, row_pairs = [], []
        for r, s in zip(lo[hits].tolist(), hi[hits].tolist(), strict=True):
            if ids[r] > ids[s]:
                r, s = s, r
            labels.append(((ids[r], ids[s]), sides[r], sides[s]))
            row_pairs.append((r, s))
        out: dict[tuple[str, str], list[_Pending]] = {}
        for (pair, _, _), (r, s), piece in zip(
            labels, row_pairs, self._pieces(sub, labels), strict=True
        ):
            out.setdefault(pair, []).append((piece, r, s))
        return out

    def _settle(self, new: dict[tuple[str, str], list[_Pending]]) -> None:
        """Merge pieces that can no longer change into encounters, in time order per pair."""
        clock = self._clock
        pairs = list(self._pending) + [p for p in new if p not in self._pending]
        for pair in pairs:
            seq = list(new.get(pair, ()))
            old = self._pending.pop(pair, None)
            if old is not None:
                seq.append(old)
            seq.sort(key=_window_order)
            for entry in seq:
                if entry[0][1] > clock:
                    self._pending[pair] = entry
                else:
                    self._merge(pair, entry[0])

    def _merge(self, pair: tuple[str, str], piece: _Piece) -> None:
        """Add a final piece to the pair's open encounter, or start a new one."""
        op = self._open.get(pair)
        if op is not None and piece[2] <= op[1]:
            op[1] = max(op[1], piece[3])
            op[2] = min(op[2], piece[4])
            if (piece[6], piece[5]) < (op[4], op[3]):
                op[3:8] = piece[5:10]
            return
        if op is not None:
            self._close(pair, op)
        self._open[pair] = [piece[2], piece[3], *piece[4:]]

    def _close_finished(self) -> None:
        """Close open encounters that nothing still to come can extend."""
        for pair, op in list(self._open.items()):
            if op[1] >= self._clock:
                continue
            pend = self._pending.get(pair)
            if pend is None or pend[0][2] > op[1]:
                self._close(pair, op)
                del self._open[pair]

    def _close(self, pair: tuple[str, str], op: list) -> None:
        t_start, t_end, cat, t_cpa, d, dz, x, y, sa, sb = op
        lat, lon = (math.nan, math.nan) if self._to_latlon is None else self._to_latlon(x, y)
        self._done.append(
            Encounter(
                pair[0],
                pair[1],
                sa,
                sb,
                self._cats[cat].name,
                t_start,
                t_end,
                t_cpa,
                d,
                dz,
                float(lat),
                float(lon),
                x,
                y,
            )
        )

    def _compact(self, rows: np.ndarray, ids: list[str], sides: list[str], m: int) -> None:
        """Keep only legs that can still meet a later leg; renumber what points at them."""
        keep = rows[:, 1] >= self._clock
        index = (np.cumsum(keep) - 1).tolist()
        kept = keep.tolist()
        self._store = rows[keep].copy()
        self._store_ids = [a for a, k in zip(ids, kept, strict=True) if k]
        self._store_sides = [s for s, k in zip(sides, kept, strict=True) if k]
        for f in self._flying.values():
            if f.row is not None:
                old = f.row + m if f.in_log else f.row
                f.row = index[old] if kept[old] else None
            f.in_log = False
        for pair, (piece, r, s) in self._pending.items():
            self._pending[pair] = (piece, index[r], index[s])
        self._store_cut.clear()
        self._log_rows, self._log_ids, self._log_sides = [], [], []


def _window_order(entry: _Pending) -> tuple[float, float]:
    """Pieces of one pair in time order: by window start, then window end."""
    return entry[0][0], entry[0][1]


def _take(sol: PairSolution, idx: np.ndarray) -> PairSolution:
    """The pairs ``idx`` of a solution."""
    return PairSolution(
        sol.outer,
        *(getattr(sol, f)[idx] for f in PairSolution.__slots__ if f != "outer"),
    )


def _cut_leg(leg: Leg, t1_s: float) -> Leg:
    """``leg`` ended early at ``t1_s``, keeping its velocity."""
    vx, vy, vz = leg.velocity()
    dt = t1_s - leg.t0_s
    return Leg(
        leg.t0_s,
        t1_s,
        leg.x0_m,
        leg.y0_m,
        leg.z0_m,
        leg.x0_m + vx * dt,
        leg.y0_m + vy * dt,
        leg.z0_m + vz * dt,
    )
