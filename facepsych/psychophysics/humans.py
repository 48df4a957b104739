"""Human observers: trial data, per-subject and pooled fits, group summary, mean curve, and a
split-half noise ceiling; plus the published human reference of the paradigm.

Noise ceiling (subjects split at random into two halves A and B, ``splits`` times):

* curve: r = Pearson(mean curve of A, mean curve of B) over the levels, averaged over splits,
  Spearman–Brown corrected to the full group: r_SB = 2 r / (1 + r).
* PSE: the half-group mean PSEs differ by |Δ| = |mean_A − mean_B|; a difference of two half
  means has 4× the variance of (full mean − truth), so a *perfect* model is expected to miss the
  full-group mean PSE by about E|Δ| / 2 (reported as ``ceiling_abs_dpse``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from facepsych.csvfiles import read_csv
from facepsych.errors import FacepsychError
from facepsych.psychophysics.fitting import PsychometricFit, check_counts, fit_psychometric
from facepsych.psychophysics.responses import usable_pse


@dataclass(frozen=True)
class HumanReference:
    """Published group statistics (no trials): usable as a stand-in for human data, clearly
    labelled as a reference."""

    n_subjects: int
    pse_mean: float
    pse_sd: float
    pse_se: float
    slope: float
    levels: int
    source: str
    kind: str = "reference"

    def as_dict(self) -> dict:
        """Fields plus ``n`` (= n_subjects) and ``pse_mean``/``pse_sd`` as plain floats."""
        return {**asdict(self), "n": self.n_subjects}


PUBLISHED_REFERENCE = HumanReference(
    n_subjects=40,
    pse_mean=0.514,
    pse_sd=0.092,
    pse_se=0.0146,
    slope=4.19,
    levels=11,
    source=(
        "Published human reference (not data): Bao & Ying's companion data for the face-valence "
        "morph paradigm of Ying, Li & Chen 2023 (arXiv:2310.13674): N = 40 observers, 11-level "
        "two-choice task, PSE mean 0.514, SD 0.092, SE 0.0146, "
        "group slope about 4.19 per unit morph"
    ),
)

TRIAL_COLUMNS = ("subject", "level", "response")
GROUP_COLUMNS = ("continuum", "condition")


@dataclass
class HumanFits:
    """Per-subject fits, the pooled fit, the group summary and the mean curve (level, mean, se)."""

    per_subject: pd.DataFrame
    pooled: PsychometricFit
    summary: dict
    mean_curve: pd.DataFrame
    kind: str = "data"

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "summary": self.summary,
            "pooled": self.pooled.as_dict(),
            "per_subject": self.per_subject.to_dict(orient="records"),
            "mean_curve": self.mean_curve.to_dict(orient="records"),
        }


def _normalise_columns(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.columns = [str(c).strip().lower() for c in df.columns]
    return df


def recode_responses(values: pd.Series, response_codes: str = "01") -> pd.Series:
    """Map responses to 1 = positive/happy, 0 = negative: codes "01" as is, "12": 1 → 1, 2 → 0."""
    if response_codes not in ("01", "12"):
        raise FacepsychError(f"response_codes must be '01' or '12' (got {response_codes!r})")
    v = pd.to_numeric(values, errors="coerce")
    if v.isna().any():
        raise FacepsychError(
            "response contains a missing or non-numeric value "
            f"(row {int(np.flatnonzero(v.isna())[0])})"
        )
    allowed = {0.0, 1.0} if response_codes == "01" else {1.0, 2.0}
    bad = sorted(set(v.unique()) - allowed)
    if bad:
        hint = (
            " (for 1 = happy, 2 = sad use response codes 12)"
            if response_codes == "01" and 2.0 in bad
            else ""
        )
        raise FacepsychError(
            f"response must be coded {'0/1' if response_codes == '01' else '1/2'}; "
            f"found {bad[0]:g}{hint}"
        )
    return (v == 1.0).astype(int) if response_codes == "12" else v.astype(int)


def load_human_trials(path, response_codes: str = "01") -> pd.DataFrame:
    """Read human data: trial CSV ``subject, level, response`` (+ ``continuum``, ``condition``),
    or per-subject counts ``subject, level, k, n``. Returns a frame with columns subject (str),
    level (float), and response (0/1; 1 = positive) or k, n; plus the grouping columns present."""
    path = Path(path)
    if not path.is_file():
        raise FacepsychError(f"human data file not found: {path}")
    df = _normalise_columns(read_csv(path))
    return validate_human_frame(df, response_codes, source=str(path))


def validate_human_frame(
    df: pd.DataFrame, response_codes: str = "01", source: str = "human data"
) -> pd.DataFrame:
    """Check and normalise a human-data frame (see load_human_trials)."""
    df = _normalise_columns(df)
    counts = {"k", "n"} <= set(df.columns)
    need = ("subject", "level", "k", "n") if counts else TRIAL_COLUMNS
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise FacepsychError(
            f"{source}: missing column(s) {', '.join(missing)} "
            "(need subject, level, response or subject, level, k, n)"
        )
    keep = [c for c in (*need, *GROUP_COLUMNS) if c in df.columns]
    out = df[keep].copy()
    out["subject"] = out["subject"].astype(str)
    for col in ["level", *(["k", "n"] if counts else [])]:
        out[col] = pd.to_numeric(out[col], errors="coerce")
        if out[col].isna().any():
            raise FacepsychError(f"{source}: column {col} has a missing or non-numeric value")
    if counts:
        check_counts(out["k"], out["n"], source=source)
        zero = np.flatnonzero(out["n"].to_numpy() == 0)
        if zero.size:
            raise FacepsychError(f"{source}: n must be positive (n=0 at row {int(zero[0])})")
        if (out["k"] > out["n"]).any():
            raise FacepsychError(
                f"{source}: k > n in row {int(np.flatnonzero(out['k'] > out['n'])[0])}"
            )
    else:
        out["response"] = recode_responses(out["response"], response_codes)
    return out.reset_index(drop=True)


def subject_counts(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per subject × level: k (positive), n (trials), p = k / n."""
    df = validate_human_frame(trials)
    if "response" in df.columns:
        g = df.groupby(["subject", "level"], sort=True)["response"]
        out = pd.DataFrame({"k": g.sum(), "n": g.count()}).reset_index()
    else:
        out = df.groupby(["subject", "level"], sort=True)[["k", "n"]].sum().reset_index()
    out["k"] = out["k"].astype(float)
    out["n"] = out["n"].astype(float)
    out["p"] = out["k"] / out["n"]
    return out


