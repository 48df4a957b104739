"""Named face regions (eyes, nose, mouth, face) from landmarks, and the companion's fixed boxes.

Index layouts:

- ``ibug68`` (iBUG 300-W / dlib): jaw 0–16, brows 17–21 and 22–26, nose bridge 27–30, lower
  nose 31–35, eyes 36–41 and 42–47, outer lips 48–59, inner lips 60–67.
- ``webmorph189`` (Face Research Lab London template; indices read off a labelled plot of
  ``london_faces/neutral/001.tem`` on its photo): pupils 0 and 1, irises 2–9 and 10–17, upper
  lids 18–22 / 23–27, lower lids 28–30 / 31–33, lid creases 34–38 / 39–43, under-eye 44–46 /
  47–49, nose sides 50–55 / 56–60 (55 = subnasale), nostril wings 61–65, 179, 180 and 66–70,
  182, 181, brows 71–76 + 83, 84 and 77–82 + 85, 86, lips 87–108 (corners 87 and 93), face
  sides 109, 185, 110, 186, 111 and 112, 187, 113, 188, 114, jaw 125–133, hairline 134–144.
  "left"/"right" are as seen in the image.

:func:`region_outlines` gives each part's ordered outline; :func:`region_polygons` gives one
convex polygon per region (``eyes`` = hull of both eyes, so it spans the bridge between them,
like the companion's eye box). :func:`region_masks` rasterises them (a pixel ``(x, y)`` is in
the mask when its centre lies inside the polygon).
"""

from __future__ import annotations

import cv2
import numpy as np

from facepsych.errors import FacepsychError
from facepsych.stimuli.landmarks import Landmarks, as_points

REGIONS = ("eyes", "nose", "mouth")

# ordered outlines (closed polygons) of the parts of each scheme
_OUTLINES: dict[str, dict[str, list[int]]] = {
    "ibug68": {
        "left_eye": list(range(36, 42)),
        "right_eye": list(range(42, 48)),
        "left_brow": list(range(17, 22)),
        "right_brow": list(range(22, 27)),
        "nose": [27, 31, 32, 33, 34, 35],
        "mouth": list(range(48, 60)),
        "face": list(range(0, 17)) + list(range(26, 16, -1)),
    },
    "webmorph189": {
        "left_eye": [18, 19, 20, 21, 22, 30, 29, 28],
        "right_eye": [23, 24, 25, 26, 27, 33, 32, 31],
        "left_brow": [71, 72, 73, 74, 75, 76, 84, 83],
        "right_brow": [77, 78, 79, 80, 81, 82, 86, 85],
        "nose": [50, 51, 52, 53, 54, 61, 62, 63, 64, 180, 55, 181, 69, 68, 67, 66, 60, 59, 58, 57,
                 56],
        "mouth": [87, 88, 89, 90, 91, 92, 93, 108, 107, 106, 105, 104],
        "face": [109, 185, 110, 186, 111, 125, 126, 127, 128, 129, 130, 131, 132, 133, 114, 188,
                 113, 187, 112, *range(144, 133, -1)],
    },
}  # fmt: skip

# the points whose hull makes each region (eyes include the lids; brows only when asked)
_REGION_PARTS = {
    "eyes": ("left_eye", "right_eye"),
    "brows": ("left_brow", "right_brow"),
    "nose": ("nose",),
    "mouth": ("mouth",),
    "face": ("face",),
}

# points used to align two faces (eye corners / lids; pupils where the scheme has them)
EYE_POINTS = {
    "ibug68": list(range(36, 48)),
    "webmorph189": [0, 1, *range(18, 34)],
}

COMPANION_BOXES: dict[str, tuple[int, int, int, int]] = {
    "eyes": (52, 70, 171, 99),
    "nose": (52, 120, 171, 149),
    "mouth": (52, 169, 171, 199),
}
"""The companion code's fixed regions: ``(x0, y0, x1, y1)`` in 224 × 224 pixels, inclusive."""
COMPANION_SIZE = 224


def _scheme_of(points, scheme: str | None) -> tuple[np.ndarray, str]:
    if isinstance(points, Landmarks):
        return points.points, scheme or points.scheme
    pts = as_points(points)
    if scheme is None:
        from facepsych.stimuli.landmarks import infer_scheme

        scheme = infer_scheme(len(pts))
    return pts, scheme


