"""Study figures: the human band's formula, and every figure renders from tidy tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facepsych.report import figures as figs


def test_reference_band_has_the_published_pse_and_slope():
    band = figs.HumanBand("ref", pse_mean=0.514, pse_sd=0.092, slope=4.19)
    mid, lo, hi = band.band(np.array([0.514 - 1e-5, 0.514, 0.514 + 1e-5]))
    assert mid[1] == pytest.approx(0.5)
    assert (mid[2] - mid[0]) / 2e-5 == pytest.approx(4.19, rel=1e-4)  # slope at the PSE
    assert np.all(lo <= mid) and np.all(mid <= hi)


def test_band_from_a_human_mean_curve():
    curve = pd.DataFrame({"level": [0, 0.5, 1], "mean": [0.1, 0.5, 0.9], "se": [0.05, 0.1, 0.05]})
    band = figs.HumanBand("data", 0.5, 0.1, curve=curve)
    mid, lo, hi = band.band(np.array([0.25]))
    assert (mid[0], lo[0], hi[0]) == pytest.approx((0.3, 0.225, 0.375))


def _tables():
    rows, fits, regions = [], [], []
    for cell, weights in (("a", "object"), ("b", "face")):
        for cond in ("full", "mouth"):
            for x in np.linspace(0, 1, 5):
                rows.append({"cell_id": cell, "model": "alexnet", "weights": weights,
                             "variant": "plain", "continuum": "c", "condition": cond,
                             "level": x, "p_positive": x})  # fmt: skip
            fits.append({"cell_id": cell, "model": "alexnet", "weights": weights,
                         "variant": "plain", "continuum": "c", "condition": cond, "pse": 0.5,
                         "sigma": 0.1, "guess": 0.0, "lapse": 0.0})  # fmt: skip
        regions.append({"cell_id": cell, "model": "alexnet", "weights": weights,
                        "variant": "plain", "condition": "full", "eyes": 0.3, "nose": 0.1,
                        "mouth": 0.2})  # fmt: skip
    return pd.DataFrame(rows), pd.DataFrame(fits), pd.DataFrame(regions)


def test_every_figure_renders(tmp_path):
    preds, fits, regions = _tables()
    band = figs.HumanBand("ref", 0.514, 0.092, 4.19)
    outs = [
        figs.psychometric_curves(preds, fits, band, tmp_path / "a.png"),
        figs.pse_zscores(fits, band, tmp_path / "b.png"),
        figs.occlusion_shifts(fits, tmp_path / "c.png"),
        figs.region_share_bars(regions, tmp_path / "d.png"),
        figs.learning_curves({"a": pd.DataFrame({"epoch": [1, 2], "val_acc": [0.5, 0.6],
                                                 "train_acc": [0.5, 0.7]})}, tmp_path / "e.png"),
    ]  # fmt: skip
    for out in outs:
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fitted_curve_uses_each_fits_function_and_skips_failed_fits():
    from facepsych.psychophysics.functions import psi
    from facepsych.report.figures import _mean_fitted_curve

    x = np.linspace(0, 1, 11)
    fits = pd.DataFrame(
        [
            {"pse": 0.4, "sigma": 0.1, "guess": 0.0, "lapse": 0.0, "function": "logistic",
             "fit_ok": True},
            {"pse": 0.9, "sigma": 0.5, "guess": 0.0, "lapse": 0.0, "function": "cumnorm",
             "fit_ok": False},
        ]
    )  # fmt: skip
    np.testing.assert_allclose(_mean_fitted_curve(fits, x), psi(x, 0.4, 0.1, 0, 0, "logistic"))
    assert _mean_fitted_curve(fits[~fits["fit_ok"]], x) is None
    # one usable fit of three: too few to stand for the series, no curve
    three = pd.concat([fits, fits.iloc[[1]]], ignore_index=True)
    assert _mean_fitted_curve(three, x) is None
    assert _mean_fitted_curve(three, x, min_share=0.3) is not None


def test_experiment_cam_grid_draws_picked_steps_and_refuses_no_cams(tmp_path, monkeypatch):
    from PIL import Image

    from facepsych.attention import plots as cam_figures
    from facepsych.report import figures

    for k in range(5):
        Image.new("RGB", (16, 16), (40 * k, 0, 0)).save(tmp_path / f"step_{k:02d}.png")
    arrs = {
        "maps": np.random.default_rng(0).random((5, 4, 4)).astype(np.float16),
        "steps": np.arange(5),
        "frames": np.asarray([f"step_{k:02d}.png" for k in range(5)]),
    }
    seen = {}

    def spy(cells, path, **kw):
        seen.update(kw, n_rows=len(cells), n_cols=len(cells[0]), first=cells[0][0][0])
        return path

    monkeypatch.setattr(cam_figures, "cam_grid", spy)
    figures.cam_grid([("alexnet · face", arrs)], tmp_path / "g.png", max_cols=3, root=tmp_path)
    assert (seen["n_rows"], seen["n_cols"]) == (1, 3)
    assert seen["col_labels"] == ["step 0", "step 2", "step 4"]
    assert seen["row_labels"] == ["alexnet · face"] and seen["horizontal_row_labels"]
    assert seen["first"] == tmp_path / "step_00.png"  # relative frames resolved from root
    with pytest.raises(ValueError, match="at least one model with CAMs"):
        figures.cam_grid([("x", {**arrs, "steps": np.arange(0)})], tmp_path / "h.png")
