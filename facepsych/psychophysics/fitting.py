"""Fit a psychometric function: binomial maximum likelihood (``mle``) or bounded least squares
(``lsq``, the companion project's MATLAB fit), with parametric-bootstrap confidence intervals.

Model: ψ(x) = γ + (1 − γ − λ) F(x; μ, σ) (families and summaries in :mod:`.functions`).
PSE = μ; slope = dψ/dx at μ (includes 1 − γ − λ); JND = (x₇₅ − x₂₅)/2 of the unscaled F.

``mle`` maximises ℓ = Σ [ln C(n, k) + k ln ψ + (n − k) ln(1 − ψ)] from the best of a grid of
starts; deviance D = 2 Σ [k ln(k / nψ) + (n − k) ln((n − k) / n(1 − ψ))] (0 ln 0 = 0).
Bootstrap (:mod:`.bootstrap`): B data sets k* ~ Binomial(n, ψ̂) are refitted together
(warm-started at θ̂, see :mod:`.optimize`); 95 % CIs of μ, slope and JND are percentiles of a
second bootstrap simulated from the bias-corrected (μ̃, σ̃) (``ci_method="debiased"``, the
default; ``"bca"``: bias-corrected and accelerated; ``"percentile"``: percentiles of the first
set); the goodness-of-fit p-value is
(1 + #{D* ≥ D}) / (1 + B).

``lsq`` minimises Σ (p − ψ)² over the levels (unweighted), the companion's MATLAB fit
(``FitPsycheCurveWH.m``: ψ = g + (1 − g − l)·½·(1 + erf((x − u)/√(2v²))) fitted by trust-region
least squares): by default the 9 levels x = 0, .2, …, .8, 1 of a 21-level continuum, bounds
γ, λ ∈ [0, .05], μ ∈ [0, 1], σ ∈ [0.1, 100] (v is F's scale σ, the SD for the cumulative
normal), start (γ, λ, μ, σ) = (.01, .02, .5, 5). A curve steeper than σ = 0.1 ends with σ on its
lower bound (flag ``sigma_at_bound``).
``lsq_width="steepness"`` reads the fourth parameter as a steepness β = 1/σ instead (same
bounds and start, on β).

Example:
    >>> import numpy as np
    >>> x = np.linspace(0, 1, 11); n = np.full(11, 40)
    >>> k = np.round(n * psi(x, 0.5, 0.1)).astype(int)
    >>> fit = fit_psychometric(x, k, n, bootstrap=0)
    >>> round(fit.pse, 2)
    0.5
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize as sopt
from scipy import special, stats

from facepsych.errors import FacepsychError
from facepsych.psychophysics.bootstrap import check_bootstrap, parametric_bootstrap, summaries
from facepsych.psychophysics.functions import get_family, psi
from facepsych.psychophysics.optimize import fit_batch, psi_and_jacobian
from facepsych.psychophysics.result import FitFlag, PsychometricFit

COMPANION_LSQ_LEVELS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
COMPANION_LSQ_START = (0.01, 0.02, 0.5, 5.0)  # (γ, λ, μ, σ)
LSQ_WIDTHS = ("sd", "steepness")
LSQ_MU_BOUNDS = (0.0, 1.0)
LSQ_SIGMA_BOUNDS = (0.1, 100.0)
METHODS = ("mle", "lsq")
MAX_TRIALS = 10**15  # per row: sums stay exact in float64 and within int64 for the bootstrap


# --------------------------------------------------------------------------- input checks


def _array(name: str, values) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise FacepsychError(f"{name} must be numeric") from None
    if np.isnan(arr).any():
        raise FacepsychError(f"{name} contains NaN (row {int(np.flatnonzero(np.isnan(arr))[0])})")
    if np.isinf(arr).any():
        raise FacepsychError(f"{name} contains an infinite value")
    return arr


def _bounds(name: str, spec) -> tuple[float, float]:
    if isinstance(spec, (int, float)):
        lo = hi = float(spec)
    else:
        try:
            lo, hi = (float(v) for v in spec)
        except (TypeError, ValueError):
            raise FacepsychError(
                f"{name} must be a number (fixed) or a (lo, hi) pair (free)"
            ) from None
    if not (0.0 <= lo <= hi < 0.5):
        raise FacepsychError(f"{name} must satisfy 0 <= lo <= hi < 0.5 (got {lo}, {hi})")
    return lo, hi


@dataclass
class _Data:
    x: np.ndarray  # distinct levels, sorted
    y: np.ndarray  # proportion positive per level
    n: np.ndarray | None  # trials per level (None: proportions only)


def check_counts(k, n, row_offset: int = 0, unit: str = "row", source: str = "") -> None:
    """Counts are whole numbers in [0, MAX_TRIALS]: else one line naming the first bad row
    (``unit`` numbers start at ``row_offset``; ``source`` prefixes the message)."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    pre = f"{source}: " if source else ""
    for name, arr in (("k", k), ("n", n)):
        bad = np.flatnonzero(arr < 0)
        if bad.size:
            i = bad[0]
            raise FacepsychError(
                f"{pre}counts must not be negative ({name}={arr[i]:g} at {unit} {i + row_offset})"
            )
        bad = np.flatnonzero(arr > MAX_TRIALS)
        if bad.size:
            i = bad[0]
            raise FacepsychError(
                f"{pre}{name}={arr[i]:g} at {unit} {i + row_offset} is too large "
                f"(at most {MAX_TRIALS:.0e} trials per row)"
            )
        bad = np.flatnonzero(arr != np.round(arr))
        if bad.size:
            i = bad[0]
            raise FacepsychError(
                f"{pre}counts must be whole numbers ({name}={arr[i]:g} at {unit} {i + row_offset})"
            )


