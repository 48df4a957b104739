"""Morph continua between two faces: shape interpolation, piecewise-affine warp, cross-dissolve.

For step ``k`` of ``N`` (default levels ``α_k = k / (N − 1)``):

- shape: ``S_k = (1 − αs_k)·P_A + αs_k·P_B`` (landmarks plus fixed image-border points);
- warp: ``W_A = warp(A, P_A → S_k)``, ``W_B = warp(B, P_B → S_k)`` over one Delaunay
  triangulation of the mean shape ``(P_A + P_B) / 2`` (see :mod:`facepsych.stimuli.warp`);
- texture: ``I_k = (1 − αt_k)·W_A + αt_k·W_B``.

``αs`` (shape) and ``αt`` (texture) default to the levels; either may be fixed (e.g. shape-only
morphs with ``alpha_texture=0``). Optionally B is first aligned onto A by the similarity transform
that best maps B's eye points onto A's, and the face can be cut out with an oval mask over a flat
background.

Example::

    >>> frames = morph_continuum(img_a, img_b, pts_a, pts_b, steps=21)   # doctest: +SKIP
    >>> frames[0][0].size, frames[0][1].shape                            # doctest: +SKIP
    ((512, 512), (68, 2))
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from facepsych.errors import FacepsychError
from facepsych.stimuli.images import load_rgb
from facepsych.stimuli.landmarks import as_points, infer_scheme
from facepsych.stimuli.regions import EYE_POINTS, oval_mask
from facepsych.stimuli.warp import (
    apply_affine,
    border_points,
    inverse_maps_many,
    remap,
    similarity_transform,
    triangulate,
)

EDGE_TOLERANCE = 1.0  # landmarks this far outside the frame are clipped onto it, not rejected


def check_inside(points: np.ndarray, shape: tuple[int, int], name: str) -> np.ndarray:
    """Raise when landmarks lie outside the image (beyond :data:`EDGE_TOLERANCE` px); clip the
    rest onto ``[0, W − 1] × [0, H − 1]``."""
    h, w = shape
    lo = points.min(0)
    hi = points.max(0)
    if (
        lo[0] < -EDGE_TOLERANCE
        or lo[1] < -EDGE_TOLERANCE
        or hi[0] > w - 1 + EDGE_TOLERANCE
        or (hi[1] > h - 1 + EDGE_TOLERANCE)
    ):
        bad = int(np.sum((points[:, 0] < -EDGE_TOLERANCE) | (points[:, 1] < -EDGE_TOLERANCE)
                         | (points[:, 0] > w - 1 + EDGE_TOLERANCE)
                         | (points[:, 1] > h - 1 + EDGE_TOLERANCE)))  # fmt: skip
        raise FacepsychError(f"{bad} landmark(s) of {name} lie outside the {w}x{h} image")
    return np.clip(points, 0, [w - 1, h - 1])


def fit_square(image: np.ndarray, points: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pad ``image`` to a square (edge pixels replicated, centred) and resize to ``size``² ;
    landmarks follow."""
    h, w = image.shape[:2]
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    if side != h or side != w:
        image = cv2.copyMakeBorder(
            image, top, side - h - top, left, side - w - left, cv2.BORDER_REPLICATE
        )
        points = points + [left, top]
    return resize_with_points(image, points, (size, size))


def resize_with_points(image: np.ndarray, points: np.ndarray, shape: tuple[int, int]):
    """Resize to ``shape`` (H, W) and scale pixel-centre coordinates to match."""
    h, w = image.shape[:2]
    nh, nw = shape
    if (h, w) == (nh, nw):
        return image, points
    interp = cv2.INTER_AREA if nh < h else cv2.INTER_CUBIC
    out = cv2.resize(image, (nw, nh), interpolation=interp)
    scale = np.array([nw / w, nh / h])
    return out, (points + 0.5) * scale - 0.5


def align_points(pts_b: np.ndarray, pts_a: np.ndarray, scheme: str) -> np.ndarray:
    """2 × 3 similarity matrix mapping B's eye points onto A's (all points for ``generic``)."""
    idx = EYE_POINTS.get(scheme)
    if idx is None:
        idx = np.arange(len(pts_a))
    return similarity_transform(pts_b[idx], pts_a[idx])


