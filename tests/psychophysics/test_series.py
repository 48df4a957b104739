"""Series fits: the mean curve of many model curves, CIs from a bootstrap over curves."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from facepsych.errors import FacepsychError
from facepsych.psychophysics import FitFlag, FitSettings, jnd, psi, slope_at_pse
from facepsych.psychophysics.series import fit_series, series_table

X21 = np.round(np.linspace(0, 1, 21), 2)


def _curves(rng, n=40, mu=0.55, sigma=0.12, tau=0.06, noise=0.02):
    """Shifted copies of one cumulative normal plus noise (mean curve: cumnorm(μ, √(σ²+τ²)))."""
    shifts = rng.normal(0, tau, n)
    P = psi(X21[None, :], mu + shifts[:, None], sigma) + rng.normal(0, noise, (n, 21))
    return np.clip(P, 0, 1)


def test_series_fit_recovers_the_mean_curve_and_its_intervals_cover():
    mu, sigma, tau = 0.55, 0.12, 0.06
    width = math.hypot(sigma, tau)
    true = {"pse": mu, "slope": float(slope_at_pse(mu, width)), "jnd": float(jnd(mu, width))}
    settings = FitSettings(guess=0.0, lapse=0.0, bootstrap=300)
    rng = np.random.default_rng(0)
    hits = dict.fromkeys(true, 0)
    sims = 40
    for rep in range(sims):
        fit = fit_series(X21, _curves(rng, mu=mu, sigma=sigma, tau=tau), settings, seed=rep)
        assert fit.scope == "series" and fit.n_boot >= 290 and fit.n_levels == 9
        assert fit.pse == pytest.approx(mu, abs=0.03)
        for name, value in true.items():
            hits[name] += getattr(fit, f"{name}_lo") <= value <= getattr(fit, f"{name}_hi")
    # a 95 % interval misses about 2 of 40; 34 is 3 binomial SDs below 38
    assert all(h >= 34 for h in hits.values()), hits


def test_series_fit_of_identical_curves_has_zero_width_intervals():
    P = np.repeat(psi(X21, 0.5, 0.15)[None, :], 5, axis=0)
    fit = fit_series(X21, P, FitSettings(bootstrap=50))
    assert fit.pse == pytest.approx(0.5, abs=1e-6)
    assert fit.pse_hi - fit.pse_lo == pytest.approx(0, abs=1e-6)


def test_grouped_bootstrap_is_wider_when_groups_differ():
    """Seeds that shift all their continua together: resampling seeds shows that spread."""
    rng = np.random.default_rng(1)
    seeds = np.repeat(np.arange(4), 10)
    seed_shift = np.array([-0.06, -0.02, 0.02, 0.06])[seeds]
    P = psi(X21[None, :], 0.5 + seed_shift[:, None] + rng.normal(0, 0.01, (40, 1)), 0.12)
    s = FitSettings(bootstrap=400)
    flat = fit_series(X21, P, s, seed=2)
    nested = fit_series(X21, P, s, groups=seeds, seed=2)
    assert (nested.pse_hi - nested.pse_lo) > 1.5 * (flat.pse_hi - flat.pse_lo)
    assert nested.pse == flat.pse


def test_constant_series_is_flagged_and_mle_series_works():
    fit = fit_series(X21, np.full((3, 21), 0.8), FitSettings())
    assert fit.flags == {FitFlag.constant_responses} and fit.scope == "series"
    rng = np.random.default_rng(3)
    mle = fit_series(X21, _curves(rng), FitSettings(method="mle", bootstrap=200))
    assert mle.method == "mle" and mle.pse_lo < mle.pse < mle.pse_hi


def test_series_table_one_row_per_series():
    rng = np.random.default_rng(4)
    rows = []
    for model, mu in (("a", 0.45), ("b", 0.6)):
        for seed in range(2):
            for c in range(5):
                p = psi(X21, mu + rng.normal(0, 0.03), 0.12)
                rows += [
                    {"model": model, "seed": seed, "continuum": f"c{c}", "level": x, "p": v}
                    for x, v in zip(X21, p, strict=True)
                ]
    table = series_table(pd.DataFrame(rows), FitSettings(bootstrap=100))
    assert list(table["model"]) == ["a", "b"] and (table["scope"] == "series").all()
    assert (table["n_curves"] == 10).all()
    assert table["pse"].to_numpy() == pytest.approx([0.45, 0.6], abs=0.04)
    with pytest.raises(FacepsychError, match=r"^predictions need a curve column"):
        series_table(pd.DataFrame(rows).drop(columns=["seed", "continuum"]), FitSettings())


@pytest.mark.parametrize(
    ("P", "message"),
    [
        (np.zeros((2, 20)), "P must be n_curves × n_levels with 21 levels (got shape (2, 20))"),
        (np.full((2, 21), 1.5), "P must lie in [0, 1]"),
        (np.full((2, 21), np.nan), "P is not finite at curve 0, level 0"),
    ],
)
def test_bad_series_input(P, message):
    with pytest.raises(FacepsychError) as info:
        fit_series(X21, P, FitSettings())
    assert str(info.value) == message
