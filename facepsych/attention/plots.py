"""CAM figures: heat-map overlays, a continuum-steps × models grid, region-share bars (PNG).

``overlay`` is pure (arrays in, an RGB array out); the ``save_*`` / ``plot_*`` functions draw with
matplotlib's Agg backend and write PNG files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from facepsych.plotting import save_figure  # noqa: E402

__all__ = ["cam_grid", "overlay", "plot_region_shares", "save_overlay"]

REGION_COLOURS = {"eyes": "#1f77b4", "nose": "#ff7f0e", "mouth": "#2ca02c", "other": "#c7c7c7"}


def _rgb(image) -> np.ndarray:
    from facepsych.data.images import read_rgb, to_rgb

    if isinstance(image, (str, Path)):
        image = read_rgb(image)
    if isinstance(image, Image.Image):
        image = np.asarray(to_rgb(image))
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    if arr.dtype != np.uint8:
        arr = np.clip(arr * (255.0 if arr.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    return arr[..., :3]


def _resize_cam(cam, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a [0, 1] map to ``size`` (H, W)."""
    if hasattr(cam, "detach"):
        cam = cam.detach().cpu().numpy()
    cam = np.asarray(cam, dtype=np.float32)
    if cam.shape == tuple(size):
        return cam
    img = Image.fromarray(cam, mode="F").resize((size[1], size[0]), Image.BILINEAR)
    return np.asarray(img, dtype=np.float32)


def overlay(image, cam, *, alpha: float = 0.5, cmap: str = "jet") -> np.ndarray:
    """RGB uint8 (H, W, 3): (1 − α)·image + α·colormap(cam), cam resized to the image.

    ``cam`` is min–max normalised here, so raw maps work too.
    """
    rgb = _rgb(image).astype(np.float32) / 255.0
    c = _resize_cam(cam, rgb.shape[:2])
    lo, hi = float(c.min()), float(c.max())
    c = (c - lo) / (hi - lo) if hi > lo else np.zeros_like(c)
    heat = matplotlib.colormaps[cmap](c)[..., :3]
    out = (1.0 - alpha) * rgb + alpha * heat
    return np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)


def save_overlay(image, cam, path: str | Path, *, alpha: float = 0.5) -> Path:
    """Write the overlay as a PNG at the image's own resolution."""
    from facepsych.atomic import atomic_write

    picture = Image.fromarray(overlay(image, cam, alpha=alpha))
    return atomic_write(Path(path), lambda tmp: picture.save(tmp, format="PNG"))


def cam_grid(
    cells: Sequence[Sequence[tuple[object, object]]],
    path: str | Path,
    *,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    title: str | None = None,
    alpha: float = 0.5,
    cell_inches: float = 1.3,
    horizontal_row_labels: bool = False,
) -> Path:
    """Grid of overlays: ``cells[r][c] = (image, cam)`` (e.g. rows = models, columns = continuum
    steps), with row and column labels (``horizontal_row_labels`` for long ones, e.g. model
    series); ``None`` cells stay blank."""
    n_rows = len(cells)
    n_cols = max((len(r) for r in cells), default=0)
    if n_rows == 0 or n_cols == 0:
        raise ValueError("cam_grid needs at least one cell")
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(cell_inches * n_cols + 1.0, cell_inches * n_rows + 0.6),
        squeeze=False,
    )  # fmt: skip
    for r in range(n_rows):
        for c in range(n_cols):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            cell = cells[r][c] if c < len(cells[r]) else None
            if cell is not None:
                ax.imshow(overlay(cell[0], cell[1], alpha=alpha))
            if row_labels is not None and c == 0:
                if horizontal_row_labels:
                    ax.set_ylabel(row_labels[r], fontsize=7, rotation=0, ha="right", va="center")
                else:
                    ax.set_ylabel(row_labels[r], fontsize=8)
            if col_labels is not None and r == 0:
                ax.set_title(col_labels[c], fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path, tight_bbox=False)


def plot_region_shares(
    rows, path: str | Path, *, by: str = "condition", title: str | None = None
) -> Path:
    """Stacked bars of the mean eyes / nose / mouth / other shares per value of ``by`` (a column
    of the tidy region table, e.g. ``condition``, ``model``, ``layer``), diagnostic ratio noted."""
    import pandas as pd

    df = pd.DataFrame(rows)
    if df.empty:
        raise ValueError("no region rows to plot")
    if by not in df.columns:
        df[by] = "all"
    parts = ["eyes", "nose", "mouth", "other"]
    means = df.groupby(by, sort=False)[[*parts, "diagnostic_ratio"]].mean()
    fig, ax = plt.subplots(figsize=(1.2 * len(means) + 2.5, 3.2))
    x = np.arange(len(means))
    bottom = np.zeros(len(means))
    for part in parts:
        vals = means[part].fillna(0).to_numpy()
        ax.bar(x, vals, bottom=bottom, color=REGION_COLOURS[part], label=part, width=0.6)
        bottom += vals
    for xi, ratio in zip(x, means["diagnostic_ratio"], strict=True):
        if np.isfinite(ratio):
            ax.text(xi, 1.02, f"DR {ratio:.2f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x)
    ax.set_xticklabels([str(i) for i in means.index], rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("share of CAM mass")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, tight_bbox=False)
