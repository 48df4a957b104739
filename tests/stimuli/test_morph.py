"""Morph continua on synthetic images where the truth is known."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from facepsych.errors import FacepsychError
from facepsych.stimuli import load_continuum, morph_continuum, morph_files, write_landmarks
from facepsych.stimuli.warp import apply_affine
from tests.stimuli.faces import ibug_face, textured_image

S = 96


def _arr(img):
    return np.asarray(img).astype(int)


def test_morph_to_itself_returns_the_image():
    img, pts = textured_image(S), ibug_face(S)
    frames = morph_continuum(img, img, pts, pts, steps=5)
    for frame, lm in frames:
        assert np.abs(_arr(frame) - img).max() <= 1
        np.testing.assert_allclose(lm, pts)


def test_endpoints_equal_the_inputs():
    a, b = textured_image(S, 1), textured_image(S, 2)
    pa, pb = ibug_face(S), ibug_face(S, shift=(3, -2), smile=1.0)
    frames = morph_continuum(a, b, pa, pb, steps=21)
    assert len(frames) == 21
    np.testing.assert_array_equal(_arr(frames[0][0]), a)
    np.testing.assert_array_equal(_arr(frames[-1][0]), b)


def test_landmarks_are_the_linear_interpolation():
    a = textured_image(S)
    pa, pb = ibug_face(S), ibug_face(S, shift=(4, 3), smile=1.5)
    frames = morph_continuum(a, a, pa, pb, steps=11)
    for k, (_, lm) in enumerate(frames):
        np.testing.assert_allclose(lm, (1 - k / 10) * pa + k / 10 * pb, atol=1e-9)


def test_cross_dissolve_of_flat_images():
    a = np.zeros((S, S, 3), np.uint8)
    b = np.full((S, S, 3), 200, np.uint8)
    pts = ibug_face(S)
    frames = morph_continuum(a, b, pts, pts, steps=21)
    for k, (frame, _) in enumerate(frames):
        assert np.all(_arr(frame) == round(200 * k / 20))


def test_shape_only_and_texture_only():
    a = np.zeros((S, S, 3), np.uint8)
    b = np.full((S, S, 3), 200, np.uint8)
    pa, pb = ibug_face(S), ibug_face(S, smile=1.0)
    shape_only = morph_continuum(a, b, pa, pb, steps=3, alpha_texture=0.0)
    assert all(_arr(f).max() == 0 for f, _ in shape_only)
    np.testing.assert_allclose(shape_only[-1][1], pb)
    texture_only = morph_continuum(a, b, pa, pb, steps=3, alpha_shape=0.0)
    assert all(np.allclose(lm, pa) for _, lm in texture_only)
    assert _arr(texture_only[1][0]).max() == 100


def test_warp_moves_a_feature_with_its_landmark():
    """A dark dot at landmark 30 (nose tip) of A ends up at the interpolated nose tip."""
    a = np.full((S, S, 3), 230, np.uint8)
    pa = ibug_face(S)
    pb = pa.copy()
    pb[27:36] += [6.0, 5.0]  # the nose moves right and down in B
    x, y = np.round(pa[30]).astype(int)
    a[y - 1 : y + 2, x - 1 : x + 2] = 0
    frames = morph_continuum(a, a, pa, pb, steps=3, alpha_texture=0.0)
    for frame, lm in frames:
        dark = _arr(frame)[..., 0] < 115
        ys, xs = np.nonzero(dark)
        assert abs(xs.mean() - lm[30, 0]) < 0.75 and abs(ys.mean() - lm[30, 1]) < 0.75


def test_align_puts_b_eyes_onto_a_eyes():
    a = textured_image(S)
    pa = ibug_face(S)
    m = np.array(
        [[0.9 * np.cos(0.1), -0.9 * np.sin(0.1), 8], [0.9 * np.sin(0.1), 0.9 * np.cos(0.1), 2]]
    )
    pb = apply_affine(m, pa)
    frames = morph_continuum(a, a, pa, pb, steps=3, align=True)
    np.testing.assert_allclose(frames[-1][1], pa, atol=1e-6)


def test_size_pads_to_square_and_scales_landmarks():
    a = textured_image(S)[:, :80]  # 80 wide, 96 high
    pa = ibug_face(80) + [0, 8]
    frames = morph_continuum(a, a, pa, pa, steps=2, size=48)
    assert frames[0][0].size == (48, 48)
    expected = (pa + [8, 0] + 0.5) * 0.5 - 0.5
    np.testing.assert_allclose(frames[0][1], expected)


def test_oval_mask_fills_the_background():
    a = textured_image(S)
    pts = ibug_face(S)
    frames = morph_continuum(a, a, pts, pts, steps=2, oval=True, background="10,20,30")
    arr = _arr(frames[0][0])
    assert tuple(arr[0, 0]) == (10, 20, 30) and tuple(arr[-1, -1]) == (10, 20, 30)
    centre = tuple(np.round(pts[30]).astype(int))
    assert tuple(arr[centre[1], centre[0]]) == tuple(a[centre[1], centre[0]])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pts_b": ibug_face(S)[:60]}, "landmark count mismatch: A has 68 points, B has 60"),
        ({"pts_b": ibug_face(S) + 50}, r"landmark\(s\) of image B lie outside the 96x96 image"),
        ({"steps": 1}, "steps must be an integer >= 2, got 1"),
        ({"alpha_shape": [0.0, 1.0]}, r"alpha_shape needs one value per step \(21\), got 2"),
    ],
)
def test_bad_input_errors(kwargs, message):
    args = {"img_a": textured_image(S), "img_b": textured_image(S), "pts_a": ibug_face(S),
            "pts_b": ibug_face(S)} | kwargs  # fmt: skip
    with pytest.raises(FacepsychError, match=message):
        morph_continuum(**args)


def test_morph_files_writes_a_continuum_and_nothing_on_error(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    Image.fromarray(textured_image(S, 1)).save(a)
    Image.fromarray(textured_image(S, 2)).save(b)
    write_landmarks(tmp_path / "a.pts", ibug_face(S))
    write_landmarks(tmp_path / "b.csv", ibug_face(S, smile=1))
    manifest = morph_files(a, b, tmp_path / "out", steps=5)  # sibling landmark files
    cont = load_continuum(manifest.parent)
    assert len(cont) == 5 and cont.scheme == "ibug68"
    np.testing.assert_allclose(cont.landmarks[-1], ibug_face(S, smile=1), atol=1e-6)

    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(FacepsychError, match=r"cannot read image .*bad.png \(Unidentified"):
        morph_files(a, bad, tmp_path / "out2")
    write_landmarks(tmp_path / "short.csv", ibug_face(S)[:10])
    with pytest.raises(FacepsychError, match="landmark count mismatch"):
        morph_files(a, b, tmp_path / "out3", landmarks_b=tmp_path / "short.csv")
    with pytest.raises(FacepsychError, match="steps must be an integer >= 2"):
        morph_files(a, b, tmp_path / "out4", steps=1)
    assert not any((tmp_path / d).exists() for d in ("out2", "out3", "out4"))
