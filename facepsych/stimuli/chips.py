"""Aligned face chips: a similarity transform from the two eye centres, then a square cut.

Every network of a comparison sees the same chip, so the chip is defined once, here, at one
canonical size; each network's preprocessing then resizes it to its own input.

Geometry. Let ``e_L``, ``e_R`` be the eye centres in the image (``L`` = the eye on the image's
left) and ``t_L``, ``t_R`` their targets in the chip. The chip map is the similarity

    c(x) = z · (x − e_L) + t_L,   z = (t_R − t_L) / (e_R − e_L)

with points read as complex numbers ``x + iy``: it rotates the eyes level, scales the
inter-ocular distance to ``|t_R − t_L|`` and puts both eyes exactly on their targets.

Targets follow dlib's ``get_face_chip(img, shape5, size, padding)``: dlib's 5-point mean face
``T`` (unit square; points 0/1 the corners of the image-right eye, 2/3 those of the image-left
eye, 4 the base of the nose) is padded as ``u = (padding + T) / (1 + 2 · padding)`` and
``u ∈ [0, 1]`` lands on the pixel index ``u · (size − 1)`` (pixel ``i`` is centred on ``i``,
as in dlib, OpenCV and :mod:`facepsych.stimuli.landmarks`). The targets are the means of each
eye's two corners: ``t_L = u((T₂ + T₃)/2)``, ``t_R = u((T₀ + T₁)/2)``. With ``padding = 0.25``
the eyes sit at x ≈ 0.318 · (size − 1) and 0.668 · (size − 1), y ≈ 0.314 · (size − 1).

Eye centres are the means of the two eye corners in every scheme, so a face aligned from a
webmorph template and the same face aligned from a dlib detection give nearly the same chip:

- ``ibug68``: corners 36, 39 (image-left eye) and 42, 45 (image-right eye);
- ``webmorph189``: corners 18, 22 and 23, 27 (the ends of the upper lids);
- ``dlib5``: points 2, 3 and 0, 1 (dlib's 5-point predictor).

Pixels: bilinear sampling of the image at ``c⁻¹(chip pixel)``; outside the image is black (as
dlib). When the chip shrinks the face by ``s ≥ 2`` image pixels per chip pixel, the image is
first box-averaged by ``k = ⌊s⌋`` (pixel ``j`` of the reduced image is centred on image index
``k·j + (k − 1)/2``) so the chip is not aliased.

Example::

    >>> from facepsych.synthetic import render_face
    >>> img, pts = render_face(3, 0.5, size=96)
    >>> chip = face_chip(img, pts, "ibug68", 64)
    >>> chip.size
    (64, 64)
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from facepsych.errors import FacepsychError

CHIP_SCHEMES: tuple[str, ...] = ("ibug68", "webmorph189", "dlib5")
SCHEME_POINTS = {"ibug68": 68, "webmorph189": 189, "dlib5": 5}
DEFAULT_CHIP_SIZE = 224
DEFAULT_PADDING = 0.25

#: (image-left eye corners, image-right eye corners) per scheme
EYE_CORNERS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "ibug68": ((36, 39), (42, 45)),
    "webmorph189": ((18, 22), (23, 27)),
    "dlib5": ((2, 3), (0, 1)),
}

#: dlib's 5-point mean face in the unit square (``dlib::get_face_chip_details``)
DLIB5_MEAN_FACE = np.array(
    [
        [0.8595674595992, 0.2134981538014],
        [0.6460604764104, 0.2289674387677],
        [0.1205750620789, 0.2137274526848],
        [0.3340850613712, 0.2290642403242],
        [0.4901123135679, 0.6277975316475],
    ]
)


def chip_scheme(landmarks, scheme: str | None = None) -> str:
    """The chip scheme of a landmark set: ``scheme`` checked against the point count, or inferred
    from it (5 → ``dlib5``, 68 → ``ibug68``, 189 → ``webmorph189``)."""
    n = len(np.asarray(landmarks))
    if scheme is None:
        for name, size in SCHEME_POINTS.items():
            if size == n:
                return name
        raise FacepsychError(
            f"cannot align a face on {n} landmarks; face chips need 5 (dlib), 68 (iBUG) or "
            "189 (webmorph) points"
        )
    if scheme not in SCHEME_POINTS:
        raise FacepsychError(
            f"face chips need the ibug68, webmorph189 or dlib5 scheme, not {scheme!r}"
        )
    if n != SCHEME_POINTS[scheme]:
        raise FacepsychError(f"scheme {scheme} needs {SCHEME_POINTS[scheme]} points, got {n}")
    return scheme


def eye_centres(landmarks, scheme: str | None = None) -> np.ndarray:
    """``[[x, y] of the image-left eye, [x, y] of the image-right eye]``: means of each eye's two
    corners (see the module docstring for the indices)."""
    pts = np.asarray(landmarks, dtype=float)
    if pts.ndim != 2 or pts.shape[1:] != (2,) or not np.all(np.isfinite(pts)):
        raise FacepsychError(f"landmarks must be a finite (N, 2) array of x, y; got {pts.shape}")
    left, right = EYE_CORNERS[chip_scheme(pts, scheme)]
    return np.array([pts[list(left)].mean(axis=0), pts[list(right)].mean(axis=0)])


def chip_eye_targets(size: int, padding: float = DEFAULT_PADDING) -> np.ndarray:
    """Where the eye centres land in a ``size`` chip: ``[[x_L, y_L], [x_R, y_R]]`` in pixel
    indices, ``u · (size − 1)`` with ``u = (padding + T) / (1 + 2 · padding)``."""
    size, padding = _check_size(size, padding)
    t = DLIB5_MEAN_FACE
    unit = np.array([t[[2, 3]].mean(axis=0), t[[0, 1]].mean(axis=0)])
    return (padding + unit) / (1.0 + 2.0 * padding) * (size - 1)


def _check_size(size, padding) -> tuple[int, float]:
    if int(size) != size or int(size) < 8:
        raise FacepsychError(f"chip size must be an integer of at least 8 pixels, got {size}")
    if not np.isfinite(float(padding)) or float(padding) < 0:
        raise FacepsychError(f"chip padding must be a number >= 0, got {padding}")
    return int(size), float(padding)


@dataclass(frozen=True)
class ChipTransform:
    """The similarity ``c(x) = A x + b`` from image pixels to chip pixels, as a 2 × 3 matrix
    ``[A | b]``, and the chip's size."""

    matrix: np.ndarray
    size: int

    @property
    def scale(self) -> float:
        """Chip pixels per image pixel, ``|z|``."""
        return float(np.hypot(self.matrix[0, 0], self.matrix[1, 0]))

    @property
    def angle(self) -> float:
        """Rotation applied to the image, in degrees (counter-clockwise in x-right, y-down)."""
        return float(np.degrees(np.arctan2(self.matrix[1, 0], self.matrix[0, 0])))

    def apply(self, points) -> np.ndarray:
        """Image points ``(N, 2)`` → chip points ``(N, 2)``."""
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        return pts @ self.matrix[:, :2].T + self.matrix[:, 2]

    def inverse(self) -> np.ndarray:
        """The 2 × 3 matrix of ``c⁻¹``: chip pixels → image pixels."""
        a = self.matrix[:, :2]
        inv = np.linalg.inv(a)
        return np.hstack([inv, -(inv @ self.matrix[:, 2])[:, None]])

    def as_dict(self) -> dict:
        return {"matrix": self.matrix.tolist(), "size": self.size}


