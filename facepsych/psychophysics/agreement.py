"""Trial-level agreement between a network and human observers, beyond the PSE.

Stimuli are the distinct (continuum, level, condition) combinations both sides answered.

* Per-stimulus correlation: r = Pearson(P_h(s), P_m(s)) over stimuli s, P_h the share of human
  trials answered positive, P_m the network's P(positive). 95 % CI: percentiles of r over a
  bootstrap of the stimuli.
* Its ceiling: subjects are split at random into halves A and B (``splits`` times); r_AB =
  Pearson(P_A(s), P_B(s)), averaged over splits; the Spearman–Brown correction
  ρ = 2 r_AB / (1 + r_AB) is the reliability of the full group's P_h (its correlation with a
  second group like it). With P_h = p + e (p the stimulus's true rate, e trial noise), a model
  that knew p reaches r = √ρ, the ceiling r_ceil; ``r / r_ceil`` is the normalised agreement.
* Error consistency (Geirhos et al., NeurIPS 2020, here for categorisation): per subject, every
  trial is compared with the network's decision on that stimulus (P_m > 0.5). Observed agreement
  c_obs = share of trials with the same decision; the agreement expected from the marginal
  rates alone (independent observers) is c_exp = q_h q_m + (1 − q_h)(1 − q_m), q the share of
  positive decisions over that subject's trials; Cohen's κ = (c_obs − c_exp) / (1 − c_exp)
  (0 for independent observers, 1 for identical ones). The group κ is the mean over subjects.

Intervals (95 %, percentiles of a bootstrap): r is recomputed on stimuli drawn with
replacement (the subjects fixed: drawing subjects with replacement would lower the reliability of
P_h and so bias r down); the mean κ on stimuli *and* subjects drawn with replacement, since it
varies with both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from facepsych.errors import FacepsychError
from facepsych.psychophysics.humans import spearman_brown

STIMULUS_KEYS = ("continuum", "level", "condition")
AGREEMENT_COLUMNS = (
    "n_stimuli", "agreement_n_subjects", "stimulus_r", "stimulus_r_lo", "stimulus_r_hi",
    "stimulus_split_half_r", "stimulus_ceiling_r", "stimulus_r_normalised", "kappa", "kappa_lo",
    "kappa_hi", "c_obs", "c_exp",
)  # fmt: skip


def cohens_kappa(a, b) -> tuple[float, float, float]:
    """(κ, c_obs, c_exp) of two binary decision arrays of equal length (NaN κ if c_exp = 1)."""
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    if a.size != b.size or a.size == 0:
        raise FacepsychError(
            f"kappa needs two decision arrays of one length (got {a.size}, {b.size})"
        )
    if not (np.isin(a, (0.0, 1.0)).all() and np.isin(b, (0.0, 1.0)).all()):
        raise FacepsychError("kappa needs decisions coded 0/1")
    c_obs = float(np.mean(a == b))
    qa, qb = float(a.mean()), float(b.mean())
    c_exp = qa * qb + (1 - qa) * (1 - qb)
    kappa = (c_obs - c_exp) / (1 - c_exp) if c_exp < 1 else math.nan
    return kappa, c_obs, c_exp


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return math.nan
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def stimulus_correlation(
    human_p, model_p, *, bootstrap: int = 1000, seed: int = 0, ci: float = 0.95
) -> tuple[float, float, float]:
    """(r, lo, hi): Pearson r of human and model P(positive) over stimuli, bootstrap CI."""
    h = np.asarray(human_p, dtype=float).ravel()
    m = np.asarray(model_p, dtype=float).ravel()
    if h.size != m.size:
        raise FacepsychError(f"human and model P differ in length ({h.size} vs {m.size})")
    r = _pearson(h, m)
    if not np.isfinite(r) or bootstrap <= 0:
        return r, math.nan, math.nan
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, h.size, size=(bootstrap, h.size))
    hb, mb = h[idx], m[idx]
    hc, mc = hb - hb.mean(1, keepdims=True), mb - mb.mean(1, keepdims=True)
    den = np.sqrt((hc**2).sum(1) * (mc**2).sum(1))
    rb = np.where(den > 0, (hc * mc).sum(1) / np.where(den > 0, den, 1), np.nan)
    lo, hi = np.nanquantile(rb, [(1 - ci) / 2, (1 + ci) / 2])
    return r, float(lo), float(hi)


def split_half_stimulus_ceiling(
    P: np.ndarray, *, splits: int = 200, seed: int = 0
) -> tuple[float, float]:
    """(r_AB, ceiling √ρ with ρ = Spearman–Brown(r_AB)) from a subjects × stimuli matrix of P
    (NaN: stimulus not seen by that subject)."""
    P = np.asarray(P, dtype=float)
    n = P.shape[0]
    if n < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    rs = []
    for _ in range(splits):
        perm = rng.permutation(n)
        a, b = perm[: n // 2], perm[n // 2 : 2 * (n // 2)]
        with np.errstate(invalid="ignore"):
            ra = _pearson(np.nanmean(P[a], axis=0), np.nanmean(P[b], axis=0))
        if np.isfinite(ra):
            rs.append(ra)
    if not rs:
        return math.nan, math.nan
    r = float(np.mean(rs))
    return r, float(np.sqrt(max(float(spearman_brown(r)), 0.0)))


def _kappas(agree, total, k_h, k_m):
    """Per-subject κ from (…, S) arrays: agreeing trials, trials, positive human / model ones."""
    with np.errstate(invalid="ignore", divide="ignore"):
        c_obs = agree / total
        qh, qm = k_h / total, k_m / total
        c_exp = qh * qm + (1 - qh) * (1 - qm)
        kappa = np.where(c_exp < 1, (c_obs - c_exp) / (1 - c_exp), np.nan)
    return kappa, c_obs, c_exp


def _agreement_bootstrap(K, N, pm, B, rng, ci):
    """Percentile CIs of r(P_h, P_m) (stimuli resampled) and of the mean κ (stimuli and
    subjects resampled)."""
    S, J = K.shape
    d = (pm > 0.5).astype(float)
    ph = K.sum(axis=0) / N.sum(axis=0)
    rs, ks = [], []
    for start in range(0, B, 500):
        b = min(500, B - start)
        w = np.stack([np.bincount(r, minlength=J) for r in rng.integers(0, J, (b, J))]).astype(
            float
        )
        v = np.stack([np.bincount(r, minlength=S) for r in rng.integers(0, S, (b, S))]).astype(
            float
        )
        for i in range(b):
            keep = w[i] > 0
            rep = np.repeat(np.flatnonzero(keep), w[i][keep].astype(int))
            rs.append(_pearson(ph[rep], pm[rep]))
        agree = (w * d) @ K.T + (w * (1 - d)) @ (N - K).T  # (b, S)
        kap, _, _ = _kappas(agree, w @ N.T, w @ K.T, (w * d) @ N.T)
        with np.errstate(invalid="ignore"):
            ks.append(np.nansum(v * kap, axis=1) / np.sum(v * np.isfinite(kap), axis=1))
    q = [(1 - ci) / 2, (1 + ci) / 2]
    rs, ks = np.asarray(rs), np.concatenate(ks)
    r_ci = np.nanquantile(rs, q) if np.isfinite(rs).any() else (math.nan, math.nan)
    k_ci = np.nanquantile(ks, q) if np.isfinite(ks).any() else (math.nan, math.nan)
    return tuple(float(v) for v in r_ci), tuple(float(v) for v in k_ci)


def stimulus_agreement(
    trials: pd.DataFrame,
    model: pd.DataFrame,
    *,
    keys: Sequence[str] | None = None,
    bootstrap: int = 1000,
    splits: int = 200,
    seed: int = 0,
    ci: float = 0.95,
) -> dict:
    """Agreement of a model's per-stimulus P(positive) (``model``: keys + ``p``) with human
    trials (``trials``: ``subject``, keys, ``response`` 0/1). ``keys`` default: the stimulus
    columns (continuum, level, condition) both tables have. Returns a flat dict."""
    if "p" not in model.columns and "p_positive" in model.columns:
        model = model.rename(columns={"p_positive": "p"})
    need = (("human trials", trials, ("subject", "response")), ("model", model, ("p",)))
    for name, df, cols in need:
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise FacepsychError(f"{name} need a {missing[0]!r} column for stimulus agreement")
    keys = list(keys) if keys else [k for k in STIMULUS_KEYS if k in trials and k in model]
    if not keys:
        raise FacepsychError("no stimulus columns (continuum, level, condition) in both tables")
    m = model.groupby(keys, sort=True)["p"].mean().rename("p_model").reset_index()
    t = trials.merge(m, on=keys, how="inner")
    if t.empty:
        raise FacepsychError(f"the model and the humans share no stimulus (by {', '.join(keys)})")
    K = t.pivot_table(index="subject", columns=keys, values="response", aggfunc="sum", fill_value=0)
    N = t.pivot_table(index="subject", columns=keys, values="response", aggfunc="count",
                      fill_value=0).loc[K.index, K.columns]  # fmt: skip
    pm = m.set_index(keys)["p_model"].loc[K.columns].to_numpy(dtype=float)
    K, N = K.to_numpy(dtype=float), N.to_numpy(dtype=float)
    ph = K.sum(axis=0) / N.sum(axis=0)
    r = _pearson(ph, pm)
    with np.errstate(invalid="ignore", divide="ignore"):
        r_half, ceiling = split_half_stimulus_ceiling(
            np.where(N > 0, K / np.where(N > 0, N, 1), np.nan), splits=splits, seed=seed
        )
    d = (pm > 0.5).astype(float)
    agree = K @ d + (N - K) @ (1 - d)
    kappa, c_obs, c_exp = _kappas(agree, N.sum(axis=1), K.sum(axis=1), N @ d)
    r_ci = k_ci = (math.nan, math.nan)
    if bootstrap > 0:
        rng = np.random.default_rng(seed)
        r_ci, k_ci = _agreement_bootstrap(K, N, pm, int(bootstrap), rng, ci)
    return {
        "n_stimuli": int(K.shape[1]),
        "agreement_n_subjects": int(K.shape[0]),
        "stimulus_r": r,
        "stimulus_r_lo": r_ci[0],
        "stimulus_r_hi": r_ci[1],
        "stimulus_split_half_r": r_half,
        "stimulus_ceiling_r": ceiling,
        "stimulus_r_normalised": r / ceiling if np.isfinite(ceiling) and ceiling > 0 else math.nan,
        "kappa": float(np.nanmean(kappa)) if np.isfinite(kappa).any() else math.nan,
        "kappa_lo": k_ci[0],
        "kappa_hi": k_ci[1],
        "c_obs": float(np.nanmean(c_obs)),
        "c_exp": float(np.nanmean(c_exp)),
    }
