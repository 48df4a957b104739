"""Fit a model's response curve (P(positive) per stimulus) with one set of fit settings.

A network's curve is a result even when no psychometric function can be fitted to it: a net
that answers the same at every level, or a curve with fewer than 3 levels, gives an *unfitted*
:class:`PsychometricFit` whose flags say why (``constant_responses``, ``too_few_levels``)
instead of an error. Whether a fit's numbers can be used is decided from its flags:

- ``usable_fit``: no flag at all and a finite PSE;
- ``usable_pse``: a finite PSE and no flag other than guess/lapse at its bound (the curve
  crosses 50 % inside the tested range; only an asymptote sits on its bound).

Example:
    >>> import numpy as np
    >>> x = np.linspace(0, 1, 21)
    >>> fit_responses(x, np.full(21, 0.3), FitSettings()).flags
    frozenset({<FitFlag.constant_responses: 'constant_responses'>})
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

import numpy as np

from facepsych.errors import FacepsychError
from facepsych.psychophysics.fitting import METHODS, fit_psychometric
from facepsych.psychophysics.functions import get_family
from facepsych.psychophysics.result import PSE_TOLERATES, FitFlag, PsychometricFit, parse_flags

__all__ = ["FitFlag", "FitSettings", "fit_responses", "usable_fit", "usable_pse"]


def _bound(value):
    return tuple(float(v) for v in value) if isinstance(value, list | tuple) else float(value)


@dataclass
class FitSettings:
    """How model curves are fitted. ``guess``/``lapse``: a float (fixed) or (lo, hi) (free).

    ``method`` ``lsq`` fits the proportions (the companion's fit); ``mle`` fits
    k = round(p · trials_per_level) of ``trials_per_level`` per stimulus.
    """

    method: str = "lsq"
    function: str = "cumnorm"
    bootstrap: int = 1000
    guess: float | tuple[float, float] = (0.0, 0.05)
    lapse: float | tuple[float, float] = (0.0, 0.05)
    trials_per_level: int = 40

    def __post_init__(self) -> None:
        self.method = str(self.method).lower()
        if self.method not in METHODS:
            raise FacepsychError(f"unknown method {self.method!r}; choose mle or lsq")
        self.function = get_family(self.function).name
        self.guess, self.lapse = _bound(self.guess), _bound(self.lapse)
        if int(self.bootstrap) != self.bootstrap or self.bootstrap < 0:
            raise FacepsychError(f"bootstrap must be a whole number >= 0 (got {self.bootstrap})")
        if int(self.trials_per_level) != self.trials_per_level or self.trials_per_level < 1:
            raise FacepsychError(
                f"trials_per_level must be a whole number >= 1 (got {self.trials_per_level})"
            )
        self.bootstrap, self.trials_per_level = int(self.bootstrap), int(self.trials_per_level)

    def as_dict(self) -> dict:
        d = asdict(self)
        for key in ("guess", "lapse"):
            if isinstance(d[key], tuple):
                d[key] = list(d[key])
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> FitSettings:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise FacepsychError(f"unknown fit setting {unknown[0]!r}; known: {', '.join(names)}")
        return cls(**dict(d))

    def fit_kwargs(self) -> dict:
        """The keyword arguments of :func:`fit_psychometric` these settings stand for."""
        return {
            "method": self.method,
            "function": self.function,
            "guess": self.guess,
            "lapse": self.lapse,
            "bootstrap": self.bootstrap,
        }


def _degenerate(x: np.ndarray, y: np.ndarray) -> FitFlag | None:
    ux, inv = np.unique(x, return_inverse=True)
    if ux.size < 3:
        return FitFlag.too_few_levels
    mean = np.bincount(inv, weights=y) / np.bincount(inv)
    if np.ptp(mean) < 1e-12:
        return FitFlag.constant_responses
    return None


def fit_responses(levels, p, settings: FitSettings, *, seed: int = 0) -> PsychometricFit:
    """Fit one model curve: ``levels`` and P(positive) ``p`` per stimulus (levels may repeat).

    ``lsq``: ψ fitted to p (the companion's 9 levels of a 21-level continuum, see
    :func:`fit_psychometric`); ``mle``: k = round(p·n) of n = ``settings.trials_per_level``.
    A constant curve or fewer than 3 levels gives an unfitted, flagged fit (never an error);
    non-numeric or NaN input and p outside [0, 1] raise FacepsychError.
    """
    x = np.asarray(levels, dtype=float).ravel()
    pp = np.asarray(p, dtype=float).ravel()
    if x.size != pp.size:
        raise FacepsychError(f"levels and p must have the same length (got {x.size}, {pp.size})")
    for name, arr in (("levels", x), ("p", pp)):
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            raise FacepsychError(f"{name} is not finite at row {int(bad[0])} ({arr[bad[0]]:g})")
    if ((pp < 0) | (pp > 1)).any():
        raise FacepsychError("p must lie in [0, 1]")
    kw = settings.fit_kwargs()
    if settings.method == "mle":
        n = np.full(x.size, float(settings.trials_per_level))
        k = np.round(pp * n)
        flag = _degenerate(x, k / n)
        data = {"k": k, "n": n}
    else:
        flag = _degenerate(x, pp)
        data = {"p": pp}
    if flag is not None:
        return PsychometricFit.unfitted(
            {flag},
            method=settings.method,
            function=settings.function,
            n_levels=int(np.unique(x).size),
        )
    return fit_psychometric(x, **data, **kw, seed=seed)


def _flags_and_pse(fit) -> tuple[frozenset[FitFlag], float]:
    if isinstance(fit, PsychometricFit):
        return fit.flags, fit.pse
    flags = parse_flags(fit.get("flags"))
    pse = fit.get("pse")
    return flags, math.nan if pse is None else float(pse)


#: σ at or below this is the steep end of its range (the lsq floor is 0.1; flat curves hit 100).
STEEP_SIGMA = 1.0


def sigma_on_floor(fit: PsychometricFit | Mapping) -> bool:
    """σ on the lower bound of its range (flag ``sigma_at_bound`` with σ ≤ :data:`STEEP_SIGMA`):
    the curve is steeper than the fit can express, so its slope is only a lower bound."""
    flags, _ = _flags_and_pse(fit)
    if FitFlag.sigma_at_bound not in flags:
        return False
    sigma = fit.sigma if isinstance(fit, PsychometricFit) else fit.get("sigma")
    try:
        sigma = float(sigma)
    except (TypeError, ValueError):
        return False
    return bool(np.isfinite(sigma) and sigma <= STEEP_SIGMA)


def usable_pse(fit: PsychometricFit | Mapping) -> bool:
    """A finite PSE and no flag other than guess/lapse at its bound, or σ at the *lower* end of
    its range (a fit or a fits.csv row).

    A curve steeper than the σ floor (the companion's 0.1) still crosses 50% at a well-located
    PSE — 25 of the companion's 40 human subjects sit on that floor — so σ on its lower bound
    leaves the PSE usable (the slope is then a lower bound, :func:`sigma_on_floor`); σ on its
    upper bound is a flat curve, whose PSE means nothing.
    """
    flags, pse = _flags_and_pse(fit)
    tolerated = PSE_TOLERATES
    if sigma_on_floor(fit):
        tolerated = tolerated | {FitFlag.sigma_at_bound}
    return bool(np.isfinite(pse)) and flags <= tolerated


def usable_fit(fit: PsychometricFit | Mapping) -> bool:
    """A finite PSE and no flag at all (a fit or a fits.csv row)."""
    flags, pse = _flags_and_pse(fit)
    ok = fit.fit_ok if isinstance(fit, PsychometricFit) else not flags
    return bool(np.isfinite(pse)) and ok
