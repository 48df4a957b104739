"""The study's answer per net: response span, PSE and slope of each net and of its random twin,
the pre-training gain, object vs face, the human-likeness ranking and CAM region shares.

A *net* is model × weights × variant (one series). Its *twin* is the same model and variant
with weights whose source is ``random`` (seeded random initialisation of the same
architecture). Its *domain* is what its weights were trained on: ``object``, ``face`` or
``none`` (random), from the model registry, or for a lab backbone ``pretrained:NAME`` from its
pre-training task (identity → face, objects → object).

- Span (fit-free): P(positive) at the most positive level − at the most negative level per
  continuum × seed (:func:`facepsych.experiment.summary.response_spans`); mean with a 95 % t
  interval. PSE and slope: the series fit (``scope = series`` rows of ``fits.csv``) with its
  bootstrap 95 % interval.
- Pre-training gain = net − twin. Span: Welch's 95 % interval of the difference of means
  (:func:`facepsych.psychophysics.diff_ci`). PSE, slope: gain ± 1.96 √(se_n² + se_t²), each se
  read from its bootstrap interval as (hi − lo) / (2 · 1.96) (normal approximation; the two
  series are independent).
- Object vs face: the mean over the nets of each domain, m_d = (1/k_d) Σ v_i with
  se_d = √(Σ se_i²) / k_d (the nets as fixed: no sampling over architectures), and
  face − object ± 1.96 √(se_o² + se_f²); on raw values and on gains.
- A series PSE that :func:`facepsych.psychophysics.usable_pse` rejects (e.g. on a bound of its
  range) is no PSE: PSE, slope and their gains are left empty (NaN).
- A series fit whose σ sits on its floor (:func:`facepsych.psychophysics.sigma_on_floor`: the
  curve is steeper than the fit can express) has a slope that is only a lower bound:
  ``slope_bound = "lower"``, interval [slope, ∞). Its gain is then a bound as well: net on the
  floor, gain ≥ slope − twin slope with interval [slope − twin_hi, ∞) (``"lower"``); twin on the
  floor, gain ≤ net slope − twin slope with interval (−∞, net_hi − twin slope] (``"upper"``);
  both on it, no gain (NaN, ``"both"``). Bounded slopes are left out of the object-vs-face means.
- Human-likeness ranking: z = (PSE_series − PSE_h) / SD_h, sorted by |z|, with ΔPSE and, where
  the humans have trial data, the per-stimulus agreement (r with its ceiling, Cohen's κ with its
  chance expectation) from the series rows of ``comparison.csv``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from facepsych.errors import FacepsychError
from facepsych.experiment.summary import response_spans, series_labels
from facepsych.psychophysics import (
    Interval,
    diff_ci,
    mean_ci,
    parse_flags,
    sigma_on_floor,
    usable_pse,
)

Z95 = 1.959963984540054
NET_KEYS = ("model", "arch", "weights", "variant")
DOMAINS = ("object", "face")
MEASURES = (("span", "span"), ("pse", "PSE"), ("slope", "slope"))
ARCHITECTURE_CONFOUND = (
    "No package ships an ImageNet-trained and a face-trained net of the same architecture, so "
    "object and face nets here also differ in architecture; the gain over each net's own random "
    "twin is the comparison that removes the architecture."
)


def net_domain(arch: str, source: str, pretrain: dict[str, Any] | None = None) -> str:
    """``object`` / ``face`` / ``none`` (random) / ``?`` (a file the study cannot place)."""
    from facepsych.models import domain_of, parse_weights

    src = parse_weights(str(source))
    if src.kind == "pretrained":
        task = str(((pretrain or {}).get(src.name) or {}).get("task", "?"))
        return {"identity": "face", "objects": "object"}.get(task, task)
    try:
        found = domain_of(arch, src.spelling)
    except FacepsychError:  # an arch or spelling the registry does not know
        found = None
    return str(found) if found else "?"


def net_source(arch: str, source: str, pretrained: dict[str, Any] | None = None) -> str:
    """Where a net's weights came from, in a few words."""
    from facepsych.models import lookup, parse_weights

    src = parse_weights(str(source))
    if src.kind == "random":
        return "seeded random initialisation"
    if src.kind == "pretrained":
        p = (pretrained or {}).get(src.name) or {}
        acc = p.get("final_val_acc")
        acc_text = "" if acc is None else f", val acc {acc:.2f}"
        return (
            f"lab pre-training on {p.get('task', '?')} ({p.get('classes', '?')} classes, "
            f"{p.get('epochs', '?')} epochs{acc_text})"
        )
    try:
        entry = lookup(arch, src.spelling)
    except FacepsychError:
        return src.label
    known = entry.trained_on and entry.trained_on != "-"
    return f"{entry.trained_on}; {entry.source}" if known else entry.source


