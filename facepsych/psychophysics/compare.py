"""Model vs human: how human-like is a network's psychometric curve?

For a model curve (P(positive) per level) fitted like the humans' (same function):

* ΔPSE = PSE_model − mean_h (human mean PSE); 95 % CI from both sides' uncertainty. With human
  data and the model's own bootstrap PSEs: percentiles of PSE* − mean_h* (bootstrap over
  subjects). Otherwise the two one-sided half-widths are combined in quadrature, side by side:
  lo = ΔPSE − √((PSE − PSE_lo)² + h_lo²), hi = ΔPSE + √((PSE_hi − PSE)² + h_hi²), with the
  model's interval [PSE_lo, PSE_hi] (none: 0) and the human mean's (the published reference:
  h = t₀.₉₇₅,N−1 · SE; data: from the subject bootstrap of mean_h).
* slope ratio = slope_model / mean of the human subjects' slopes (dψ/dx at the PSE); also
  ``slope_ratio_pooled`` against the slope of the pooled human curve, which is shallower when
  the subjects' PSEs differ (with the published reference: its group slope, 4.19).
* one-sample t-test of the human PSEs against PSE_model: t = (mean_h − PSE_model) / (SD_h / √N).
* Cohen's d = |mean_h − PSE_model| / SD_h;  Z = (PSE_model − mean_h) / SD_h.
* RMSE of the model's points against the human mean curve (linearly interpolated at the model's
  levels inside the human range), and r = Pearson(model points, human curve).
* human-likeness = r / r_ceiling (the Spearman–Brown split-half reliability of the human mean
  curve, brain-score style); ``dpse_ceiling`` is how far a perfect model would miss mean_h.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from facepsych.errors import FacepsychError
from facepsych.psychophysics.fitting import PsychometricFit, fit_psychometric
from facepsych.psychophysics.humans import HumanFits, HumanReference


def _unfittable(humans, reason: str, method: str, function: str) -> dict:
    """Scores of a model whose curve cannot be fitted (e.g. a constant P(positive)): NaN."""
    keys = (
        "model_pse", "model_pse_lo", "model_pse_hi", "model_slope",
        "human_pse_mean", "human_pse_sd",
        "human_slope", "slope_ratio_pooled", "delta_pse", "delta_pse_lo", "delta_pse_hi",
        "slope_ratio", "t", "p_value",
        "cohens_d", "z", "rmse", "curve_r", "ceiling_curve_r", "human_likeness", "dpse_ceiling",
    )  # fmt: skip
    out = dict.fromkeys(keys, math.nan)
    kind = "data" if isinstance(humans, HumanFits) else "reference"
    out.update(
        human_kind=kind, model_fit_ok=False, model_reason=reason, method=method, function=function
    )
    return out


def _delta_interval(fit, dpse: float, h_lo: float, h_hi: float) -> tuple[float, float]:
    """ΔPSE's interval from the model's PSE interval and the human mean's half-widths (h_lo:
    how far the human mean may be higher, h_hi: lower), side by side in quadrature."""
    m_lo = fit.pse - fit.pse_lo if np.isfinite(fit.pse_lo) else 0.0
    m_hi = fit.pse_hi - fit.pse if np.isfinite(fit.pse_hi) else 0.0
    return float(dpse - math.hypot(m_lo, h_lo)), float(dpse + math.hypot(m_hi, h_hi))


def compare_to_humans(
    model_levels,
    model_p,
    humans: HumanFits | HumanReference,
    *,
    method: str = "lsq",
    function: str | None = None,
    model_fit: PsychometricFit | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    ci: float = 0.95,
    **fit_kwargs,
) -> dict:
    """Score a model curve against human data (HumanFits) or the published reference.

    The model is fitted with ``method`` (default ``lsq``, the companion's fit for P(positive)
    curves) and the humans' function unless ``model_fit`` is given. Returns a flat dict.
    """
    x = np.asarray(model_levels, dtype=float).ravel()
    p = np.asarray(model_p, dtype=float).ravel()
    if x.size != p.size:
        raise FacepsychError(
            f"model levels and P(positive) differ in length ({x.size} vs {p.size})"
        )
    if isinstance(humans, HumanFits):
        fn = function or humans.summary.get("function", "cumnorm")
    elif isinstance(humans, HumanReference):
        fn = function or "cumnorm"
    else:
        raise FacepsychError("humans must be HumanFits (from fit_humans) or a HumanReference")
    if model_fit is None:
        try:
            model_fit = fit_psychometric(
                x, p=p, method=method, function=fn, bootstrap=bootstrap, seed=seed, **fit_kwargs
            )
        except FacepsychError as exc:
            if "identical" not in str(exc):
                raise
            return _unfittable(humans, str(exc), method, fn)
    fit = model_fit
    out = {
        "human_kind": "data" if isinstance(humans, HumanFits) else "reference",
        "model_pse": fit.pse,
        "model_pse_lo": fit.pse_lo,
        "model_pse_hi": fit.pse_hi,
        "model_slope": fit.slope,
        "model_fit_ok": fit.fit_ok,
        "model_reason": fit.reason,
        "method": fit.method,
        "function": fit.function,
    }
    alpha = 1 - ci
    rng = np.random.default_rng(seed)
    if isinstance(humans, HumanReference):
        n, mean_h, sd_h = humans.n_subjects, humans.pse_mean, humans.pse_sd
        se = humans.pse_se
        slope_h = humans.slope
        dpse = fit.pse - mean_h
        half = stats.t.ppf(1 - alpha / 2, n - 1) * se
        lo, hi = _delta_interval(fit, dpse, half, half)
        rmse = curve_r = ceiling_r = dpse_ceiling = pooled_slope = math.nan
        out["human_source"] = humans.source
    else:
        used = humans.per_subject
        used = used[used["used"].astype(bool)] if "used" in used else used[used["fit_ok"]]
        pses = used["pse"].to_numpy(dtype=float)
        pses = pses[np.isfinite(pses)]
        n = pses.size
        if n < 2:
            raise FacepsychError("need the PSEs of at least 2 human subjects to compare")
        mean_h, sd_h = float(pses.mean()), float(pses.std(ddof=1))
        slope_h = humans.summary.get("slope_mean", math.nan)
        pooled_slope = humans.pooled.slope
        dpse = fit.pse - mean_h
        B = max(int(bootstrap), 200)
        means = pses[rng.integers(0, n, size=(B, n))].mean(axis=1)
        q = [100 * alpha / 2, 100 * (1 - alpha / 2)]
        if fit.boot is not None and len(fit.boot):
            model_b = fit.boot[rng.integers(0, len(fit.boot), size=B), 0]
            lo, hi = (float(v) for v in np.percentile(model_b - means, q))
        else:
            m_lo, m_hi = np.percentile(means, q)
            lo, hi = _delta_interval(fit, dpse, m_hi - mean_h, mean_h - m_lo)
        curve = humans.mean_curve
        inside = (x >= curve["level"].min() - 1e-9) & (x <= curve["level"].max() + 1e-9)
        if inside.sum() >= 2:
            h = np.interp(x[inside], curve["level"], curve["mean"])
            rmse = float(np.sqrt(np.mean((p[inside] - h) ** 2)))
            curve_r = (
                float(np.corrcoef(p[inside], h)[0, 1])
                if np.std(p[inside]) > 0 and np.std(h) > 0
                else math.nan
            )
        else:
            rmse = curve_r = math.nan
        ceiling_r = humans.summary.get("ceiling_curve_r", math.nan)
        dpse_ceiling = humans.summary.get("ceiling_abs_dpse", math.nan)
        out["human_source"] = "human trials"
    t = (mean_h - fit.pse) / (sd_h / math.sqrt(n))
    out.update(
        {
            "n_subjects": int(n),
            "human_pse_mean": mean_h,
            "human_pse_sd": sd_h,
            "human_slope": slope_h,
            "delta_pse": dpse,
            "delta_pse_lo": lo,
            "delta_pse_hi": hi,
            "slope_ratio": fit.slope / slope_h if slope_h and np.isfinite(slope_h) else math.nan,
            "slope_ratio_pooled": fit.slope / pooled_slope if pooled_slope else math.nan,
            "t": t,
            "df": int(n - 1),
            "p_value": float(2 * stats.t.sf(abs(t), n - 1)),
            "cohens_d": abs(mean_h - fit.pse) / sd_h,
            "z": (fit.pse - mean_h) / sd_h,
            "rmse": rmse,
            "curve_r": curve_r,
            "ceiling_curve_r": ceiling_r,
            "human_likeness": curve_r / ceiling_r
            if np.isfinite(ceiling_r) and ceiling_r > 0
            else math.nan,
            "dpse_ceiling": dpse_ceiling,
        }
    )
    return out
