"""Rates per 1,000 flight hours with confidence intervals, and the summary of one run.

An encounter is graded by the most severe cylinder the pair entered. ``encounters`` counts
each encounter once, under its grade; the *rate* of a category counts every encounter that
entered that cylinder, i.e. its grade or anything more severe ("at least a near miss").
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sim import exposure
from sim.causes import CAUSES
from sim.cost import mission_cost
from sim.intervals import (
    chi2_quantile,
    nested_dispersions,
    poisson_upper,
    scaled_poisson_interval,
)
from sim.protocol import registry
from sim.records import RunResult
from sim.version import __version__

PER_FH = 1000.0


def poisson_interval(count: int, exposure: float, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson rate ``count / exposure``.

    Examples
    --------
    >>> lo, hi = poisson_interval(0, 1.0)
    >>> (lo, round(hi, 3))
    (0.0, 3.689)
    """
    if exposure <= 0:
        return (float("nan"), float("nan"))
    alpha = 1.0 - level
    lo = 0.0 if count == 0 else chi2_quantile(alpha / 2, 2 * count) / 2
    hi = chi2_quantile(1 - alpha / 2, 2 * count + 2) / 2
    return (float(lo / exposure), float(hi / exposure))


def flight_hours(result: RunResult) -> float:
    """Hours flown by aircraft (crewed and uncrewed); missiles are not exposure."""
    return float(sum(f.flight_hours for f in result.flights if f.kind != "missile"))


def graded_counts(result: RunResult) -> dict[str, int]:
    """Encounters per grade (each counted once, under its most severe category)."""
    c = Counter(e.category for e in result.encounters)
    return {cat.name: int(c.get(cat.name, 0)) for cat in result.categories}


def entered_counts(result: RunResult) -> dict[str, int]:
    """Encounters that entered each cylinder (their grade or anything more severe)."""
    graded = graded_counts(result)
    names = [cat.name for cat in result.categories]
    return {name: sum(graded[n] for n in names[: i + 1]) for i, name in enumerate(names)}


def rates(result: RunResult, level: float = 0.95) -> dict[str, dict[str, float]]:
    """Rate per 1,000 flight hours of entering each cylinder, with an interval honest about
    the clustering of the day's encounters (``sim.intervals``) and a one-sided upper bound.

    Per category: ``count``, ``rate``, ``ci_low``, ``ci_high`` (two-sided ``level``),
    ``upper_95`` (one-sided 95 % upper bound, the figure to quote when ``count`` is 0) and
    ``dispersion`` (the over-dispersion the interval allows for; 1 = Poisson).
    """
    return _rate_table(result, list(result.encounters), flight_hours(result), level)


def _rate_table(
    result: RunResult, encounters: list[Any], fh: float, level: float
) -> dict[str, dict[str, float]]:
    """Rates of entering each cylinder for these encounters over ``fh`` flight hours.

    The clusters of the interval are formations (an aircraft flying alone is a formation of
    one): the members of a formation meet the same aircraft together.
    """
    names = [cat.name for cat in result.categories]
    rank = {name: i for i, name in enumerate(names)}
    unit = {f.id: f.formation or f.id for f in result.flights}
    pairs = [
        (
            (e.a_side, unit.get(e.a_id, e.a_id)),
            (e.b_side, unit.get(e.b_id, e.b_id)),
            rank[e.category],
        )
        for e in encounters
    ]
    entered = [[(a, b) for a, b, r in pairs if r <= i] for i in range(len(names))]
    out = {}
    for name, cluster, k in zip(names, nested_dispersions(entered), map(len, entered), strict=True):
        lo, hi = scaled_poisson_interval(k, fh / PER_FH, cluster.dispersion, level)
        out[name] = {
            "count": k,
            "rate": k / fh * PER_FH if fh > 0 else float("nan"),
            "ci_low": lo,
            "ci_high": hi,
            "upper_95": poisson_upper(k, fh / PER_FH, cluster.dispersion),
            "dispersion": round(cluster.dispersion, 6),
        }
    return out


def rates_over_syria(
    result: RunResult, level: float = 0.95, fh: float | None = None
) -> dict[str, dict[str, float]]:
    """Rate per 1,000 flight hours over Syria: encounters whose closest approach is inside
    Syria, per hour flown inside Syria's border, with the same intervals as :func:`rates`.
    ``fh``: the hours over Syria, if already known.
    """
    if fh is None:
        fh, _ = exposure.hours_over_syria(result)
    inside = exposure.encounters_over_syria(result)
    kept = [e for e, ok in zip(result.encounters, inside, strict=True) if ok]
    return _rate_table(result, kept, fh, level)


