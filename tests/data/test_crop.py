"""--crop face: landmark sources (lab table, continuum files, sidecars, dlib) and dataset crops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facepsych.data import load_dataset
from facepsych.data.crop import (
    CropSettings,
    FaceCropper,
    crop_continuum,
    crop_dataset,
    crop_images,
    crop_of_run,
    parse_crop,
    read_landmark_table,
)
from facepsych.errors import FacepsychError
from facepsych.stimuli import load_continuum
from facepsych.stimuli.chips import chip_eye_targets, eye_centres, face_chip
from facepsych.synthetic import write_expression_set
from facepsych.synthetic.continua import write_synthetic_continuum

LONDON = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "london_faces"
needs_london = pytest.mark.skipif(not LONDON.is_dir(), reason="../shared/data is absent")


@pytest.fixture(scope="module")
def lab_set(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lab")
    write_expression_set(root, n_identities=2, per_identity=2, size=64, progress=False)
    return root


def test_parse_crop_spellings_and_round_trip():
    assert parse_crop(None) == CropSettings() and not parse_crop("none").enabled
    face = parse_crop("Face")
    assert face.enabled and face.size == 224 and face.padding == 0.25
    assert parse_crop(face.as_dict()) == face
    assert parse_crop("none").key() == "none"
    assert CropSettings("face", size=96).key() != face.key()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("square", "unknown crop 'square' (use face or none)"),
        ({"mode": "face", "sise": 3}, "unknown crop setting(s) sise"),
        ({"mode": "face", "size": 4}, "crop size must be an integer of at least 8, got 4"),
        ({"mode": "face", "detector": "mtcnn"},
         "unknown face detector 'mtcnn' (use dlib5 or dlib68)"),
    ],
)  # fmt: skip
def test_bad_crop_settings_are_one_line(value, message):
    with pytest.raises(FacepsychError) as err:
        parse_crop(value)
    assert str(err.value) == message


def test_lab_dataset_crop_uses_its_landmarks_csv(lab_set):
    ds = load_dataset(lab_set, "folder")
    table = read_landmark_table(lab_set / "landmarks.csv")
    cropped = crop_dataset(ds, CropSettings("face", size=48))
    sample = cropped.samples[0]
    pts, scheme, source = cropped.landmarks_of(sample)
    assert (scheme, source) == ("ibug68", "landmarks.csv")
    np.testing.assert_array_equal(pts, table[sample.image_id])
    chip = cropped.load_image(sample)
    expected = face_chip(ds.load_image(sample), table[sample.image_id], "ibug68", 48)
    assert chip.size == (48, 48)
    np.testing.assert_array_equal(np.asarray(chip), np.asarray(expected))
    # split views keep the crop; the cache fingerprint covers it
    val = cropped.split("val")
    assert val.load_image(val.samples[0]).size == (48, 48)
    assert cropped.fingerprint() != ds.fingerprint()
    assert cropped.fingerprint() != crop_dataset(ds, CropSettings("face", size=64)).fingerprint()
    assert cropped.fingerprint() == crop_dataset(ds, CropSettings("face", size=48)).fingerprint()
    assert crop_dataset(ds, "none") is ds
    assert cropped.summary()["crop"]["size"] == 48
    # a run's config.json records it; predict and cam read it back
    assert crop_of_run({"data": cropped.summary()}) == CropSettings("face", size=48)
    assert crop_of_run({"crop": "face", "data": {}}) == CropSettings("face")
    assert crop_of_run({"data": ds.summary()}) == CropSettings()


def test_images_of_a_lab_folder_find_the_table(lab_set):
    files = sorted((lab_set / "positive").glob("*.png"))[:2]
    chips = crop_images(files, CropSettings("face", size=40), table_root=lab_set)
    table = read_landmark_table(lab_set / "landmarks.csv")
    key = files[0].relative_to(lab_set).as_posix()
    expected = face_chip(Image.open(files[0]), table[key], "ibug68", 40)
    np.testing.assert_array_equal(np.asarray(chips[0]), np.asarray(expected))


def test_continuum_crop_uses_its_landmark_files(tmp_path):
    folder = write_synthetic_continuum(tmp_path / "c", 7, steps=3, size=64)
    cont = load_continuum(folder)
    out = crop_continuum(cont, CropSettings("face", size=56))
    assert [im.size for im in out.images] == [(56, 56)] * 3 and out.scheme == "ibug68"
    for pts in out.landmarks:
        np.testing.assert_allclose(eye_centres(pts, "ibug68"), chip_eye_targets(56), atol=1e-9)
    expected = face_chip(Image.open(cont.frames[1]), cont.landmarks[1], "ibug68", 56)
    np.testing.assert_array_equal(np.asarray(out.images[1]), np.asarray(expected))
    plain = crop_continuum(cont, "none")
    assert plain.images[0].size == (64, 64)
    np.testing.assert_array_equal(plain.landmarks[0], cont.landmarks[0])


def test_a_sidecar_landmark_file_is_used(tmp_path, lab_set):
    src = sorted((lab_set / "negative").glob("*.png"))[0]
    table = read_landmark_table(lab_set / "landmarks.csv")
    pts = table[src.relative_to(lab_set).as_posix()]
    img = tmp_path / "face.png"
    Image.open(src).save(img)
    from facepsych.stimuli import write_landmarks

    write_landmarks(tmp_path / "face.pts", pts)
    face = FaceCropper(CropSettings("face", size=32)).crop(Image.open(img), path=img)
    assert face.source == "sidecar"
    np.testing.assert_allclose(eye_centres(face.landmarks), chip_eye_targets(32), atol=1e-9)


def test_no_face_is_one_line_error_or_a_recorded_skip(tmp_path):
    pytest.importorskip("dlib")
    pytest.importorskip("face_recognition_models")
    for label in ("positive", "negative"):
        (tmp_path / label).mkdir()
        for k in range(2):
            Image.new("RGB", (80, 80), (120, 120, 120)).save(tmp_path / label / f"blank{k}.png")
    ds = crop_dataset(load_dataset(tmp_path, "folder"), "face")
    name = tmp_path / "negative" / "blank0.png"
    with pytest.raises(FacepsychError) as err:
        ds.load_image(ds.samples[0])
    assert str(err.value) == (
        f"no face found in {name} (--crop face needs one; --skip-bad skips such images)"
    )
    with pytest.raises(FacepsychError):
        crop_dataset(load_dataset(tmp_path, "folder"), "face", eager=True)
    kept = crop_dataset(load_dataset(tmp_path, "folder", skip_bad=True), "face", eager=True)
    assert len(kept) == 0
    assert kept.skipped[0] == {"item": str(name), "reason": f"no face found in {name}"}


@needs_london
def test_detected_photo_aligns_like_its_webmorph_template():
    """London neutral 001: the chip from dlib's 5-point detection and the chip from the photo's
    189-point template put the detected eye centres within 2 px of each other at 224 px."""
    pytest.importorskip("dlib")
    photo = LONDON / "neutral" / "001.jpg"
    image = Image.open(photo).convert("RGB")
    cropper = FaceCropper("face")
    by_template = cropper.crop(image, path=photo)
    assert by_template.source == "sidecar" and by_template.scheme == "webmorph189"
    pts5, scheme, source = cropper.locate(image)
    assert (scheme, source) == ("dlib5", "dlib5 detection")
    detected = cropper.crop(image, landmarks=pts5)
    eyes = eye_centres(pts5, "dlib5")
    gap = by_template.transform.apply(eyes) - detected.transform.apply(eyes)
    assert np.abs(gap).max() < 2.0
    a, b = np.asarray(by_template.image, float), np.asarray(detected.image, float)
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.85  # measured 0.90


@needs_london
def test_smiling_photo_without_template_is_detected():
    pytest.importorskip("dlib")
    photo = LONDON / "smiling" / "002.jpg"
    face = FaceCropper("face").crop(Image.open(photo).convert("RGB"), path=photo)
    assert face.source == "dlib5 detection" and face.image.size == (224, 224)
    np.testing.assert_allclose(eye_centres(face.landmarks, "dlib5"), chip_eye_targets(224))
