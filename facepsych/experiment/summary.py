"""Study-level statistics for the report: the human-likeness ranking and the findings.

Units of replication are continuum × seed fits of one model series (model · weights · variant).

- Mean with a 95% t interval: m ± t₀.₉₇₅(n−1)·s/√n.
- Difference of two series (b − a) with Welch's 95% interval:
  se = √(s_a²/n_a + s_b²/n_b), ν = se⁴ / ((s_a²/n_a)²/(n_a−1) + (s_b²/n_b)²/(n_b−1)).
- Response span (fit-free, measurable even when no curve can be fitted): P(positive) at the most
  positive level minus P(positive) at the most negative level, one value per continuum × seed
  (full faces); humans span ≈ 1, a network that ignores expression spans 0.
- Human-likeness: z = (PSE − PSE_h) / SD_h against the human PSE distribution; the ranking sorts by
  |z| (closest to the human mean first), ties broken by |log(slope / slope_h)|.

Every finding is stated from the numbers, in whichever direction they came out; an interval that
contains 0 is reported as "no reliable difference".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import t as student_t


@dataclass
class Interval:
    mean: float
    lo: float
    hi: float
    n: int

    def text(self, digits: int = 3) -> str:
        if self.n < 2 or not np.isfinite(self.lo):
            return f"{self.mean:.{digits}f} (n = {self.n}, no CI)"
        return f"{self.mean:.{digits}f} [{self.lo:.{digits}f}, {self.hi:.{digits}f}] (n = {self.n})"

    @property
    def excludes_zero(self) -> bool:
        return self.n >= 2 and np.isfinite(self.lo) and (self.lo > 0 or self.hi < 0)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def mean_ci(values: Any) -> Interval:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return Interval(np.nan, np.nan, np.nan, 0)
    m = float(v.mean())
    if len(v) < 2:
        return Interval(m, np.nan, np.nan, 1)
    h = float(student_t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return Interval(m, m - h, m + h, len(v))


def diff_ci(a: Any, b: Any) -> Interval:
    """mean(b) − mean(a) with Welch's 95% interval; n = n_a + n_b."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) == 0 or len(b) == 0:
        return Interval(np.nan, np.nan, np.nan, 0)
    d = float(b.mean() - a.mean())
    if len(a) < 2 or len(b) < 2:
        return Interval(d, np.nan, np.nan, len(a) + len(b))
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    if se == 0:
        return Interval(d, d, d, len(a) + len(b))
    nu = se**4 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    h = float(student_t.ppf(0.975, nu) * se)
    return Interval(d, d - h, d + h, len(a) + len(b))


def _series(df: pd.DataFrame) -> pd.Series:
    return (
        df["model"].astype(str)
        + " · "
        + df["weights"].astype(str)
        + np.where(df["variant"].astype(str) == "plain", "", " · " + df["variant"].astype(str))
    )


def _pse_unusable(reason: Any) -> bool:
    """A fit's PSE is unusable when any check other than guess/lapse at a bound failed (PSE or
    σ at a bound or outside the range, non-monotone responses, no convergence)."""
    if not isinstance(reason, str) or not reason.strip():
        return False
    items = [r.strip() for r in reason.split(";") if r.strip()]
    return any(not r.startswith(("guess at", "lapse at")) for r in items)