def mean_curve(counts: pd.DataFrame) -> pd.DataFrame:
    """Across-subject mean of the per-subject proportions per level, SE = SD / √N."""
    g = counts.groupby("level")["p"]
    out = pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "n": g.count()}).reset_index()
    out["se"] = out["sd"] / np.sqrt(out["n"])
    return out[["level", "mean", "se", "sd", "n"]]


def spearman_brown(r, factor: float = 2.0):
    """Spearman–Brown prophecy: r' = f r / (1 + (f − 1) r)."""
    r = np.asarray(r, dtype=float)
    return factor * r / (1.0 + (factor - 1.0) * r)


def split_half_ceiling(
    counts: pd.DataFrame, subject_pse: pd.Series, *, splits: int = 500, seed: int = 0
) -> dict:
    """Split-half noise ceiling of the mean curve and of the group PSE (see module docstring)."""
    subjects = np.array(sorted(counts["subject"].unique()))
    if subjects.size < 4:
        return {
            "ceiling_curve_r": math.nan,
            "split_half_r": math.nan,
            "ceiling_abs_dpse": math.nan,
            "splits": 0,
        }
    table = counts.pivot_table(index="subject", columns="level", values="p").loc[subjects]
    P = table.to_numpy()
    pse = subject_pse.reindex(subjects).to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    half = subjects.size // 2
    rs, dpse = [], []
    for _ in range(splits):
        perm = rng.permutation(subjects.size)
        a, b = perm[:half], perm[half : 2 * half]
        ca, cb = np.nanmean(P[a], axis=0), np.nanmean(P[b], axis=0)
        ok = np.isfinite(ca) & np.isfinite(cb)
        if ok.sum() >= 3 and np.std(ca[ok]) > 0 and np.std(cb[ok]) > 0:
            rs.append(np.corrcoef(ca[ok], cb[ok])[0, 1])
        pa, pb = pse[a][np.isfinite(pse[a])], pse[b][np.isfinite(pse[b])]
        if pa.size and pb.size:
            dpse.append(abs(pa.mean() - pb.mean()))
    r = float(np.mean(rs)) if rs else math.nan
    return {
        "split_half_r": r,
        "ceiling_curve_r": float(spearman_brown(r)) if rs else math.nan,
        "ceiling_abs_dpse": float(np.mean(dpse) / 2) if dpse else math.nan,
        "splits": int(splits),
    }


