"""Psychometric function families and their closed-form summaries.

Every family is written as a standard sigmoid ``G`` applied to a standardised coordinate::

    ψ(x) = γ + (1 − γ − λ) · F(x; μ, σ),      F(x; μ, σ) = G(z),   z = (t(x) − t(μ)) / σ

with ``G(0) = 0.5`` so that the PSE (the point where the *unscaled* F is 0.5) is always μ.

==========  ==========  ================================================  =====================
family      t(x)        G(z)                                              σ means
==========  ==========  ================================================  =====================
cumnorm     x           Φ(z)                                              SD of the normal
logistic    x           1 / (1 + e^(−z))                                  logistic scale
gumbel      x           1 − exp(−ln2 · e^z)                               Gumbel scale
weibull     ln x        1 − exp(−ln2 · e^z) = 1 − exp(−ln2 · (x/μ)^(1/σ))  1 / Weibull shape
==========  ==========  ================================================  =====================

The Weibull is the Gumbel on log x; with this (median) parametrisation its classic form is
``1 − exp(−(x/α)^β)`` with shape β = 1/σ and α = μ / ln2^σ. It needs x ≥ 0 (x = 0 gives F = 0).

Closed forms used throughout (``g = G'``):

* slope at the PSE: ``dψ/dx |_(x=μ) = (1 − γ − λ) · g(0) · t'(μ) / σ`` — it *includes* the
  (1 − γ − λ) factor; g(0) = 1/√(2π) (cumnorm), 1/4 (logistic), ln2/2 (gumbel, weibull);
  t'(μ) = 1, or 1/μ for the Weibull.
* JND = (x₇₅ − x₂₅) / 2 where x_p is where the **unscaled** F equals p, i.e.
  ``x_p = t⁻¹(t(μ) + σ · G⁻¹(p))`` — a property of F alone, independent of γ and λ
  (cumnorm: 0.6745 σ; logistic: ln3 · σ).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from facepsych.errors import FacepsychError

LN2 = float(np.log(2.0))
Z_CLIP = 40.0  # |z| beyond this: G is 0 or 1 to double precision
FUNCTIONS = ("cumnorm", "logistic", "weibull", "gumbel")


def _norm_pdf(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)


def _logistic_pdf(z: np.ndarray) -> np.ndarray:
    e = special.expit(z)
    return e * (1.0 - e)


def _gumbel_cdf(z: np.ndarray) -> np.ndarray:
    return -np.expm1(-LN2 * np.exp(z))


def _gumbel_pdf(z: np.ndarray) -> np.ndarray:
    u = LN2 * np.exp(z)
    return u * np.exp(-u)


def _gumbel_ppf(p: np.ndarray) -> np.ndarray:
    return np.log(-np.log1p(-p) / LN2)


@dataclass(frozen=True)
class Family:
    """One sigmoid family: ``cdf`` G, ``pdf`` g, ``ppf`` G⁻¹ and the axis transform t."""

    name: str
    log_axis: bool

    def cdf(self, z):
        z = np.clip(z, -Z_CLIP, Z_CLIP)
        if self.name == "cumnorm":
            return special.ndtr(z)
        if self.name == "logistic":
            return special.expit(z)
        return _gumbel_cdf(z)

    def pdf(self, z):
        z = np.clip(z, -Z_CLIP, Z_CLIP)
        if self.name == "cumnorm":
            return _norm_pdf(z)
        if self.name == "logistic":
            return _logistic_pdf(z)
        return _gumbel_pdf(z)

    def ppf(self, p):
        p = np.asarray(p, dtype=float)
        if self.name == "cumnorm":
            return special.ndtri(p)
        if self.name == "logistic":
            return special.logit(p)
        return _gumbel_ppf(p)

    @property
    def pdf_at_zero(self) -> float:
        return float(self.pdf(np.array(0.0)))

    def t(self, x):
        """Axis transform t(x): identity, or ln x (x = 0 maps far below any level)."""
        x = np.asarray(x, dtype=float)
        if not self.log_axis:
            return x
        return np.log(np.maximum(x, 1e-300))

    def t_inv(self, m):
        m = np.asarray(m, dtype=float)
        return np.exp(m) if self.log_axis else m


def get_family(name: str) -> Family:
    """Look up a family by name (``cumnorm``, ``logistic``, ``weibull``, ``gumbel``)."""
    key = str(name).lower()
    aliases = {"normal": "cumnorm", "norm": "cumnorm", "probit": "cumnorm", "logit": "logistic"}
    key = aliases.get(key, key)
    if key not in FUNCTIONS:
        raise FacepsychError(
            f"unknown psychometric function {name!r}; choose one of {', '.join(FUNCTIONS)}"
        )
    return Family(key, log_axis=(key == "weibull"))


def psi(x, mu, sigma, guess=0.0, lapse=0.0, function: str = "cumnorm"):
    """ψ(x) = γ + (1 − γ − λ) G((t(x) − t(μ)) / σ) (broadcasts over all arguments)."""
    fam = get_family(function)
    z = (fam.t(x) - fam.t(mu)) / np.asarray(sigma, dtype=float)
    return guess + (1.0 - guess - lapse) * fam.cdf(z)


def slope_at_pse(mu, sigma, guess=0.0, lapse=0.0, function: str = "cumnorm"):
    """dψ/dx at x = μ: (1 − γ − λ) g(0) t'(μ) / σ."""
    fam = get_family(function)
    mu = np.asarray(mu, dtype=float)
    dt = 1.0 / mu if fam.log_axis else 1.0
    return (1.0 - np.asarray(guess) - np.asarray(lapse)) * fam.pdf_at_zero * dt / np.asarray(sigma)


def x_at_f(p, mu, sigma, function: str = "cumnorm"):
    """The level where the unscaled F equals p: t⁻¹(t(μ) + σ G⁻¹(p))."""
    fam = get_family(function)
    return fam.t_inv(fam.t(mu) + np.asarray(sigma, dtype=float) * fam.ppf(p))


def jnd(mu, sigma, function: str = "cumnorm"):
    """JND = (x₇₅ − x₂₅) / 2 on the unscaled F (independent of γ and λ)."""
    return 0.5 * (x_at_f(0.75, mu, sigma, function) - x_at_f(0.25, mu, sigma, function))
