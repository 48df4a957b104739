"""Procedural background textures and image-level lighting/noise (pure numpy, float RGB 0–1)."""

from __future__ import annotations

import numpy as np

from facepsych.errors import FacepsychError


def smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """(size, size) smooth random field in [0, 1]: a ``cells × cells`` grid of uniform values,
    bilinearly interpolated."""
    g = rng.uniform(0, 1, (cells + 1, cells + 1))
    t = np.linspace(0, cells, size)
    i = np.minimum(t.astype(int), cells - 1)
    f = t - i
    f = f * f * (3 - 2 * f)  # smoothstep
    rows = g[i] * (1 - f)[:, None] + g[i + 1] * f[:, None]
    return rows[:, i] * (1 - f)[None, :] + rows[:, i + 1] * f[None, :]


def background(
    kind: str, size: int, c1, c2, seed: int, *, angle: float | None = None
) -> np.ndarray:
    """(size, size, 3) float background: ``plain`` (c1), ``gradient`` (c1 → c2 along a random
    direction), ``blobs`` (smooth noise mixing c1/c2), ``stripes`` (soft sinusoidal stripes),
    ``checker`` (soft checkerboard)."""
    rng = np.random.default_rng(seed)
    c1 = np.asarray(c1, float)
    c2 = np.asarray(c2, float)
    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    a = rng.uniform(0, 2 * np.pi) if angle is None else angle
    if kind == "plain":
        m = np.zeros((size, size))
    elif kind == "gradient":
        m = np.clip(0.5 + (xx - 0.5) * np.cos(a) + (yy - 0.5) * np.sin(a), 0, 1)
    elif kind == "blobs":
        m = smooth_noise(rng, size, int(rng.integers(3, 7)))
    elif kind == "stripes":
        freq = rng.uniform(3, 9)
        m = 0.5 + 0.5 * np.sin(2 * np.pi * freq * (xx * np.cos(a) + yy * np.sin(a)))
    elif kind == "checker":
        freq = rng.uniform(3, 7)
        u = xx * np.cos(a) + yy * np.sin(a)
        v = -xx * np.sin(a) + yy * np.cos(a)
        m = 0.5 + 0.5 * np.tanh(3 * np.sin(2 * np.pi * freq * u) * np.sin(2 * np.pi * freq * v))
    else:
        raise FacepsychError(
            f"unknown background {kind!r} (use plain, gradient, blobs, stripes, checker)"
        )
    return c1[None, None] * (1 - m[..., None]) + c2[None, None] * m[..., None]


def light_and_noise(
    img: np.ndarray, *, angle: float, light: float, ambient: float, noise: float, seed: int
) -> np.ndarray:
    """Apply ``ambient·(1 + 2·light·((x−½)cos θ + (y−½)sin θ))`` and N(0, noise/255) pixel noise;
    returns uint8."""
    h, w = img.shape[:2]
    out = img
    if light or ambient != 1.0:
        yy, xx = np.mgrid[0:h, 0:w]
        field = 1 + 2 * light * (
            (xx / max(w - 1, 1) - 0.5) * np.cos(angle) + (yy / max(h - 1, 1) - 0.5) * np.sin(angle)
        )
        out = out * (ambient * field)[..., None]
    if noise > 0:
        out = out + np.random.default_rng(seed).normal(0, noise / 255.0, out.shape)
    return (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)
