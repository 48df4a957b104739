"""CAM figures (facepsych.attention.plots): overlay arithmetic and PNG writers."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from PIL import Image

from facepsych.attention.plots import cam_grid, overlay, plot_region_shares, save_overlay


def test_overlay_blends_image_and_colormap():
    img = np.full((8, 10, 3), 100, np.uint8)
    cam = np.zeros((4, 5))
    cam[0, 0] = 2.0  # raw values are min-max normalised
    np.testing.assert_array_equal(overlay(img, cam, alpha=0.0), img)
    full = overlay(img, cam, alpha=1.0)
    jet = matplotlib.colormaps["jet"]
    np.testing.assert_allclose(full[-1, -1], np.round(np.array(jet(0.0)[:3]) * 255), atol=1)
    half = overlay(img, np.zeros((4, 5)), alpha=0.5)  # flat map -> colormap(0)
    expected = 0.5 * 100 + 0.5 * np.array(jet(0.0)[:3]) * 255
    np.testing.assert_allclose(half[3, 3], expected, atol=1)
    assert full.shape == (8, 10, 3) and full.dtype == np.uint8


def test_overlay_accepts_grey_and_pil(tmp_path):
    grey = Image.fromarray(np.full((6, 6), 50, np.uint8), mode="L")
    out = save_overlay(grey, np.eye(3), tmp_path / "o" / "a.png")
    assert Image.open(out).size == (6, 6)


def test_grid_and_bars_write_pngs(tmp_path):
    img = np.zeros((16, 16, 3), np.uint8)
    cells = [
        [(img, np.random.default_rng(i).random((4, 4))) for i in range(3)],
        [(img, np.ones((4, 4)))],
    ]
    path = cam_grid(cells, tmp_path / "grid.png", row_labels=["alexnet", "vgg16"],
                    col_labels=["0.0", "0.5", "1.0"], title="t")  # fmt: skip
    assert Image.open(path).size[0] > Image.open(path).size[1]  # 3 columns, 2 rows
    rows = [
        {"condition": "full", "eyes": 0.5, "nose": 0.1, "mouth": 0.2, "other": 0.2,
         "diagnostic_ratio": 0.875},
        {"condition": "eyes", "eyes": 0.1, "nose": 0.2, "mouth": 0.3, "other": 0.4,
         "diagnostic_ratio": 4 / 6},
    ]  # fmt: skip
    assert plot_region_shares(rows, tmp_path / "bars.png").stat().st_size > 0
    with pytest.raises(ValueError, match="no region rows"):
        plot_region_shares([], tmp_path / "x.png")
    with pytest.raises(ValueError, match="at least one cell"):
        cam_grid([], tmp_path / "y.png")
