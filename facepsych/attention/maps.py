"""The one coercion of a CAM or saliency map to a 2-D float array."""

from __future__ import annotations

import numpy as np

from facepsych.errors import FacepsychError


def as_map(values, *, what: str = "a CAM", finite: bool = False) -> np.ndarray:
    """``values`` (a torch tensor or array-like) as a float64 (H, W) array; ``finite`` also
    refuses NaN and infinite values. ``what`` names the map in the error message."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2:
        raise FacepsychError(f"{what} must be a 2-D (H, W) map, got shape {arr.shape}")
    if finite and not np.isfinite(arr).all():
        raise FacepsychError(f"{what} has NaN or infinite values")
    return arr
