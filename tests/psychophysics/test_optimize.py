"""The vectorised bounded optimiser against scipy (an independent reference) and its Jacobian."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from facepsych.psychophysics import FUNCTIONS, binomial_loglik, fit_psychometric, psi
from facepsych.psychophysics.functions import get_family
from facepsych.psychophysics.optimize import fit_batch, psi_and_jacobian


@pytest.mark.parametrize("function", FUNCTIONS)
def test_jacobian_matches_finite_differences(function):
    fam = get_family(function)
    tx = fam.t(np.linspace(0.05, 1, 9))
    theta = np.array([[fam.t(0.5), np.log(0.15), 0.02, 0.03]])
    _, J = psi_and_jacobian(theta, tx, fam)
    for i in range(4):
        d = np.zeros(4)
        d[i] = 1e-6
        up, _ = psi_and_jacobian(theta + d, tx, fam, jac=False)
        dn, _ = psi_and_jacobian(theta - d, tx, fam, jac=False)
        np.testing.assert_allclose(J[0, :, i], (up - dn)[0] / 2e-6, atol=1e-6)


def test_mle_matches_scipy_multistart_reference():
    rng = np.random.default_rng(5)
    x = np.linspace(0, 1, 11)
    worst = 0.0
    for trial in range(8):
        function = FUNCTIONS[trial % 4]
        fam = get_family(function)
        n = rng.integers(5, 30, size=11)
        k = rng.binomial(
            n, psi(x, rng.uniform(0.3, 0.7), rng.uniform(0.03, 0.3), 0.02, 0.03, function)
        )
        if k.sum() in (0, n.sum()):
            continue
        fit = fit_psychometric(x, k, n, function=function, bootstrap=0)
        tpos = fam.t(x[x > 0])
        lo, hi = tpos.min(), tpos.max()
        r = hi - lo

        def nll(v, fam=fam, k=k, n=n, function=function):
            p = np.clip(
                psi(x, fam.t_inv(v[0]), np.exp(v[1]), v[2], v[3], function), 1e-12, 1 - 1e-12
            )
            return -np.sum(k * np.log(p) + (n - k) * np.log1p(-p))

        bounds = [(lo - r, hi + r), (np.log(r / 200), np.log(5 * r)), (0, 0.05), (0, 0.05)]
        best = min(
            optimize.minimize(nll, [m0, s0, g0, g0], bounds=bounds, method="L-BFGS-B").fun
            for m0 in np.linspace(lo, hi, 5)
            for s0 in np.log(r * np.array([0.03, 0.2]))
            for g0 in (0.02,)
        )
        log_choose = binomial_loglik(k, n, np.full(11, 0.5)) + np.sum(n) * np.log(2)
        worst = max(worst, -(fit.loglik - log_choose) - best)
    assert worst < 1e-5  # never worse than the scipy multi-start optimum


def test_fixed_parameters_do_not_move_and_bounds_hold():
    fam = get_family("cumnorm")
    x = np.linspace(0, 1, 9)
    y = psi(x, 0.4, 0.1, 0.1, 0.0)  # true guess 0.1 is outside [0, 0.05]
    lower = np.array([-1.0, np.log(0.005), 0.0, 0.02])
    upper = np.array([2.0, np.log(5.0), 0.05, 0.02])
    th, _, conv = fit_batch(
        np.array([[0.5, np.log(0.2), 0.01, 0.02]]), x, y, np.full(9, 50.0), fam, lower, upper
    )
    assert conv[0]
    assert th[0, 3] == 0.02  # fixed lapse
    assert th[0, 2] == pytest.approx(0.05)  # guess pinned at its upper bound
