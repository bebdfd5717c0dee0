"""Statistics across replications: t-intervals, paired differences and pooled Poisson rates.

Pure numpy/scipy. One replication of a scenario gives one rate per category; a sweep point
has ``n`` replications, so its rate is summarised two ways:

- the **between-replication** mean of the per-replication rates with a Student t-interval
  (:func:`mean_interval`), which reflects every source of run-to-run variation;
- the **pooled** rate, total count over total exposure (:func:`pooled_rate`), with the exact
  Poisson interval scaled by the over-dispersion between days (:func:`day_dispersion`):
  encounters cluster, so days vary more than a Poisson process would.

When nothing was seen, :func:`pooled_upper` is the one-sided upper bound to quote instead.

Two scenarios run on the same seeds give paired replications; :func:`paired_difference`
is the interval of the mean of ``b - a``, the same test as :func:`scipy.stats.ttest_rel`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from sim.intervals import poisson_upper, scaled_poisson_interval
from sim.metrics import PER_FH


@dataclass(frozen=True, slots=True)
class Interval:
    """A point estimate with a two-sided confidence interval.

    ``low``/``high`` are NaN when the interval is undefined (fewer than two values, or any
    value missing).
    """

    mean: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (for JSON)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class PairedDifference:
    """Mean of paired differences ``b - a`` with its t-interval and two-sided p-value.

    ``significant`` is true when the interval excludes zero, which is the same as
    ``p_value < 1 - level``.
    """

    mean_a: float
    mean_b: float
    mean_diff: float
    low: float
    high: float
    p_value: float
    significant: bool
    n: int

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (for JSON)."""
        return asdict(self)


def _values(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=float).ravel()


def mean_interval(x: ArrayLike, level: float = 0.95) -> Interval:
    """Mean of ``x`` with a Student t-interval (between-replication variation).

    Parameters
    ----------
    x : array_like
        One value per replication (e.g. a rate per 1,000 flight hours).
    level : float
        Confidence level of the two-sided interval.

    Returns
    -------
    Interval
        ``mean ± t_{n-1} · s / sqrt(n)``; a zero spread gives a zero-width interval.

    Examples
    --------
    >>> iv = mean_interval([1.0, 2.0, 3.0])
    >>> iv.mean, round(iv.low, 3), round(iv.high, 3)
    (2.0, -0.484, 4.484)
    """
    v = _values(x)
    n = int(v.size)
    if n == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    mean = float(v.mean())
    if n < 2 or not np.isfinite(v).all():
        return Interval(mean, float("nan"), float("nan"), n)
    half = _half_width(v, level)
    return Interval(mean, float(mean - half), float(mean + half), n)


def _half_width(v: np.ndarray, level: float) -> float:
    """Half-width of the t-interval of the mean of ``v`` (n >= 2)."""
    sem = float(v.std(ddof=1)) / np.sqrt(v.size)
    return float(stats.t.ppf(0.5 + level / 2, v.size - 1)) * sem


def paired_difference(a: ArrayLike, b: ArrayLike, level: float = 0.95) -> PairedDifference:
    """Mean paired difference ``b - a`` over replications, its t-interval and p-value.

    Parameters
    ----------
    a, b : array_like
        Paired values, replication ``i`` of ``a`` run on the same seed as replication ``i``
        of ``b`` (common random numbers).
    level : float
        Confidence level of the two-sided interval.

    Returns
    -------
    PairedDifference
        When every difference is equal the interval has zero width and the p-value is 1 if
        the difference is zero, else 0 (the limit of the t statistic).

    Examples
    --------
    >>> d = paired_difference([1.0, 2.0, 3.0, 4.0], [2.0, 3.5, 3.9, 5.2])
    >>> round(d.mean_diff, 2), d.significant
    (1.15, True)
    >>> paired_difference([1.0, 2.0], [1.0, 2.0]).significant
    False
    """
    va, vb = _values(a), _values(b)
    if va.shape != vb.shape:
        raise ValueError(f"paired samples differ in length: {va.size} and {vb.size}")
    d = vb - va
    iv = mean_interval(d, level)
    p = _paired_p_value(d)
    significant = bool(np.isfinite(iv.low) and (iv.low > 0 or iv.high < 0))
    mean_a = float(va.mean()) if va.size else float("nan")
    mean_b = float(vb.mean()) if vb.size else float("nan")
    return PairedDifference(mean_a, mean_b, iv.mean, iv.low, iv.high, p, significant, iv.n)


