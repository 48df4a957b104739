"""Psychometric plots: data points, fitted curves, bootstrap CI bands, PSE markers, and the human
mean ± SE band. PNG via matplotlib's Agg backend; each function draws on an ``ax`` (returned)
or writes ``path``.

>>> from facepsych.psychophysics.plots import plot_curves   # doctest: +SKIP
>>> plot_curves(fit_table("data.csv").curves, "fits.png")    # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from facepsych.plotting import colors, save_figure  # noqa: E402


def draw_fit(
    ax,
    fit,
    *,
    levels=None,
    proportion=None,
    n=None,
    label: str = "",
    color=None,
    x_range: tuple[float, float] | None = None,
    band: bool = True,
    pse_marker: bool = True,
):
    """Data points (area ∝ trials when ``n`` is given), ψ̂(x), its bootstrap 95 % band, and the
    PSE (dashed line at μ, marker at ψ̂(μ), horizontal bar = PSE CI)."""
    color = color or "C0"
    if levels is not None and proportion is not None:
        size = 12 + 60 * np.asarray(n, float) / np.max(n) if n is not None else 22
        ax.scatter(
            levels, proportion, s=size, color=color, alpha=0.8, zorder=3, label=label or None
        )
        label = ""
    if fit is None:
        return ax
    lo_x, hi_x = x_range or (
        (float(np.min(levels)), float(np.max(levels))) if levels is not None else (0.0, 1.0)
    )
    x = np.linspace(lo_x, hi_x, 301)
    if fit.function == "weibull":
        x = x[x > 0]
    ax.plot(x, fit.predict(x), color=color, lw=1.6, label=label or None)
    if band:
        lo, hi = fit.band(x)
        if np.isfinite(lo).any():
            ax.fill_between(x, lo, hi, color=color, alpha=0.18, lw=0)
    if pse_marker and np.isfinite(fit.pse):
        y = float(fit.predict(np.array([fit.pse]))[0])
        ax.axvline(fit.pse, color=color, ls="--", lw=0.8, alpha=0.7)
        xerr = None
        if np.isfinite(fit.pse_lo) and np.isfinite(fit.pse_hi):
            # a percentile CI need not contain the point estimate (e.g. σ at its bound): clip
            xerr = [[max(fit.pse - fit.pse_lo, 0.0)], [max(fit.pse_hi - fit.pse, 0.0)]]
        ax.errorbar([fit.pse], [y], xerr=xerr, fmt="D", ms=5, color=color, capsize=3, zorder=4)
    return ax


def draw_human_band(ax, mean_curve, *, label: str = "humans (mean ± SE)", color="0.45"):
    """The human mean curve (``level, mean, se`` table) with a ± SE band."""
    lv = np.asarray(mean_curve["level"], float)
    m = np.asarray(mean_curve["mean"], float)
    se = np.nan_to_num(np.asarray(mean_curve["se"], float))
    ax.fill_between(lv, m - se, m + se, color=color, alpha=0.25, lw=0, label=label)
    ax.plot(lv, m, color=color, lw=1.2, marker="o", ms=3)
    return ax


def _finish(ax, title: str | None):
    ax.set_xlabel("morph level (0 = negative, 1 = positive)")
    ax.set_ylabel("P(positive)")
    ax.set_ylim(-0.03, 1.03)
    if title:
        ax.set_title(title)
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=7, loc="upper left", frameon=False)


def plot_curves(
    curves: Sequence[Any], path=None, *, ax=None, title: str | None = None, humans=None
):
    """Plot groups (objects with ``label, levels, proportion, n, fit``, e.g. ``FitTable.curves``)
    on one axis, optionally over a human mean ± SE band (``humans``: a mean-curve table or
    HumanFits). Writes ``path`` (PNG) when given and returns it; else returns ``ax``."""
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6.5, 4.3))
    if humans is not None:
        draw_human_band(ax, getattr(humans, "mean_curve", humans))
    for color, c in zip(colors(len(curves)), curves, strict=False):
        draw_fit(
            ax, c.fit, levels=c.levels, proportion=c.proportion, n=c.n, label=c.label, color=color
        )
    _finish(ax, title)
    if path is not None:
        return save_figure(ax.figure, path)
    return ax


def plot_model_vs_humans(
    model_fits: dict, humans, path, *, model_points: dict | None = None, title=None
):
    """Model curves ({label: PsychometricFit}, optional {label: (levels, p)}) over the humans'
    mean ± SE band and pooled fit (HumanFits), PSE markers for all. Writes ``path``."""
    fig, ax = plt.subplots(figsize=(6.5, 4.3))
    draw_human_band(ax, humans.mean_curve)
    draw_fit(
        ax, humans.pooled, label="humans (pooled fit)", color="0.2", band=False, x_range=(0, 1)
    )
    for color, (label, fit) in zip(colors(len(model_fits)), model_fits.items(), strict=False):
        lv, p = (model_points or {}).get(label, (None, None))
        draw_fit(ax, fit, levels=lv, proportion=p, label=label, color=color, x_range=(0, 1))
    _finish(ax, title or "models vs humans")
    return save_figure(fig, path)
