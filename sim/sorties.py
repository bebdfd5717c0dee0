"""What a run's sorties are for re-timing (:mod:`sim.timing`): which flights depart as one,
within which windows, and every flight's whole path (the end of the run completed).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from sim.encounters import Leg
from sim.scenario import Scenario
from sim.state import Flight
from sim.timing import Unit
from sim.traffic import stream_prefix, stream_windows

__all__ = ["units_of", "whole_paths"]


def units_of(scenario: Scenario, plans: Mapping[str, float]) -> list[Unit]:
    """The sorties of a run as units that depart together.

    ``plans`` maps each flight id to its planned departure. Sortie ``k`` of stream ``i`` is
    the flights whose ids are ``<prefix>-<k:03d>`` or start with it and a ``-``
    (:func:`sim.traffic.stream_prefix`); its departure is the earliest of theirs (the lead's).
    Explicit flights keep their times.
    """
    prefixes = [
        (stream_prefix(s, i) + "-", tuple(stream_windows(s, scenario.duration_s)))
        for i, s in enumerate(scenario.traffic.sorties)
    ]
    members: dict[str, list[str]] = {}
    windows: dict[str, tuple[tuple[float, float], ...]] = {}
    for fid in plans:
        for prefix, wins in prefixes:
            if fid.startswith(prefix) and wins:
                key = prefix + fid[len(prefix) :].split("-", 1)[0]
                members.setdefault(key, []).append(fid)
                windows[key] = wins
                break
    return [
        Unit(tuple(ids), min(plans[f] for f in ids), windows[key])
        for key, ids in sorted(members.items())
    ]


def whole_paths(
    legs: Sequence[tuple[str, Leg]], flights: Iterable[Flight]
) -> list[tuple[str, Leg]]:
    """The legs flown, and each flight's route still ahead where the end of the run cut it
    (from where it was, or from its take-off point if it never left), flown on at its speed.
    """
    out = list(legs)
    last = {a: leg for a, leg in legs}
    for f in flights:
        leg = last.get(f.id)
        if not f.route:
            continue
        if leg is None:
            t, here, ahead = f.depart_s, f.route[0], f.route[1:]
        else:
            t, here, ahead = leg.t1_s, (leg.x1_m, leg.y1_m, leg.z1_m), f.route
        for p in ahead:
            dt = math.hypot(p[0] - here[0], p[1] - here[1]) / f.plan.speed_mps
            out.append((f.id, Leg(t, t + dt, *here, *p)))
            t, here = t + dt, p
    return out