def _check_scheme(pts: np.ndarray, scheme: str) -> None:
    if scheme not in _OUTLINES:
        raise FacepsychError(
            f"named regions need the ibug68 or webmorph189 scheme, not {scheme!r} "
            "(use fixed boxes instead, e.g. --boxes companion)"
        )
    expected = 68 if scheme == "ibug68" else 189
    if len(pts) != expected:
        raise FacepsychError(f"scheme {scheme} needs {expected} points, got {len(pts)}")


def region_outlines(points, scheme: str | None = None) -> dict[str, np.ndarray]:
    """Ordered outline ``(K, 2)`` of each part: left_eye, right_eye, left_brow, right_brow, nose,
    mouth, face."""
    pts, scheme = _scheme_of(points, scheme)
    _check_scheme(pts, scheme)
    return {name: pts[idx].copy() for name, idx in _OUTLINES[scheme].items()}


def region_point_indices(scheme: str, region: str, *, brows: bool = False) -> list[int]:
    """Indices of the landmarks that make ``region`` (``eyes``, ``nose``, ``mouth``, ``face``)."""
    if scheme not in _OUTLINES:
        raise FacepsychError(f"named regions need the ibug68 or webmorph189 scheme, not {scheme!r}")
    if region not in _REGION_PARTS or region == "brows":
        raise FacepsychError(f"unknown region {region!r}; use eyes, nose, mouth or face")
    parts = list(_REGION_PARTS[region])
    if region == "eyes" and brows:
        parts += _REGION_PARTS["brows"]
    return [i for part in parts for i in _OUTLINES[scheme][part]]


def convex_hull(points: np.ndarray) -> np.ndarray:
    """Convex hull of ``points`` as an ordered ``(K, 2)`` polygon (OpenCV's hull)."""
    hull = cv2.convexHull(np.asarray(points, dtype=np.float32))
    return hull.reshape(-1, 2).astype(float)


def pad_polygon(polygon: np.ndarray, pad: float) -> np.ndarray:
    """Push each vertex ``pad`` pixels away from the polygon's centroid (a simple dilation)."""
    polygon = np.asarray(polygon, dtype=float)
    if pad == 0:
        return polygon.copy()
    centre = polygon.mean(axis=0)
    d = polygon - centre
    norm = np.linalg.norm(d, axis=1, keepdims=True)
    return centre + d * (1 + pad / np.maximum(norm, 1e-9))


def interocular_distance(points, scheme: str | None = None) -> float:
    """Distance between the two eye centres (means of each eye outline), in pixels."""
    outlines = region_outlines(points, scheme)
    return float(np.linalg.norm(outlines["left_eye"].mean(0) - outlines["right_eye"].mean(0)))


def region_polygons(
    points, scheme: str | None = None, *, brows: bool = False, pad: float = 0.0
) -> dict[str, np.ndarray]:
    """One convex polygon per region: ``eyes`` (both eyes; with the brows when ``brows``),
    ``nose``, ``mouth``, ``face``. ``pad`` enlarges each hull by ``pad`` × interocular distance
    (pixels = pad · IOD, vertex-wise away from the centroid)."""
    pts, scheme = _scheme_of(points, scheme)
    _check_scheme(pts, scheme)
    pad_px = pad * interocular_distance(pts, scheme) if pad else 0.0
    out = {}
    for region in (*REGIONS, "face"):
        hull = convex_hull(pts[region_point_indices(scheme, region, brows=brows)])
        out[region] = pad_polygon(hull, pad_px) if region != "face" else hull
    return out


