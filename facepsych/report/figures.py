"""Study figures of a run folder (matplotlib, Agg, PNG): every series of the study on one axis.

Each function takes the run's tidy tables (pandas DataFrames) and an output path and returns the
path it wrote. The human reference is drawn from a
:class:`facepsych.experiment.summary.HumanBand` (its ``band`` gives the curve and its ± band).
One stage's own plots live with the stage (:mod:`facepsych.attention.plots`,
:mod:`facepsych.psychophysics.plots`, :mod:`facepsych.train.plots`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from facepsych.experiment.summary import HumanBand, series_label  # noqa: E402
from facepsych.plotting import colors, save_figure  # noqa: E402
from facepsych.psychophysics import mean_ci, psi  # noqa: E402

CONDITION_ORDER = ("full", "eyes", "nose", "mouth")
DOMAINS = ("object", "face")


def _mean_fitted_curve(
    fits: pd.DataFrame, x: np.ndarray, min_share: float = 0.5
) -> np.ndarray | None:
    """Mean of the usable fits' ψ(x) (each with its own function); None when fewer than
    ``min_share`` of the fits are usable (a curve from 1 of 8 continua would misrepresent the
    series' points)."""
    if not len(fits) or not {"pse", "sigma", "function"} <= set(fits.columns):
        return None
    usable = fits[fits["pse"].notna() & fits["sigma"].notna()]
    if "fit_ok" in usable.columns:
        usable = usable[usable["fit_ok"].astype(str).str.lower().isin(["true", "1"])]
    curves = [
        psi(
            x,
            float(r["pse"]),
            float(r["sigma"]),
            float(r.get("guess", 0.0) or 0.0),
            float(r.get("lapse", 0.0) or 0.0),
            str(r["function"]),
        )
        for _, r in usable.iterrows()
    ]
    if not curves or len(curves) < min_share * len(fits):
        return None
    return np.mean(curves, axis=0)


def psychometric_curves(
    predictions: pd.DataFrame,
    fits: pd.DataFrame,
    humans: HumanBand,
    out: Path,
    condition: str = "full",
) -> Path:
    """Mean P(positive) per level of every model (± SE over continua × seeds) and the mean fitted
    curve, over the human mean ± SE band."""
    pred = predictions[predictions["condition"] == condition].copy()
    pred["series"] = pred.apply(series_label, axis=1)
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    x = np.linspace(0, 1, 201)
    mid, lo, hi = humans.band(x)
    ax.fill_between(x, lo, hi, color="0.8", label=f"humans: {humans.label}")
    ax.plot(x, mid, color="0.35", lw=2)
    series = list(dict.fromkeys(pred["series"]))
    for color, s in zip(colors(len(series)), series, strict=True):
        g = pred[pred["series"] == s]
        per = g.groupby(["level"])["p_positive"]
        m, se = per.mean(), per.sem().fillna(0.0)
        ax.errorbar(
            m.index,
            m.values,
            yerr=se.values,
            fmt="o",
            ms=3.5,
            color=color,
            alpha=0.9,
            label=s,
            capsize=2,
        )
        f = fits[(fits["condition"] == condition)]
        f = f[f.apply(series_label, axis=1) == s] if len(f) else f
        curve = _mean_fitted_curve(f, x)
        if curve is not None:
            ax.plot(x, curve, color=color, lw=1.3)
    ax.set_xlabel("morph level (0 = negative, 1 = positive)")
    ax.set_ylabel("P(positive)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"Psychometric curves ({condition} faces)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return save_figure(fig, out)


def pse_zscores(fits: pd.DataFrame, humans: HumanBand, out: Path, condition: str = "full") -> Path:
    """PSE per model as a Z-score against the human PSE distribution, z = (PSE − mean)/SD, with
    the 95% CI of the model's mean PSE (t over continua × seeds); |z| < 1.96 shaded."""
    f = fits[fits["condition"] == condition].copy()
    f["series"] = f.apply(series_label, axis=1)
    rows = []
    for s, g in f.groupby("series", sort=False):
        v = g["pse"].astype(float).to_numpy()
        v = v[np.isfinite(v)]
        if len(v) == 0:
            continue
        m = v.mean()
        half = _t_half_width(v)
        rows.append((s, (m - humans.pse_mean) / humans.pse_sd, half / humans.pse_sd))
    fig, ax = plt.subplots(figsize=(7.0, 0.45 * max(len(rows), 2) + 1.4))
    ax.axvspan(-1.96, 1.96, color="0.88", label="human 95% range (|z| < 1.96)")
    ax.axvline(0, color="0.3", lw=1)
    for i, (_s, z, h) in enumerate(rows):
        ax.errorbar(z, i, xerr=h, fmt="o", color="C0" if abs(z) < 1.96 else "C3", capsize=3)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"PSE z-score vs humans ({humans.label})")
    ax.set_title("Model PSE against the human distribution")
    ax.legend(fontsize=7, loc="lower right")
    return save_figure(fig, out)


def _t_half_width(v: np.ndarray) -> float:
    """Half width of the 95% t interval of the mean (0 with fewer than 2 values)."""
    iv = mean_ci(v)
    return (iv.hi - iv.lo) / 2 if np.isfinite(iv.lo) else 0.0


def occlusion_shifts(fits: pd.DataFrame, out: Path) -> Path:
    """PSE(occluded) − PSE(full) per model and condition, paired by cell × continuum; bars = mean,
    whiskers = 95% t CI over continua × seeds."""
    f = fits.copy()
    f["series"] = f.apply(series_label, axis=1)
    full = f[f["condition"] == "full"].set_index(["cell_id", "continuum"])["pse"]
    conds = [c for c in CONDITION_ORDER[1:] if c in set(f["condition"])]
    series = list(dict.fromkeys(f["series"]))
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    width = 0.8 / max(len(conds), 1)
    for j, (cond, color) in enumerate(zip(conds, ["C0", "C1", "C2"], strict=False)):
        g = f[f["condition"] == cond].set_index(["cell_id", "continuum"])
        g = g.assign(shift=g["pse"] - full.reindex(g.index))
        means, halves = [], []
        for s in series:
            v = g[g["series"] == s]["shift"].astype(float).to_numpy()
            v = v[np.isfinite(v)]
            means.append(v.mean() if len(v) else np.nan)
            halves.append(_t_half_width(v))
        xs = np.arange(len(series)) + (j - (len(conds) - 1) / 2) * width
        ax.bar(xs, means, width, yerr=halves, color=color, capsize=2, label=f"{cond} occluded")
    ax.axhline(0, color="0.3", lw=1)
    ax.set_xticks(range(len(series)), series, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("PSE shift vs full face")
    ax.set_title("PSE shift per occlusion condition")
    if conds:
        ax.legend(fontsize=8)
    return save_figure(fig, out)


def region_share_bars(regions: pd.DataFrame, out: Path, condition: str = "full") -> Path:
    """Mean CAM mass share in eyes / nose / mouth per model (± SE over images)."""
    r = regions[regions["condition"] == condition].copy()
    r["series"] = r.apply(series_label, axis=1)
    series = list(dict.fromkeys(r["series"]))
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    width = 0.26
    for j, (reg, color) in enumerate(
        zip(("eyes", "nose", "mouth"), ["C0", "C7", "C3"], strict=True)
    ):
        m = [r[r["series"] == s][reg].mean() for s in series]
        se = [r[r["series"] == s][reg].sem() for s in series]
        ax.bar(
            np.arange(len(series)) + (j - 1) * width,
            m,
            width,
            yerr=se,
            color=color,
            capsize=2,
            label=reg,
        )
    ax.set_xticks(range(len(series)), series, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("share of CAM mass")
    ax.set_title(f"Where the networks look ({condition} faces)")
    ax.legend(fontsize=8)
    return save_figure(fig, out)


def cam_grid(
    cams: list[tuple[str, dict]], out: Path, max_cols: int = 6, root: Path | None = None
) -> Path:
    """Rows = models, columns = up to ``max_cols`` evenly spaced continuum steps: each frame with
    its fused CAM overlaid (α 0.45), drawn by :func:`facepsych.attention.plots.cam_grid`.
    ``cams``: (label, arrays from a cell's ``cams.npz``); relative frame paths are taken from
    ``root``."""
    from facepsych.attention.plots import cam_grid as overlay_grid

    rows = [c for c in cams if len(c[1]["steps"])]
    if not rows:
        raise ValueError("cam_grid needs at least one model with CAMs")
    n_steps = len(rows[0][1]["steps"])
    pick = np.unique(np.linspace(0, n_steps - 1, min(max_cols, n_steps)).round().astype(int))

    def frame(arrs: dict, k: int) -> Path:
        f = Path(str(arrs["frames"][k]))
        return f if f.is_absolute() or root is None else Path(root) / f

    cells = [
        [(frame(arrs, k), np.asarray(arrs["maps"][k], dtype=np.float32)) for k in pick]
        for _, arrs in rows
    ]
    return overlay_grid(
        cells,
        out,
        row_labels=[label for label, _ in rows],
        col_labels=[f"step {int(rows[0][1]['steps'][k])}" for k in pick],
        title="LayerCAM / Grad-CAM overlays along the continuum",
        alpha=0.45,
        horizontal_row_labels=True,
    )


def net_curves(
    predictions: pd.DataFrame,
    series: pd.DataFrame,
    nets: pd.DataFrame,
    humans: HumanBand,
    out: Path,
    condition: str = "full",
) -> Path:
    """One panel per net (rows of :func:`facepsych.experiment.nets.net_table`): its mean
    P(positive) per level with the 95 % t band over continua × seeds and its series fit ψ (line;
    dashed where the PSE is unusable), its random twin in grey, over the human band."""
    from facepsych.psychophysics import usable_pse

    pred = predictions[predictions["condition"] == condition]
    fits = series[series["condition"] == condition] if len(series) else series
    x = np.linspace(0, 1, 201)
    mid, lo, hi = humans.band(x)
    n = max(len(nets), 1)
    cols = min(n, 4)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.6 * rows + 0.4), squeeze=False,
                             sharex=True, sharey=True)  # fmt: skip

    def draw(ax, key: dict, color, label: str) -> None:
        g = pred
        for k, v in key.items():
            g = g[g[k].astype(str) == str(v)]
        if g.empty:
            return
        per = g.groupby("level")["p_positive"]
        stats = [mean_ci(v.to_numpy()) for _, v in per]
        lv = np.array(list(per.groups.keys()), dtype=float)
        m = np.array([s.mean for s in stats])
        lo_ = np.array([s.lo if np.isfinite(s.lo) else s.mean for s in stats])
        hi_ = np.array([s.hi if np.isfinite(s.hi) else s.mean for s in stats])
        ax.fill_between(lv, np.clip(lo_, 0, 1), np.clip(hi_, 0, 1), color=color, alpha=0.13, lw=0)
        ax.plot(lv, m, "o", ms=3, color=color, label=label)
        f = fits
        for k, v in key.items():
            f = f[f[k].astype(str) == str(v)] if len(f) else f
        if len(f) and np.isfinite(float(f["sigma"].iloc[0])):
            r = f.iloc[0]
            y = psi(x, float(r["pse"]), float(r["sigma"]), float(r["guess"] or 0.0),
                    float(r["lapse"] or 0.0), str(r["function"]))  # fmt: skip
            ax.plot(x, y, color=color, lw=1.6, ls="-" if usable_pse(r.to_dict()) else ":")

    for i, (_, r) in enumerate(nets.iterrows()):
        ax = axes[i // cols][i % cols]
        ax.fill_between(x, lo, hi, color="0.85", lw=0, label="humans")
        ax.plot(x, mid, color="0.55", lw=1.2)
        key = {k: r[k] for k in ("model", "weights", "variant")}
        color = {"object": "C0", "face": "C3"}.get(str(r["domain"]), "C2")
        label = (
            str(r["weights"]) if r["weights"] == r["domain"] else f"{r['weights']} ({r['domain']})"
        )
        draw(ax, key, color, label)
        if r.get("twin"):
            draw(ax, {**key, "weights": r["twin"]}, "0.3", f"{r['twin']} twin")
        ax.set_title(f"{r['net']} ({r['domain']})", fontsize=9)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3, lw=0.5)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    has_curve = humans.curve is not None and len(humans.curve)
    what = "mean curve ± SE" if has_curve else "PSE mean ± 1 SD"
    handles = [Patch(color="0.85", label=f"humans ({what})")]
    for d, c in (("object", "C0"), ("face", "C3"), ("other", "C2")):
        if (nets["domain"] == d).any() or (d == "other" and (~nets["domain"].isin(DOMAINS)).any()):
            handles.append(Line2D([], [], color=c, marker="o", ms=4, label=f"{d}-trained net"))
    if nets["twin"].astype(bool).any():
        handles.append(Line2D([], [], color="0.3", marker="o", ms=4, label="its random twin"))
    handles += [
        Line2D([], [], color="0.2", lw=1.6, label="series fit"),
        Line2D([], [], color="0.2", lw=1.6, ls=":", label="fit without usable PSE"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7,
               frameon=False, bbox_to_anchor=(0.5, -0.01))  # fmt: skip
    for j in range(len(nets), rows * cols):
        axes[j // cols][j % cols].set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("morph level (0 neg. → 1 pos.)")
    for row in axes:
        row[0].set_ylabel("P(positive)")
    fig.suptitle(f"Psychometric curves per net ({condition} faces) over humans: {humans.label}",
                 fontsize=10)  # fmt: skip
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return save_figure(fig, out)