def _paired_p_value(d: np.ndarray) -> float:
    """Two-sided p-value of the one-sample t test of ``mean(d) == 0``."""
    if d.size < 2 or not np.isfinite(d).all():
        return float("nan")
    if float(d.std(ddof=1)) == 0.0:
        return 1.0 if float(d.mean()) == 0.0 else 0.0
    return float(stats.ttest_1samp(d, 0.0).pvalue)


def day_dispersion(counts: ArrayLike, exposure: ArrayLike) -> float:
    """Over-dispersion of daily counts around a common rate: Pearson's chi-square over its
    degrees of freedom (the quasi-Poisson estimate), at least 1.

    1 with fewer than two days or no event (nothing to estimate it from).

    Examples
    --------
    >>> day_dispersion([4, 5, 3, 4], [1.0, 1.0, 1.0, 1.0])
    1.0
    >>> round(day_dispersion([0, 12, 1, 11], [1.0, 1.0, 1.0, 1.0]), 2)
    6.78
    """
    k, e = _values(counts), _values(exposure)
    if k.size < 2 or k.sum() <= 0 or e.sum() <= 0:
        return 1.0
    mu = k.sum() / e.sum() * e
    ok = mu > 0
    x2 = float((((k - mu) ** 2)[ok] / mu[ok]).sum())
    return max(1.0, x2 / (k.size - 1))


def pooled_rate(
    counts: ArrayLike,
    exposure: ArrayLike,
    per: float = PER_FH,
    level: float = 0.95,
    dispersion: float = 1.0,
) -> Interval:
    """Pooled rate ``sum(counts) / sum(exposure) · per`` with the exact Poisson interval,
    scaled by ``dispersion`` (see :func:`day_dispersion`; 1 = Poisson).

    Parameters
    ----------
    counts : array_like
        Event counts per replication.
    exposure : array_like
        Exposure per replication (flight hours).
    per : float
        Rate unit in exposure units (1,000 flight hours by default).
    level : float
        Confidence level of the exact (Garwood) interval.
    dispersion : float
        Over-dispersion of the counts (variance over mean), at least 1.

    Returns
    -------
    Interval
        ``n`` is the number of replications pooled; NaN rate and interval if the total
        exposure is zero.

    Examples
    --------
    >>> r = pooled_rate([2, 3], [500.0, 500.0])
    >>> r.mean, round(r.low, 3), round(r.high, 3)
    (5.0, 1.623, 11.668)
    """
    k = _values(counts)
    e = _values(exposure)
    total_k, total_e = int(round(k.sum())), float(e.sum())
    if total_e <= 0:
        return Interval(float("nan"), float("nan"), float("nan"), int(k.size))
    lo, hi = scaled_poisson_interval(total_k, total_e / per, dispersion, level)
    return Interval(total_k / total_e * per, lo, hi, int(k.size))


def pooled_upper(
    counts: ArrayLike,
    exposure: ArrayLike,
    per: float = PER_FH,
    dispersion: float = 1.0,
    level: float = 0.95,
) -> float:
    """One-sided upper bound on the pooled rate (the figure to quote when nothing was seen).

    Examples
    --------
    >>> round(pooled_upper([0, 0, 0], [1000.0, 1000.0, 1000.0]), 3)  # rule of three
    0.999
    """
    total_e = float(_values(exposure).sum())
    return poisson_upper(float(_values(counts).sum()), total_e / per, dispersion, level)
