"""Series fits: one psychometric fit of a model series' mean curve, CIs from its curves.

A network's P(positive) per level is one deterministic number per stimulus; a *series* (all
continua × seeds of one model × condition) is summarised by its mean curve

    p̄(x) = (1/N) Σ_i p_i(x)

fitted once with the series' :class:`FitSettings`. Its intervals come from a bootstrap over the
curves: B times, N curves are drawn with replacement (with ``groups``, e.g. seeds: first the
groups with replacement, then the curves within each drawn group), their mean curve is refitted
(warm-started at θ̂, vectorised), and the 95 % intervals of PSE, slope and JND are percentiles
of the B refits. The result is a :class:`PsychometricFit` with ``scope = "series"``.

If the curves are shifted copies of one sigmoid, p_i(x) = Φ((x − μ − δ_i)/σ) with
δ_i ~ N(0, τ²), the mean curve is Φ((x − μ)/√(σ² + τ²)): the series PSE is μ, its width
√(σ² + τ²).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from facepsych.errors import FacepsychError
from facepsych.psychophysics.bootstrap import check_bootstrap, summaries
from facepsych.psychophysics.fitting import (
    LSQ_MU_BOUNDS,
    LSQ_SIGMA_BOUNDS,
    _bounds,
    _mle_bounds,
    _select_lsq_levels,
    prepare_data,
)
from facepsych.psychophysics.functions import get_family
from facepsych.psychophysics.optimize import fit_batch
from facepsych.psychophysics.responses import FitSettings, fit_responses
from facepsych.psychophysics.result import PsychometricFit

CHUNK = 2_000


def _matrix(levels, P) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(levels, dtype=float).ravel()
    M = np.asarray(P, dtype=float)
    if M.ndim == 1:
        M = M[None, :]
    if M.ndim != 2 or M.shape[1] != x.size:
        raise FacepsychError(
            f"P must be n_curves × n_levels with {x.size} levels (got shape {M.shape})"
        )
    if M.shape[0] == 0:
        raise FacepsychError("a series needs at least one curve")
    if np.unique(x).size != x.size:
        raise FacepsychError("series levels must be distinct (one column per level)")
    bad = np.argwhere(~np.isfinite(M))
    if bad.size:
        raise FacepsychError(f"P is not finite at curve {bad[0][0]}, level {x[bad[0][1]]:g}")
    if ((M < 0) | (M > 1)).any():
        raise FacepsychError("P must lie in [0, 1]")
    return x, M


def _draws(n: int, groups, B: int, rng) -> np.ndarray:
    """(B, n) weights: how often each curve is in each bootstrap sample (rows sum to n)."""
    if groups is None:
        idx = rng.integers(0, n, size=(B, n))
        return np.stack([np.bincount(r, minlength=n) for r in idx]).astype(float)
    g = np.asarray(groups)
    if g.size != n:
        raise FacepsychError(f"groups must have one label per curve ({n}), got {g.size}")
    labels, inv = np.unique(g, return_inverse=True)
    members = [np.flatnonzero(inv == j) for j in range(labels.size)]
    W = np.zeros((B, n))
    for b in range(B):
        for j in rng.integers(0, labels.size, size=labels.size):
            m = members[j]
            np.add.at(W[b], m[rng.integers(0, m.size, size=m.size)], 1.0)
    return W * (n / W.sum(axis=1, keepdims=True))


def fit_series(
    levels,
    P,
    settings: FitSettings,
    *,
    groups: Sequence | None = None,
    bootstrap: int | None = None,
    seed: int = 0,
    ci: float = 0.95,
) -> PsychometricFit:
    """Fit the mean of the curves ``P`` (n_curves × n_levels) at ``levels``; CIs from a bootstrap
    over curves (within ``groups`` when given). ``bootstrap`` defaults to ``settings.bootstrap``."""
    x, M = _matrix(levels, P)
    B = check_bootstrap(settings.bootstrap if bootstrap is None else bootstrap)
    if not 0 < ci < 1:
        raise FacepsychError("ci must lie in (0, 1)")
    mean = M.mean(axis=0)
    point_settings = FitSettings(**{**settings.as_dict(), "bootstrap": 0})
    fit = fit_responses(x, mean, point_settings, seed=seed)
    fit.scope = "series"
    if not np.isfinite(fit.pse) or B == 0 or M.shape[0] < 2:
        return fit
    fam = get_family(settings.function)
    guess, lapse = _bounds("guess", settings.guess), _bounds("lapse", settings.lapse)
    theta = np.array([fam.t(fit.pse), np.log(fit.sigma), fit.guess, fit.lapse])
    if settings.method == "lsq":
        data = _select_lsq_levels(prepare_data(x, p=mean, method="lsq"), "auto")
        mu_lo = max(LSQ_MU_BOUNDS[0], 1e-6) if fam.log_axis else LSQ_MU_BOUNDS[0]
        lower = np.array([fam.t(mu_lo), np.log(LSQ_SIGMA_BOUNDS[0]), guess[0], lapse[0]])
        upper = np.array([fam.t(LSQ_MU_BOUNDS[1]), np.log(LSQ_SIGMA_BOUNDS[1]), guess[1], lapse[1]])
        kind, weights = "lsq", np.ones(data.x.size)
    else:
        n = float(settings.trials_per_level)
        data = prepare_data(x, k=np.round(mean * n), n=np.full(x.size, n), method="mle")
        _, lower, upper, _ = _mle_bounds(data, fam, guess, lapse)
        kind, weights = "binomial", data.n
    cols = np.array([int(np.flatnonzero(np.isclose(x, v))[0]) for v in data.x])
    tx = fam.t(data.x)
    rng = np.random.default_rng(seed)
    parts = []
    for start in range(0, B, CHUNK):
        W = _draws(M.shape[0], groups, min(CHUNK, B - start), rng)
        yb = (W @ M[:, cols]) / M.shape[0]
        if kind == "binomial":
            yb = np.round(yb * weights) / weights
        th, _, conv = fit_batch(
            np.repeat(theta[None, :], len(W), axis=0), tx, yb, weights, fam, lower, upper,
            kind=kind,
        )  # fmt: skip
        parts.append(th[conv])
    th = np.concatenate(parts)
    if th.shape[0] == 0:
        return fit
    mu, sigma, slope, jnd_ = summaries(th, fam.name)
    q = [(1 - ci) / 2, (1 + ci) / 2]
    fit.pse_lo, fit.pse_hi = (float(v) for v in np.quantile(mu, q))
    fit.slope_lo, fit.slope_hi = (float(v) for v in np.quantile(slope, q))
    fit.jnd_lo, fit.jnd_hi = (float(v) for v in np.quantile(jnd_, q))
    fit.n_boot = int(th.shape[0])
    fit.boot = np.column_stack([mu, sigma, th[:, 2], th[:, 3]])
    return fit


def series_table(
    predictions: pd.DataFrame,
    settings: FitSettings,
    *,
    by: Sequence[str] = ("model", "weights", "variant", "condition"),
    curve: Sequence[str] = ("continuum", "seed"),
    group: str | None = "seed",
    bootstrap: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """One series fit per ``by`` group of a predictions table (``level``, ``p``, the ``by`` and
    ``curve`` columns; the mean P per curve × level is used): the fit's row plus ``by`` keys,
    ``scope = "series"`` and ``n_curves``. Bootstrap within ``group`` (when a ``curve`` column)."""
    df = predictions.rename(columns={"p_positive": "p"}) if "p" not in predictions else predictions
    curve_names = list(curve)
    by, curve = [c for c in by if c in df.columns], [c for c in curve if c in df.columns]
    missing = [c for c in ("level", "p") if c not in df.columns]
    if missing:
        raise FacepsychError(f"predictions need columns level and p (missing {missing[0]})")
    if not curve:
        raise FacepsychError(f"predictions need a curve column ({' or '.join(curve_names)})")
    rows = []
    for key, sub in df.groupby(by, sort=True) if by else [((), df)]:
        key = key if isinstance(key, tuple) else (key,)
        wide = sub.pivot_table(index=curve, columns="level", values="p", aggfunc="mean")
        wide = wide.dropna(axis=0, how="any")
        keys = dict(zip(by, key, strict=True))
        if wide.empty:
            raise FacepsychError(f"series {keys}: no curve has a P at every level")
        labels = None
        if group in curve and wide.index.nlevels > 1:
            labels = wide.index.get_level_values(group).to_numpy()
        elif group in curve:
            labels = wide.index.to_numpy()
        fit = fit_series(
            wide.columns.to_numpy(dtype=float), wide.to_numpy(), settings, groups=labels,
            bootstrap=bootstrap, seed=seed,
        )  # fmt: skip
        rows.append({**keys, **fit.as_dict(), "n_curves": int(len(wide))})
    return pd.DataFrame(rows)


__all__ = ["fit_series", "series_table"]