def _is_random(source: str) -> bool:
    from facepsych.models import parse_weights

    return parse_weights(str(source)).kind == "random"


def _nets(cells: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [{k: c.get(k) for k in (*NET_KEYS, "weights_source")} for c in cells]
    df = pd.DataFrame(rows, columns=[*NET_KEYS, "weights_source"])
    return df.drop_duplicates(subset=list(NET_KEYS)).reset_index(drop=True)


def _se(lo: float, hi: float) -> float:
    return (hi - lo) / (2 * Z95) if np.isfinite(lo) and np.isfinite(hi) else np.nan


def _gain(v: float, lo: float, hi: float, tv: float, tlo: float, thi: float):
    g = v - tv
    se = np.hypot(_se(lo, hi), _se(tlo, thi))
    return g, g - Z95 * se, g + Z95 * se


def _marked_series(series: pd.DataFrame, condition: str) -> pd.DataFrame:
    """The series fits of ``condition``: PSE and slope blanked where the PSE is unusable, and a
    finite slope with σ on its floor turned into the bound [slope, ∞) (``slope_bound``
    ``"lower"``; ``""`` otherwise)."""
    if series.empty:
        return series
    s = series[series["condition"] == condition].copy()
    if s.empty:
        return s
    bad = ~s.apply(lambda r: usable_pse(r.to_dict()), axis=1).astype(bool)
    s.loc[bad, ["pse", "pse_lo", "pse_hi", "slope", "slope_lo", "slope_hi"]] = np.nan
    floor = ~bad & s.apply(lambda r: sigma_on_floor(r.to_dict()), axis=1).astype(bool)
    floor &= np.isfinite(s["slope"].astype(float))
    s["slope_bound"] = np.where(floor, "lower", "")
    s.loc[floor, "slope_lo"] = s.loc[floor, "slope"]
    s.loc[floor, "slope_hi"] = np.inf
    return s


def _slope_gain(v: dict[str, Any], t: dict[str, Any]) -> tuple[float, float, float, str]:
    """Net − twin slope with its interval and bound kind (see the module docstring)."""
    net_floor, twin_floor = bool(v["slope_bound"]), bool(t["slope_bound"])
    g = v["slope"] - t["slope"]
    if net_floor and twin_floor:
        return np.nan, np.nan, np.nan, "both"
    if net_floor:
        return g, v["slope"] - t["slope_hi"], np.inf, "lower"
    if twin_floor:
        return g, -np.inf, v["slope_hi"] - t["slope"], "upper"
    return (*_gain(v["slope"], v["slope_lo"], v["slope_hi"], t["slope"], t["slope_lo"],
                   t["slope_hi"]), "")  # fmt: skip


def net_table(
    cells: list[dict[str, Any]],
    predictions: pd.DataFrame,
    series: pd.DataFrame,
    *,
    pretrain: dict[str, Any] | None = None,
    pretrained: dict[str, Any] | None = None,
    condition: str = "full",
) -> pd.DataFrame:
    """One row per net that is not only someone's twin: span, PSE, slope (95 % CIs), the same
    for its twin (``twin_*``), the gains (``gain_*``), domain and weights source; plus its mean
    curve's P(positive) range and ``reaches_asymptotes`` (see :mod:`.seriesfits`)."""
    nets = _nets(cells)
    if nets.empty:
        return pd.DataFrame()
    spans = response_spans(predictions, condition)
    s = _marked_series(series, condition)
    values: dict[tuple, dict[str, Any]] = {}
    for _, n in nets.iterrows():
        key = tuple(n[k] for k in NET_KEYS)
        sp = spans
        for k in NET_KEYS:
            sp = sp[sp[k].astype(str) == str(n[k])] if len(sp) else sp
        iv = mean_ci(sp["span"]) if len(sp) else Interval(np.nan, np.nan, np.nan, 0)
        v: dict[str, Any] = {"span": iv.mean, "span_lo": iv.lo, "span_hi": iv.hi}
        v["_spans"] = sp["span"].to_numpy() if len(sp) else np.array([])
        fit = s
        for k in NET_KEYS:
            fit = fit[fit[k].astype(str) == str(n[k])] if len(fit) else fit
        for col in ("pse", "pse_lo", "pse_hi", "slope", "slope_lo", "slope_hi", "p_min", "p_max"):
            v[col] = float(fit[col].iloc[0]) if len(fit) and col in fit else np.nan
        v["slope_bound"] = str(fit["slope_bound"].iloc[0]) if len(fit) else ""
        v["reaches_asymptotes"] = (
            bool(str(fit["reaches_asymptotes"].iloc[0]).lower() in ("true", "1"))
            if len(fit) and "reaches_asymptotes" in fit
            else None
        )
        v["flags"] = str(fit["flags"].iloc[0]) if len(fit) and "flags" in fit else ""
        values[key] = v
    is_random = nets["weights_source"].map(_is_random) | nets["weights"].astype(str).eq("random")
    twin_of: dict[tuple, tuple] = {}
    for i, n in nets.iterrows():
        if is_random[i]:
            continue
        same = nets[(nets["model"] == n["model"]) & (nets["variant"] == n["variant"]) & is_random]
        if len(same):
            twin_of[tuple(n[k] for k in NET_KEYS)] = tuple(same.iloc[0][k] for k in NET_KEYS)
    twins = set(twin_of.values())
    rows = []
    for _, n in nets.iterrows():
        key = tuple(n[k] for k in NET_KEYS)
        if key in twins:
            continue
        v = values[key]
        src = str(n["weights_source"])
        row: dict[str, Any] = {k: n[k] for k in NET_KEYS}
        row["net"] = series_labels(pd.DataFrame([row])).iloc[0]
        row["domain"] = net_domain(str(n["arch"]), src, pretrain)
        row["source"] = net_source(str(n["arch"]), src, pretrained)
        row.update({k: v[k] for k in v if not k.startswith("_")})
        t = twin_of.get(key)
        row["twin"] = str(t[2]) if t else ""
        for m, _ in MEASURES:
            for suffix in ("", "_lo", "_hi"):
                row[f"twin_{m}{suffix}"] = values[t][f"{m}{suffix}"] if t else np.nan
        row["twin_slope_bound"] = values[t]["slope_bound"] if t else ""
        row["gain_slope_bound"] = ""
        if t:
            tv = values[t]
            iv = diff_ci(tv["_spans"], v["_spans"])
            row.update(gain_span=iv.mean, gain_span_lo=iv.lo, gain_span_hi=iv.hi)
            g = _gain(v["pse"], v["pse_lo"], v["pse_hi"], tv["pse"], tv["pse_lo"], tv["pse_hi"])
            row.update(gain_pse=g[0], gain_pse_lo=g[1], gain_pse_hi=g[2])
            g = _slope_gain(v, tv)
            row.update(gain_slope=g[0], gain_slope_lo=g[1], gain_slope_hi=g[2],
                       gain_slope_bound=g[3])  # fmt: skip
        else:
            for m, _ in MEASURES:
                row.update({f"gain_{m}": np.nan, f"gain_{m}_lo": np.nan, f"gain_{m}_hi": np.nan})
        rows.append(row)
    return pd.DataFrame(rows)


def _verdict(diff: float, lo: float, hi: float) -> str:
    if not np.isfinite(diff):
        return "not measurable"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "no CI, so no conclusion"
    if lo <= 0 <= hi:
        return "no reliable difference (the 95% CI contains 0)"
    return "face nets reliably higher" if diff > 0 else "face nets reliably lower"


def domain_contrast(nets: pd.DataFrame) -> pd.DataFrame:
    """Face − object per measure (span, PSE, slope), on raw values and on pre-training gains
    (see the module docstring): one row per measure × kind with both domains' means."""
    if nets.empty or not set(DOMAINS) <= set(nets["domain"]):
        return pd.DataFrame()
    rows = []
    for kind, prefix in (("gain", "gain_"), ("raw", "")):
        for m, name in MEASURES:
            col = f"{prefix}{m}"
            out: dict[str, Any] = {"measure": name, "kind": kind}
            means, ses, bounded = {}, {}, []
            for d in DOMAINS:
                g = nets[(nets["domain"] == d) & np.isfinite(nets[col].astype(float))]
                if f"{col}_bound" in g:
                    on_bound = g[f"{col}_bound"].fillna("").astype(str) != ""
                    bounded += list(g.loc[on_bound, "net"])
                    g = g[~on_bound]
                k = len(g)
                se = [_se(lo, hi) for lo, hi in zip(g[f"{col}_lo"], g[f"{col}_hi"], strict=True)]
                means[d] = float(g[col].mean()) if k else np.nan
                ses[d] = float(np.sqrt(np.sum(np.square(se))) / k) if k else np.nan
                out.update({f"n_{d}": k, d: means[d], f"{d}_nets": ", ".join(g["net"])})
            diff = means["face"] - means["object"]
            half = Z95 * np.hypot(ses["face"], ses["object"])
            out.update(diff=diff, diff_lo=diff - half, diff_hi=diff + half)
            out["verdict"] = _verdict(diff, out["diff_lo"], out["diff_hi"])
            if bounded:
                names = ", ".join(bounded)
                out["verdict"] = (
                    f"not measurable: σ on its floor for {names} (only a bound on the slope)"
                    if not np.isfinite(diff)
                    else f"{out['verdict']}; left out, σ on its floor: {names}"
                )
            rows.append(out)
    return pd.DataFrame(rows)


def asymptote_notes(
    series: pd.DataFrame, guess_max: float, lapse_max: float, condition: str | None = "full"
) -> list[str]:
    """One line per series (of ``condition``; all with None) whose mean curve cannot reach the
    guess / lapse bounds (``reaches_asymptotes`` false, see :mod:`.seriesfits`)."""
    if series.empty or "reaches_asymptotes" not in series:
        return []
    s = series if condition is None else series[series["condition"] == condition]
    s = s.assign(label=series_labels(s))
    out = []
    for _, r in s.iterrows():
        if str(r["reaches_asymptotes"]).lower() in ("true", "1"):
            continue
        at = ", ".join(sorted(f.value for f in parse_flags(r.get("flags")))) or "none"
        where = "" if condition is not None else f" ({r['condition']})"
        missed = []
        if r["p_min"] > guess_max:
            missed.append(f"its floor stays at {r['p_min']:.2f} > {guess_max:g}")
        if r["p_max"] < 1 - lapse_max:
            missed.append(f"its ceiling stays at {r['p_max']:.2f} < {1 - lapse_max:g}")
        out.append(f"{r['label']}{where}: {' and '.join(missed)} (fit flags: {at}).")
    return out


def series_ranking(
    series: pd.DataFrame,
    comparison: pd.DataFrame,
    human_pse: float,
    human_sd: float,
    condition: str = "full",
) -> pd.DataFrame:
    """Series fits ranked by |z| = |PSE − PSE_h| / SD_h, with ΔPSE and the agreement columns of
    the series rows of ``comparison.csv`` (where present)."""
    if series.empty:
        return pd.DataFrame()
    s = _marked_series(series, condition)
    if s.empty:
        return pd.DataFrame()
    s["series"] = series_labels(s)
    s["pse_z"] = (s["pse"].astype(float) - human_pse) / human_sd
    s["abs_z"] = s["pse_z"].abs().fillna(np.inf)
    cmp_cols = ["delta_pse", "delta_pse_lo", "delta_pse_hi", "stimulus_r", "stimulus_r_lo",
                "stimulus_r_hi", "stimulus_ceiling_r", "kappa", "kappa_lo", "kappa_hi", "c_obs",
                "c_exp"]  # fmt: skip
    if len(comparison) and "scope" in comparison:
        c = comparison[(comparison["scope"] == "series") & (comparison["condition"] == condition)]
        keep = [k for k in cmp_cols if k in c]
        s = s.merge(c[[*NET_KEYS, *keep]], on=list(NET_KEYS), how="left")
        if "delta_pse" in s:  # no PSE, no ΔPSE
            s.loc[s["pse"].isna(), ["delta_pse", "delta_pse_lo", "delta_pse_hi"]] = np.nan
    s = s.sort_values("abs_z", kind="stable").reset_index(drop=True)
    s.insert(0, "rank", np.arange(1, len(s) + 1))
    return s


def region_table(regions: pd.DataFrame, condition: str = "full") -> pd.DataFrame:
    """Mean share of CAM mass in eyes, nose and mouth per net (and n images)."""
    if regions.empty or not {"eyes", "nose", "mouth"} <= set(regions.columns):
        return pd.DataFrame()
    r = regions[regions["condition"] == condition]
    r = r.assign(net=series_labels(r))
    out = r.groupby("net", sort=False)[["eyes", "nose", "mouth"]].mean()
    out["n"] = r.groupby("net", sort=False).size()
    return out.reset_index()


__all__ = [
    "ARCHITECTURE_CONFOUND",
    "asymptote_notes",
    "domain_contrast",
    "net_domain",
    "net_source",
    "net_table",
    "region_table",
    "series_ranking",
]
