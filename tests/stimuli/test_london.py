"""Integration on the real London faces (skips where ../shared/data is absent)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from facepsych.stimuli import (
    contact_sheet,
    load_continuum,
    morph_files,
    occlude_continuum,
    occlusion_mask,
)


@pytest.fixture(scope="module")
def smile_continuum(london_faces, tmp_path_factory):
    """Neutral → smiling continuum of identity 001, landmarks from the detector on both photos."""
    pytest.importorskip("dlib")
    pytest.importorskip("face_recognition_models")
    out = tmp_path_factory.mktemp("london") / "001_smile"
    manifest = morph_files(
        london_faces / "neutral" / "001.jpg",
        london_faces / "smiling" / "001.jpg",
        out,
        detector="dlib",
        steps=21,
        size=256,
    )
    return manifest.parent


def test_detector_continuum_has_21_steps_and_a_contact_sheet(smile_continuum, london_faces):
    cont = load_continuum(smile_continuum)
    assert len(cont) == 21 and cont.scheme == "ibug68"
    np.testing.assert_allclose(cont.levels, np.arange(21) / 20)
    # endpoints are the (resized) inputs; the middle is neither
    a = np.asarray(Image.open(london_faces / "neutral" / "001.jpg").resize((256, 256)), float)
    first = np.asarray(Image.open(cont.frames[0]), float)
    mid = np.asarray(Image.open(cont.frames[10]), float)
    assert np.abs(first - a).mean() < 2.0 < np.abs(mid - a).mean()
    # the mouth corners widen from neutral to smiling, linearly in the level
    widths = np.array([np.linalg.norm(lm[54] - lm[48]) for lm in cont.landmarks])
    assert widths[-1] > widths[0] * 1.05
    np.testing.assert_allclose(np.diff(widths), np.diff(widths).mean(), atol=0.05)
    sheet = contact_sheet(smile_continuum, smile_continuum / "contact_sheet.png", thumb=96)
    assert sheet.size == (7 * 96, 3 * (96 + 14))
    print(f"contact sheet: {smile_continuum / 'contact_sheet.png'}")


def test_eyes_occluded_on_every_step(smile_continuum, tmp_path):
    manifest = occlude_continuum(smile_continuum, "eyes", tmp_path / "eyes")
    occluded, full = load_continuum(manifest.parent), load_continuum(smile_continuum)
    assert occluded.condition == "eyes" and len(occluded) == 21
    for k in range(21):
        before = np.asarray(Image.open(full.frames[k]))
        after = np.asarray(Image.open(occluded.frames[k]))
        mask = occlusion_mask(before.shape[:2], "eyes", landmarks=full.landmarks[k])
        assert 0.005 < mask.mean() < 0.05
        np.testing.assert_array_equal(after[~mask], before[~mask])
        assert (after[mask] == np.round(before.mean())).all()
        # the pupils (centres of the eye outlines) are inside the occluder
        for eye in (slice(36, 42), slice(42, 48)):
            x, y = np.round(full.landmarks[k][eye].mean(0)).astype(int)
            assert mask[y, x]
    contact_sheet(manifest.parent, tmp_path / "eyes_sheet.png", thumb=96)


def test_webmorph_templates_morph_between_identities(london_faces, tmp_path):
    manifest = morph_files(
        london_faces / "neutral" / "001.jpg",
        london_faces / "neutral" / "002.jpg",
        tmp_path / "id",
        steps=3,
        size=128,
        align=True,
        oval=True,
    )  # the sibling .tem files supply 189 points each
    cont = load_continuum(manifest.parent)
    assert cont.scheme == "webmorph189" and cont.landmarks[1].shape == (189, 2)
    mask = occlusion_mask((128, 128), "mouth", landmarks=cont.landmarks[1], scheme="webmorph189")
    ys, _ = np.nonzero(mask)
    assert 64 < ys.mean() < 110  # mouth in the lower half of the face