def _describe(values: np.ndarray, prefix: str) -> dict:
    v = values[np.isfinite(values)]
    n = v.size
    sd = float(np.std(v, ddof=1)) if n > 1 else math.nan
    return {
        f"{prefix}_mean": float(np.mean(v)) if n else math.nan,
        f"{prefix}_sd": sd,
        f"{prefix}_se": sd / math.sqrt(n) if n > 1 else math.nan,
        f"{prefix}_median": float(np.median(v)) if n else math.nan,
    }


def fit_humans(
    trials: pd.DataFrame,
    *,
    method: str = "mle",
    function: str = "cumnorm",
    guess=(0.0, 0.05),
    lapse=(0.0, 0.05),
    bootstrap: int = 1000,
    subject_bootstrap: int = 0,
    splits: int = 500,
    include_bad: bool = False,
    seed: int = 0,
) -> HumanFits:
    """Fit every subject and the pooled data; summarise the group.

    Trials of all continua/conditions in ``trials`` are pooled per subject (filter first, or
    use :func:`fit_humans_by`). The summary (mean, SD, SE, median of PSE, slope, JND) uses the
    subjects whose PSE is usable (column ``used``: fit_ok, or only flagged for a guess/lapse
    rate at its bound) unless ``include_bad``; ``n_excluded`` says how many were left
    out. ``bootstrap`` applies to the pooled fit, ``subject_bootstrap`` to each subject's fit.
    """
    counts = subject_counts(trials)
    if counts.empty:
        raise FacepsychError("no human trials to fit")
    rows = []
    for subject, df in counts.groupby("subject", sort=True):
        try:
            fit = fit_psychometric(
                df["level"], df["k"], df["n"], method=method, function=function, guess=guess,
                lapse=lapse, bootstrap=subject_bootstrap, seed=seed,
            )  # fmt: skip
            rows.append({"subject": subject, **fit.as_dict()})
        except FacepsychError as exc:  # e.g. a subject who always answered "happy"
            rows.append(
                {
                    "subject": subject,
                    "fit_ok": False,
                    "reason": str(exc),
                    "pse": math.nan,
                    "slope": math.nan,
                    "jnd": math.nan,
                }
            )
    per_subject = pd.DataFrame(rows)
    pooled_counts = counts.groupby("level")[["k", "n"]].sum().reset_index()
    pooled = fit_psychometric(
        pooled_counts["level"], pooled_counts["k"], pooled_counts["n"], method=method,
        function=function, guess=guess, lapse=lapse, bootstrap=bootstrap, seed=seed,
    )  # fmt: skip
    per_subject["used"] = [
        bool(include_bad or usable_pse(row)) for row in per_subject.to_dict("records")
    ]
    used = per_subject[per_subject["used"]]
    summary = {
        "kind": "data",
        "n_subjects": int(per_subject.shape[0]),
        "n_used": int(used.shape[0]),
        "n_excluded": int(per_subject.shape[0] - used.shape[0]),
        "include_bad": bool(include_bad),
        **_describe(used["pse"].to_numpy(dtype=float), "pse"),
        **_describe(used["slope"].to_numpy(dtype=float), "slope"),
        **_describe(used["jnd"].to_numpy(dtype=float), "jnd"),
        "pooled_pse": pooled.pse,
        "pooled_slope": pooled.slope,
        "method": method,
        "function": pooled.function,
    }
    pse_by_subject = used.set_index("subject")["pse"].astype(float)
    summary.update(split_half_ceiling(counts, pse_by_subject, splits=splits, seed=seed))
    return HumanFits(
        per_subject=per_subject, pooled=pooled, summary=summary, mean_curve=mean_curve(counts)
    )


def fit_humans_by(trials: pd.DataFrame, by: str | list[str] = "condition", **kwargs) -> dict:
    """:func:`fit_humans` per value of the grouping column(s): {group value(s): HumanFits}."""
    cols = [by] if isinstance(by, str) else list(by)
    missing = [c for c in cols if c not in trials.columns]
    if missing:
        raise FacepsychError(f"human data has no column {missing[0]!r} to group by")
    return {
        key: fit_humans(df, **kwargs)
        for key, df in trials.groupby(cols if len(cols) > 1 else cols[0], sort=True)
    }
