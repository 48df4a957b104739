"""CSV in, tidy tables out: what ``facepsych fit`` and ``facepsych compare`` run.

Input CSVs are recognised by their columns (case-insensitive):

* ``level, k, n`` — counts (k positive of n trials per row);
* ``[subject,] level, response`` — one trial per row (0/1, or 1 = happy / 2 = sad with codes 12);
* ``level, p`` — proportions, e.g. a network's P(positive) per image (``level, p, n``:
  proportions of n trials each, fitted as counts k = p·n). ``p_positive`` (the column
  ``facepsych predict`` writes) is read as ``p`` when there is no ``p`` column.

Any other columns can group the rows (``group_by``); the output has one row per group.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from facepsych.csvfiles import read_csv
from facepsych.errors import FacepsychError
from facepsych.psychophysics.agreement import AGREEMENT_COLUMNS, stimulus_agreement
from facepsych.psychophysics.anova import delta_pse_anova
from facepsych.psychophysics.compare import compare_to_humans
from facepsych.psychophysics.fitting import PsychometricFit, check_counts, fit_psychometric
from facepsych.psychophysics.humans import (
    PUBLISHED_REFERENCE,
    HumanFits,
    fit_humans,
    load_human_trials,
    recode_responses,
)
from facepsych.psychophysics.trialfiles import HumanFormat, read_human

FIT_COLUMNS = (
    "group", "method", "function", "pse", "pse_lo", "pse_hi", "slope", "slope_lo", "slope_hi",
    "sigma", "jnd", "jnd_lo", "jnd_hi", "guess", "lapse", "deviance", "deviance_p", "loglik", "r2",
    "rmse", "n_levels", "n_trials", "fit_ok", "reason", "flags",
)  # fmt: skip
PER_STIMULUS = {
    "level",
    "p",
    "p_positive",
    "predicted_label",
    "k",
    "n",
    "response",
    "step",
    "file",
    "image",
    "path",
    "frame",
    "subject",
}


@dataclass
class GroupCurve:
    """One group's data (per-level proportion and trials) and its fit, for tables and plots."""

    label: str
    levels: np.ndarray
    proportion: np.ndarray
    n: np.ndarray | None
    fit: PsychometricFit | None
    error: str = ""


@dataclass
class FitTable:
    table: pd.DataFrame
    curves: list[GroupCurve] = field(default_factory=list)
    kind: str = ""


def read_table(path) -> pd.DataFrame:
    """Read a CSV with lower-cased, stripped column names (FacepsychError if unreadable)."""
    path = Path(path)
    if not path.is_file():
        raise FacepsychError(f"file not found: {path}")
    df = normalise_columns(read_csv(path))
    if df.empty:
        raise FacepsychError(f"{path} has no rows")
    return df