def _alphas(name: str, value, levels: np.ndarray) -> np.ndarray:
    if value is None:
        return levels.copy()
    arr = np.asarray(value, float)
    if arr.ndim == 0:
        arr = np.full(len(levels), float(arr))
    if arr.shape != levels.shape:
        raise FacepsychError(f"{name} needs one value per step ({len(levels)}), got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise FacepsychError(f"{name} must be finite")
    return arr


def parse_colour(value) -> tuple[int, int, int]:
    """``"grey"`` → (128, 128, 128); ``"#rrggbb"``, ``"r,g,b"`` or a tuple → that colour."""
    if value is None or value in ("grey", "gray"):
        return (128, 128, 128)
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.startswith("#") and len(text) == 7:
                return tuple(int(text[i : i + 2], 16) for i in (1, 3, 5))
            parts = [int(v) for v in text.split(",")]
        except ValueError:
            parts = []
        if len(parts) == 3 and all(0 <= v <= 255 for v in parts):
            return tuple(parts)
        raise FacepsychError(f"bad colour {value!r}; use grey, #rrggbb or r,g,b")
    return tuple(int(v) for v in value)


def morph_frames(
    img_a,
    img_b,
    pts_a,
    pts_b,
    *,
    steps: int = 21,
    alpha_shape: float | Sequence[float] | None = None,
    alpha_texture: float | Sequence[float] | None = None,
    size: int | None = None,
    align: bool = False,
    scheme: str | None = None,
    oval: bool = False,
    background="grey",
    feather: float = 4.0,
    border_per_side: int = 3,
):
    """Build an ``steps``-frame continuum from A (level 0) to B (level 1).

    ``img_*``: paths, PIL images or RGB arrays; ``pts_*``: ``(N, 2)`` landmarks (x, y pixels), same
    N and order on both. ``size``: output side (both images padded to square and resized);
    otherwise B is resized to A's size. ``align``: similarity-align B onto A on the eye points.
    ``oval``: keep only the face oval (fitted to each frame's landmarks) over ``background``.
    Returns an iterator of ``(frame, landmarks (N, 2))``: every input is checked and the
    warp prepared now, each frame is rendered when it is asked for (one frame in memory).
    """
    if int(steps) != steps or steps < 2:
        raise FacepsychError(f"steps must be an integer >= 2, got {steps}")
    steps = int(steps)
    pts_a, pts_b = as_points(pts_a), as_points(pts_b)
    if len(pts_a) != len(pts_b):
        raise FacepsychError(
            f"landmark count mismatch: A has {len(pts_a)} points, B has {len(pts_b)}"
        )
    scheme = scheme or infer_scheme(len(pts_a))
    a, b = load_rgb(img_a), load_rgb(img_b)
    pts_a = check_inside(pts_a, a.shape[:2], "image A")
    pts_b = check_inside(pts_b, b.shape[:2], "image B")
    levels = np.linspace(0.0, 1.0, steps)
    shape_alpha = _alphas("alpha_shape", alpha_shape, levels)
    texture_alpha = _alphas("alpha_texture", alpha_texture, levels)
    bg = np.array(parse_colour(background), np.float32)

    if size is not None:
        if int(size) != size or size < 8:
            raise FacepsychError(f"size must be an integer >= 8, got {size}")
        a, pts_a = fit_square(a, pts_a, int(size))
        b, pts_b = fit_square(b, pts_b, int(size))
    else:
        b, pts_b = resize_with_points(b, pts_b, a.shape[:2])
    h, w = a.shape[:2]
    if align:
        matrix = align_points(pts_b, pts_a, scheme)
        b = cv2.warpAffine(b, matrix, (w, h), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
        pts_b = apply_affine(matrix, pts_b)
    pts_a = np.clip(pts_a, 0, [w - 1, h - 1])
    pts_b = np.clip(pts_b, 0, [w - 1, h - 1])

    frame_pts = border_points(w, h, border_per_side)
    full_a = np.vstack([pts_a, frame_pts])
    full_b = np.vstack([pts_b, frame_pts])
    tris = triangulate((full_a + full_b) / 2)
    af, bf = a.astype(np.float32), b.astype(np.float32)
    n = len(pts_a)

    def frames():
        for k in range(steps):
            s = (1 - shape_alpha[k]) * full_a + shape_alpha[k] * full_b
            ta = texture_alpha[k]
            used = [
                (img, pts, wt) for img, pts, wt in ((af, full_a, 1 - ta), (bf, full_b, ta)) if wt
            ]
            maps = inverse_maps_many(s, [pts for _, pts, _ in used], tris, (h, w))
            frame = np.zeros((h, w, 3), np.float32)
            for (img, _, wt), (mx, my) in zip(used, maps, strict=True):
                frame += np.float32(wt) * remap(img, mx, my)
            if oval:
                m = oval_mask(s[:n], scheme, (h, w), feather=feather)[..., None]
                frame = m * frame + (1 - m) * bg
            yield Image.fromarray(np.clip(np.round(frame), 0, 255).astype(np.uint8)), s[:n].copy()

    return frames()


def morph_continuum(img_a, img_b, pts_a, pts_b, **options) -> list[tuple[Image.Image, np.ndarray]]:
    """All frames of :func:`morph_frames` as a list ``[(frame, landmarks (N, 2)), …]``."""
    return list(morph_frames(img_a, img_b, pts_a, pts_b, **options))


# ------------------------------------------------------------------------------------ files


def landmarks_for(
    image, landmarks=None, *, detector: str | None = None, largest: bool = False, predictor=None
) -> tuple[np.ndarray, str]:
    """Landmarks of an image file: from ``landmarks`` (a file), else from ``detector``, else from
    a sibling file with the image's stem (``face.tem``/``.pts``/``.csv``/``.json``)."""
    from facepsych.stimuli.landmarks import LANDMARK_SUFFIXES, read_landmarks

    if landmarks is not None:
        lm = read_landmarks(landmarks)
        return lm.points, lm.scheme
    if detector is not None:
        from facepsych.stimuli.detect import detect_landmarks

        pts = detect_landmarks(image, detector=detector, largest=largest, model_path=predictor)
        return pts, "ibug68"
    path = Path(image)
    for suffix in LANDMARK_SUFFIXES:
        sibling = path.with_suffix(suffix)
        if sibling.is_file():
            lm = read_landmarks(sibling)
            return lm.points, lm.scheme
    raise FacepsychError(f"no landmarks for {path}: give a landmark file or --detector dlib")


def morph_files(
    image_a,
    image_b,
    out_dir,
    *,
    landmarks_a=None,
    landmarks_b=None,
    detector: str | None = None,
    largest: bool = False,
    predictor=None,
    steps: int = 21,
    **options,
) -> Path:
    """Morph two image files into a continuum folder (see :mod:`facepsych.stimuli.continuum`);
    ``options`` go to :func:`morph_frames`. Every input is checked before anything is written;
    frames are rendered and written one at a time into a staged folder that replaces
    ``out_dir`` when complete (see :func:`facepsych.stimuli.continuum.write_continuum`).
    Returns the manifest path."""
    from facepsych.stimuli.continuum import write_continuum_frames

    for img in (image_a, image_b):
        load_rgb(img)  # unreadable images fail before any detection work
    found = dict(detector=detector, largest=largest, predictor=predictor)
    pts_a, scheme_a = landmarks_for(image_a, landmarks_a, **found)
    pts_b, scheme_b = landmarks_for(image_b, landmarks_b, **found)
    if len(pts_a) != len(pts_b):
        raise FacepsychError(
            f"landmark count mismatch: A has {len(pts_a)} points, B has {len(pts_b)}"
        )
    scheme = scheme_a if scheme_a == scheme_b else "generic"
    frames = morph_frames(image_a, image_b, pts_a, pts_b, steps=steps, scheme=scheme, **options)
    levels = np.linspace(0, 1, int(steps))
    return write_continuum_frames(
        out_dir,
        frames,
        levels,
        landmarks=True,
        scheme=scheme,
        source_a=str(image_a),
        source_b=str(image_b),
        alpha_shape=_alphas("alpha_shape", options.get("alpha_shape"), levels),
        alpha_texture=_alphas("alpha_texture", options.get("alpha_texture"), levels),
        inputs=[image_a, image_b, landmarks_a, landmarks_b],
    )
