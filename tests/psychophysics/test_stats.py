"""mean_ci / diff_ci against scipy's t and Welch intervals, paired form, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from facepsych.errors import FacepsychError
from facepsych.psychophysics import Interval, diff_ci, mean_ci


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_mean_ci_is_the_t_interval(level):
    v = np.random.default_rng(1).normal(0.5, 0.1, 15)
    iv = mean_ci(np.append(v, np.nan), level)  # NaN is dropped
    lo, hi = stats.t.interval(level, len(v) - 1, loc=v.mean(), scale=stats.sem(v))
    assert iv.n == 15 and iv.mean == pytest.approx(v.mean())
    assert (iv.lo, iv.hi) == pytest.approx((lo, hi), rel=1e-12)
    mean, lo2, hi2, n = iv  # unpacks as (mean, lo, hi, n)
    assert (mean, lo2, hi2, n) == tuple(iv)


def test_mean_ci_edge_cases_and_text():
    assert mean_ci([]).n == 0 and math.isnan(mean_ci([np.nan]).mean)
    one = mean_ci([0.3])
    assert one.n == 1 and one.mean == 0.3 and math.isnan(one.lo)
    assert one.text(2) == "0.30 (n = 1, no CI)" and not one.excludes_zero
    iv = mean_ci([1.0, 2.0, 3.0])
    assert iv.text(2) == "2.00 [-0.48, 4.48] (n = 3)" and not iv.excludes_zero
    assert mean_ci([1.0, 1.1, 0.9]).excludes_zero
    assert iv.as_dict() == {"mean": 2.0, "lo": iv.lo, "hi": iv.hi, "n": 3}
    assert isinstance(iv, Interval)


@pytest.mark.parametrize("level", [0.9, 0.95])
def test_diff_ci_matches_welch(level):
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.5, 0.1, 12), rng.normal(0.6, 0.2, 9)
    iv = diff_ci(a, b, level)
    res = stats.ttest_ind(b, a, equal_var=False)
    assert iv.mean == pytest.approx(b.mean() - a.mean()) and iv.n == 21
    assert (iv.lo, iv.hi) == pytest.approx(res.confidence_interval(level), rel=1e-9)


def test_diff_ci_paired_is_the_t_interval_of_the_differences():
    rng = np.random.default_rng(2)
    a = rng.normal(0.5, 0.1, 10)
    b = a + rng.normal(0.05, 0.02, 10)
    b[3] = np.nan  # the pair is dropped
    iv = diff_ci(a, b, paired=True)
    keep = np.isfinite(b)
    res = stats.ttest_rel(b[keep], a[keep])
    assert iv.n == 9 and (iv.lo, iv.hi) == pytest.approx(res.confidence_interval(0.95), rel=1e-9)
    with pytest.raises(FacepsychError, match=r"^paired values differ in length \(3 vs 2\)$"):
        diff_ci([1, 2, 3], [1, 2], paired=True)


def test_diff_ci_edge_cases():
    assert diff_ci([], [1.0, 2.0]).n == 0
    small = diff_ci([0.5], [0.7, 0.8])
    assert small.mean == pytest.approx(0.25) and small.n == 3 and math.isnan(small.lo)
    same = diff_ci([1.0, 1.0], [2.0, 2.0])
    assert (same.mean, same.lo, same.hi) == (1.0, 1.0, 1.0)
    with pytest.raises(FacepsychError, match=r"^level must lie in \(0, 1\) \(got 1.5\)$"):
        mean_ci([1, 2], level=1.5)
