"""Piecewise-affine warping: Delaunay triangles, per-triangle affine maps, one dense remap.

The warp of an image from landmarks ``src`` to landmarks ``dst`` (same triangulation ``tris``) is
computed backwards: every output pixel ``p`` is assigned the triangle ``t`` of ``dst`` that
contains it (a triangle-index raster), and is sampled from ``A_t · [x, y, 1]ᵀ`` in the source,
where ``A_t`` (2 × 3) is the affine map taking the corners of ``dst[t]`` to those of ``src[t]``.
Because neighbouring triangles share edges, the map is continuous. The whole frame is then one
``cv2.remap`` (bilinear), instead of one masked ``warpAffine`` per triangle.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
from scipy.spatial import Delaunay

from facepsych.errors import FacepsychError


def border_points(width: int, height: int, per_side: int = 3) -> np.ndarray:
    """Fixed points on the image frame: the 4 corners and ``per_side`` evenly spaced points on
    each side (pixel-centre coordinates, corners at (0, 0) and (W − 1, H − 1))."""
    w, h = width - 1, height - 1
    ts = np.linspace(0, 1, per_side + 2)
    top = [(t * w, 0.0) for t in ts]
    bottom = [(t * w, float(h)) for t in ts]
    left = [(0.0, t * h) for t in ts[1:-1]]
    right = [(float(w), t * h) for t in ts[1:-1]]
    return np.array(top + bottom + left + right, dtype=float)


def triangulate(points: np.ndarray) -> np.ndarray:
    """Delaunay triangles ``(T, 3)`` (indices into ``points``) of a point set."""
    try:
        return Delaunay(np.asarray(points, float)).simplices.astype(np.int64)
    except Exception as exc:  # qhull errors for degenerate input
        raise FacepsychError(f"cannot triangulate the landmarks ({type(exc).__name__})") from None


def triangle_affines(src_tri: np.ndarray, dst_tri: np.ndarray) -> np.ndarray:
    """Affine maps ``(T, 2, 3)`` taking each triangle of ``dst_tri`` (T, 3, 2) onto ``src_tri``.

    Solves ``[x_i, y_i, 1] · Mᵀ = src_i`` for the three corners; degenerate (zero-area)
    destination triangles get the translation between their centroids (they cover no pixel).
    """
    dst_tri = np.asarray(dst_tri, float)
    src_tri = np.asarray(src_tri, float)
    n = len(dst_tri)
    lhs = np.concatenate([dst_tri, np.ones((n, 3, 1))], axis=2)  # (T, 3, 3)
    det = np.linalg.det(lhs)
    ok = np.abs(det) > 1e-9
    out = np.zeros((n, 2, 3))
    if ok.any():
        sol = np.linalg.solve(lhs[ok], src_tri[ok])  # (T, 3, 2): rows = coefficient of x, y, 1
        out[ok] = np.transpose(sol, (0, 2, 1))
    if (~ok).any():
        out[~ok, 0, 0] = out[~ok, 1, 1] = 1.0
        out[~ok, :, 2] = src_tri[~ok].mean(1) - dst_tri[~ok].mean(1)
    return out


def triangle_raster(points: np.ndarray, tris: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` int32 raster: index of the triangle (of ``points[tris]``) covering each pixel,
    −1 where none does."""
    h, w = shape
    raster = np.full((h, w), -1, np.int32)
    shift = 4
    corners = np.round(np.asarray(points, float)[tris] * (1 << shift)).astype(np.int32)
    for t, poly in enumerate(corners):
        cv2.fillConvexPoly(raster, poly, int(t), lineType=cv2.LINE_8, shift=shift)
    return raster


@lru_cache(maxsize=4)
def _pixel_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    xs, ys = xs.ravel(), ys.ravel()
    xs.flags.writeable = ys.flags.writeable = False
    return xs, ys


def inverse_maps_many(
    dst_points: np.ndarray,
    sources: list[np.ndarray],
    tris: np.ndarray,
    shape: tuple[int, int],
    raster: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`inverse_maps` for several source shapes onto one destination, sharing the raster
    and a single gather of the per-triangle coefficients."""
    h, w = shape
    dst_points = np.asarray(dst_points, float)
    if raster is None:
        raster = triangle_raster(dst_points, tris, shape)
    identity = np.array([[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]])
    blocks = []
    for src in sources:
        affines = triangle_affines(np.asarray(src, float)[tris], dst_points[tris]).reshape(-1, 6)
        blocks.append(np.vstack([affines, identity]))  # raster index -1 -> identity row
    table = np.hstack(blocks).astype(np.float32)
    coef = table[raster.ravel()]  # (H·W, 6·k)
    xs, ys = _pixel_grid(h, w)
    out = []
    for i in range(len(sources)):
        c = coef[:, 6 * i : 6 * i + 6]
        map_x = c[:, 0] * xs + c[:, 1] * ys + c[:, 2]
        map_y = c[:, 3] * xs + c[:, 4] * ys + c[:, 5]
        out.append((map_x.reshape(h, w), map_y.reshape(h, w)))
    return out


def inverse_maps(
    dst_points: np.ndarray,
    src_points: np.ndarray,
    tris: np.ndarray,
    shape: tuple[int, int],
    raster: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Dense ``map_x, map_y`` (float32, ``(H, W)``) sampling the source for every output pixel:
    ``(map_x, map_y)(p) = A_t(p) · [x, y, 1]`` with ``t(p)`` from the triangle raster of
    ``dst_points``. Pixels outside every triangle map to themselves."""
    return inverse_maps_many(dst_points, [src_points], tris, shape, raster)[0]


def remap(image: np.ndarray, map_x: np.ndarray, map_y: np.ndarray) -> np.ndarray:
    """Bilinear ``cv2.remap`` with replicated borders (float32 in, float32 out)."""
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def warp_image(
    image: np.ndarray,
    src_points: np.ndarray,
    dst_points: np.ndarray,
    tris: np.ndarray,
    raster: np.ndarray | None = None,
) -> np.ndarray:
    """Warp ``image`` (H, W[, C]) so that ``src_points`` move to ``dst_points`` (piecewise affine
    over ``tris``); output has the input's size and dtype float32."""
    h, w = image.shape[:2]
    map_x, map_y = inverse_maps(dst_points, src_points, tris, (h, w), raster)
    return cv2.remap(
        image.astype(np.float32), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (scale s, rotation R, translation t; no reflection) with
    ``dst ≈ s·R·src + t`` (Umeyama 1991). Returns the 2 × 3 matrix ``[s·R | t]``."""
    src = np.asarray(src, float)
    dst = np.asarray(dst, float)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    xs, xd = src - mu_s, dst - mu_d
    var_s = (xs**2).sum() / len(src)
    if var_s <= 0:
        raise FacepsychError("cannot align: the alignment points all coincide")
    cov = xd.T @ xs / len(src)
    u, d, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rot = u @ sign @ vt
    scale = np.trace(np.diag(d) @ sign) / var_s
    trans = mu_d - scale * rot @ mu_s
    return np.c_[scale * rot, trans]


def apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a 2 × 3 affine matrix to ``(N, 2)`` points."""
    points = np.asarray(points, float)
    return points @ matrix[:, :2].T + matrix[:, 2]