def normalise_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Lower-case, stripped column names; ``p_positive`` (``facepsych predict``) read as ``p``."""
    df = df.rename(columns=lambda c: str(c).strip().lower())
    if "p" not in df.columns and "p_positive" in df.columns:
        df = df.rename(columns={"p_positive": "p"})
    return df


def input_kind(df: pd.DataFrame, name: str = "input") -> str:
    """``counts``, ``trials`` or ``proportions`` from the columns present."""
    cols = set(df.columns)
    if {"level", "k", "n"} <= cols:
        return "counts"
    if {"level", "response"} <= cols:
        return "trials"
    if {"level", "p"} <= cols:
        return "proportions"
    raise FacepsychError(
        f"cannot recognise {name}: need columns level,k,n or subject,level,response or level,p "
        f"(found {','.join(df.columns)})"
    )


def _numeric(df: pd.DataFrame, cols: Sequence[str], name: str) -> None:
    for c in cols:
        v = pd.to_numeric(df[c], errors="coerce")
        if v.isna().any():
            raise FacepsychError(
                f"{name}: column {c} has a missing or non-numeric value "
                f"(row {int(np.flatnonzero(v.isna())[0]) + 1})"
            )
        df[c] = v


def _groups(df: pd.DataFrame, group_by: Sequence[str] | None, name: str):
    cols = list(group_by or [])
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise FacepsychError(
            f"{name}: no column {missing[0]!r} to group by (columns: {','.join(df.columns)})"
        )
    if not cols:
        return [("all", {}, df)]
    out = []
    for key, sub in df.groupby(cols, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        label = "/".join(str(k) for k in key)
        out.append((label, dict(zip(cols, key, strict=True)), sub))
    return out


def _level_summary(levels, k=None, n=None, p=None):
    lv = np.asarray(levels, float)
    ux, inv = np.unique(lv, return_inverse=True)
    if k is not None:
        kk = np.bincount(inv, weights=np.asarray(k, float))
        nn = np.bincount(inv, weights=np.asarray(n, float))
        return ux, kk / np.maximum(nn, 1e-12), nn
    s = np.bincount(inv, weights=np.asarray(p, float))
    c = np.bincount(inv)
    return ux, s / c, None


def fit_table(
    data,
    *,
    method: str | None = None,
    function: str = "cumnorm",
    bootstrap: int = 1000,
    group_by: Sequence[str] | None = None,
    seed: int = 0,
    response_codes: str = "01",
    out: str | Path | None = None,
    plot: str | Path | None = None,
    **fit_kwargs,
) -> FitTable:
    """Fit every group of a CSV (path) or frame; write ``out`` (CSV) and ``plot`` (PNG) if given.

    ``method`` None picks ``lsq`` for proportions and ``mle`` for counts or trials. A group whose
    data cannot be fitted (e.g. all responses identical) gets ``fit_ok = False`` and the error as
    reason when there are several groups; with a single group the error is raised.
    """
    name = str(data) if not isinstance(data, pd.DataFrame) else "input"
    df = read_table(data) if not isinstance(data, pd.DataFrame) else normalise_columns(data)
    kind = input_kind(df, name)
    need = {"counts": ["level", "k", "n"], "trials": ["level"], "proportions": ["level", "p"]}[kind]
    if kind == "proportions" and "n" in df.columns:
        need = [*need, "n"]
    df = df.copy()
    _numeric(df, need, name)
    if kind == "counts":  # line numbers of a CSV file: the header is line 1
        check_counts(df["k"], df["n"], row_offset=2, unit="line", source=name)
    if kind == "trials":
        df["response"] = recode_responses(df["response"], response_codes)
    method = method or ("lsq" if kind == "proportions" else "mle")
    groups = _groups(df, group_by, name)
    rows, curves = [], []
    for label, keys, sub in groups:
        if kind == "counts":
            args = {"k": sub["k"], "n": sub["n"]}
            lv, prop, nn = _level_summary(sub["level"], sub["k"], sub["n"])
        elif kind == "trials":
            args = {"k": sub["response"], "n": np.ones(len(sub))}
            lv, prop, nn = _level_summary(sub["level"], sub["response"], np.ones(len(sub)))
        else:
            args = {"p": sub["p"]}
            lv, prop, nn = _level_summary(sub["level"], p=sub["p"])
            if "n" in sub.columns:  # proportions of n trials each: k = p n
                args["n"] = sub["n"]
                lv, prop, nn = _level_summary(sub["level"], sub["p"] * sub["n"], sub["n"])
        try:
            fit = fit_psychometric(
                sub["level"],
                method=method,
                function=function,
                bootstrap=bootstrap,
                seed=seed,
                **args,
                **fit_kwargs,
            )
            rows.append({"group": label, **keys, **fit.as_dict()})
            curves.append(GroupCurve(label, lv, prop, nn, fit))
        except FacepsychError as exc:
            if len(groups) == 1:
                raise
            rows.append(
                {
                    "group": label,
                    **keys,
                    "method": method,
                    "function": function,
                    "fit_ok": False,
                    "reason": str(exc),
                }
            )
            curves.append(GroupCurve(label, lv, prop, nn, None, str(exc)))
    table = pd.DataFrame(rows)
    extra = [c for c in table.columns if c not in FIT_COLUMNS and c != "n_boot"]
    table = table.reindex(
        columns=["group", *[c for c in extra if c != "group"], *FIT_COLUMNS[1:], "n_boot"]
    )
    result = FitTable(table=table, curves=curves, kind=kind)
    if out is not None:
        from facepsych.atomic import atomic_csv

        atomic_csv(out, table)  # never a 0-byte or half table (disk full)
    if plot is not None:
        from facepsych.psychophysics.plots import plot_curves

        plot_curves(curves, plot, title=f"{function} fits ({method})")
    return result


def _human_groups(
    human, response_codes: str, method: str, function: str, bootstrap: int, seed: int,
    human_format: HumanFormat | None = None,
):  # fmt: skip
    if isinstance(human, str) and human.lower() in ("reference", "published"):
        return {None: PUBLISHED_REFERENCE}, None
    if isinstance(human, pd.DataFrame):
        trials = human
    elif human_format is not None:
        trials = read_human(human, human_format)
    else:
        trials = load_human_trials(human, response_codes)
    kw = {"method": method, "function": function, "bootstrap": bootstrap, "seed": seed}
    if "condition" in trials.columns and trials["condition"].nunique() > 1:
        return {c: fit_humans(t, **kw) for c, t in trials.groupby("condition")}, trials
    return {None: fit_humans(trials, **kw)}, trials


def compare_table(
    model,
    human="reference",
    *,
    method: str = "lsq",
    function: str = "cumnorm",
    human_method: str = "mle",
    bootstrap: int = 1000,
    group_by: Sequence[str] | None = None,
    seed: int = 0,
    response_codes: str = "01",
    out: str | Path | None = None,
    anova_by: Sequence[str] | None = None,
    anova_out: str | Path | None = None,
    human_format: HumanFormat | None = None,
) -> pd.DataFrame:
    """Compare every model group (``level, p`` CSV) with human trials or ``"reference"``.

    Model groups default to all non-per-stimulus columns (e.g. model, arch, condition). When the
    human data have several conditions, model groups are matched to them by their
    ``condition``. With ``anova_by`` (model factor columns) and human trials, the companion's
    repeated-measures ANOVA of |PSE_model − PSE_subject| (Greenhouse–Geisser corrected) is put in
    ``table.attrs["anova"]`` and written to ``anova_out``. With human trials, each row also
    carries the per-stimulus agreement (:mod:`.agreement`: stimulus r and its ceiling, Cohen's
    κ). ``human_format`` reads the human
    data (a file or a folder) as PsychoPy, MATLAB or Excel files (see :mod:`.trialfiles`).
    """
    name = str(model) if not isinstance(model, pd.DataFrame) else "model predictions"
    mdf = read_table(model) if not isinstance(model, pd.DataFrame) else normalise_columns(model)
    if input_kind(mdf, name) != "proportions":
        raise FacepsychError(
            f"{name}: model predictions need columns level,p (P(positive) per stimulus)"
        )
    mdf = mdf.copy()
    _numeric(mdf, ["level", "p"], name)
    if group_by is None:
        group_by = [c for c in mdf.columns if c not in PER_STIMULUS]
    humans, trials = _human_groups(
        human, response_codes, human_method, function, bootstrap, seed, human_format
    )
    rows = []
    for label, keys, sub in _groups(mdf, group_by, name):
        if len(humans) == 1:
            h = next(iter(humans.values()))
        elif "condition" not in keys:
            raise FacepsychError(
                f"the human data have several conditions ({', '.join(map(str, humans))}); "
                "give the model predictions a condition column"
            )
        elif keys["condition"] not in humans:
            raise FacepsychError(f"no human data for condition {keys['condition']!r}")
        else:
            h = humans[keys["condition"]]
        res = compare_to_humans(
            sub["level"],
            sub["p"],
            h,
            method=method,
            function=function,
            bootstrap=bootstrap,
            seed=seed,
        )
        res.pop("human_source", None)
        if trials is not None and "response" in trials.columns:
            res.update(_agreement(trials, sub, keys, bootstrap, seed))
        rows.append({"group": label, **keys, **res})
    table = pd.DataFrame(rows)
    if anova_by:
        table.attrs["anova"] = _anova(table, humans, list(anova_by), anova_out)
    if out is not None:
        from facepsych.atomic import atomic_csv

        atomic_csv(out, table)  # never a 0-byte or half table (disk full)
    return table


def _agreement(trials: pd.DataFrame, model: pd.DataFrame, keys: dict, bootstrap, seed) -> dict:
    """Per-stimulus agreement of one model group with the human trials of its condition (NaN
    columns when they share no stimulus)."""
    t = trials
    if "condition" in keys and "condition" in t.columns:
        t = t[t["condition"] == keys["condition"]]
    try:
        return stimulus_agreement(t, model, bootstrap=bootstrap, seed=seed)
    except FacepsychError:
        return dict.fromkeys(AGREEMENT_COLUMNS, math.nan)


def _anova(table: pd.DataFrame, humans: dict, factors: list[str], out) -> pd.DataFrame:
    """RM-ANOVA of |ΔPSE| over model factors, human subjects as the repeated unit."""
    missing = [f for f in factors if f not in table.columns]
    if missing:
        raise FacepsychError(f"ANOVA factor {missing[0]!r} is not a model grouping column")
    if len(humans) != 1 or not isinstance(next(iter(humans.values())), HumanFits):
        raise FacepsychError("the ANOVA needs human trials of one condition (not the reference)")
    h = next(iter(humans.values()))
    ps = h.per_subject
    ps = ps[ps["used"].astype(bool)] if "used" in ps else ps[ps["fit_ok"].astype(bool)]
    models = table[[*factors, "model_pse"]].rename(columns={"model_pse": "pse"}).dropna()
    res = delta_pse_anova(ps.set_index("subject")["pse"], models, factors)
    if out is not None:
        from facepsych.atomic import atomic_csv

        atomic_csv(out, res)  # never a 0-byte or half table (disk full)
    return res
