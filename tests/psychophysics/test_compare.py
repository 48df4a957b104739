"""Model vs human scores against their formulas and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from facepsych.errors import FacepsychError
from facepsych.psychophysics import (
    PUBLISHED_REFERENCE,
    PsychometricFit,
    compare_to_humans,
    fit_humans,
    fit_psychometric,
    psi,
)

from .conftest import simulate_trials

X21 = np.round(np.linspace(0, 1, 21), 2)


@pytest.fixture(scope="module")
def humans():
    return fit_humans(simulate_trials(n_subjects=20, trials=20, seed=3), bootstrap=0, splits=200)


def test_against_the_published_reference():
    res = compare_to_humans(X21, psi(X21, 0.6, 0.08), PUBLISHED_REFERENCE)
    pse = res["model_pse"]
    assert pse == pytest.approx(0.6, abs=1e-4)
    ref = PUBLISHED_REFERENCE
    assert res["human_kind"] == "reference" and "not data" in res["human_source"]
    assert res["z"] == pytest.approx((pse - 0.514) / 0.092)
    assert res["cohens_d"] == pytest.approx(abs(0.514 - pse) / 0.092)
    t = (0.514 - pse) / (0.092 / math.sqrt(40))
    assert res["t"] == pytest.approx(t) and res["df"] == 39
    assert res["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), 39))
    half = stats.t.ppf(0.975, 39) * ref.pse_se
    assert res["delta_pse_lo"] == pytest.approx(pse - 0.514 - half)
    assert res["delta_pse_hi"] == pytest.approx(pse - 0.514 + half)
    assert res["slope_ratio"] == pytest.approx(res["model_slope"] / 4.19)
    assert math.isnan(res["rmse"]) and math.isnan(res["human_likeness"])


def test_t_test_matches_scipy_and_human_like_model_scores_high(humans):
    mean_h = humans.summary["pse_mean"]
    sigma = 0.08
    res = compare_to_humans(X21, psi(X21, mean_h, sigma, 0.01, 0.01), humans, bootstrap=500)
    pses = humans.per_subject.loc[humans.per_subject["used"], "pse"].to_numpy(float)
    ref = stats.ttest_1samp(pses, res["model_pse"])
    assert res["t"] == pytest.approx(ref.statistic) and res["p_value"] == pytest.approx(ref.pvalue)
    assert res["delta_pse_lo"] < 0 < res["delta_pse_hi"]
    assert res["human_likeness"] > 0.95 and res["rmse"] < 0.1
    assert res["slope_ratio"] == pytest.approx(res["model_slope"] / humans.summary["slope_mean"])
    assert res["slope_ratio_pooled"] == pytest.approx(res["model_slope"] / humans.pooled.slope)
    assert res["human_kind"] == "data"


def test_model_equal_to_the_human_mean_curve(humans):
    curve = humans.mean_curve
    p = np.interp(X21, curve["level"], curve["mean"])
    res = compare_to_humans(X21, p, humans, bootstrap=200)
    assert res["rmse"] == pytest.approx(0.0, abs=1e-12) and res["curve_r"] == pytest.approx(1.0)
    assert res["human_likeness"] == pytest.approx(1 / humans.summary["ceiling_curve_r"])


def test_shifted_model_is_far_from_humans(humans):
    close = compare_to_humans(X21, psi(X21, humans.summary["pse_mean"], 0.08), humans)
    far = compare_to_humans(X21, psi(X21, 0.25, 0.08), humans)
    assert far["delta_pse_hi"] < 0  # CI excludes 0
    assert far["rmse"] > close["rmse"] and far["human_likeness"] < close["human_likeness"]
    assert far["z"] == pytest.approx(
        (far["model_pse"] - far["human_pse_mean"]) / far["human_pse_sd"]
    )


def test_constant_model_gives_nan_scores_with_a_reason():
    res = compare_to_humans(X21, np.full(21, 0.7), PUBLISHED_REFERENCE)
    assert not res["model_fit_ok"] and "identical" in res["model_reason"]
    assert math.isnan(res["delta_pse"])


def test_mismatched_lengths():
    with pytest.raises(
        FacepsychError, match=r"^model levels and P\(positive\) differ in length \(21 vs 3\)$"
    ):
        compare_to_humans(X21, [0.1, 0.5, 0.9], PUBLISHED_REFERENCE)


def test_delta_pse_interval_holds_the_models_own_uncertainty(humans):
    """A model fit given with an asymmetric PSE interval and no bootstrap draws (a series row read
    back from fits.csv): each side of ΔPSE's interval is that side of the model's and the human
    mean's half-width in quadrature, never narrower than the model's own interval."""
    fit = fit_psychometric(X21, p=psi(X21, 0.6, 0.08), method="lsq", bootstrap=0)
    fit = PsychometricFit.from_dict({**fit.as_dict(), "pse_lo": 0.40, "pse_hi": 0.75})
    assert fit.boot is None
    ref = compare_to_humans(X21, psi(X21, 0.6, 0.08), PUBLISHED_REFERENCE, model_fit=fit)
    h = stats.t.ppf(0.975, 39) * PUBLISHED_REFERENCE.pse_se
    d = fit.pse - 0.514
    assert ref["delta_pse_lo"] == pytest.approx(d - math.hypot(fit.pse - 0.40, h))
    assert ref["delta_pse_hi"] == pytest.approx(d + math.hypot(0.75 - fit.pse, h))
    data = compare_to_humans(X21, psi(X21, 0.6, 0.08), humans, model_fit=fit, bootstrap=500)
    d = data["delta_pse"]
    assert data["delta_pse_lo"] < d - (fit.pse - 0.40) and data["delta_pse_hi"] > d + 0.75 - fit.pse
