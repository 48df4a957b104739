"""fit_responses on model curves: settings, flagged unfitted curves, usability from flags."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facepsych.errors import FacepsychError
from facepsych.psychophysics import (
    FitFlag,
    FitSettings,
    PsychometricFit,
    fit_psychometric,
    fit_responses,
    psi,
    usable_fit,
    usable_pse,
)
from facepsych.psychophysics.result import FLAG_TEXT

X21 = np.round(np.linspace(0, 1, 21), 2)


def test_lsq_curve_equals_fit_psychometric():
    p = psi(X21, 0.46, 0.12, 0.01, 0.02)
    fit = fit_responses(X21, p, FitSettings(bootstrap=0))
    ref = fit_psychometric(X21, p=p, method="lsq", bootstrap=0)
    assert fit.as_dict() == ref.as_dict() and fit.n_levels == 9
    assert usable_fit(fit) and usable_pse(fit)


def test_mle_counts_round_p_times_trials():
    p = psi(X21, 0.55, 0.1, 0.01, 0.01)
    s = FitSettings(method="mle", bootstrap=50, trials_per_level=30)
    fit = fit_responses(X21, p, s, seed=4)
    n = np.full(21, 30.0)
    ref = fit_psychometric(X21, np.round(p * n), n, bootstrap=50, seed=4)
    assert fit.as_dict() == ref.as_dict() and fit.n_trials == 630


@pytest.mark.parametrize("method", ["lsq", "mle"])
def test_a_constant_curve_is_an_unfitted_flagged_fit(method):
    fit = fit_responses(X21, np.full(21, 0.97), FitSettings(method=method))
    assert fit.flags == {FitFlag.constant_responses} and not fit.fit_ok
    assert fit.reason == "all responses are identical: nothing to fit"
    assert math.isnan(fit.pse) and math.isnan(fit.slope) and fit.n_levels == 21
    assert fit.method == method and not usable_pse(fit) and not usable_fit(fit)
    assert PsychometricFit.from_dict(fit.as_dict()).flags == fit.flags
    # mle: a curve whose rounded counts are constant is constant too
    tiny = fit_responses(X21, 0.5 + X21 * 1e-4, FitSettings(method="mle", trials_per_level=10))
    assert tiny.flags == {FitFlag.constant_responses}


def test_too_few_levels_is_a_flag_not_an_error():
    fit = fit_responses([0.0, 1.0, 1.0], [0.1, 0.9, 0.8], FitSettings())
    assert fit.flags == {FitFlag.too_few_levels} and fit.n_levels == 2


def test_flat_but_not_constant_curve_is_fitted_and_flagged():
    fit = fit_responses(X21, 0.3 + 0.01 * np.sin(X21 * 20), FitSettings(bootstrap=0))
    assert np.isfinite(fit.pse) and not fit.fit_ok and fit.flags
    assert fit.reason == "; ".join(t for f, t in FLAG_TEXT.items() if f in fit.flags)


@pytest.mark.parametrize(
    ("levels", "p", "message"),
    [
        (X21, np.r_[np.nan, np.full(20, 0.5)], "p is not finite at row 0 (nan)"),
        (X21[:3], [0.1, 1.2, 0.9], "p must lie in [0, 1]"),
        (X21, [0.5], "levels and p must have the same length (got 21, 1)"),
    ],
)
def test_bad_curves_raise_one_line(levels, p, message):
    with pytest.raises(FacepsychError) as info:
        fit_responses(levels, p, FitSettings())
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "ols"}, "unknown method 'ols'; choose mle or lsq"),
        ({"bootstrap": -1}, "bootstrap must be a whole number >= 0 (got -1)"),
        ({"trials_per_level": 2.5}, "trials_per_level must be a whole number >= 1 (got 2.5)"),
    ],
)
def test_fit_settings_validate(kwargs, message):
    with pytest.raises(FacepsychError) as info:
        FitSettings(**kwargs)
    assert str(info.value) == message


def test_fit_settings_round_trip():
    s = FitSettings(method="mle", guess=[0, 0.1], lapse=0.0, bootstrap=10)
    assert s.guess == (0.0, 0.1) and s.lapse == 0.0
    assert FitSettings.from_dict(s.as_dict()) == s
    with pytest.raises(FacepsychError, match=r"^unknown fit setting 'seed'"):
        FitSettings.from_dict({"seed": 1})


def test_a_curve_steeper_than_the_sigma_floor_keeps_its_pse():
    from facepsych.psychophysics import FitSettings, fit_responses, sigma_on_floor, usable_pse

    levels = np.linspace(0, 1, 21)
    steep = np.where(levels < 0.42, 0.0, 1.0)  # a step between 0.40 and 0.45
    fit = fit_responses(levels, steep, FitSettings(bootstrap=0))
    assert "sigma_at_bound" in {str(f) for f in fit.flags} and fit.sigma == pytest.approx(0.1)
    assert usable_pse(fit) and 0.35 < fit.pse < 0.5 and sigma_on_floor(fit)
    row = {"flags": "sigma_at_bound", "pse": fit.pse, "sigma": 0.1}
    assert usable_pse(row) and sigma_on_floor(row)
    flat = {"flags": "sigma_at_bound", "pse": 0.5, "sigma": 100.0}  # a flat curve
    assert not usable_pse(flat) and not sigma_on_floor(flat)
    assert not sigma_on_floor({"flags": "", "pse": 0.5, "sigma": 0.1})
    assert not sigma_on_floor({"flags": "sigma_at_bound", "pse": 0.5, "sigma": None})