def sorties(result: RunResult) -> dict[str, int]:
    """Aircraft flights per side, and strike-type sorties (strike, bomber) per side."""
    out: dict[str, int] = {}
    for f in result.flights:
        if f.kind == "missile":
            continue
        out[f.side] = out.get(f.side, 0) + 1
        if f.mission in ("strike", "bomber"):
            out[f"{f.side}_strike"] = out.get(f"{f.side}_strike", 0) + 1
    return dict(sorted(out.items()))


TARGET_LEVEL_OF_SAFETY_PER_FH = 5e-9
"""ICAO's target level of safety for en-route collision risk: 5e-9 fatal accidents per flight
hour (ICAO Doc 9574, 2nd ed. 2002, section 2.1.4): a yardstick for ``collision.rate_per_fh``."""


def expected_figures(result: RunResult) -> dict[str, Any]:
    """``expected_encounters``, ``expected_rates_per_1000_fh`` and ``collision`` of a run
    (all None when no aircraft carries a position error), and with ``uncertainty.timing_draws``
    also ``expected_over_timing`` and ``expected_rates_over_timing_per_1000_fh`` (see
    :mod:`sim.timing`).

    ``collision``: ``expected`` collisions, ``p_given_nmac`` (expected collisions over
    expected encounters entering the most severe cylinder), ``rate_per_fh`` (per flight hour).
    ``expected_over_timing``: per category the mean over the re-timings and ``<c>_sd`` (its
    spread between them), ``collisions``, ``collisions_sd``, ``collision_rate_per_fh``,
    ``draws`` and ``exact`` (no mechanism on, so no path depends on the timing flown).
    """
    exp = result.expected
    if exp is None:
        return {"expected_encounters": None, "expected_rates_per_1000_fh": None, "collision": None}
    fh = flight_hours(result)
    per = PER_FH / fh if fh > 0 else float("nan")
    out: dict[str, Any] = {
        "expected_encounters": {c: exp.encounters[c] for c in exp.categories},
        "expected_rates_per_1000_fh": {c: exp.encounters[c] * per for c in exp.categories},
        "collision": {
            "expected": exp.collisions,
            "p_given_nmac": exp.p_collision_given_nmac,
            "rate_per_fh": exp.collisions / fh if fh > 0 else float("nan"),
            "passes_in_reach": exp.passes,
        },
    }
    t = result.expected_over_timing
    if t is not None:
        out["expected_over_timing"] = {
            **t.encounters,
            **{f"{c}_sd": t.sd[c] for c in t.categories},
            "collisions": t.collisions,
            "collisions_sd": t.collisions_sd,
            "collision_rate_per_fh": t.collisions / fh if fh > 0 else float("nan"),
            "draws": t.draws,
            "exact": t.exact,
        }
        out["expected_rates_over_timing_per_1000_fh"] = {
            c: t.encounters[c] * per for c in t.categories
        }
    return out


def causes_of(result: RunResult) -> tuple[str, ...]:
    """The causes summaries report: chance and intercept always, others when they occur."""
    seen = {e.cause for e in result.encounters}
    return tuple(c for c in CAUSES if c in ("chance", "intercept") or c in seen)


def entered_by_cause(result: RunResult) -> dict[str, dict[str, int]]:
    """Encounters that entered each cylinder, per cause (``chance``, ``intercept``, ...)."""
    names = [cat.name for cat in result.categories]
    rank = {name: i for i, name in enumerate(names)}
    out = {}
    for cause in causes_of(result):
        grades = Counter(rank[e.category] for e in result.encounters if e.cause == cause)
        out[cause] = {
            name: int(sum(grades[j] for j in range(i + 1))) for i, name in enumerate(names)
        }
    return out


def rates_by_cause(result: RunResult, level: float = 0.95) -> dict[str, dict[str, Any]]:
    """Per cause, the rate per 1,000 flight hours of entering each cylinder, with the same
    intervals as :func:`rates` (over all flight hours: the causes' rates add up).
    """
    fh = flight_hours(result)
    return {
        cause: _rate_table(result, [e for e in result.encounters if e.cause == cause], fh, level)
        for cause in causes_of(result)
    }