def mask_failed(fits: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``fits`` with PSE and slope set to NaN where the fit is unusable (see
    :func:`_pse_unusable`; e.g. a flat response that never crosses 50% has no PSE)."""
    f = fits.copy()
    bad = ~np.isfinite(f["pse"].astype(float))
    if "reason" in f:
        bad |= f["reason"].map(_pse_unusable).astype(bool)
    f.loc[bad, ["pse", "slope"]] = np.nan
    return f


def ranking_table(
    fits: pd.DataFrame,
    human_pse: float,
    human_sd: float,
    human_slope: float | None,
    condition: str = "full",
) -> pd.DataFrame:
    """One row per series: PSE and slope (mean, 95% CI), z vs humans, rank (1 = most human)."""
    f = mask_failed(fits[fits["condition"] == condition])
    if f.empty:
        return pd.DataFrame()
    f["series"] = _series(f)
    rows = []
    for s, g in f.groupby("series", sort=False):
        pse, slope = mean_ci(g["pse"]), mean_ci(g["slope"])
        z = (pse.mean - human_pse) / human_sd
        n_failed = int(g["pse"].isna().sum())
        rows.append(
            {
                "series": s,
                "model": g["model"].iloc[0],
                "weights": g["weights"].iloc[0],
                "variant": g["variant"].iloc[0],
                "n_fits": pse.n,
                "pse": pse.mean,
                "pse_lo": pse.lo,
                "pse_hi": pse.hi,
                "slope": slope.mean,
                "slope_lo": slope.lo,
                "slope_hi": slope.hi,
                "pse_z": z,
                "abs_z": abs(z),
                "log_slope_ratio": np.log(slope.mean / human_slope)
                if human_slope and slope.mean > 0
                else np.nan,
                "n_failed": n_failed,
            }
        )
    t = pd.DataFrame(rows)
    t["abs_z"] = t["abs_z"].fillna(np.inf)
    t["_tie"] = t["log_slope_ratio"].abs().fillna(np.inf)
    t = t.sort_values(["abs_z", "_tie"]).drop(columns="_tie").reset_index(drop=True)
    t.insert(0, "rank", np.arange(1, len(t) + 1))
    return t


def _verdict(iv: Interval, what: str, a: str, b: str) -> str:
    if iv.n == 0 or not np.isfinite(iv.mean):
        return f"{what}: not measurable ({b} vs {a})."
    if not np.isfinite(iv.lo):
        return (
            f"{what}, {b} − {a} = {iv.mean:.3f} (n = {iv.n}): no CI (fewer than 2 usable values "
            "on one side), so no conclusion."
        )
    if not iv.excludes_zero:
        return f"{what}, {b} − {a} = {iv.text()}: no reliable difference (the 95% CI contains 0)."
    direction = "higher" if iv.mean > 0 else "lower"
    return f"{what}, {b} − {a} = {iv.text()}: {b} is reliably {direction}."


ID_COLUMNS_SPAN = ("cell_id", "model", "arch", "weights", "variant", "seed")


def response_spans(predictions: pd.DataFrame, condition: str = "full") -> pd.DataFrame:
    """P(positive) at the highest level − at the lowest, per cell × continuum (see module doc)."""
    cols = [*ID_COLUMNS_SPAN, "continuum"]
    p = predictions
    if p.empty or not {"level", "p_positive", *cols} <= set(p.columns):
        return pd.DataFrame(columns=[*cols, "span"])
    p = p[p["condition"] == condition]
    rows = []
    for key, g in p.groupby(cols, sort=False):
        lo = g.loc[g["level"] == g["level"].min(), "p_positive"].mean()
        hi = g.loc[g["level"] == g["level"].max(), "p_positive"].mean()
        rows.append({**dict(zip(cols, key, strict=True)), "span": float(hi - lo)})
    return pd.DataFrame(rows, columns=[*cols, "span"])


def _pretraining_verdicts(df: pd.DataFrame, measures: dict[str, str]) -> list[str]:
    """Second − first weight label (e.g. face − object) of the same model and variant, for each
    column → name in ``measures``."""
    out: list[str] = []
    labels = list(dict.fromkeys(df["weights"].astype(str)))
    if len(labels) < 2:
        return out
    a, b = labels[0], labels[1]
    for (model, variant), g in df.groupby(["model", "variant"], sort=False):
        ga, gb = g[g["weights"] == a], g[g["weights"] == b]
        if len(ga) and len(gb):
            name = model + ("" if variant == "plain" else f" ({variant})")
            for col, what in measures.items():
                out.append(_verdict(diff_ci(ga[col], gb[col]), f"{name} {what}", a, b))
    return out


def _excitation_verdicts(df: pd.DataFrame, measures: dict[str, str]) -> list[str]:
    """fe-alexnet − alexnet with the same weights, for each column → name in ``measures``."""
    out: list[str] = []
    for w, g in df.groupby("weights", sort=False):
        ga, gb = g[g["arch"] == "alexnet"], g[g["arch"] == "fe-alexnet"]
        if len(ga) and len(gb):
            for col, what in measures.items():
                iv = diff_ci(ga[col], gb[col])
                out.append(_verdict(iv, f"{what} with {w} weights", "alexnet", "fe-alexnet"))
    return out


def span_findings(predictions: pd.DataFrame) -> list[str]:
    """Response span per series and its face − object style differences (95% CIs)."""
    spans = response_spans(predictions)
    if spans.empty:
        return []
    spans["series"] = _series(spans)
    parts = [f"{s} {mean_ci(g['span']).text(2)}" for s, g in spans.groupby("series", sort=False)]
    out = [
        "Response span, P(positive) at the most positive minus the most negative level (full "
        "faces; humans ≈ 1, a network that ignores expression 0): " + "; ".join(parts) + "."
    ]
    out += _pretraining_verdicts(spans, {"span": "span"})
    out += _excitation_verdicts(spans, {"span": "span"})
    # occlusion: paired change of span against the full face of the same cell and continuum
    base = spans.set_index(["cell_id", "continuum"])["span"]
    for cond in ("eyes", "nose", "mouth"):
        occ = response_spans(predictions, cond)
        if occ.empty:
            continue
        occ = occ.set_index(["cell_id", "continuum"])["span"]
        iv = mean_ci((occ - base.reindex(occ.index)).to_numpy())
        if iv.n == 0:
            continue
        verdict = (
            "no reliable change (the 95% CI contains 0)"
            if not iv.excludes_zero
            else "the response to expression shrinks"
            if iv.mean < 0
            else "the response to expression grows"
        )
        out.append(
            f"{cond.capitalize()} occluded: span change = {iv.text()} over all models; {verdict}."
        )
    return out


def findings(
    fits: pd.DataFrame, regions: pd.DataFrame, predictions: pd.DataFrame | None = None
) -> list[str]:
    """Plain-language findings, each with its 95% CI (see the module docstring)."""
    out: list[str] = []
    if predictions is not None:
        out += span_findings(predictions)
    if fits.empty:
        return [*out, "No fits were produced."]
    fits = mask_failed(fits)
    n_bad = int(fits["pse"].isna().sum())
    if n_bad:
        out.append(
            f"{n_bad} of {len(fits)} fits have no usable PSE (PSE or σ at a bound, non-monotone "
            "responses, e.g. a network whose P(positive) never crosses 50%) and are left out of "
            "every statistic below."
        )
    full = fits[fits["condition"] == "full"]
    # pre-training: the same model and variant under different weight labels
    out += _pretraining_verdicts(full, {"pse": "PSE", "slope": "slope"})
    # excitation: fe-alexnet vs alexnet with the same weights
    out += _excitation_verdicts(full, {"pse": "PSE", "slope": "slope"})
    # occlusion: paired shift against the full face of the same cell and continuum
    base = full.set_index(["cell_id", "continuum"])["pse"]
    for cond in ("eyes", "nose", "mouth"):
        g = fits[fits["condition"] == cond].set_index(["cell_id", "continuum"])
        if g.empty:
            continue
        shift = (g["pse"] - base.reindex(g.index)).to_numpy()
        iv = mean_ci(shift)
        if iv.n == 0:
            out.append(f"{cond.capitalize()} occluded: PSE shift not measurable (no usable pair).")
            continue
        verdict = (
            "no reliable shift (the 95% CI contains 0)"
            if not iv.excludes_zero
            else (
                "PSE moves up (more positive evidence needed)"
                if iv.mean > 0
                else "PSE moves down (less positive evidence needed)"
            )
        )
        out.append(
            f"{cond.capitalize()} occluded: PSE shift = {iv.text()} over all models; {verdict}."
        )
    # attention: eyes vs mouth share per weights label
    if not regions.empty and {"eyes", "mouth"} <= set(regions.columns):
        r = regions[regions["condition"] == "full"]
        for w, g in r.groupby("weights", sort=False):
            per_fit = (g["eyes"] - g["mouth"]).groupby([g["cell_id"], g["continuum"]]).mean()
            iv = mean_ci(per_fit)
            where = (
                "no reliable preference"
                if not iv.excludes_zero
                else "more on the eyes"
                if iv.mean > 0
                else "more on the mouth"
            )
            out.append(
                f"CAM share eyes − mouth ({w} weights) = {iv.text()} "
                f"over cell × continuum means: {where}."
            )
    return out
