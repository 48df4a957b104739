"""Run-level psychophysics tables: series fits beside the per-continuum fits, and the series'
comparison with the humans (with per-stimulus agreement where the humans have trial data).

- Series fit (:func:`facepsych.psychophysics.series_table`): one fit per model × arch × weights ×
  variant × condition of the mean curve p̄(x) = (1/N) Σ_i p_i(x) over its N continuum × seed
  curves, 95 % CIs from a bootstrap over curves within seeds. A per-continuum table fitted
  without bootstrap (``bootstrap: 0``) still gives series CIs: the series draws
  :data:`SERIES_BOOTSTRAP` samples then.
- Each series row also carries the range of its mean curve, ``p_min`` = min_x p̄(x) and
  ``p_max`` = max_x p̄(x), and ``reaches_asymptotes``: p_min ≤ γ_max and p_max ≥ 1 − λ_max
  (γ_max, λ_max the upper bounds of guess and lapse, e.g. 0.05). A curve that stays above γ_max
  at its negative end or below 1 − λ_max at its positive end cannot be followed there by ψ with
  its asymptotes inside those bounds.
- ``comparison.csv`` series rows: :func:`facepsych.psychophysics.compare_to_humans` of the mean
  curve with the series fit, plus, with human trials that name their stimuli (continuum, level;
  condition, else ``full``), the columns of
  :data:`facepsych.psychophysics.agreement.AGREEMENT_COLUMNS`
  (:func:`facepsych.psychophysics.stimulus_agreement` over the series' per-stimulus mean P).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from facepsych.psychophysics import FitSettings, PsychometricFit, series_table

SERIES_BOOTSTRAP = 1000
SERIES_KEYS = ("model", "arch", "weights", "variant")
TRIALS_FILE = "humans_trials.csv"
LEVEL_DECIMALS = 6


def _upper(bound: Any) -> float:
    return float(bound[1]) if isinstance(bound, list | tuple) else float(bound)


def series_fits(predictions: pd.DataFrame, fit: dict[str, Any], *, seed: int = 0) -> pd.DataFrame:
    """``scope = series`` rows of ``fits.csv`` (see the module docstring) from a run's
    predictions and its ``analysis.fit`` settings."""
    if predictions.empty:
        return pd.DataFrame()
    settings = FitSettings.from_dict(fit)
    boot = settings.bootstrap or SERIES_BOOTSTRAP
    by = (*SERIES_KEYS, "condition")
    table = series_table(predictions, settings, by=by, bootstrap=boot, seed=seed)
    curves = predictions.groupby([*by, "level"], sort=True)["p_positive"].mean()
    span = curves.groupby(list(by)).agg(["min", "max"]).reset_index()
    span = span.rename(columns={"min": "p_min", "max": "p_max"})
    table = table.merge(span, on=list(by), how="left")
    table["reaches_asymptotes"] = (table["p_min"] <= _upper(settings.guess)) & (
        table["p_max"] >= 1 - _upper(settings.lapse)
    )
    return table


def with_series(fits: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """The per-continuum fits (``scope = continuum``) followed by the series rows."""
    f = fits.copy()
    if len(f):
        f["scope"] = "continuum"
    return pd.concat([f, series], ignore_index=True) if len(series) else f


def continuum_fits(fits: pd.DataFrame) -> pd.DataFrame:
    """The per-continuum rows of a ``fits.csv`` (all rows of a table without ``scope``)."""
    if "scope" not in fits:
        return fits
    return fits[fits["scope"].fillna("continuum") == "continuum"].reset_index(drop=True)


def series_rows(fits: pd.DataFrame) -> pd.DataFrame:
    """The ``scope = series`` rows of a ``fits.csv`` (empty without them)."""
    if "scope" not in fits:
        return fits.iloc[0:0]
    return fits[fits["scope"] == "series"].reset_index(drop=True)


def stimulus_trials(trials: pd.DataFrame | None) -> pd.DataFrame | None:
    """Human trials that name their stimuli (``subject``, ``continuum``, ``level``,
    ``response``; ``condition`` set to ``full`` where absent), or None."""
    if trials is None or not {"subject", "continuum", "level", "response"} <= set(trials.columns):
        return None
    t = trials.copy()
    if "condition" not in t:
        t["condition"] = "full"
    t["continuum"] = t["continuum"].astype(str)
    t["condition"] = t["condition"].astype(str)
    t["level"] = t["level"].astype(float).round(LEVEL_DECIMALS)
    return t[["subject", "continuum", "level", "condition", "response"]]


def read_trials(run: Path) -> pd.DataFrame | None:
    """The stimulus-level human trials a run stored (``humans_trials.csv``), or None."""
    path = Path(run) / TRIALS_FILE
    return stimulus_trials(pd.read_csv(path)) if path.is_file() else None


def series_comparison(
    predictions: pd.DataFrame,
    series: pd.DataFrame,
    humans: Any,
    trials: pd.DataFrame | None = None,
    *,
    bootstrap: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """``scope = series`` rows of ``comparison.csv`` (see the module docstring); agreement
    columns only when ``trials`` (from :func:`stimulus_trials`) is given."""
    from facepsych.psychophysics import compare_to_humans, stimulus_agreement
    from facepsych.psychophysics.agreement import AGREEMENT_COLUMNS

    if predictions.empty or series.empty:
        return pd.DataFrame()
    by = [*SERIES_KEYS, "condition"]
    p = predictions.assign(level=predictions["level"].astype(float).round(LEVEL_DECIMALS))
    p = p.assign(continuum=p["continuum"].astype(str))
    groups = dict(list(p.groupby(by, sort=False)))
    rows = []
    for _, s in series.iterrows():
        key = tuple(s[k] for k in by)
        g = groups.get(key)
        if g is None:
            continue
        curve = g.groupby("level")["p_positive"].mean()
        fit = PsychometricFit.from_dict(s.to_dict())
        scores = compare_to_humans(curve.index.to_numpy(), curve.to_numpy(), humans, model_fit=fit)
        row: dict[str, Any] = {k: s[k] for k in by}
        row.update({"scope": "series", "n_curves": s.get("n_curves")})
        row.update({k: v for k, v in scores.items() if np.isscalar(v) or v is None})
        if trials is not None:
            row.update(dict.fromkeys(AGREEMENT_COLUMNS, np.nan))
            seen = trials[trials["condition"] == key[-1]]
            shared = seen.merge(
                g[["continuum", "level"]].drop_duplicates(), on=["continuum", "level"]
            )
            if len(shared):
                model = g.groupby(["continuum", "level", "condition"], as_index=False)[
                    "p_positive"
                ].mean()
                row.update(stimulus_agreement(shared, model, bootstrap=bootstrap, seed=seed))
        rows.append(row)
    return pd.DataFrame(rows)


def with_series_comparison(comparison: pd.DataFrame, series_cmp: pd.DataFrame) -> pd.DataFrame:
    """Per-continuum comparison rows (``scope = continuum``) followed by the series rows."""
    c = comparison.copy()
    if len(c):
        c["scope"] = "continuum"
    return pd.concat([c, series_cmp], ignore_index=True) if len(series_cmp) else c


__all__ = [
    "SERIES_BOOTSTRAP",
    "continuum_fits",
    "read_trials",
    "series_comparison",
    "series_fits",
    "series_rows",
    "stimulus_trials",
    "with_series",
    "with_series_comparison",
]