def _aggregate(
    x: np.ndarray, k: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ux, inv = np.unique(x, return_inverse=True)
    return ux, np.bincount(inv, weights=k), np.bincount(inv, weights=n)


def prepare_data(levels, k=None, n=None, p=None, *, method: str = "mle") -> _Data:
    """Validate and aggregate the input to one row per distinct level (see fit_psychometric)."""
    x = _array("levels", levels)
    if k is not None and p is not None:
        raise FacepsychError("give either k and n (counts) or p (proportions), not both")
    if k is None and p is None:
        raise FacepsychError("give k and n (counts) or p (proportions)")
    if k is not None:
        if n is None:
            raise FacepsychError("k (positive responses) needs n (trials per level)")
        kk, nn = _array("k", k), _array("n", n)
        if not (kk.size == nn.size == x.size):
            raise FacepsychError(
                f"levels, k and n must have the same length (got {x.size}, {kk.size}, {nn.size})"
            )
        check_counts(kk, nn)
        bad = np.flatnonzero(kk > nn)
        if bad.size:
            i = bad[0]
            raise FacepsychError(f"k > n at level {x[i]:g} (k={kk[i]:g}, n={nn[i]:g})")
        if (nn == 0).any():
            raise FacepsychError(
                f"n must be positive (n=0 at level {x[np.flatnonzero(nn == 0)[0]]:g})"
            )
        ux, kk, nn = _aggregate(x, kk, nn)
        data = _Data(ux, kk / nn, nn)
    else:
        pp = _array("p", p)
        if pp.size != x.size:
            raise FacepsychError(
                f"levels and p must have the same length (got {x.size}, {pp.size})"
            )
        if (pp < 0).any() or (pp > 1).any():
            raise FacepsychError("p must lie in [0, 1]")
        if n is not None:
            nn = _array("n", n)
            if nn.size != x.size or (nn <= 0).any():
                raise FacepsychError("n must have one positive value per p")
            check_counts(np.zeros_like(nn), nn)
            kk = pp * nn  # proportions of n trials: k = p·n must be a count (up to rounding)
            off = np.flatnonzero(np.abs(kk - np.round(kk)) > 1e-6 * np.maximum(nn, 1))
            if off.size:
                i = off[0]
                raise FacepsychError(
                    f"p·n must be a whole number of trials (p={pp[i]:g}, n={nn[i]:g} at row {i})"
                )
            ux, kk, nn = _aggregate(x, np.round(kk), nn)
            data = _Data(ux, kk / nn, nn)
        elif method == "mle":  # each stimulus's decision (p > 0.5) is one trial
            ux, kk, nn = _aggregate(x, (pp > 0.5).astype(float), np.ones_like(pp))
            data = _Data(ux, kk / nn, nn)
        else:
            ux, s, c = _aggregate(x, pp, np.ones_like(pp))
            data = _Data(ux, s / c, None)
    if data.x.size < 3:
        raise FacepsychError(f"need at least 3 distinct levels, got {data.x.size}")
    if np.ptp(data.y) < 1e-12:
        raise FacepsychError(
            f"all responses are identical (proportion {data.y[0]:g} at every level): nothing to fit"
        )
    return data


def _select_lsq_levels(data: _Data, lsq_levels) -> _Data:
    if lsq_levels is None or (isinstance(lsq_levels, str) and lsq_levels == "all"):
        return data
    want = np.asarray(
        COMPANION_LSQ_LEVELS if isinstance(lsq_levels, str) else lsq_levels, dtype=float
    )
    if isinstance(lsq_levels, str) and lsq_levels != "auto":
        raise FacepsychError(
            f"lsq_levels must be 'auto', 'all' or a list of levels (got {lsq_levels!r})"
        )
    if isinstance(lsq_levels, str):  # auto: only for the 21-level continuum 0, .05, ..., 1
        if data.x.size != 21 or not np.allclose(data.x, np.linspace(0, 1, 21), atol=1e-6):
            return data
    hit = np.array([np.isclose(data.x, w, atol=1e-6).any() for w in want])
    if not hit.all():
        raise FacepsychError(f"lsq level {want[~hit][0]:g} is not among the data levels")
    keep = np.array([np.isclose(want, v, atol=1e-6).any() for v in data.x])
    return _Data(data.x[keep], data.y[keep], None if data.n is None else data.n[keep])


# --------------------------------------------------------------------------- statistics


def binomial_loglik(k, n, p) -> float:
    """ℓ = Σ ln C(n, k) + k ln p + (n − k) ln(1 − p) (fractional k allowed)."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    p = np.clip(np.asarray(p, float), 1e-15, 1 - 1e-15)
    logc = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
    return float(np.sum(logc + k * np.log(p) + (n - k) * np.log1p(-p)))


def binomial_deviance(k, n, p) -> np.ndarray:
    """D = 2 Σ [k ln(k / np) + (n − k) ln((n − k) / n(1 − p))], summed over the last axis."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    p = np.clip(np.asarray(p, float), 1e-15, 1 - 1e-15)
    t1 = special.xlogy(k, k) - special.xlogy(k, n * p)
    t2 = special.xlogy(n - k, n - k) - special.xlogy(n - k, n * (1 - p))
    return 2.0 * np.sum(t1 + t2, axis=-1)


def _mle_bounds(data: _Data, fam, guess, lapse):
    tx = fam.t(data.x)
    pos = data.x > 0 if fam.log_axis else np.ones_like(data.x, dtype=bool)
    if fam.log_axis and pos.sum() < 2:
        raise FacepsychError("the weibull needs at least 2 positive levels")
    lo_t, hi_t = tx[pos].min(), tx[pos].max()
    r = hi_t - lo_t
    lower = np.array([lo_t - r, np.log(r / 200), guess[0], lapse[0]])
    upper = np.array([hi_t + r, np.log(5 * r), guess[1], lapse[1]])
    return tx, lower, upper, (lo_t, hi_t, r)


def _grid_starts(data, fam, tx, lower, upper, span, kind: str, top: int = 60) -> np.ndarray:
    lo_t, hi_t, r = span
    ms = np.linspace(lo_t, hi_t, 7)
    ss = np.log(r * np.array([0.01, 0.03, 0.1, 0.3, 1.0]))
    gs = np.unique([lower[2], 0.5 * (lower[2] + upper[2])])
    ls = np.unique([lower[3], 0.5 * (lower[3] + upper[3])])
    grid = np.array(np.meshgrid(ms, ss, gs, ls, indexing="ij")).reshape(4, -1).T
    grid = np.clip(grid, lower, upper)
    from facepsych.psychophysics.optimize import objective

    ps, _ = psi_and_jacobian(grid, tx, fam, jac=False)
    w = data.n if data.n is not None else np.ones_like(data.y)
    obj = objective(ps, data.y[None, :], w[None, :], kind)
    return grid[np.argsort(-obj)[:top]]


def _lsq_point(data, fam, guess, lapse, start, mu_bounds, width_bounds, width):
    """scipy's trust-region-reflective least squares (MATLAB ``fit``'s algorithm) on (γ, λ, μ, v)
    with v = σ (``width="sd"``) or v = 1/σ (``"steepness"``)."""
    g0, l0, mu0, v0 = (float(v) for v in start)
    mu_lo, mu_hi = (float(v) for v in mu_bounds)
    if fam.log_axis:
        mu_lo = max(mu_lo, 1e-6)
    lo = np.array([guess[0], lapse[0], mu_lo, float(width_bounds[0])])
    hi = np.array([guess[1], lapse[1], mu_hi, float(width_bounds[1])])
    if not (lo[2] < hi[2] and 0 < lo[3] < hi[3]):
        raise FacepsychError(
            f"lsq bounds must satisfy mu_lo < mu_hi and 0 < {width}_lo < {width}_hi"
        )
    steep = width == "steepness"
    free = hi > lo
    x0 = np.clip(np.array([g0, l0, mu0, v0]), lo, hi)

    def full(v):
        out = np.where(free, 0.0, lo)
        out[free] = v
        return out

    def resid(v):
        g, lam, mu, w = full(v)
        return psi(data.x, mu, 1.0 / w if steep else w, g, lam, fam.name) - data.y

    res = sopt.least_squares(
        resid, x0[free], bounds=(lo[free], hi[free]), method="trf", xtol=1e-12, ftol=1e-12,
        gtol=1e-12,
    )  # fmt: skip
    g, lam, mu, w = full(res.x)
    sign = -1.0 if steep else 1.0
    theta = np.array([fam.t(mu), sign * np.log(w), g, lam])
    ls = sorted((sign * np.log(lo[3]), sign * np.log(hi[3])))
    lower = np.array([fam.t(lo[2]), ls[0], lo[0], lo[1]])
    upper = np.array([fam.t(hi[2]), ls[1], hi[0], hi[1]])
    return theta, lower, upper, bool(res.success)


def _flags(theta, lower, upper, data, mu, n_free, converged) -> frozenset[FitFlag]:
    """The checks a fit fails: convergence, PSE inside the tested range, PSE/σ off their bounds,
    γ/λ below their upper bounds, Spearman ρ(level, p) ≥ 0.5, more levels than free parameters."""
    out = set()
    if not converged:
        out.add(FitFlag.no_convergence)
    if mu < data.x.min() or mu > data.x.max():
        out.add(FitFlag.pse_outside_range)
    span = np.maximum(upper - lower, 1e-12)
    at_bound = (FitFlag.pse_at_bound, FitFlag.sigma_at_bound, FitFlag.guess_at_bound,
                FitFlag.lapse_at_bound)  # fmt: skip
    for i, flag in enumerate(at_bound):
        if upper[i] <= lower[i]:
            continue
        if i < 2 and theta[i] - lower[i] < 1e-6 * span[i]:
            out.add(flag)
        if theta[i] > upper[i] - 1e-6 * span[i]:
            out.add(flag)
    rho = stats.spearmanr(data.x, data.y).statistic if np.ptp(data.y) > 0 else 0.0
    if not np.isfinite(rho) or rho < 0.5:
        out.add(FitFlag.non_monotone)
    if data.x.size < n_free + 1:
        out.add(FitFlag.too_few_levels)
    return frozenset(out)


# --------------------------------------------------------------------------- the fit


def fit_psychometric(
    levels,
    k=None,
    n=None,
    p=None,
    *,
    method: str = "mle",
    function: str = "cumnorm",
    guess=(0.0, 0.05),
    lapse=(0.0, 0.05),
    bootstrap: int = 1000,
    seed: int = 0,
    ci: float = 0.95,
    lsq_levels: str | Sequence[float] | None = "auto",
    lsq_start: Sequence[float] = COMPANION_LSQ_START,
    lsq_mu_bounds: Sequence[float] = LSQ_MU_BOUNDS,
    lsq_sigma_bounds: Sequence[float] = LSQ_SIGMA_BOUNDS,
    lsq_width: str = "sd",
    ci_method: str = "debiased",
) -> PsychometricFit:
    """Fit ψ(x) = γ + (1 − γ − λ) F(x; μ, σ) to counts (k of n per level) or proportions p.

    Input: ``levels`` with ``k`` and ``n`` (rows may repeat a level; they are summed — trial
    data are k = response, n = 1), or ``p`` (proportions, e.g. a network's P(positive) per
    image). With p and no n, ``mle`` counts each stimulus's decision (p > 0.5) as one trial
    (several images per level), ``lsq`` fits the mean p per level; with p and n, k = p·n.
    ``guess``/``lapse``: a float (fixed) or (lo, hi) (free within bounds; default [0, .05]).
    ``lsq_levels``: "auto" (the companion's 9 levels when the data are the 21-level continuum
    0, .05, …, 1, else all levels), "all", or an explicit list of levels to use. ``lsq_width``:
    ``sd`` (σ, the companion's) or ``steepness`` (1/σ). CIs (``ci_method``:
    debiased | bca | percentile) come from a parametric bootstrap (``bootstrap`` samples,
    seeded) whenever there are trial counts; else they are NaN. Counts must be whole numbers.
    Bad input raises FacepsychError; an untrustworthy fit carries ``flags`` (``fit_ok`` False, a
    prose ``reason``).
    """
    method = str(method).lower()
    if method not in METHODS:
        raise FacepsychError(f"unknown method {method!r}; choose mle or lsq")
    fam = get_family(function)
    if lsq_width not in LSQ_WIDTHS:
        raise FacepsychError(f"unknown lsq_width {lsq_width!r}; choose sd or steepness")
    guess, lapse = _bounds("guess", guess), _bounds("lapse", lapse)
    bootstrap = check_bootstrap(bootstrap, ci_method)
    if not 0 < ci < 1:
        raise FacepsychError("ci must lie in (0, 1)")
    data = prepare_data(levels, k, n, p, method=method)
    if fam.log_axis and (data.x < 0).any():
        raise FacepsychError(f"the weibull needs levels >= 0 (got {data.x.min():g})")

    if method == "lsq":
        data = _select_lsq_levels(data, lsq_levels)
        if data.x.size < 3:
            raise FacepsychError(f"need at least 3 distinct levels, got {data.x.size}")
        tx = fam.t(data.x)
        theta, lower, upper, converged = _lsq_point(
            data, fam, guess, lapse, lsq_start, lsq_mu_bounds, lsq_sigma_bounds, lsq_width
        )
        kind = "lsq"
        weights = np.ones_like(data.y)
    else:
        tx, lower, upper, span = _mle_bounds(data, fam, guess, lapse)
        starts = _grid_starts(data, fam, tx, lower, upper, span, "binomial")
        th, obj, conv = fit_batch(starts, tx, data.y, data.n, fam, lower, upper, kind="binomial")
        best = int(np.argmax(np.where(np.isfinite(obj), obj, -np.inf)))
        theta, converged = th[best], bool(conv[best])
        kind = "binomial"
        weights = data.n

    mu, sigma, slope, jnd_ = (float(v[0]) for v in summaries(theta[None, :], fam.name))
    fitted = psi(data.x, mu, sigma, theta[2], theta[3], fam.name)
    resid = data.y - fitted
    ss_tot = float(np.sum((data.y - data.y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid**2)) / ss_tot if ss_tot > 0 else math.nan
    rmse = float(np.sqrt(np.mean(resid**2)))
    if data.n is not None:
        kk = data.y * data.n
        loglik = binomial_loglik(kk, data.n, fitted)
        deviance = float(binomial_deviance(kk, data.n, fitted))
        n_trials = float(data.n.sum())
    else:
        loglik = deviance = n_trials = math.nan

    n_free = int(np.sum(upper > lower))
    flags = _flags(theta, lower, upper, data, mu, n_free, converged)
    out = PsychometricFit(
        pse=mu, pse_lo=math.nan, pse_hi=math.nan, slope=slope, slope_lo=math.nan, slope_hi=math.nan,
        sigma=sigma, jnd=jnd_, jnd_lo=math.nan, jnd_hi=math.nan, guess=float(theta[2]),
        lapse=float(theta[3]), deviance=deviance, loglik=loglik, r2=r2, rmse=rmse,
        n_levels=int(data.x.size), fit_ok=True, reason="", method=method,
        function=fam.name, n_trials=n_trials, flags=flags,
    )  # fmt: skip
    integer_n = (
        data.n is not None
        and np.allclose(data.n, np.round(data.n))
        and np.allclose(kk, np.round(kk))
    )
    if bootstrap > 0 and integer_n:
        parametric_bootstrap(
            out, theta, tx, data, weights, fam, lower, upper, kind, bootstrap, seed, ci, ci_method
        )
    return out
