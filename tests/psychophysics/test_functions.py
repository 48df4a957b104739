"""Psychometric families: PSE at F = 0.5, closed-form slope and JND against numerical references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from facepsych.errors import FacepsychError
from facepsych.psychophysics import FUNCTIONS, jnd, psi, slope_at_pse, x_at_f
from facepsych.psychophysics.functions import get_family


@pytest.mark.parametrize("function", FUNCTIONS)
def test_unscaled_f_is_one_half_at_mu(function):
    for mu in (0.2, 0.514, 0.9):
        assert psi(mu, mu, 0.13, 0.0, 0.0, function) == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_slope_matches_numerical_derivative(function):
    mu, sigma, g, lam = 0.45, 0.12, 0.03, 0.02
    h = 1e-6
    num = (psi(mu + h, mu, sigma, g, lam, function) - psi(mu - h, mu, sigma, g, lam, function)) / (
        2 * h
    )
    assert slope_at_pse(mu, sigma, g, lam, function) == pytest.approx(num, rel=1e-6)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_jnd_matches_root_finding_on_unscaled_f(function):
    mu, sigma = 0.55, 0.1
    x25 = optimize.brentq(lambda x: psi(x, mu, sigma, 0, 0, function) - 0.25, 1e-9, 5)
    x75 = optimize.brentq(lambda x: psi(x, mu, sigma, 0, 0, function) - 0.75, 1e-9, 5)
    assert jnd(mu, sigma, function) == pytest.approx((x75 - x25) / 2, rel=1e-8)
    # JND is a property of F: it ignores guess and lapse
    assert x_at_f(0.75, mu, sigma, function) == pytest.approx(x75, rel=1e-8)


def test_golden_closed_forms():
    # cumnorm: slope = (1 - g - l) / (sqrt(2 pi) sigma), JND = z_.75 sigma
    assert slope_at_pse(0.5, 0.1, 0.02, 0.03, "cumnorm") == pytest.approx(
        0.95 / (np.sqrt(2 * np.pi) * 0.1)
    )
    assert jnd(0.5, 0.1, "cumnorm") == pytest.approx(stats.norm.ppf(0.75) * 0.1)
    # logistic: slope = (1 - g - l) / (4 sigma), JND = ln 3 sigma
    assert slope_at_pse(0.5, 0.1, 0.0, 0.0, "logistic") == pytest.approx(2.5)
    assert jnd(0.5, 0.1, "logistic") == pytest.approx(np.log(3) * 0.1)
    # weibull: F = 1 - exp(-ln2 (x/mu)^(1/sigma)); slope at mu = ln2 / (2 sigma mu)
    assert slope_at_pse(0.5, 0.25, 0.0, 0.0, "weibull") == pytest.approx(
        np.log(2) / (2 * 0.25 * 0.5)
    )
    # classic Weibull 1 - exp(-(x/alpha)^beta) with beta = 1/sigma, alpha = mu / ln2^sigma
    x = np.linspace(0.01, 1, 7)
    alpha, beta = 0.5 / np.log(2) ** 0.25, 4.0
    assert psi(x, 0.5, 0.25, 0, 0, "weibull") == pytest.approx(1 - np.exp(-((x / alpha) ** beta)))


def test_weibull_is_zero_at_zero_level():
    assert psi(0.0, 0.4, 0.3, 0.02, 0.01, "weibull") == pytest.approx(0.02)


def test_unknown_function_is_one_line_error():
    with pytest.raises(
        FacepsychError, match=r"^unknown psychometric function 'probitx'; choose one of"
    ):
        get_family("probitx")


@settings(max_examples=40, deadline=None)
@given(
    function=st.sampled_from(FUNCTIONS),
    mu=st.floats(0.1, 0.9),
    sigma=st.floats(0.02, 0.5),
    g=st.floats(0, 0.05),
    lam=st.floats(0, 0.05),
)
def test_psi_is_monotone_and_within_asymptotes(function, mu, sigma, g, lam):
    x = np.linspace(0, 1, 101)
    y = psi(x, mu, sigma, g, lam, function)
    assert np.all(np.diff(y) >= -1e-12)
    assert np.all(y >= g - 1e-12) and np.all(y <= 1 - lam + 1e-12)
