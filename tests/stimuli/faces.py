"""Synthetic test faces with known landmarks (no real data needed)."""

from __future__ import annotations

import numpy as np


def ibug_face(size: int = 200, shift=(0.0, 0.0), smile: float = 0.0) -> np.ndarray:
    """A coarse 68-point iBUG layout in a ``size`` square (jaw U, brows, eyes, nose, mouth);
    ``smile`` lifts the mouth corners by ``smile`` · size / 20 px."""
    k = size / 200
    pts = np.zeros((68, 2))
    t = np.linspace(np.pi, 0, 17)
    pts[0:17] = np.c_[100 + 80 * np.cos(t), 90 + 90 * np.sin(t) * 0.95]
    pts[17:22] = np.c_[np.linspace(40, 85, 5), np.full(5, 60)]
    pts[22:27] = np.c_[np.linspace(115, 160, 5), np.full(5, 60)]
    a = np.linspace(0, 2 * np.pi, 7)[:-1]
    for i, cx in ((36, 65), (42, 135)):
        pts[i : i + 6] = np.c_[cx + 15 * np.cos(a), 80 + 6 * np.sin(a)]
    pts[27:31] = np.c_[np.full(4, 100), np.linspace(80, 115, 4)]
    pts[31:36] = np.c_[np.linspace(88, 112, 5), np.full(5, 125)]
    a = np.linspace(0, 2 * np.pi, 13)[:-1]
    pts[48:60] = np.c_[100 + 30 * np.cos(a), 150 + 10 * np.sin(a)]
    b = np.linspace(0, 2 * np.pi, 9)[:-1]
    pts[60:68] = np.c_[100 + 20 * np.cos(b), 150 + 4 * np.sin(b)]
    corners = [48, 54, 60, 64]
    pts[corners, 1] -= smile * 10
    return pts * k + np.asarray(shift)


def textured_image(size: int = 200, seed: int = 0) -> np.ndarray:
    """A smooth random RGB texture (uint8, values well inside 20..235)."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(20, 235, (8, 8, 3)).astype(np.float32)
    import cv2

    return np.clip(cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC), 20, 235).astype(
        np.uint8
    )
