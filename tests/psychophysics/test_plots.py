"""Psychometric plots write real PNGs with the expected artists."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from facepsych.psychophysics import fit_humans, fit_psychometric, psi  # noqa: E402
from facepsych.psychophysics.plots import draw_fit, plot_curves, plot_model_vs_humans  # noqa: E402
from facepsych.psychophysics.tables import GroupCurve  # noqa: E402

X = np.linspace(0, 1, 11)
N = np.full(11, 30)


def _fit(mu, seed=0, bootstrap=100):
    k = np.random.default_rng(seed).binomial(N, psi(X, mu, 0.1))
    return k, fit_psychometric(X, k, N, bootstrap=bootstrap)


def test_draw_fit_adds_points_curve_band_and_pse_marker():
    k, fit = _fit(0.5)
    fig, ax = plt.subplots()
    draw_fit(ax, fit, levels=X, proportion=k / N, n=N, label="obs")
    assert len(ax.collections) >= 2  # scatter + CI band
    assert any(
        abs(line.get_xdata()[0] - fit.pse) < 1e-12
        for line in ax.lines
        if len(line.get_xdata()) == 2
    )
    plt.close(fig)


def test_plot_curves_writes_png(tmp_path):
    curves = [
        GroupCurve(f"g{i}", X, k / N, N, f) for i, (k, f) in enumerate([_fit(0.4, 1), _fit(0.6, 2)])
    ]
    curves.append(GroupCurve("unfittable", X, np.ones(11), N, None, "all responses are identical"))
    path = plot_curves(curves, tmp_path / "c.png", title="t")
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] > 300


def test_plot_model_vs_humans_writes_png(tmp_path):
    rng = np.random.default_rng(0)
    import pandas as pd

    rows = [
        {
            "subject": s,
            "level": lv,
            "response": int(rng.random() < psi(lv, 0.5 + 0.05 * (s % 3 - 1), 0.08)),
        }
        for s in range(6)
        for lv in X
        for _ in range(8)
    ]
    humans = fit_humans(pd.DataFrame(rows), bootstrap=50, splits=10)
    _, model = _fit(0.4)
    path = plot_model_vs_humans(
        {"alexnet": model},
        humans,
        tmp_path / "m.png",
        model_points={"alexnet": (X, psi(X, 0.4, 0.1))},
    )
    assert path.stat().st_size > 5000


def test_draw_fit_pse_ci_not_containing_the_estimate_still_draws():
    """Regression (QA): `facepsych fit trials.csv --group-by subject --plot` crashed when a
    percentile CI lay on one side of the PSE (σ at its bound: pse_lo a hair above pse)."""
    from dataclasses import replace

    _, fit = _fit(0.5)
    odd = replace(fit, pse_lo=fit.pse + 1e-9, pse_hi=fit.pse + 0.01)
    fig, ax = plt.subplots()
    draw_fit(ax, odd, levels=X, proportion=np.full(11, 0.5))
    assert any(abs(line.get_xdata()[0] - odd.pse) < 1e-12 for line in ax.lines)
    plt.close(fig)