def chip_transform(
    landmarks, scheme: str | None, size: int = DEFAULT_CHIP_SIZE, *, padding=DEFAULT_PADDING
) -> ChipTransform:
    """The similarity that puts the eye centres of ``landmarks`` on :func:`chip_eye_targets`."""
    size, padding = _check_size(size, padding)
    src = eye_centres(landmarks, scheme)
    dst = chip_eye_targets(size, padding)
    a_l, a_r = complex(*src[0]), complex(*src[1])
    b_l, b_r = complex(*dst[0]), complex(*dst[1])
    if abs(a_r - a_l) < 1e-6:
        raise FacepsychError(
            f"the two eye centres coincide at ({src[0][0]:g}, {src[0][1]:g}); cannot align"
        )
    z = (b_r - b_l) / (a_r - a_l)
    t = b_l - z * a_l
    matrix = np.array([[z.real, -z.imag, t.real], [z.imag, z.real, t.imag]])
    return ChipTransform(matrix, size)


def warp_chip(image, transform: ChipTransform) -> Image.Image:
    """Cut the chip of ``transform`` out of ``image`` (PIL image or uint8 array): bilinear,
    black outside the image, box-averaged first when the chip shrinks the face by 2 or more."""
    rgb = image.convert("RGB") if isinstance(image, Image.Image) else _as_rgb(image)
    inverse = transform.inverse()
    k = int(np.floor(1.0 / transform.scale)) if transform.scale > 0 else 1
    if k >= 2:
        rgb = rgb.reduce(k)
        # reduced index j is centred on image index k·j + (k − 1)/2
        inverse = np.vstack([inverse, [0.0, 0.0, 1.0]])
        inverse = (
            np.array([[1 / k, 0, -(k - 1) / (2 * k)], [0, 1 / k, -(k - 1) / (2 * k)]]) @ inverse
        )
    arr = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    size = transform.size
    out = cv2.warpAffine(
        arr,
        inverse.astype(np.float64),
        (size, size),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0),
    )
    return Image.fromarray(out, "RGB")


def _as_rgb(array) -> Image.Image:
    arr = np.asarray(array)
    if arr.dtype != np.uint8 or arr.ndim not in (2, 3):
        raise FacepsychError(f"a face image must be a uint8 (H, W[, C]) array, got {arr.dtype}")
    return Image.fromarray(arr).convert("RGB")


def face_chip(
    image,
    landmarks,
    scheme: str | None,
    size: int = DEFAULT_CHIP_SIZE,
    *,
    padding: float = DEFAULT_PADDING,
) -> Image.Image:
    """The aligned square chip (RGB, ``size`` × ``size``) of the face whose ``landmarks``
    (``(N, 2)`` pixels, scheme ``ibug68`` / ``webmorph189`` / ``dlib5``, or None to infer it
    from the point count) are given: eyes level, on :func:`chip_eye_targets`."""
    return warp_chip(image, chip_transform(landmarks, scheme, size, padding=padding))
