"""Rendering: determinism, landmarks on the drawn features, expression acting per region."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from facepsych.errors import FacepsychError
from facepsych.synthetic import Nuisance, face_region_masks, render_face, sample_identity

SIZE = 96


def _lum(rgb) -> float:
    r, g, b = (float(v) for v in rgb)
    return 0.299 * r + 0.587 * g + 0.114 * b


def _poly_mask(points: np.ndarray, shape) -> np.ndarray:
    from matplotlib.path import Path as MplPath

    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    inside = MplPath(points).contains_points(np.stack([xx.ravel(), yy.ravel()], 1))
    return inside.reshape(shape)


def test_same_seed_same_pixels_and_landmarks():
    a, pa = render_face(11, 0.3, size=64, seed=4, nuisance=1.0)
    b, pb = render_face(11, 0.3, size=64, seed=4, nuisance=1.0)
    c, _ = render_face(11, 0.3, size=64, seed=5, nuisance=1.0)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert np.array_equal(pa, pb)
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_image_and_landmark_shapes():
    img, pts = render_face(0, 0.0, size=80)
    assert img.mode == "RGB" and img.size == (80, 80)
    assert pts.shape == (68, 2)
    assert np.all((pts > 0) & (pts < 80))


def test_bad_expression_and_size_are_user_errors():
    with pytest.raises(FacepsychError, match=r"^expression must be in \[-1, 1\], got 1\.5$"):
        render_face(0, 1.5)
    with pytest.raises(FacepsychError, match="image size must be at least 16 pixels, got 8"):
        render_face(0, 0.0, size=8)


pose = st.builds(
    Nuisance,
    rotation=st.floats(-10, 10),
    scale=st.floats(0.9, 1.1),
    shift=st.tuples(st.floats(-0.04, 0.04), st.floats(-0.04, 0.04)),
    yaw=st.floats(-0.6, 0.6),
)


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 10_000), st.floats(-1, 1), pose)
@example(
    ident=2775,
    expr=0.0,
    nz=Nuisance(rotation=0.0, scale=0.9609375, shift=(0.0, 0.0), yaw=0.5),
)  # at 96 px the far eye of a yawed face has a ~2 px iris of anti-aliased pixels only
def test_landmarks_land_on_the_drawn_features(ident, expr, nz):
    p = sample_identity(ident)
    img, pts = render_face(p, expr, size=2 * SIZE, nuisance=nz)
    a = np.asarray(img, float) / 255.0
    skin = _lum(p.skin)
    for sl in (slice(36, 42), slice(42, 48)):
        # the eye's landmark polygon holds the iris colour and the dark pupil
        inside = a[_poly_mask(pts[sl], a.shape[:2])]
        assert len(inside) >= 4
        dist = np.linalg.norm(inside - np.asarray(p.iris), axis=1)
        assert dist.min() < 0.12
        assert min(_lum(v) for v in inside) < skin - 0.1  # the pupil
    # lips: between the outer (48–59) and inner (60–67) lip lines the colour is the lips'
    lip_ring = _poly_mask(pts[48:60], a.shape[:2]) & ~_poly_mask(pts[60:68], a.shape[:2])
    lips = np.median(a[lip_ring], 0)
    assert np.linalg.norm(lips - np.asarray(p.lip)) < np.linalg.norm(lips - np.asarray(p.skin))
    # brows: the brow landmarks sit on brow-coloured pixels (median over the 10 points)
    brow = np.asarray(p.hair) * 0.75
    on = np.median([a[int(round(y)), int(round(x))] for x, y in pts[17:27]], 0)
    assert np.linalg.norm(on - brow) < np.linalg.norm(on - np.asarray(p.skin))
    # jaw: a few pixels inside the outline the face is skin
    centre = pts[27:36].mean(0)
    h, w = a.shape[:2]
    for q in pts[2:15]:
        x, y = q + 8 * (centre - q) / np.linalg.norm(centre - q)
        if not (0 <= round(x) < w and 0 <= round(y) < h):
            continue  # scale and shift can push the chin out of the frame
        v = a[int(round(y)), int(round(x))]
        assert np.linalg.norm(v - np.asarray(p.skin)) < 0.2


@pytest.mark.parametrize("rotation", [-8.0, 5.0])
def test_pose_rotates_landmarks(rotation):
    _, p0 = render_face(2, 0.0, size=SIZE)
    _, p1 = render_face(2, 0.0, size=SIZE, nuisance=Nuisance(rotation=rotation))

    def angle(p):
        d = p[42:48].mean(0) - p[36:42].mean(0)
        return np.degrees(np.arctan2(d[1], d[0]))

    assert angle(p1) - angle(p0) == pytest.approx(rotation, abs=0.05)


def _mouth_corner_lift(pts):
    """How far the mouth corners sit above the lip centre (pixels, > 0 = smile)."""
    centre = (pts[51, 1] + pts[57, 1]) / 2
    return centre - (pts[48, 1] + pts[54, 1]) / 2


def _lower_lid_height(pts):
    return float(np.mean([pts[40, 1] - pts[38, 1], pts[41, 1] - pts[37, 1]]))


def _brow_inner_height(pts):
    """Inner brow ends above the eye line (pixels)."""
    return float(pts[36:48, 1].mean() - (pts[21, 1] + pts[22, 1]) / 2)


def test_expression_moves_mouth_eyes_and_brows_monotonically():
    es = np.linspace(-1, 1, 21)
    lifts, lids, brows = [], [], []
    for e in es:
        _, pts = render_face(sample_identity(8), float(e), size=SIZE)
        lifts.append(_mouth_corner_lift(pts))
        lids.append(_lower_lid_height(pts))
        brows.append(_brow_inner_height(pts))
    assert np.all(np.diff(lifts) > 0)  # corners rise from frown to smile
    assert lifts[0] < 0 < lifts[-1]
    assert lids[-1] < lids[10]  # smiling eyes narrow from below
    assert lids[0] < lids[10]  # negative eyes narrow too (upper lid lowered)
    assert brows[-1] > brows[10]  # brows rise with a positive expression


def test_region_weights_confine_the_expression():
    p = sample_identity(4)
    mouth_only = {"brows": 0, "eyes": 0, "mouth": 1}
    _, neg = render_face(p, -1.0, size=SIZE, weights=mouth_only)
    _, pos = render_face(p, 1.0, size=SIZE, weights=mouth_only)
    assert np.allclose(neg[17:48], pos[17:48])  # brows and eyes unchanged
    assert not np.allclose(neg[48:68], pos[48:68])
    eyes_only = {"brows": 0, "eyes": 1, "mouth": 0}
    _, neg = render_face(p, -1.0, size=SIZE, weights=eyes_only)
    _, pos = render_face(p, 1.0, size=SIZE, weights=eyes_only)
    assert np.allclose(neg[48:68], pos[48:68]) and np.allclose(neg[17:27], pos[17:27])
    assert not np.allclose(neg[36:48], pos[36:48])


def test_pixels_change_only_near_the_weighted_region():
    p = sample_identity(4)
    eyes_only = {"brows": 0, "eyes": 1, "mouth": 0}
    a, pts = render_face(p, -1.0, size=SIZE, weights=eyes_only)
    b, _ = render_face(p, 1.0, size=SIZE, weights=eyes_only)
    diff = np.abs(np.asarray(a, float) - np.asarray(b, float)).sum(2) > 30
    masks = face_region_masks(pts, SIZE)
    mouth = masks["mouth"]
    assert diff.sum() > 20
    assert not (diff & mouth).any()
    ys = np.nonzero(diff)[0]
    assert ys.max() < pts[30, 1]  # nothing below the nose tip changed


def test_render_is_fast_enough_for_the_demo():
    import time

    t = time.perf_counter()
    for i in range(20):
        render_face(i, 0.5, size=96, seed=i, nuisance=1.0)
    per_face = (time.perf_counter() - t) / 20
    assert per_face < 0.05  # a few ms on a free core; generous for a loaded CI machine


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 200_000), st.floats(-1, 1))
def test_landmarks_follow_the_ibug_68_order(ident, expr):
    from facepsych.synthetic.geometry import face_shapes

    p = sample_identity(ident)
    lm = face_shapes(p, {"brows": expr, "eyes": expr, "mouth": expr}).landmarks
    x, y = lm[:, 0], lm[:, 1]
    assert np.all(np.diff(x[0:17]) > 0)  # jaw runs from image left to image right
    assert np.argmax(y[0:17]) == 8  # the chin is the lowest jaw point
    assert x[17] < x[21] < x[22] < x[26]  # brows: outer → inner, inner → outer
    assert x[36] < x[39] < x[42] < x[45]  # eye corners
    assert y[37] < y[41] and y[38] < y[40] and y[43] < y[47] and y[44] < y[46]  # lids
    assert y[27] < y[28] < y[29] < y[30] < y[33]  # nose bridge down to the nostrils
    assert x[31] < x[33] < x[35]
    assert x[48] < x[51] < x[54] and x[60] < x[64]  # mouth corners around the centre
    assert y[51] < y[62] <= y[66] < y[57]  # upper lip above the lower lip
    assert y[33] < y[51] and y[57] < y[8]  # nose above the mouth above the chin
    assert y[19] < y[37] and y[24] < y[44]  # brows above the eyes
