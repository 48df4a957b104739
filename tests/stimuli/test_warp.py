"""Piecewise-affine warping against independent references (cv2.warpAffine, known transforms)."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from facepsych.stimuli.warp import (
    apply_affine,
    border_points,
    inverse_maps,
    similarity_transform,
    triangle_affines,
    triangle_raster,
    triangulate,
    warp_image,
)
from tests.stimuli.faces import ibug_face, textured_image


def test_border_points_frame_the_image():
    pts = border_points(50, 40, per_side=3)
    assert len(pts) == 4 + 4 * 3
    assert {(0.0, 0.0), (49.0, 0.0), (0.0, 39.0), (49.0, 39.0)} <= {tuple(p) for p in pts}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_triangle_affines_recover_a_known_affine(seed):
    rng = np.random.default_rng(seed)
    m = np.c_[rng.normal(0, 1, (2, 2)) + np.eye(2) * 2, rng.normal(0, 10, 2)]
    dst = rng.uniform(0, 100, (5, 3, 2))
    src = apply_affine(m, dst.reshape(-1, 2)).reshape(5, 3, 2)
    np.testing.assert_allclose(triangle_affines(src, dst), np.broadcast_to(m, (5, 2, 3)), atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    scale=st.floats(0.3, 3), angle=st.floats(-3, 3), tx=st.floats(-50, 50), ty=st.floats(-50, 50)
)
def test_similarity_transform_recovers_parameters(scale, angle, tx, ty):
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 100, (12, 2))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    m = np.c_[scale * rot, [tx, ty]]
    est = similarity_transform(src, apply_affine(m, src))
    np.testing.assert_allclose(est, m, atol=1e-6)


def test_raster_covers_every_pixel_once_corners_are_included():
    pts = np.vstack([ibug_face(64), border_points(64, 64)])
    raster = triangle_raster(pts, triangulate(pts), (64, 64))
    assert (raster >= 0).all()


def test_identity_warp_returns_the_image_exactly():
    img = textured_image(96)
    pts = np.vstack([ibug_face(96), border_points(96, 96)])
    out = warp_image(img, pts, pts, triangulate(pts))
    np.testing.assert_array_equal(np.round(out).astype(np.uint8), img)


def test_global_affine_matches_cv2_warp_affine():
    """When all points (frame included) move by one affine map, the piecewise warp is that map."""
    size = 96
    img = textured_image(size, seed=3)
    dst = np.vstack([ibug_face(size), border_points(size, size)])
    m = np.array([[1.05, 0.08, -4.0], [-0.06, 0.97, 3.0]])  # output -> source
    src = apply_affine(m, dst)
    out = warp_image(img, src, dst, triangulate(dst))
    ref = cv2.warpAffine(img.astype(np.float32), m, (size, size),
                         flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    inner = np.s_[8:-8, 8:-8]
    assert np.abs(out[inner] - ref[inner]).max() < 1.0


def test_inverse_maps_send_landmarks_to_their_source():
    size = 80
    dst = np.vstack([ibug_face(size), border_points(size, size)])
    src = dst + np.where(np.arange(len(dst))[:, None] < 68, 2.0, 0.0)  # face moves by (2, 2)
    map_x, map_y = inverse_maps(dst, src, triangulate(dst), (size, size))
    nose = dst[30]
    y, x = int(round(nose[1])), int(round(nose[0]))
    assert abs(map_x[y, x] - (x + 2)) < 1e-3 and abs(map_y[y, x] - (y + 2)) < 1e-3
