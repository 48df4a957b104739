"""Reading face images as RGB arrays (shared by morphing, occlusion and landmark detection).

Files and PIL images are decoded by :mod:`facepsych.data.images` (16-bit images scaled, not
clipped; the pixel cap checked from the header before decoding).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from facepsych.errors import FacepsychError


def load_rgb(image) -> np.ndarray:
    """An RGB uint8 ``(H, W, 3)`` array from a path, a PIL image or an array."""
    from facepsych.data.images import read_rgb, to_rgb

    if isinstance(image, str | Path):
        image = read_rgb(image)
    if isinstance(image, Image.Image):
        return np.asarray(to_rgb(image)).copy()
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise FacepsychError(f"expected an RGB image array (H, W, 3); got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = np.clip(np.round(arr), 0, 255).astype(np.uint8)
    return arr[..., :3].copy()
