"""Occluders: exactly the region changes, fills, whole continua, errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from facepsych.errors import FacepsychError
from facepsych.stimuli import (
    load_continuum,
    occlude_continuum,
    occlude_image,
    occlusion_mask,
    region_polygons,
    write_continuum,
)
from facepsych.stimuli.occlude import occlude_path
from facepsych.stimuli.regions import polygon_mask
from tests.stimuli.faces import ibug_face, textured_image


def _changed(a, b):
    return np.any(np.asarray(a) != np.asarray(b), axis=-1)


@pytest.mark.parametrize("region", ["eyes", "nose", "mouth"])
def test_companion_box_occludes_exactly_the_box(region):
    img = np.full((224, 224, 3), 7, np.uint8)  # mean grey 7 everywhere → use a colour fill
    out = np.asarray(occlude_image(img, region, boxes="companion", fill="200,100,50"))
    from facepsych.stimuli import COMPANION_BOXES

    x0, y0, x1, y1 = COMPANION_BOXES[region]
    expected = np.zeros((224, 224), bool)
    expected[y0 : y1 + 1, x0 : x1 + 1] = True
    np.testing.assert_array_equal(_changed(out, img), expected)
    assert (out[expected] == [200, 100, 50]).all()


@pytest.mark.parametrize("mode", ["box", "hull"])
@pytest.mark.parametrize("fill", ["grey", "noise", "blur"])
def test_landmark_occluder_changes_only_the_region(mode, fill):
    img = textured_image(200, seed=4)
    pts = ibug_face(200)
    mask = occlusion_mask((200, 200), "eyes", landmarks=pts, mode=mode, pad=0.1)
    out = np.asarray(occlude_image(img, "eyes", landmarks=pts, fill=fill, mode=mode, pad=0.1))
    np.testing.assert_array_equal(out[~mask], img[~mask])
    assert _changed(out, img)[mask].mean() > 0.5  # (a few pixels may coincide with the fill)
    if fill == "grey":
        assert (out[mask] == np.round(img.mean())).all()


def test_hull_inside_box_and_pad_grows():
    pts = ibug_face(200)
    hull = occlusion_mask((200, 200), "mouth", landmarks=pts, mode="hull", pad=0)
    box = occlusion_mask((200, 200), "mouth", landmarks=pts, mode="box", pad=0)
    np.testing.assert_array_equal(hull, polygon_mask(region_polygons(pts)["mouth"], (200, 200)))
    assert (hull <= box).all() and hull.sum() < box.sum()
    bigger = occlusion_mask((200, 200), "mouth", landmarks=pts, mode="box", pad=0.2)
    assert (box <= bigger).all() and box.sum() < bigger.sum()


def test_noise_fill_is_seeded():
    img, pts = textured_image(100), ibug_face(100)
    a = np.asarray(occlude_image(img, "nose", landmarks=pts, fill="noise", seed=1))
    b = np.asarray(occlude_image(img, "nose", landmarks=pts, fill="noise", seed=1))
    c = np.asarray(occlude_image(img, "nose", landmarks=pts, fill="noise", seed=2))
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


def test_errors():
    img = textured_image(64)
    with pytest.raises(FacepsychError, match="needs landmarks .* or fixed boxes"):
        occlude_image(img, "eyes")
    with pytest.raises(FacepsychError, match="unknown region 'ears'"):
        occlude_image(img, "ears", boxes="companion")
    with pytest.raises(FacepsychError, match="bad colour 'purple'"):
        occlude_image(img, "eyes", boxes="companion", fill="purple")
    with pytest.raises(FacepsychError, match="unknown boxes 'mine'"):
        occlude_image(img, "eyes", boxes="mine")


def _continuum(tmp_path, with_landmarks=True):
    n, s = 5, 100
    frames = [textured_image(s, seed=i) for i in range(n)]
    pts = [ibug_face(s, smile=i / 4) for i in range(n)] if with_landmarks else None
    return write_continuum(tmp_path / "src", frames, pts, np.linspace(0, 1, n), scheme="ibug68",
                           source_a="a.png", source_b="b.png").parent  # fmt: skip


def test_occlude_continuum_every_step(tmp_path):
    src = _continuum(tmp_path)
    manifest = occlude_continuum(src, "mouth", tmp_path / "mouth", mode="hull")
    cont, orig = load_continuum(manifest.parent), load_continuum(src)
    assert cont.condition == "mouth" and len(cont) == 5
    for k in range(5):
        before, after = (
            np.asarray(Image.open(orig.frames[k])),
            np.asarray(Image.open(cont.frames[k])),
        )
        mask = occlusion_mask((100, 100), "mouth", landmarks=orig.landmarks[k], mode="hull")
        np.testing.assert_array_equal(after[~mask], before[~mask])
        assert (after[mask] == np.round(before.mean())).all()
        np.testing.assert_allclose(cont.landmarks[k], orig.landmarks[k])
    text = manifest.read_text().splitlines()
    assert text[0].endswith(",condition") and text[1].endswith(",a.png,b.png,0.0,0.0,mouth")


def test_continuum_without_landmarks_needs_boxes(tmp_path):
    src = _continuum(tmp_path, with_landmarks=False)
    with pytest.raises(FacepsychError, match="has no landmarks in its manifest; give --boxes"):
        occlude_continuum(src, "eyes", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    manifest = occlude_continuum(src, "eyes", tmp_path / "boxed", boxes="companion")
    assert load_continuum(manifest.parent).condition == "eyes"


def test_occlude_one_image_file(tmp_path):
    path = tmp_path / "face.png"
    Image.fromarray(textured_image(112)).save(path)
    out = occlude_path(path, "nose", tmp_path / "o", boxes="companion")
    assert out.name == "face_nose.png"
    changed = _changed(Image.open(out), Image.open(path))
    ys, xs = np.nonzero(changed)
    assert (xs.min(), ys.min(), xs.max(), ys.max()) == (26, 60, 85, 74)


def test_occlude_continuum_rejects_landmarks_of_another_image_size(tmp_path):
    """The manifest's landmarks must fit each frame: the check morphing uses."""
    n = 3
    frames = [textured_image(50, seed=i) for i in range(n)]
    pts = [ibug_face(100) for _ in range(n)]  # from 100 px images, the frames are 50 px
    src = write_continuum(tmp_path / "src", frames, pts, np.linspace(0, 1, n)).parent
    with pytest.raises(FacepsychError, match=r"landmark\(s\) of step_00.png lie outside the 50x50"):
        occlude_continuum(src, "eyes", tmp_path / "eyes")
    with pytest.raises(FacepsychError, match=r"lie outside the 50x50 image"):
        occlude_continuum(src, "full", tmp_path / "full")
    assert not (tmp_path / "eyes").exists() and not (tmp_path / "full").exists()
