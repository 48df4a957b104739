"""Parametric bootstrap of a psychometric fit: debiased-percentile, BCa or percentile intervals.

B data sets k* ~ Binomial(n, ψ̂) are simulated and refitted from θ̂ (vectorised, see
:mod:`.optimize`), in chunks of at most ``CHUNK`` so memory stays bounded whatever B.

Intervals at level 1 − 2α for a statistic θ (PSE, slope, JND), from its B refits θ*:

* ``debiased`` (the default): the maximum-likelihood m = t(μ) and s = ln σ of a psychometric fit
  are biased (with few trials per level σ̂ comes out too small, so a bootstrap simulated from θ̂
  is too steep and its intervals too short on the shallow side). The bias of each is estimated
  from the first B refits, b = mean(θ*) − θ̂, and a second set of B data sets is simulated from
  the bias-corrected θ̃ = θ̂ − b (m and s only, clipped to their bounds; γ and λ stay at θ̂) and
  refitted; the intervals are the α and 1 − α quantiles of that second set. Twice the refits of
  ``percentile``. Coverage in simulation: ``benchmarks/coverage.py``.
* ``percentile``: the α and 1 − α quantiles of θ*.
* ``bca`` (bias-corrected and accelerated, Efron 1987): the quantiles at
  α₁,₂ = Φ(z₀ + (z₀ ± z_α) / (1 − a (z₀ ± z_α))) with the bias correction
  z₀ = Φ⁻¹(#{θ* < θ̂} / B) (ties count half) and the acceleration
  a = Σ c_j d_j³ / (6 (Σ c_j d_j²)^{3/2}), d_j = θ̄₍.₎ − θ₍j₎, from the delete-one-trial jackknife:
  deleting one positive (or negative) trial at a level gives one of 2L distinct data sets,
  each standing for its c_j = k (or n − k) trials, θ̄₍.₎ their c-weighted mean.

Goodness of fit: p = (1 + #{D* ≥ D}) / (1 + B) over the refits' deviances.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from facepsych.errors import FacepsychError
from facepsych.psychophysics.functions import get_family, jnd, psi, slope_at_pse
from facepsych.psychophysics.optimize import fit_batch

CHUNK = 20_000  # refits per batch: memory ≈ CHUNK × levels × 200 bytes
MAX_BOOTSTRAP = 1_000_000
CI_METHODS = ("debiased", "bca", "percentile")


def check_bootstrap(B, ci_method: str = "debiased") -> int:
    """B as an int in [0, MAX_BOOTSTRAP] and a known interval method, else FacepsychError."""
    try:
        ok = float(B) == int(B)
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok or B < 0:
        raise FacepsychError(f"bootstrap must be a whole number >= 0 (got {B})")
    if B > MAX_BOOTSTRAP:
        raise FacepsychError(
            f"bootstrap must be at most {MAX_BOOTSTRAP} samples (got {int(B)}); "
            "10000 give percentiles to about ±0.5 %"
        )
    if ci_method not in CI_METHODS:
        raise FacepsychError(f"unknown ci method {ci_method!r}; choose debiased, bca or percentile")
    return int(B)


def summaries(theta: np.ndarray, function: str):
    """(μ, σ, slope, JND) from θ = (m, s, γ, λ) rows."""
    fam = get_family(function)
    mu = fam.t_inv(theta[:, 0])
    sigma = np.exp(theta[:, 1])
    slope = slope_at_pse(mu, sigma, theta[:, 2], theta[:, 3], function)
    return mu, sigma, slope, jnd(mu, sigma, function)


def _jackknife(theta, tx, y, n, weights, fam, lower, upper, kind):
    """Statistics (μ, slope, JND) of the 2L delete-one-trial data sets and their trial counts."""
    L = y.size
    k = np.round(y * n)
    yj = np.repeat(y[None, :], 2 * L, axis=0)
    wj = np.repeat(np.asarray(weights, float)[None, :], 2 * L, axis=0)
    counts = np.empty(2 * L)
    for i in range(L):
        rest = n[i] - 1
        for r, row in ((1, 2 * i), (0, 2 * i + 1)):
            counts[row] = k[i] if r else n[i] - k[i]
            if rest > 0:
                yj[row, i] = (k[i] - r) / rest
                if kind == "binomial":
                    wj[row, i] = rest
            else:  # the level's only trial is gone
                yj[row, i] = 0.0
                wj[row, i] = 0.0
    keep = counts > 0
    th, _, conv = fit_batch(
        np.repeat(theta[None, :], int(keep.sum()), axis=0), tx, yj[keep], wj[keep], fam, lower,
        upper, kind=kind,
    )  # fmt: skip
    mu, _, slope, jnd_ = summaries(th[conv], fam.name)
    return np.column_stack([mu, slope, jnd_]), counts[keep][conv]


def acceleration(values: np.ndarray, counts: np.ndarray) -> float:
    """a = Σ c d³ / (6 (Σ c d²)^{3/2}), d = θ̄ − θ₍j₎ (0 when the jackknife values agree)."""
    if values.size < 2:
        return 0.0
    mean = np.sum(counts * values) / np.sum(counts)
    d = mean - values
    ss = np.sum(counts * d * d)
    return float(np.sum(counts * d**3) / (6.0 * ss**1.5)) if ss > 0 else 0.0


def bca_interval(boot: np.ndarray, estimate: float, a: float, ci: float) -> tuple[float, float]:
    """BCa bounds of ``boot`` around ``estimate`` with acceleration ``a`` at level ``ci``."""
    b = boot[np.isfinite(boot)]
    if b.size == 0:
        return math.nan, math.nan
    prop = (np.sum(b < estimate) + 0.5 * np.sum(b == estimate)) / b.size
    prop = min(max(prop, 0.5 / b.size), 1 - 0.5 / b.size)
    z0 = special.ndtri(prop)
    za = special.ndtri(np.array([(1 - ci) / 2, (1 + ci) / 2]))
    zs = z0 + za
    q = special.ndtr(z0 + zs / (1 - a * zs))
    lo, hi = np.quantile(b, q)
    return float(lo), float(hi)


def _refits(rng, theta, start, tx, data, weights, fam, lower, upper, kind, B):
    """B data sets simulated from ``theta`` and refitted from ``start``: (θ* (B', 4) of the
    converged refits, their binomial deviances)."""
    from facepsych.psychophysics.fitting import binomial_deviance

    n_int = np.round(data.n).astype(np.int64)
    p_gen = psi(data.x, fam.t_inv(theta[0]), np.exp(theta[1]), theta[2], theta[3], fam.name)
    parts, devs = [], []
    for begin in range(0, B, CHUNK):
        b = min(CHUNK, B - begin)
        kb = rng.binomial(n_int[None, :], p_gen[None, :], size=(b, data.x.size)).astype(float)
        th, _, conv = fit_batch(
            np.repeat(start[None, :], b, axis=0), tx, kb / data.n, weights, fam, lower, upper,
            kind=kind,
        )  # fmt: skip
        th = th[conv]
        mu, sigma, _, _ = summaries(th, fam.name)
        fitted = psi(data.x[None, :], mu[:, None], sigma[:, None], th[:, 2:3], th[:, 3:4], fam.name)
        devs.append(binomial_deviance(kb[conv], data.n[None, :], fitted))
        parts.append(th)
    return np.concatenate(parts), np.concatenate(devs)


def debiased_theta(theta, boot, lower, upper) -> np.ndarray:
    """θ̃: m and s moved by minus their bootstrap bias, 2θ̂ − mean(θ*), within their bounds."""
    out = np.array(theta, dtype=float)
    out[:2] = np.clip(2.0 * out[:2] - boot[:, :2].mean(axis=0), lower[:2], upper[:2])
    return out


def parametric_bootstrap(
    out, theta, tx, data, weights, fam, lower, upper, kind, B, seed, ci, ci_method="debiased"
) -> None:
    """Refit B simulated data sets (in chunks); fill ``out``'s CIs, deviance p and boot.

    The deviance p-value always comes from the data sets simulated from θ̂ (the fitted model);
    with ``debiased`` the intervals and ``boot`` come from the second set, simulated from θ̃."""
    rng = np.random.default_rng(seed)
    th, dev_b = _refits(rng, theta, theta, tx, data, weights, fam, lower, upper, kind, B)
    if th.shape[0] == 0:  # no simulated data set could be refitted: no interval
        return
    out.deviance_p = float((1 + np.sum(dev_b >= out.deviance - 1e-9)) / (1 + dev_b.size))
    if ci_method == "debiased":
        tilde = debiased_theta(theta, th, lower, upper)
        th, _ = _refits(rng, tilde, theta, tx, data, weights, fam, lower, upper, kind, B)
        if th.shape[0] == 0:
            return
    mu, sigma, slope, jnd_ = summaries(th, fam.name)
    stats = np.column_stack([mu, slope, jnd_])
    point = (out.pse, out.slope, out.jnd)
    if ci_method == "bca":
        jack, counts = _jackknife(theta, tx, data.y, data.n, weights, fam, lower, upper, kind)
        bounds = [
            bca_interval(stats[:, j], point[j], acceleration(jack[:, j], counts), ci)
            for j in range(3)
        ]
    else:
        q = [(1 - ci) / 2, (1 + ci) / 2]
        bounds = [tuple(float(v) for v in np.quantile(stats[:, j], q)) for j in range(3)]
    (out.pse_lo, out.pse_hi), (out.slope_lo, out.slope_hi), (out.jnd_lo, out.jnd_hi) = bounds
    out.n_boot = int(th.shape[0])
    out.boot = np.column_stack([mu, sigma, th[:, 2], th[:, 3]])