def polygon_mask(polygon: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Boolean ``(H, W)`` mask of pixels whose centre is inside ``polygon`` (x, y vertices)."""
    h, w = int(shape[0]), int(shape[1])
    mask = np.zeros((h, w), np.uint8)
    shift = 8  # sub-pixel vertex precision
    poly = np.round(np.asarray(polygon, dtype=float) * (1 << shift)).astype(np.int32)
    cv2.fillPoly(mask, [poly.reshape(-1, 1, 2)], 1, lineType=cv2.LINE_8, shift=shift)
    return mask.astype(bool)


def region_masks(
    points, scheme: str | None, shape: tuple[int, int], *, brows: bool = False, pad: float = 0.0
) -> dict[str, np.ndarray]:
    """Boolean ``(H, W)`` masks of :func:`region_polygons` (keys eyes, nose, mouth, face)."""
    return {
        name: polygon_mask(poly, shape)
        for name, poly in region_polygons(points, scheme, brows=brows, pad=pad).items()
    }


def bounding_box_mask(polygon: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Mask of the axis-aligned bounding box of ``polygon`` (pixels whose centre lies inside)."""
    h, w = int(shape[0]), int(shape[1])
    poly = np.asarray(polygon, dtype=float)
    x0, y0 = np.ceil(poly.min(0)).astype(int)
    x1, y1 = np.floor(poly.max(0)).astype(int)
    mask = np.zeros((h, w), bool)
    mask[max(y0, 0) : max(min(y1 + 1, h), 0), max(x0, 0) : max(min(x1 + 1, w), 0)] = True
    return mask


def scale_box(
    box: tuple[int, int, int, int], shape: tuple[int, int], base: int = COMPANION_SIZE
) -> tuple[int, int, int, int]:
    """Scale an inclusive pixel box from a ``base`` × ``base`` image to ``shape`` (H, W):
    x0' = floor(x0·W/base), x1' = ceil((x1+1)·W/base) − 1 (same for y), so pixel coverage is
    preserved and the box is unchanged at ``base`` size."""
    h, w = int(shape[0]), int(shape[1])
    x0, y0, x1, y1 = box
    sx, sy = w / base, h / base
    return (
        int(np.floor(x0 * sx)),
        int(np.floor(y0 * sy)),
        int(np.ceil((x1 + 1) * sx)) - 1,
        int(np.ceil((y1 + 1) * sy)) - 1,
    )


def box_masks(
    shape: tuple[int, int],
    boxes: dict[str, tuple[int, int, int, int]] | None = None,
    base: int = COMPANION_SIZE,
) -> dict[str, np.ndarray]:
    """Boolean ``(H, W)`` masks of fixed boxes (default :data:`COMPANION_BOXES`) scaled from a
    ``base`` × ``base`` image to ``shape``."""
    boxes = COMPANION_BOXES if boxes is None else boxes
    h, w = int(shape[0]), int(shape[1])
    out = {}
    for name, box in boxes.items():
        x0, y0, x1, y1 = scale_box(box, (h, w), base)
        mask = np.zeros((h, w), bool)
        mask[max(y0, 0) : min(y1 + 1, h), max(x0, 0) : min(x1 + 1, w)] = True
        out[name] = mask
    return out


def face_oval(
    points, scheme: str | None = None
) -> tuple[tuple[float, float], tuple[float, float], float]:
    """Ellipse ``((cx, cy), (width, height), angle_deg)`` around the face (OpenCV convention):
    fitted to the face outline for named schemes, else the landmarks' bounding box × 1.1.

    ``ibug68`` has no forehead points, so the brows are lifted by 0.8 × the brow-to-nose-base
    distance along the chin → brow axis (forehead ≈ one third of the face height) and the
    ellipse is fitted to the jaw plus these points."""
    pts, scheme = _scheme_of(points, scheme)
    if scheme in _OUTLINES and len(pts) == (68 if scheme == "ibug68" else 189):
        outline = pts[_OUTLINES[scheme]["face"]]
        if scheme == "ibug68":
            brows = pts[17:27]
            up = brows.mean(0) - pts[8]
            up /= max(np.linalg.norm(up), 1e-9)
            lift = 0.8 * np.linalg.norm(brows.mean(0) - pts[33])
            outline = np.vstack([pts[0:17], brows + lift * up])
        outline = outline.astype(np.float32)
        (cx, cy), (ax1, ax2), angle = cv2.fitEllipse(outline)
        return (float(cx), float(cy)), (float(ax1), float(ax2)), float(angle)
    lo, hi = pts.min(0), pts.max(0)
    c = (lo + hi) / 2
    size = (hi - lo) * 1.1
    return (float(c[0]), float(c[1])), (float(size[0]), float(size[1])), 0.0


def oval_mask(
    points, scheme: str | None, shape: tuple[int, int], *, scale: float = 1.0, feather: float = 0.0
) -> np.ndarray:
    """Float ``(H, W)`` mask in [0, 1]: 1 inside the face oval (axes × ``scale``), 0 outside, with
    a Gaussian edge of ``feather`` pixels (sigma) when ``feather`` > 0."""
    (cx, cy), (a1, a2), angle = face_oval(points, scheme)
    h, w = int(shape[0]), int(shape[1])
    mask = np.zeros((h, w), np.float32)
    cv2.ellipse(mask, ((cx, cy), (a1 * scale, a2 * scale), angle), 1.0, -1)
    if feather > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), feather)
    return np.clip(mask, 0.0, 1.0)