def formation_encounters(result: RunResult) -> dict[str, int]:
    """Encounters counted per pair of formations: overlapping encounters between members of
    the same two formations (a single aircraft is a formation of one) are one event, graded
    by the most severe cylinder any member pair entered.

    Examples
    --------
    >>> from sim.encounters import DEFAULT_CATEGORIES, Encounter
    >>> from sim.records import FlightRecord
    >>> def enc(a, b, cat, t0, t1):
    ...     return Encounter(a, b, "coalition", "russia", cat, t0, t1, t0, 0.0, 0.0,
    ...                      0.0, 0.0, 0.0, 0.0)
    >>> fl = [FlightRecord(i, "", "", "", "", "", "", 0.0, formation=f)
    ...       for i, f in (("A", "A"), ("A-2", "A"), ("B", ""))]
    >>> r = RunResult("s", "p", 1, 24.0, "", DEFAULT_CATEGORIES, tuple(fl), (),
    ...               (enc("A", "B", "separation", 0, 60), enc("A-2", "B", "near_miss", 30, 90),
    ...                enc("A", "B", "separation", 500, 560)), ())
    >>> formation_encounters(r)
    {'nmac': 0, 'near_miss': 1, 'separation': 1}
    """
    unit = {f.id: f.formation or f.id for f in result.flights}
    rank = {cat.name: i for i, cat in enumerate(result.categories)}
    by_pair: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
    for e in result.encounters:
        fa, fb = unit.get(e.a_id, e.a_id), unit.get(e.b_id, e.b_id)
        by_pair.setdefault((min(fa, fb), max(fa, fb)), []).append(
            (e.t_start_s, e.t_end_s, rank[e.category])
        )
    graded: Counter[int] = Counter()
    for items in by_pair.values():
        items.sort()
        end, worst = items[0][1], items[0][2]
        for t0, t1, r in items[1:]:
            if t0 <= end:
                end, worst = max(end, t1), min(worst, r)
                continue
            graded[worst] += 1
            end, worst = t1, r
        graded[worst] += 1
    return {cat.name: int(graded.get(i, 0)) for i, cat in enumerate(result.categories)}


def comms_figures(result: RunResult) -> dict[str, float]:
    """Counts of each kind of protocol event, and the mechanisms' communication figures."""
    kinds = Counter(e.kind for e in result.events)
    out: dict[str, float] = {kind: int(n) for kind, n in sorted(kinds.items())}
    for m in registry.mechanisms():
        if m.comms is not None:
            out.update(m.comms(result))
    return out


def protocol_figures(result: RunResult) -> dict[str, float]:
    """What the protocol did to the flights: reroutes, holds, manoeuvres, and each
    mechanism's own figures (violations, crossings, notices, calls, ...).
    """
    flights = [f for f in result.flights if f.kind != "missile"]
    out: dict[str, float] = {
        "flights_rerouted": sum(f.rerouted for f in flights),
        "flights_held": sum(f.held_s > 0 for f in flights),
        "manoeuvres": sum(f.manoeuvres for f in flights),
    }
    for m in registry.mechanisms():
        if m.figures is not None:
            out.update(m.figures(result))
    return out


def summarize(
    result: RunResult, wall_s: float | None = None, version: str | None = None
) -> dict[str, Any]:
    """The content of ``summary.json`` for one run."""
    flights = [f for f in result.flights if f.kind != "missile"]
    over_syria, by_side = exposure.hours_over_syria(result)
    return {
        "scenario": result.scenario,
        "protocol": result.protocol,
        "seed": result.seed,
        "start": result.start_iso,
        "duration_h": result.duration_h,
        "flights": len(flights),
        "missiles": len(result.flights) - len(flights),
        "flight_hours": round(flight_hours(result), 6),
        "flight_hours_over_syria": round(over_syria, 6),
        "flight_hours_over_syria_by_side": {k: round(v, 6) for k, v in by_side.items()},
        "sorties": sorties(result),
        "encounters": graded_counts(result),
        "encounters_entered": entered_counts(result),
        "rates_per_1000_fh": rates(result),
        "encounters_entered_by_cause": entered_by_cause(result),
        "rates_per_1000_fh_by_cause": rates_by_cause(result),
        "formation_encounters": formation_encounters(result),
        "rates_per_1000_fh_over_syria": rates_over_syria(result, fh=over_syria),
        **expected_figures(result),
        "position_errors_sampled": result.sampled,
        "comms": comms_figures(result),
        "protocol_effects": protocol_figures(result),
        "mission_cost": mission_cost(result),
        "wall_s": wall_s,
        "version": version or __version__,
    }
