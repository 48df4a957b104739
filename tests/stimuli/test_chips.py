"""Face chips: eyes land on their targets, in landmarks and in pixels; dlib's chip as reference."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from facepsych.errors import FacepsychError
from facepsych.stimuli.chips import (
    DLIB5_MEAN_FACE,
    chip_eye_targets,
    chip_transform,
    eye_centres,
    face_chip,
)
from facepsych.synthetic import Nuisance, render_face
from tests.stimuli.faces import ibug_face, textured_image


def _similarity(points, angle_deg, scale, shift):
    a = np.radians(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return np.asarray(points, float) @ (scale * rot).T + np.asarray(shift, float)


def test_eye_targets_follow_dlibs_padded_mean_face():
    size, pad = 150, 0.25
    t = chip_eye_targets(size, pad)
    unit_left = DLIB5_MEAN_FACE[[2, 3]].mean(axis=0)
    expected_left = (pad + unit_left) / (1 + 2 * pad) * (size - 1)
    np.testing.assert_allclose(t[0], expected_left)
    np.testing.assert_allclose(t[:, 0] / (size - 1), [0.31822, 0.66854], atol=1e-5)
    np.testing.assert_allclose(t[:, 1] / (size - 1), [0.31427, 0.31416], atol=1e-5)


def test_eye_centres_are_corner_means_per_scheme():
    pts = ibug_face(200)
    np.testing.assert_allclose(eye_centres(pts, "ibug68"), [[65, 80], [135, 80]], atol=1e-9)
    five = np.array([[9, 1], [7, 1], [1, 1], [3, 1], [5, 5]], float)
    np.testing.assert_allclose(eye_centres(five), [[2, 1], [8, 1]])
    tem = np.zeros((189, 2))
    tem[[18, 22, 23, 27]] = [[10, 20], [20, 22], [40, 22], [50, 20]]
    np.testing.assert_allclose(eye_centres(tem, "webmorph189"), [[15, 21], [45, 21]])


@pytest.mark.parametrize(
    ("angle", "scale"), [(0.0, 1.0), (23.0, 1.3), (-35.0, 0.7), (170.0, 2.5), (10.0, 5.0)]
)
def test_eye_blobs_land_on_the_targets_within_half_a_pixel(angle, scale):
    """Bright Gaussian blobs drawn at the eye centres of a rotated, scaled face: their centroids
    in the 64 px chip lie within 0.5 px of the targets (also when the image is box-reduced)."""
    pts = _similarity(ibug_face(100) - 50, angle, scale, (0, 0))
    pts += 60 * scale + 10 - pts.min(axis=0)
    side = int(pts.max() + 60 * scale + 10)
    eyes = eye_centres(pts, "ibug68")
    yy, xx = np.mgrid[0:side, 0:side].astype(float)
    sigma = 3.0 * scale
    img = np.zeros((side, side))
    for ex, ey in eyes:
        img += np.exp(-((xx - ex) ** 2 + (yy - ey) ** 2) / (2 * sigma**2))
    arr = np.repeat((img / img.max() * 255).round().astype(np.uint8)[..., None], 3, axis=2)
    chip = np.asarray(face_chip(Image.fromarray(arr), pts, "ibug68", 64), float)[..., 0]
    targets = chip_eye_targets(64)
    cy, cx = np.mgrid[0:64, 0:64].astype(float)
    mid = (targets[0, 0] + targets[1, 0]) / 2
    for k, (tx, ty) in enumerate(targets):
        w = chip * ((cx < mid) if k == 0 else (cx >= mid))
        got = np.array([(w * cx).sum() / w.sum(), (w * cy).sum() / w.sum()])
        assert np.abs(got - [tx, ty]).max() < 0.5, (angle, scale, got, (tx, ty))


def test_a_posed_synthetic_face_gives_the_canonical_chip():
    """render_face's pose is a similarity, so every landmark of a rotated, scaled, shifted face
    lands where the canonical face's does; the pixels agree up to rasterisation."""
    canon, pc = render_face(5, 0.3, size=128)
    posed, pp = render_face(
        5, 0.3, size=128, nuisance=Nuisance(rotation=15, scale=0.8, shift=(0.05, -0.03))
    )
    tc, tp = chip_transform(pc, "ibug68", 64), chip_transform(pp, "ibug68", 64)
    np.testing.assert_allclose(tp.apply(eye_centres(pp)), chip_eye_targets(64), atol=1e-9)
    np.testing.assert_allclose(tp.apply(pp), tc.apply(pc), atol=1e-6)
    assert abs(tp.angle - tc.angle - 15) < 1e-6 or abs(tc.angle - tp.angle - 15) < 1e-6
    a = np.asarray(face_chip(canon, pc, "ibug68", 64), float)
    b = np.asarray(face_chip(posed, pp, "ibug68", 64), float)
    assert np.abs(a - b).mean() < 3.0


