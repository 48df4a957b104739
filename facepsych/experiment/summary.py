"""Study-level statistics for the report: the human reference, the human-likeness ranking, the
findings, the valence-training and attention summaries, and the pre-training caveats.

Units of replication are continuum × seed fits of one model series (model · weights · variant).

- Mean with a 95% t interval: m ± t₀.₉₇₅(n−1)·s/√n.
- Difference of two series (b − a) with Welch's 95% interval:
  se = √(s_a²/n_a + s_b²/n_b), ν = se⁴ / ((s_a²/n_a)²/(n_a−1) + (s_b²/n_b)²/(n_b−1)).
- Response span (fit-free, measurable even when no curve can be fitted): P(positive) at the most
  positive level minus P(positive) at the most negative level, one value per continuum × seed
  (full faces); humans span ≈ 1, a network that ignores expression spans 0.
- Human reference (:func:`human_band`): this study's trial-fitted humans (PSE mean and SD over
  subjects, median slope) when there are any, else the published reference; drawn as the
  cumulative normal ψ(x) = Φ((x − PSE)/σ) with σ = 1 / (slope·√(2π)) (the slope of Φ((x − μ)/σ)
  at μ is 1/(σ√(2π))), its PSE shifted by ± 1 SD for the band.
- Pre-training caveat: a lab backbone whose best validation accuracy on its own pre-training
  task stayed below twice chance (2 / classes).
- Human-likeness: z = (PSE − PSE_h) / SD_h against the human PSE distribution; the ranking sorts by
  |z| (closest to the human mean first), ties broken by |log(slope / slope_h)|.

Every finding is stated from the numbers, in whichever direction they came out; an interval that
contains 0 is reported as "no reliable difference".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from facepsych.errors import FacepsychError
from facepsych.psychophysics import (
    PUBLISHED_REFERENCE,
    Interval,
    diff_ci,
    mean_ci,
    sigma_on_floor,
    usable_pse,
)


@dataclass
class HumanBand:
    """The human reference a study is compared with (and its figures draw)."""

    label: str
    pse_mean: float
    pse_sd: float
    slope: float | None = None
    curve: pd.DataFrame | None = None  # columns level, mean, se

    def band(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mid, lo, hi) at ``x``: the human mean ± SE curve when there is one, else the
        cumulative normal of the PSE and slope with the PSE shifted by ∓ 1 SD."""
        if self.curve is not None and len(self.curve):
            c = self.curve.sort_values("level")
            m = np.interp(x, c["level"], c["mean"])
            se = np.interp(x, c["level"], c["se"])
            return m, m - se, m + se
        sigma = 1.0 / ((self.slope or PUBLISHED_REFERENCE.slope) * np.sqrt(2 * np.pi))
        mid = norm.cdf((x - self.pse_mean) / sigma)
        lo = norm.cdf((x - self.pse_mean - self.pse_sd) / sigma)
        hi = norm.cdf((x - self.pse_mean + self.pse_sd) / sigma)
        return mid, lo, hi


def human_band(humans: pd.DataFrame, curve: pd.DataFrame | None = None) -> HumanBand:
    """The human reference of a run: its trial-fitted humans (``humans.csv`` rows with pse and
    slope per subject; ``curve`` their mean curve) or, when there are none (or the table holds
    the published reference), :data:`facepsych.psychophysics.PUBLISHED_REFERENCE`."""
    ref = PUBLISHED_REFERENCE
    fitted = len(humans) and "pse" in humans and not (humans.get("subject") == "published").any()
    if not fitted:
        label = f"published N = {ref.n_subjects}, PSE {ref.pse_mean:.3f} ± SD {ref.pse_sd:.3f}"
        return HumanBand(label=label, pse_mean=ref.pse_mean, pse_sd=ref.pse_sd, slope=ref.slope)
    pse = humans["pse"].astype(float)
    pse_mean, pse_sd = float(pse.mean()), float(pse.std(ddof=1))
    slope = float(humans["slope"].astype(float).median()) if "slope" in humans else ref.slope
    label = f"this study's N = {len(humans)}, PSE {pse_mean:.3f} ± SD {pse_sd:.3f}"
    return HumanBand(label=label, pse_mean=pse_mean, pse_sd=pse_sd, slope=slope, curve=curve)


def series_label(row: pd.Series | dict) -> str:
    """``alexnet · imagenet`` (+ `` · pool5-r16`` for excitation variants) of one row."""
    parts = [str(row["model"]), str(row["weights"])]
    if str(row.get("variant", "plain")) != "plain":
        parts.append(str(row["variant"]))
    return " · ".join(parts)


def series_labels(df: pd.DataFrame) -> pd.Series:
    """:func:`series_label` of every row of a table with model, weights and variant columns."""
    return (
        df["model"].astype(str)
        + " · "
        + df["weights"].astype(str)
        + np.where(df["variant"].astype(str) == "plain", "", " · " + df["variant"].astype(str))
    )


