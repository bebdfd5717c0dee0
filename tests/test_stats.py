"""Statistics across replications, checked against known answers and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from sim.experiments import mean_interval, paired_difference, pooled_rate

TRIALS = 2000
# Binomial tolerance for an estimated coverage of 0.95 over TRIALS trials: 4 standard errors.
TOL = 4 * np.sqrt(0.95 * 0.05 / TRIALS)


def coverage(lows: np.ndarray, highs: np.ndarray, truth: float) -> float:
    return float(np.mean((lows <= truth) & (truth <= highs)))


def test_mean_interval_known_answer() -> None:
    iv = mean_interval([1.0, 2.0, 3.0, 4.0])
    half = sps.t.ppf(0.975, 3) * np.std([1, 2, 3, 4], ddof=1) / 2
    assert iv.mean == 2.5
    assert iv.n == 4
    assert iv.low == pytest.approx(2.5 - half)
    assert iv.high == pytest.approx(2.5 + half)


def test_mean_interval_degenerate_cases() -> None:
    assert mean_interval([]).n == 0
    one = mean_interval([3.0])
    assert one.mean == 3.0 and np.isnan(one.low) and np.isnan(one.high)
    flat = mean_interval([2.0, 2.0, 2.0])
    assert (flat.low, flat.mean, flat.high) == (2.0, 2.0, 2.0)


def test_t_interval_coverage_on_poisson_rates() -> None:
    """Per-replication rates of a Poisson process with unequal exposures: the t-interval of
    their mean covers the true rate about 95 % of the time, even with only 5 replications
    (a normal-quantile interval would cover about 88 %)."""
    rng = np.random.default_rng(20151020)
    rate, reps = 4.0, 5  # events per 1,000 flight hours
    lows, highs = np.empty(TRIALS), np.empty(TRIALS)
    for i in range(TRIALS):
        hours = rng.uniform(2000.0, 4000.0, size=reps)
        counts = rng.poisson(rate * hours / 1000.0)
        iv = mean_interval(counts / hours * 1000.0)
        lows[i], highs[i] = iv.low, iv.high
    assert abs(coverage(lows, highs, rate) - 0.95) < TOL


def test_pooled_poisson_interval_coverage() -> None:
    """The exact (Garwood) interval is conservative: coverage at least 95 %, and for a
    moderate expected count not much more."""
    rng = np.random.default_rng(17112015)
    rate, reps = 3.0, 10
    hours = np.full(reps, 1500.0)  # expected total count 45
    lows, highs = np.empty(TRIALS), np.empty(TRIALS)
    for i in range(TRIALS):
        iv = pooled_rate(rng.poisson(rate * hours / 1000.0), hours)
        lows[i], highs[i] = iv.low, iv.high
    cov = coverage(lows, highs, rate)
    assert 0.95 - TOL < cov < 0.95 + 2 * TOL


def test_pooled_rate_known_answer() -> None:
    iv = pooled_rate([0, 0], [250.0, 250.0])
    assert iv.mean == 0.0 and iv.low == 0.0
    # Zero events: the upper limit is -ln(0.025) events over the exposure.
    assert iv.high == pytest.approx(-np.log(0.025) / 0.5, rel=1e-9)
    assert np.isnan(pooled_rate([1], [0.0]).mean)


def test_paired_difference_matches_ttest_rel_interval() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(10.0, 2.0, size=12)
    b = a + rng.normal(0.8, 1.0, size=12)
    d = paired_difference(a, b)
    ref = sps.ttest_rel(b, a)
    ci = ref.confidence_interval(0.95)
    assert d.mean_diff == pytest.approx(float(np.mean(b - a)))
    assert d.low == pytest.approx(ci.low) and d.high == pytest.approx(ci.high)
    assert d.p_value == pytest.approx(ref.pvalue)
    assert d.n == 12


def test_paired_difference_of_identical_samples_is_zero_not_significant() -> None:
    a = [3.0, 1.0, 4.0, 1.0, 5.0]
    d = paired_difference(a, a)
    assert (d.mean_diff, d.low, d.high, d.p_value, d.significant) == (0.0, 0.0, 0.0, 1.0, False)


def test_paired_difference_rejects_unpaired() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        paired_difference([1.0, 2.0], [1.0])


samples = st.lists(st.integers(0, 30), min_size=2, max_size=25)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), a=samples)
def test_significant_iff_ttest_rel_p_below_005(data: st.DataObject, a: list[int]) -> None:
    b = data.draw(st.lists(st.integers(0, 30), min_size=len(a), max_size=len(a)))
    d = paired_difference(a, b)
    diffs = np.subtract(b, a, dtype=float)
    if np.std(diffs) == 0:
        assert d.significant == (diffs[0] != 0)
        return
    p = sps.ttest_rel(b, a).pvalue
    assert d.p_value == pytest.approx(p, rel=1e-9, abs=1e-12)
    if abs(p - 0.05) > 1e-9:
        assert d.significant == (p < 0.05)
