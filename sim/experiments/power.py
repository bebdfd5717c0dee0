"""How many days a question needs: replications for a paired comparison to detect a change.

A paired comparison (``compare``, or two points of a sweep on the same seeds) tests the mean of
the daily differences ``B - A`` with a two-sided t test at the 95 % level. To detect a change
of ``effect`` with probability ``power`` when a day's difference has standard deviation
``sd``, it needs the smallest ``n`` whose power, from the noncentral t distribution with
``n - 1`` degrees of freedom and noncentrality ``effect / (sd / sqrt(n))``, reaches ``power``.

``compare`` takes ``sd`` from the differences it saw and the effect as a relative change of
A's mean rate (``change = 0.5``: halving). ``sweep`` sees each point on its own: for a point of
mean rate ``m`` and daily standard deviation ``s`` it assumes the other arm is that point with
its rate changed by ``change`` and, day-to-day variance growing with the rate as for counts,
the daily variance of the difference ``s^2 (1 + (1 - change))`` (independent arms: common
seeds usually make the real difference less variable, so this errs towards more days).

Checked by simulating the claim (``tests/test_power.py``): independent arms of over-dispersed
counts, 81-83 % power with the days named; paired arms whose daily differences are skewed,
86 % (the t test gains a little power from the skew, so the figure errs to the safe side).
These figures are only as good as the spread they rest on: from ten days the standard
deviation is itself uncertain by about a quarter, so read them as "about", and with rare
events (NMACs) a spread estimated from a handful of counts says little; see the README
("reading the numbers").
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

POWER = 0.8
"""The default chance of detecting the change (80 %)."""
CHANGE = 0.5
"""The default relative change to detect: halving."""
LIMIT = 10**9
"""Above this many replications the answer is reported as not reachable (None)."""


def paired_power(n: int, sd: float, effect: float, level: float = 0.95) -> float:
    """Power of the two-sided paired t test with ``n`` pairs.

    Examples
    --------
    >>> round(paired_power(10, 1.0, 1.0), 3)
    0.803
    """
    if n < 2:
        return 0.0
    df = n - 1
    nc = abs(effect) / (sd / math.sqrt(n))
    crit = stats.t.ppf(0.5 + level / 2, df)
    return float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))


def replications_needed(
    sd: float, effect: float, power: float = POWER, level: float = 0.95
) -> int | None:
    """Pairs needed for the paired t test at ``level`` to detect ``effect`` with ``power``.

    None when it cannot be said (no spread seen and no effect, or non-finite input) or when it
    would take more than ``LIMIT``.

    Examples
    --------
    >>> replications_needed(1.0, 1.0)
    10
    >>> replications_needed(4.0, 0.5)
    505
    """
    if not (math.isfinite(sd) and math.isfinite(effect)) or effect == 0:
        return None
    if sd <= 0:
        return 2
    z = stats.norm.ppf(0.5 + level / 2) + stats.norm.ppf(power)
    n = max(2, math.ceil((z * sd / abs(effect)) ** 2))
    if n > LIMIT:
        return None
    while paired_power(n, sd, effect, level) < power:
        n += 1
    while n > 2 and paired_power(n - 1, sd, effect, level) >= power:
        n -= 1
    return n


def compare_replications(
    a: ArrayLike, b: ArrayLike, change: float = CHANGE, power: float = POWER, level: float = 0.95
) -> int | None:
    """For a compare: pairs needed to detect a change of ``change`` times A's mean, with the
    daily differences as variable as those seen (``b - a``).
    """
    va, vb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if va.size < 2:
        return None
    sd = float(np.std(vb - va, ddof=1))
    return replications_needed(sd, change * float(va.mean()), power, level)


def point_replications(
    x: ArrayLike, change: float = CHANGE, power: float = POWER, level: float = 0.95
) -> int | None:
    """For a sweep point: pairs needed to detect a change of ``change`` times its mean rate
    against another arm like it (see the module's note on the variance assumed).
    """
    v = np.asarray(x, dtype=float)
    if v.size < 2 or not np.isfinite(v).all():
        return None
    sd = float(np.std(v, ddof=1)) * math.sqrt(2.0 - change)
    return replications_needed(sd, change * float(v.mean()), power, level)
