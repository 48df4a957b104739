"""Reading face images as RGB arrays (shared by morphing, occlusion and landmark detection)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from facepsych.errors import FacepsychError


def load_rgb(image) -> np.ndarray:
    """An RGB uint8 ``(H, W, 3)`` array from a path, a PIL image or an array."""
    if isinstance(image, str | Path):
        path = Path(image)
        if not path.is_file():
            raise FacepsychError(f"image not found: {path}")
        try:
            with Image.open(path) as im:
                image = im.convert("RGB")
        except Exception as exc:
            raise FacepsychError(f"{path}: unreadable image ({type(exc).__name__})") from None
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB")).copy()
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise FacepsychError(f"expected an RGB image array (H, W, 3); got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = np.clip(np.round(arr), 0, 255).astype(np.uint8)
    return arr[..., :3].copy()