def mask_failed(fits: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``fits`` with PSE and slope set to NaN where the PSE is unusable
    (:func:`facepsych.psychophysics.usable_pse`: a finite PSE and no flag other than guess or
    lapse at its bound; e.g. a flat response that never crosses 50% has no PSE)."""
    f = fits.copy()
    if "flags" not in f:
        if "reason" in f and f["reason"].fillna("").astype(str).str.strip().any():
            raise FacepsychError(
                "the fits table has fit reasons but no flags column (written by an older "
                "facepsych); rerun the study to refit its cells"
            )
        f["flags"] = ""
    usable = f.apply(usable_pse, axis=1)
    bad = ~np.isfinite(f["pse"].astype(float)) | ~usable.astype(bool)
    f.loc[bad, ["pse", "slope"]] = np.nan
    f["slope_on_floor"] = ~bad & f.apply(sigma_on_floor, axis=1).astype(bool)
    return f


def _floor_caveat(ga: pd.DataFrame, gb: pd.DataFrame, a: str, b: str) -> str:
    """A sentence when some slopes of a ``b − a`` comparison are only lower bounds (σ on its
    floor): floors in ``b`` only make the difference a lower bound, in ``a`` only an upper one,
    in both neither."""
    if "slope_on_floor" not in ga or "slope_on_floor" not in gb:
        return ""
    ka, kb = int(ga["slope_on_floor"].sum()), int(gb["slope_on_floor"].sum())
    if not ka and not kb:
        return ""
    if ka and kb:
        meaning = "the difference is neither a value nor a bound"
    elif kb:
        meaning = f"the true {b} − {a} difference is at least this"
    else:
        meaning = f"the true {b} − {a} difference is at most this"
    return (
        f" {ka} of {int(ga['slope'].notna().sum())} {a} and {kb} of "
        f"{int(gb['slope'].notna().sum())} {b} slopes have σ on its floor (steeper than the fit "
        f"can express: lower bounds), so {meaning}."
    )


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
    f["series"] = series_labels(f)
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
                text = _verdict(diff_ci(ga[col], gb[col]), f"{name} {what}", a, b)
                out.append(text + (_floor_caveat(ga, gb, a, b) if col == "slope" else ""))
    return out


def _excitation_verdicts(df: pd.DataFrame, measures: dict[str, str]) -> list[str]:
    """fe-alexnet − alexnet with the same weights, for each column → name in ``measures``."""
    out: list[str] = []
    for w, g in df.groupby("weights", sort=False):
        ga, gb = g[g["arch"] == "alexnet"], g[g["arch"] == "fe-alexnet"]
        if len(ga) and len(gb):
            for col, what in measures.items():
                iv = diff_ci(ga[col], gb[col])
                text = _verdict(iv, f"{what} with {w} weights", "alexnet", "fe-alexnet")
                caveat = _floor_caveat(ga, gb, "alexnet", "fe-alexnet") if col == "slope" else ""
                out.append(text + caveat)
    return out


def span_findings(predictions: pd.DataFrame) -> list[str]:
    """Response span per series and its face − object style differences (95% CIs)."""
    spans = response_spans(predictions)
    if spans.empty:
        return []
    spans["series"] = series_labels(spans)
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


def valence_accuracy(manifest: dict[str, Any]) -> dict[str, Interval]:
    """Best validation accuracy of the valence heads per series (mean and 95% t interval over
    the series' cells), from a run manifest's ``cells`` and ``cell_results``."""
    info = manifest.get("cell_results") or {}
    groups: dict[str, list[float]] = {}
    for cell in manifest.get("cells", []):
        acc = (info.get(cell["cell_id"]) or {}).get("best_val_acc")
        if acc is not None:
            groups.setdefault(series_label(cell), []).append(float(acc))
    return {series: mean_ci(values) for series, values in groups.items()}


def pretrain_caveats(pre: dict[str, Any] | None) -> list[str]:
    """One caveat per lab backbone whose best validation accuracy on its own pre-training task
    stayed below twice chance (1 / classes): comparisons built on it say nothing about
    pre-training."""
    out = []
    for name, p in (pre or {}).items():
        n_cls = p.get("classes")
        accs = [h.get("val_acc") for h in p.get("history") or [] if h.get("val_acc") is not None]
        if not n_cls or not accs:
            continue
        best, chance = max(accs), 1 / n_cls
        if best < 2 * chance:
            out.append(
                f"Caveat: {name} did not learn its pre-training task (best validation accuracy "
                f"{best:.3f}, chance {chance:.3f}; the threshold is twice chance). Series on this "
                "backbone are effectively randomly initialised networks moved by a few optimiser "
                "steps; their differences say nothing about what pre-training does."
            )
    return out


ATTENTION_METRICS = (("nss", "NSS"), ("cc", "CC"), ("sim", "SIM"), ("kl_div", "KL"),
                     ("auc_judd", "AUC-Judd"))  # fmt: skip


def attention_summary(att: pd.DataFrame) -> pd.DataFrame:
    """Per series (model · weights · variant) × condition: mean of each fixation metric with a
    95% t interval over images (each image's value first averaged over seeds), and n images."""
    df = att.assign(series=series_labels(att))
    keys = ["series", "condition", "continuum", "step", "image"]
    cols = [c for c, _ in ATTENTION_METRICS]
    per_image = df.groupby(keys, sort=False)[cols].mean().reset_index()
    rows = []
    for (series, cond), grp in per_image.groupby(["series", "condition"], sort=False):
        row: dict[str, Any] = {"series": series, "condition": cond, "n_images": len(grp)}
        for col, _ in ATTENTION_METRICS:
            iv = mean_ci(grp[col])
            row.update({col: iv.mean, f"{col}_lo": iv.lo, f"{col}_hi": iv.hi})
        rows.append(row)
    return pd.DataFrame(rows)