def test_transform_inverse_round_trips():
    pts = _similarity(ibug_face(100), 30, 1.7, (5, 9))
    t = chip_transform(pts, None, 96, padding=0.1)
    chip_pts = t.apply(pts)
    inv = t.inverse()
    back = chip_pts @ inv[:, :2].T + inv[:, 2]
    np.testing.assert_allclose(back, pts, atol=1e-9)
    target_iod = np.linalg.norm(np.diff(chip_eye_targets(96, 0.1), axis=0))
    assert t.scale == pytest.approx(target_iod / (35 * 1.7), rel=1e-9)


def _dlib_chip_to_image(details) -> np.ndarray:
    """dlib's chip map as a 2 × 3 matrix (chip pixel → image): the rect's corners go to chip
    pixels 0 and size − 1, rotated by ``angle`` about the rect's centre."""
    r = details.rect
    centre = np.array([(r.left() + r.right()) / 2, (r.top() + r.bottom()) / 2])
    a, s = details.angle, (r.right() - r.left()) / (details.cols - 1)
    lin = s * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return np.hstack(
        [lin, (centre - lin @ [(details.cols - 1) / 2, (details.rows - 1) / 2])[:, None]]
    )


def _dlib_shape(dlib, pts):
    return dlib.full_object_detection(
        dlib.rectangle(0, 0, 259, 259), [dlib.point(int(x), int(y)) for x, y in pts]
    )


@pytest.mark.parametrize(("scale", "tol"), [(1.4, 0.3), (20.0, 0.02)])
def test_eyes_sit_where_dlib_get_face_chip_puts_them_on_a_template_face(scale, tol):
    """Five points that are a similarity of dlib's mean face (rounded: dlib takes integer
    points): dlib's least-squares chip puts the eye centres on the eye-centre chip's targets, up
    to the rounding (which shrinks as the face grows)."""
    dlib = pytest.importorskip("dlib")
    size, pad = 100, 0.25
    unit = (pad + DLIB5_MEAN_FACE) / (1 + 2 * pad) * size
    pts = _similarity(unit, 12.0, scale, (40, 30)).round()
    m = _dlib_chip_to_image(dlib.get_face_chip_details(_dlib_shape(dlib, pts), size, pad))
    dlib_eyes = np.linalg.solve(m[:, :2], (eye_centres(pts, "dlib5") - m[:, 2]).T).T
    mine = chip_transform(pts, "dlib5", size, padding=pad).apply(eye_centres(pts, "dlib5"))
    np.testing.assert_allclose(mine, chip_eye_targets(size, pad), atol=1e-9)
    assert np.abs(dlib_eyes - mine).max() < tol


def test_pixels_match_dlib_get_face_chip_on_a_template_face():
    dlib = pytest.importorskip("dlib")
    size, pad = 100, 0.25
    unit = (pad + DLIB5_MEAN_FACE) / (1 + 2 * pad) * size
    pts = _similarity(unit, 12.0, 1.4, (40, 30)).round()
    arr = textured_image(260, seed=3)
    ref = dlib.get_face_chip(arr, _dlib_shape(dlib, pts), size, pad).astype(float)
    chip = np.asarray(face_chip(Image.fromarray(arr), pts, "dlib5", size, padding=pad), float)
    assert np.abs(ref - chip).mean() < 2.0


@pytest.mark.parametrize(
    ("landmarks", "scheme", "size", "padding", "message"),
    [
        (np.zeros((7, 2)), None, 64, 0.25,
         "cannot align a face on 7 landmarks; face chips need 5 (dlib), 68 (iBUG) or 189 "
         "(webmorph) points"),
        (ibug_face(), "generic", 64, 0.25,
         "face chips need the ibug68, webmorph189 or dlib5 scheme, not 'generic'"),
        (ibug_face(), "webmorph189", 64, 0.25, "scheme webmorph189 needs 189 points, got 68"),
        (np.ones((5, 2)), "dlib5", 64, 0.25,
         "the two eye centres coincide at (1, 1); cannot align"),
        (ibug_face(), "ibug68", 4, 0.25,
         "chip size must be an integer of at least 8 pixels, got 4"),
        (ibug_face(), "ibug68", 64, -1, "chip padding must be a number >= 0, got -1"),
        (np.full((5, 2), np.nan), None, 64, 0.25,
         "landmarks must be a finite (N, 2) array of x, y; got (5, 2)"),
    ],
)  # fmt: skip
def test_errors_are_one_line(landmarks, scheme, size, padding, message):
    with pytest.raises(FacepsychError) as err:
        chip_transform(landmarks, scheme, size, padding=padding)
    assert str(err.value) == message
