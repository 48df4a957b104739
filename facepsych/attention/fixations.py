"""Human fixations: the CSV format, fixation maps and Gaussian fixation density maps.

Fixation CSV: one row per fixation, columns ``image, x, y`` and optionally ``subject,
duration``; ``x``, ``y`` are pixel coordinates in the image (origin top-left, the image spans
0 ≤ x < W, 0 ≤ y < H); fixation (x, y) falls in pixel (column ⌊x⌋, row ⌊y⌋).

Density map: D = G_σ * F / Σ(G_σ * F), with F the fixation count map and G_σ a Gaussian of
σ pixels (zero padding, truncated at 4σ); σ may be given in degrees of visual angle with the
display's pixels per degree: σ_px = σ_deg · ppd.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter

from facepsych.csvfiles import read_csv
from facepsych.errors import FacepsychError

__all__ = [
    "FIXATION_COLUMNS",
    "as_fixation_map",
    "check_points",
    "fixation_density",
    "fixation_map",
    "fixation_points",
    "load_fixations",
    "sigma_pixels",
]

FIXATION_COLUMNS = ("image", "x", "y")
OPTIONAL_COLUMNS = ("subject", "duration")


def check_points(points, shape: tuple[int, int], *, image: str | None = None) -> np.ndarray:
    """Validate (N, 2) fixation points (x, y) against an image of ``shape`` (H, W)."""
    pts = np.asarray(points, dtype=np.float64)
    where = f" for image {image!r}" if image else ""
    if pts.size == 0:
        raise FacepsychError(f"no fixations{where}")
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise FacepsychError(f"fixations must be (N, 2) x, y points, got shape {pts.shape}")
    if not np.isfinite(pts).all():
        raise FacepsychError(f"fixation coordinates{where} must be finite numbers")
    h, w = int(shape[0]), int(shape[1])
    bad = (pts[:, 0] < 0) | (pts[:, 0] >= w) | (pts[:, 1] < 0) | (pts[:, 1] >= h)
    if bad.any():
        x, y = pts[np.argmax(bad)]
        raise FacepsychError(
            f"fixation (x={x:g}, y={y:g}){where} lies outside the {w}x{h} image "
            f"({int(bad.sum())} of {len(pts)} fixations outside)"
        )
    return pts


def fixation_map(points, shape: tuple[int, int]) -> np.ndarray:
    """Count map (H, W): F(r, c) = number of fixations with ⌊y⌋ = r and ⌊x⌋ = c."""
    pts = check_points(points, shape)
    h, w = int(shape[0]), int(shape[1])
    cols = np.floor(pts[:, 0]).astype(int)
    rows = np.floor(pts[:, 1]).astype(int)
    counts = np.zeros((h, w), np.float64)
    np.add.at(counts, (rows, cols), 1.0)
    return counts


def as_fixation_map(fixations, shape: tuple[int, int]) -> np.ndarray:
    """A fixation map of ``shape``: given as one already, or built from (N, 2) points.

    An array of exactly ``shape`` is taken as a map; an (N, 2) array as x, y points.
    """
    arr = np.asarray(fixations, dtype=np.float64)
    if arr.shape == tuple(shape):
        if not arr.any():
            raise FacepsychError("no fixations: the fixation map is all zero")
        if (arr < 0).any():
            raise FacepsychError("a fixation map cannot have negative values")
        return arr
    if arr.ndim == 2 and arr.shape[1] == 2 or arr.size == 0:
        return fixation_map(arr, shape)
    raise FacepsychError(
        f"fixations must be an (N, 2) array of x, y points or a {shape[0]}x{shape[1]} map, "
        f"got shape {arr.shape}"
    )


def sigma_pixels(
    sigma: float | None = None, *, sigma_deg: float | None = None, ppd: float | None = None
) -> float:
    """σ in pixels: ``sigma`` as given, or ``sigma_deg`` × ``ppd`` (pixels per degree)."""
    if sigma is not None and sigma_deg is not None:
        raise FacepsychError("give sigma in pixels or in degrees, not both")
    if sigma_deg is not None:
        if ppd is None or ppd <= 0:
            raise FacepsychError("sigma in degrees needs a positive pixels-per-degree (ppd)")
        sigma = sigma_deg * ppd
    if sigma is None or not np.isfinite(sigma) or sigma < 0:
        raise FacepsychError(f"sigma must be a non-negative number of pixels, got {sigma!r}")
    return float(sigma)


def fixation_density(
    fixations,
    shape: tuple[int, int],
    *,
    sigma: float | None = None,
    sigma_deg: float | None = None,
    ppd: float | None = None,
) -> np.ndarray:
    """Fixation density map (H, W) summing to 1: normalised Gaussian blur of the count map.

    ``fixations``: (N, 2) x, y points or a count map of ``shape``. σ in pixels (``sigma``), or in
    degrees (``sigma_deg``) with ``ppd`` pixels per degree. σ = 0 gives the normalised counts.
    """
    s = sigma_pixels(sigma, sigma_deg=sigma_deg, ppd=ppd)
    counts = as_fixation_map(fixations, shape)
    dens = gaussian_filter(counts, s, mode="constant", truncate=4.0) if s > 0 else counts.copy()
    return dens / dens.sum()


def load_fixations(path: str | Path) -> pd.DataFrame:
    """Read a fixation CSV (``image, x, y[, subject, duration]``); checks columns and values."""
    path = Path(path)
    if not path.is_file():
        raise FacepsychError(f"fixation file not found: {path}")
    df = read_csv(path)
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in FIXATION_COLUMNS if c not in df.columns]
    if missing:
        raise FacepsychError(
            f"{path.name} lacks column(s) {', '.join(missing)}; "
            "expected image, x, y[, subject, duration]"
        )
    if df.empty:
        raise FacepsychError(f"no fixations in {path}")
    for col in ("x", "y", *(c for c in OPTIONAL_COLUMNS if c == "duration" and c in df)):
        values = pd.to_numeric(df[col], errors="coerce")
        if values.isna().any():
            row = int(values.isna().to_numpy().argmax()) + 2
            raise FacepsychError(f"{path.name} line {row}: column {col!r} is not a number")
        df[col] = values.astype(float)
    df["image"] = df["image"].astype(str)
    keep = [*FIXATION_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in df.columns)]
    return df[keep].reset_index(drop=True)


def fixation_points(df: pd.DataFrame, image: str) -> np.ndarray:
    """(N, 2) x, y points of one image of a fixation table."""
    sel = df[df["image"] == image]
    return sel[["x", "y"]].to_numpy(dtype=np.float64)
