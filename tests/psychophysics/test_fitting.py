"""fit_psychometric: parameter recovery, golden values, bootstrap CIs, lsq parity, bad input."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import optimize
from scipy.special import erf

from facepsych.errors import FacepsychError
from facepsych.psychophysics import (
    COMPANION_LSQ_LEVELS,
    FUNCTIONS,
    FitFlag,
    PsychometricFit,
    binomial_deviance,
    fit_psychometric,
    jnd,
    psi,
    slope_at_pse,
)
from facepsych.psychophysics.functions import get_family
from facepsych.psychophysics.optimize import psi_and_jacobian

X21 = np.round(np.linspace(0, 1, 21), 2)
TRUE = {  # (mu, sigma, guess, lapse) per family; sigma of the weibull is in ln-x units
    "cumnorm": (0.48, 0.09, 0.02, 0.03),
    "logistic": (0.55, 0.06, 0.01, 0.02),
    "gumbel": (0.45, 0.08, 0.03, 0.01),
    "weibull": (0.5, 0.18, 0.02, 0.02),
}


def _asymptotic_se(function, theta_true, x, n):
    """SE of (m, ln sigma) from the inverse Fisher information at the true parameters."""
    fam = get_family(function)
    mu, sigma, g, lam = theta_true
    theta = np.array([[fam.t(mu), np.log(sigma), g, lam]])
    p, J = psi_and_jacobian(theta, fam.t(x), fam)
    w = n / (p[0] * (1 - p[0]))
    info = np.einsum("l,lp,lq->pq", w, J[0], J[0])
    return np.sqrt(np.diag(np.linalg.inv(info)))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_parameter_recovery(function):
    """21 levels x 100 trials: the MLE lands within 4 asymptotic SEs of the truth (the SE comes
    from the Fisher information of this design, so the tolerance scales with n); 3 seeds."""
    mu, sigma, g, lam = TRUE[function]
    n = np.full(21, 100)
    se_m, se_s = _asymptotic_se(function, TRUE[function], X21, n)[:2]
    fam = get_family(function)
    for seed in range(3):
        k = np.random.default_rng(seed).binomial(n, psi(X21, mu, sigma, g, lam, function))
        fit = fit_psychometric(X21, k, n, function=function, bootstrap=0)
        assert abs(fam.t(fit.pse) - fam.t(mu)) < 4 * se_m, (seed, fit.pse)
        assert abs(np.log(fit.sigma) - np.log(sigma)) < 4 * se_s, (seed, fit.sigma)
        assert fit.fit_ok, fit.reason


@pytest.mark.parametrize("function", FUNCTIONS)
def test_noiseless_data_are_recovered_exactly(function):
    mu, sigma, g, lam = TRUE[function]
    n = np.full(21, 10**9)  # counts are whole numbers: rounding moves p by <= 5e-10
    fit = fit_psychometric(
        X21, np.round(n * psi(X21, mu, sigma, g, lam, function)), n, function=function, bootstrap=0
    )
    assert fit.pse == pytest.approx(mu, abs=1e-4)
    assert fit.sigma == pytest.approx(sigma, rel=1e-3)
    assert fit.guess == pytest.approx(g, abs=1e-4) and fit.lapse == pytest.approx(lam, abs=1e-4)
    assert fit.deviance == pytest.approx(0, abs=1e-3) and fit.r2 == pytest.approx(1)  # 2e10 trials


def test_golden_saturated_logistic():
    """k = 1, 2, 3 of 4 at x = 0, .5, 1 with γ = λ = 0: the logistic passes through .25/.5/.75, so
    μ = .5, σ = .5 / ln 3, slope = 1/(4σ) = ln3 / 2, JND = ln3 σ = .5, deviance 0."""
    fit = fit_psychometric(
        [0, 0.5, 1], [1, 2, 3], [4, 4, 4], function="logistic", guess=0.0, lapse=0.0, bootstrap=0
    )
    assert fit.pse == pytest.approx(0.5, abs=1e-6)
    assert fit.sigma == pytest.approx(0.5 / math.log(3), rel=1e-5)
    assert fit.slope == pytest.approx(math.log(3) / 2, rel=1e-5)
    assert fit.jnd == pytest.approx(0.5, rel=1e-5)
    assert fit.deviance == pytest.approx(0.0, abs=1e-8)
    # ln L = Σ ln C(4, k) + k ln p + (4 - k) ln(1 - p) at p = .25, .5, .75
    ll = 2 * (math.log(4) + math.log(0.25) + 3 * math.log(0.75)) + math.log(6) + 4 * math.log(0.5)
    assert fit.loglik == pytest.approx(ll, rel=1e-6)


def test_golden_deviance():
    # k = 0, 2, 4 of 4 against p = .5: D = 2 [4 ln 2] + 0 + 2 [4 ln 2] = 16 ln 2
    assert binomial_deviance([0, 2, 4], [4, 4, 4], [0.5, 0.5, 0.5]) == pytest.approx(
        16 * math.log(2)
    )
    assert binomial_deviance([1, 2, 3], [4, 4, 4], [0.25, 0.5, 0.75]) == pytest.approx(0.0)


def test_bootstrap_is_fast_seeded_and_brackets_the_estimate():
    n = np.full(21, 40)
    k = np.random.default_rng(1).binomial(n, psi(X21, 0.5, 0.1, 0.02, 0.03))
    t0 = time.perf_counter()
    fit = fit_psychometric(X21, k, n, bootstrap=1000, seed=3)
    elapsed = time.perf_counter() - t0
    assert elapsed < 2.0  # target: 1,000-sample bootstrap <= 2 s on 2 cores
    assert fit.n_boot >= 990
    assert fit.pse_lo < fit.pse < fit.pse_hi
    assert fit.slope_lo < fit.slope < fit.slope_hi and fit.jnd_lo < fit.jnd < fit.jnd_hi
    assert 0 < fit.deviance_p <= 1
    again = fit_psychometric(X21, k, n, bootstrap=1000, seed=3)
    assert (again.pse_lo, again.pse_hi) == (fit.pse_lo, fit.pse_hi)
    other = fit_psychometric(X21, k, n, bootstrap=1000, seed=4)
    assert (other.pse_lo, other.pse_hi) != (fit.pse_lo, fit.pse_hi)
    lo, hi = fit.band(X21)
    assert np.all(lo <= fit.predict(X21) + 1e-9) and np.all(fit.predict(X21) <= hi + 1e-9)


@pytest.mark.slow
def test_debiased_intervals_cover_pse_slope_and_jnd():
    """200 simulated observers (11 levels x 20 trials, μ = .5, σ = .1, γ = λ = .02 with γ, λ free in
    [0, .05]), 500-sample bootstrap: each debiased 95 % interval (PSE, slope, JND) covers the
    truth in 91-98 % of them (the binomial SD of a 95 % rate over 200 is 1.5 points), and its
    slope and JND intervals cover more often than the plain percentile intervals on the same
    observers (which miss on the shallow side: σ̂ is biased low). ``benchmarks/coverage.py``
    measures the rates over 400 simulations with B = 1000."""
    x = np.linspace(0, 1, 11)
    n = np.full(11, 20)
    truth = {"pse": 0.5, "slope": float(slope_at_pse(0.5, 0.1, 0.02, 0.02)),
             "jnd": float(jnd(0.5, 0.1))}  # fmt: skip
    rng = np.random.default_rng(2024)
    hits = {m: dict.fromkeys(truth, 0) for m in ("debiased", "percentile")}
    sims = 200
    for rep in range(sims):
        k = rng.binomial(n, psi(x, 0.5, 0.1, 0.02, 0.02))
        for method, h in hits.items():
            fit = fit_psychometric(x, k, n, bootstrap=500, seed=rep, ci_method=method)
            for name, value in truth.items():
                h[name] += getattr(fit, f"{name}_lo") <= value <= getattr(fit, f"{name}_hi")
    assert all(0.91 * sims <= v <= 0.98 * sims for v in hits["debiased"].values()), hits
    for name in ("slope", "jnd"):
        assert hits["debiased"][name] > hits["percentile"][name], hits


def test_deviance_p_flags_a_misfitting_model():
    # U-shaped data cannot be fitted by any monotone psi: deviance p must be tiny
    x = np.linspace(0, 1, 9)
    n = np.full(9, 50)
    k = np.array([45, 30, 10, 5, 5, 10, 30, 45, 49])
    fit = fit_psychometric(x, k, n, bootstrap=300)
    assert fit.deviance_p < 0.01
    assert not fit.fit_ok and "not monotonically increasing" in fit.reason


def test_mle_on_network_probabilities_counts_decisions():
    levels = np.repeat(X21, 4)  # four identities per level
    rng = np.random.default_rng(0)
    p = psi(levels, 0.5 + rng.normal(0, 0.08, levels.size), 0.05)
    fit = fit_psychometric(levels, p=p, method="mle", bootstrap=0)
    ref = fit_psychometric(levels, k=(p > 0.5).astype(float), n=np.ones(levels.size), bootstrap=0)
    assert fit.pse == pytest.approx(ref.pse) and fit.n_trials == levels.size


def test_lsq_uses_companion_levels_and_recovers_noiseless_curve():
    p = psi(X21, 0.47, 0.12, 0.01, 0.02, "logistic")
    fit = fit_psychometric(X21, p=p, method="lsq", function="logistic")
    assert fit.n_levels == len(COMPANION_LSQ_LEVELS) == 9
    assert fit.pse == pytest.approx(0.47, abs=1e-5) and fit.sigma == pytest.approx(0.12, rel=1e-4)
    assert math.isnan(fit.pse_lo) and math.isnan(fit.deviance)  # no trials: no CI, no likelihood
    assert fit_psychometric(X21, p=p, method="lsq", lsq_levels="all").n_levels == 21
    x11 = np.linspace(0, 1, 11)
    assert fit_psychometric(x11, p=psi(x11, 0.5, 0.1), method="lsq").n_levels == 11  # auto: all
    with pytest.raises(FacepsychError, match=r"^lsq level 0.25 is not among the data levels$"):
        fit_psychometric(x11, p=psi(x11, 0.5, 0.1), method="lsq", lsq_levels=[0, 0.25, 0.5, 1])


def _companion_reference(y9):
    """FitPsycheCurveWH.m written out independently: ψ = g + (1 − g − l)·½·(1 + erf((x − u) /
    √(2v²))), v the SD, bounds g, l ∈ [0, .05], u ∈ [0, 1], v ∈ [0.1, 100], start (.01, .02,
    .5, 5), trust-region-reflective least squares on the 9 companion levels."""
    x = np.array(COMPANION_LSQ_LEVELS)

    def resid(v):
        return v[0] + (1 - v[0] - v[1]) * 0.5 * (1 + erf((x - v[2]) / np.sqrt(2 * v[3] ** 2))) - y9

    res = optimize.least_squares(
        resid, [0.01, 0.02, 0.5, 5], bounds=([0, 0, 0, 0.1], [0.05, 0.05, 1, 100]),
        method="trf", xtol=1e-12, ftol=1e-12, gtol=1e-12,
    )  # fmt: skip
    return res.x


def test_lsq_is_the_companion_fit_over_a_sweep_of_curves():
    """Steep (σ below the 0.1 floor) to shallow curves, guess/lapse at 0, inside, at and beyond
    their .05 bound, noiseless and noisy: PSE within 1e-5 of the independent reference."""
    rng = np.random.default_rng(0)
    on9 = np.isin(X21, COMPANION_LSQ_LEVELS)
    worst = 0.0
    for mu, sd, (g, lam), noise in itertools.product(
        [0.3, 0.5, 0.62], [0.02, 0.06, 0.1, 0.2, 0.5], [(0, 0), (0.02, 0.03), (0.05, 0.05),
        (0.1, 0.12)], [0.0, 0.03],
    ):  # fmt: skip
        p = np.clip(psi(X21, mu, sd, g, lam) + rng.normal(0, noise, 21), 0, 1)
        fit = fit_psychometric(X21, p=p, method="lsq", bootstrap=0)
        ref = _companion_reference(p[on9])
        worst = max(worst, abs(fit.pse - ref[2]))
        assert fit.sigma == pytest.approx(ref[3], rel=1e-4, abs=1e-6), (mu, sd, g, lam, noise)
        assert (fit.guess, fit.lapse) == pytest.approx((ref[0], ref[1]), abs=1e-5)
    assert worst <= 1e-5


def test_lsq_curve_steeper_than_the_floor_puts_sigma_on_its_bound():
    p = psi(X21, 0.43, 0.03, 0.01, 0.02)
    fit = fit_psychometric(X21, p=p, method="lsq")
    ref = _companion_reference(p[np.isin(X21, COMPANION_LSQ_LEVELS)])
    assert fit.sigma == pytest.approx(0.1, abs=1e-9) and FitFlag.sigma_at_bound in fit.flags
    assert fit.pse == pytest.approx(ref[2], abs=1e-5)


def test_lsq_steepness_parametrisation_is_an_explicit_option():
    p = psi(X21, 0.47, 0.05, 0.01, 0.02)  # β = 20 is inside [0.1, 100]; σ = .05 is below 0.1
    steep = fit_psychometric(X21, p=p, method="lsq", lsq_width="steepness")
    assert steep.sigma == pytest.approx(0.05, rel=1e-4) and steep.fit_ok
    assert fit_psychometric(X21, p=p, method="lsq").sigma == pytest.approx(0.1)
    with pytest.raises(
        FacepsychError, match=r"^unknown lsq_width 'slope'; choose sd or steepness$"
    ):
        fit_psychometric(X21, p=p, method="lsq", lsq_width="slope")


def test_lsq_bootstrap_when_counts_are_given():
    n = np.full(21, 30)
    k = np.random.default_rng(3).binomial(n, psi(X21, 0.5, 0.1))
    fit = fit_psychometric(X21, k, n, method="lsq", bootstrap=300)
    assert fit.pse_lo < fit.pse < fit.pse_hi and fit.n_levels == 9


def test_fixed_guess_and_lapse_are_respected():
    n = np.full(11, 50)
    x = np.linspace(0, 1, 11)
    fit = fit_psychometric(x, np.round(n * psi(x, 0.5, 0.1)), n, guess=0.0, lapse=0.01, bootstrap=0)
    assert fit.guess == 0.0 and fit.lapse == 0.01


def test_as_dict_round_trip_and_predict():
    n = np.full(11, 50)
    x = np.linspace(0, 1, 11)
    fit = fit_psychometric(
        x, np.round(n * psi(x, 0.4, 0.1, 0.01, 0.02, "gumbel")), n, function="gumbel", bootstrap=50
    )
    d = fit.as_dict()
    assert "boot" not in d and d["function"] == "gumbel"
    back = PsychometricFit.from_dict(d)
    assert back.as_dict() == d
    np.testing.assert_allclose(back.predict(x), fit.predict(x))


# --------------------------------------------------------------------------- fit_ok reasons


def test_pse_outside_tested_range_is_flagged():
    x = np.linspace(0, 1, 11)
    n = np.full(11, 40)
    fit = fit_psychometric(x, np.round(n * psi(x, 1.25, 0.2)), n, bootstrap=0)
    assert not fit.fit_ok and FitFlag.pse_outside_range in fit.flags
    assert "PSE outside the tested range" in fit.reason


def test_step_data_put_sigma_at_its_bound():
    x = np.linspace(0, 1, 11)
    fit = fit_psychometric(x, (x > 0.5) * 20.0, np.full(11, 20), bootstrap=0)
    assert not fit.fit_ok and FitFlag.sigma_at_bound in fit.flags


def test_too_few_levels_for_free_parameters():
    fit = fit_psychometric([0, 0.3, 0.6, 1], [1, 4, 14, 19], [20] * 4, bootstrap=0)
    assert not fit.fit_ok and fit.flags == {FitFlag.too_few_levels}
    assert fit.reason == "too few levels for the free parameters"


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"levels": [0, 0.5, 1]}, "give k and n (counts) or p (proportions)"),
        (
            {"levels": [0, 0.5, 1], "k": [1, 2, 3], "p": [0.1, 0.5, 0.9]},
            "give either k and n (counts) or p (proportions), not both",
        ),
        (
            {"levels": [0, 0.5, 1], "k": [1, 2, 3]},
            "k (positive responses) needs n (trials per level)",
        ),
        ({"levels": [0, 0.5, 1], "k": [1, 5, 3], "n": [4, 4, 4]}, "k > n at level 0.5 (k=5, n=4)"),
        (
            {"levels": [0, 0.5, 1], "k": [1, -1, 3], "n": [4, 4, 4]},
            "counts must not be negative (k=-1 at row 1)",
        ),
        (
            {"levels": [0, 0.5, 1], "k": [1, 1, 3], "n": [4, 4, -4]},
            "counts must not be negative (n=-4 at row 2)",
        ),
        (
            {"levels": [0, 0.5, 1], "k": [1, 2, 3], "n": [4, 1e19, 4]},
            "n=1e+19 at row 1 is too large (at most 1e+15 trials per row)",
        ),
        (
            {"levels": [0, 0.5, 1], "k": [1e19, 2, 3], "n": [1e19, 4, 4]},
            "k=1e+19 at row 0 is too large (at most 1e+15 trials per row)",
        ),
        (
            {"levels": [0, 0.5, 1], "k": [1, 2.5, 3], "n": [4, 4, 4]},
            "counts must be whole numbers (k=2.5 at row 1)",
        ),
        (
            {"levels": [0, 0.5, 1], "k": [1, 2, 3], "n": [4, 4, 4.5]},
            "counts must be whole numbers (n=4.5 at row 2)",
        ),
        (
            {"levels": [0, 0.5, 1], "p": [0.2, 0.33, 0.9], "n": [10, 10, 10]},
            "p·n must be a whole number of trials (p=0.33, n=10 at row 1)",
        ),
        (
            {"levels": [0, 0.5, 1], "p": [0.2, 0.3, 0.9], "n": [10, 10.5, 10]},
            "counts must be whole numbers (n=10.5 at row 1)",
        ),
        (
            {"levels": [0, 0.5, 1], "k": [1, 2, 3], "n": [4, 4, 4], "bootstrap": 30_000_000},
            "bootstrap must be at most 1000000 samples (got 30000000); 10000 give percentiles "
            "to about ±0.5 %",
        ),
        (
            {"levels": [0, 0.5, 1], "k": [1, 2, 3], "n": [4, 4, 4], "bootstrap": 2.5},
            "bootstrap must be a whole number >= 0 (got 2.5)",
        ),
        (
            {"levels": [0, 0.5, 1], "k": [1, 2, 3], "n": [4, 4, 4], "ci_method": "bc"},
            "unknown ci method 'bc'; choose debiased, bca or percentile",
        ),
        (
            {"levels": [0, 0.5, 1], "k": [1, 0, 3], "n": [4, 0, 4]},
            "n must be positive (n=0 at level 0.5)",
        ),
        ({"levels": [0, np.nan, 1], "k": [1, 2, 3], "n": [4, 4, 4]}, "levels contains NaN (row 1)"),
        (
            {"levels": [0, 0.5, 1], "k": [1, 2], "n": [4, 4, 4]},
            "levels, k and n must have the same length (got 3, 2, 3)",
        ),
        (
            {"levels": [0, 1, 1], "k": [1, 2, 3], "n": [4, 4, 4]},
            "need at least 3 distinct levels, got 2",
        ),
        (
            {"levels": [0, 0.5, 1], "k": [4, 4, 4], "n": [4, 4, 4]},
            "all responses are identical (proportion 1 at every level): nothing to fit",
        ),
        ({"levels": [0, 0.5, 1], "p": [0.2, 1.5, 0.9]}, "p must lie in [0, 1]"),
        (
            {"levels": [0, 0.5, 1], "p": [0.5, 0.5, 0.5], "method": "lsq"},
            "all responses are identical (proportion 0.5 at every level): nothing to fit",
        ),
        (
            {"levels": [0, 0.5, 1], "p": [0.1, 0.5, 0.9], "method": "ols"},
            "unknown method 'ols'; choose mle or lsq",
        ),
        (
            {"levels": [0, 0.5, 1], "p": [0.1, 0.5, 0.9], "guess": 0.5},
            "guess must satisfy 0 <= lo <= hi < 0.5 (got 0.5, 0.5)",
        ),
        (
            {"levels": [0, 0.5, 1], "p": [0.1, 0.5, 0.9], "lapse": (0.1, 0.0)},
            "lapse must satisfy 0 <= lo <= hi < 0.5 (got 0.1, 0.0)",
        ),
        (
            {"levels": [-1, 0.5, 1], "k": [1, 2, 3], "n": [4, 4, 4], "function": "weibull"},
            "the weibull needs levels >= 0 (got -1)",
        ),
    ],
)
def test_bad_input_raises_one_clear_line(kwargs, message):
    with pytest.raises(FacepsychError) as info:
        fit_psychometric(**{"bootstrap": 0, **kwargs})
    assert str(info.value) == message
    assert "\n" not in str(info.value)


@settings(max_examples=30, deadline=None)
@given(
    data=st.data(),
    function=st.sampled_from(FUNCTIONS),
    method=st.sampled_from(["mle", "lsq"]),
    n_levels=st.integers(3, 12),
)
def test_any_valid_counts_give_a_fit_or_a_flag(data, function, method, n_levels):
    """Whatever valid counts come in: a finite fit within bounds, and fit_ok iff no reason."""
    x = np.linspace(0.05, 1, n_levels)
    n = np.array(data.draw(st.lists(st.integers(1, 30), min_size=n_levels, max_size=n_levels)))
    k = np.array([data.draw(st.integers(0, int(m))) for m in n])
    assume(np.ptp(k / n) > 0)
    fit = fit_psychometric(x, k, n, method=method, function=function, bootstrap=20)
    assert np.isfinite(fit.pse) and np.isfinite(fit.sigma) and fit.sigma > 0
    assert 0 <= fit.guess <= 0.05 + 1e-12 and 0 <= fit.lapse <= 0.05 + 1e-12
    assert fit.fit_ok == (fit.reason == "") == (not fit.flags)
    y = fit.predict(np.linspace(0, 1, 11))
    assert np.all((y >= 0) & (y <= 1))


def test_from_dict_accepts_a_csv_row_with_gaps():
    import pandas as pd

    fit = fit_psychometric(
        np.linspace(0, 1, 11), p=psi(np.linspace(0, 1, 11), 0.5, 0.15), method="lsq"
    )
    row = pd.read_csv(
        pd.io.common.StringIO(pd.DataFrame([fit.as_dict()]).to_csv(index=False))
    ).iloc[0]
    back = PsychometricFit.from_dict(row.to_dict())
    assert back.reason == "" and back.fit_ok and back.pse == pytest.approx(fit.pse)
    assert back.flags == frozenset() and back.scope == "continuum"
    partial = PsychometricFit.from_dict({"fit_ok": False, "reason": "no data"})
    assert math.isnan(partial.pse) and not partial.fit_ok and partial.reason == "no data"
    flagged = PsychometricFit.from_dict({"fit_ok": True, "flags": "non_monotone|guess_at_bound"})
    assert flagged.flags == {FitFlag.non_monotone, FitFlag.guess_at_bound} and not flagged.fit_ok
    assert (
        flagged.reason == "guess at its upper bound; data not monotonically increasing with level"
    )
    assert flagged.as_dict()["flags"] == "guess_at_bound|non_monotone"


def test_large_bootstraps_run_in_bounded_chunks(monkeypatch):
    """B above the chunk size is refitted chunk by chunk (here 3 chunks of at most 400)."""
    from facepsych.psychophysics import bootstrap

    sizes = []
    real = bootstrap.fit_batch

    def spy(theta0, *args, **kwargs):
        sizes.append(len(theta0))
        return real(theta0, *args, **kwargs)

    monkeypatch.setattr(bootstrap, "CHUNK", 400)
    monkeypatch.setattr(bootstrap, "fit_batch", spy)
    n = np.full(11, 20)
    x = np.linspace(0, 1, 11)
    k = np.random.default_rng(0).binomial(n, psi(x, 0.5, 0.1))
    fit = fit_psychometric(x, k, n, bootstrap=1000, ci_method="percentile")
    assert sizes == [400, 400, 200] and fit.n_boot > 980 and fit.boot.shape == (fit.n_boot, 4)


def test_empty_bootstrap_leaves_no_interval_instead_of_crashing(monkeypatch):
    """When no simulated data set can be refitted (once an IndexError in np.percentile)."""
    from facepsych.psychophysics import bootstrap

    def nothing_converges(theta0, *args, **kwargs):
        return theta0, np.zeros(len(theta0)), np.zeros(len(theta0), dtype=bool)

    monkeypatch.setattr(bootstrap, "fit_batch", nothing_converges)
    n = np.full(9, 20)
    k = np.round(n * psi(np.array(COMPANION_LSQ_LEVELS), 0.5, 0.15)).astype(int)
    fit = fit_psychometric(COMPANION_LSQ_LEVELS, k, n, method="lsq", bootstrap=20)
    assert np.isfinite(fit.pse) and math.isnan(fit.pse_lo) and math.isnan(fit.jnd_hi)
    assert fit.n_boot == 0 and fit.boot is None


def test_bca_reduces_to_the_percentile_interval_without_bias_or_skew():
    from facepsych.psychophysics.bootstrap import acceleration, bca_interval

    boot = np.linspace(-1, 1, 2001)
    assert bca_interval(boot, 0.0, 0.0, 0.9) == pytest.approx(
        tuple(np.quantile(boot, [0.05, 0.95]))
    )
    # a = Σ d³ / (6 (Σ d²)^1.5), d = mean − value; counts weight the values
    v, c = np.array([1.0, 2.0, 4.0]), np.array([1.0, 1.0, 2.0])
    d = np.repeat(v, [1, 1, 2]).mean() - v
    assert acceleration(v, c) == pytest.approx(np.sum(c * d**3) / (6 * np.sum(c * d**2) ** 1.5))
    # a bootstrap lying above the estimate moves the interval down (bias correction z0 < 0)
    lo, hi = bca_interval(boot + 0.3, 0.0, 0.0, 0.9)
    assert hi < np.quantile(boot + 0.3, 0.95)


def test_bca_intervals_bracket_the_estimate():
    n = np.full(21, 40)
    k = np.random.default_rng(1).binomial(n, psi(X21, 0.5, 0.1, 0.02, 0.03))
    fit = fit_psychometric(X21, k, n, bootstrap=500, seed=3, ci_method="bca")
    for name in ("pse", "slope", "jnd"):
        assert getattr(fit, f"{name}_lo") < getattr(fit, name) < getattr(fit, f"{name}_hi")


def test_debiased_theta_moves_location_and_scale_by_minus_their_bias_within_bounds():
    from facepsych.psychophysics.bootstrap import debiased_theta

    theta = np.array([0.5, np.log(0.1), 0.01, 0.0])
    boot = np.array([[0.48, np.log(0.08), 0.03, 0.02], [0.50, np.log(0.06), 0.0, 0.04]])
    lower = np.array([-1.0, np.log(0.005), 0.0, 0.0])
    upper = np.array([2.0, np.log(5.0), 0.05, 0.05])
    out = debiased_theta(theta, boot, lower, upper)
    assert out[0] == pytest.approx(2 * 0.5 - 0.49)
    assert out[1] == pytest.approx(2 * np.log(0.1) - 0.5 * (np.log(0.08) + np.log(0.06)))
    assert out[2:].tolist() == [0.01, 0.0]  # guess and lapse stay at the estimate
    tight = upper.copy()
    tight[1] = np.log(0.11)
    assert debiased_theta(theta, boot, lower, tight)[1] == pytest.approx(np.log(0.11))


def test_debiased_intervals_reach_further_on_the_shallow_side_than_percentile():
    """Few trials: σ̂ is biased low, so the bootstrap from the bias-corrected σ̃ > σ̂ gives a JND
    interval whose upper end lies above the percentile one; the deviance p is the same (it
    always comes from the data sets simulated from the fitted model)."""
    x = np.linspace(0, 1, 11)
    n = np.full(11, 20)
    k = np.random.default_rng(5).binomial(n, psi(x, 0.5, 0.1, 0.02, 0.02))
    deb = fit_psychometric(x, k, n, bootstrap=1000, seed=1, ci_method="debiased")
    per = fit_psychometric(x, k, n, bootstrap=1000, seed=1, ci_method="percentile")
    assert (deb.pse, deb.sigma) == (per.pse, per.sigma)
    assert deb.jnd_hi > per.jnd_hi and deb.slope_lo < per.slope_lo
    assert deb.deviance_p == per.deviance_p
    assert deb.n_boot >= 900 and deb.boot.shape == (deb.n_boot, 4)
