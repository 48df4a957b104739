"""dlib 68-point detection (skips when the landmarks extra is not installed)."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from facepsych.errors import FacepsychError
from facepsych.stimuli import detect as detect_module
from facepsych.stimuli.detect import detect_landmarks, detect_to_file


def test_missing_extra_names_the_install_command(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "dlib":
            raise ImportError("no dlib")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    detect_module._load.cache_clear()
    with pytest.raises(
        FacepsychError, match=r'install the extra: pip install -e "\.\[landmarks\]"'
    ):
        detect_landmarks(np.zeros((10, 10, 3), np.uint8))
    detect_module._load.cache_clear()


def test_unknown_detector_and_bad_output_suffix(tmp_path):
    with pytest.raises(FacepsychError, match="unknown detector 'mtcnn'"):
        detect_landmarks(np.zeros((10, 10, 3), np.uint8), detector="mtcnn")
    with pytest.raises(FacepsychError, match="unknown landmark file type '.txt'"):
        detect_to_file(np.zeros((10, 10, 3), np.uint8), tmp_path / "x.txt")
    assert not (tmp_path / "x.txt").exists()


def test_no_face_is_a_clear_error():
    pytest.importorskip("dlib")
    pytest.importorskip("face_recognition_models")
    with pytest.raises(FacepsychError, match="no face found in the image"):
        detect_landmarks(np.full((120, 120, 3), 128, np.uint8))


def test_detects_68_points_on_a_real_face(london_faces, tmp_path):
    pytest.importorskip("dlib")
    pytest.importorskip("face_recognition_models")
    from facepsych.stimuli import read_landmarks, region_outlines

    path = london_faces / "neutral" / "001.jpg"
    pts = detect_landmarks(path)
    assert pts.shape == (68, 2)
    # the detected eyes agree with the hand-placed webmorph pupils within a few pixels
    tem = read_landmarks(london_faces / "neutral" / "001.tem").points
    eyes = region_outlines(pts, "ibug68")
    assert np.linalg.norm(eyes["left_eye"].mean(0) - tem[0]) < 8
    assert np.linalg.norm(eyes["right_eye"].mean(0) - tem[1]) < 8
    out, n = detect_to_file(path, tmp_path / "001.pts")
    assert n == 68 and read_landmarks(out).scheme == "ibug68"


def test_several_faces_error_or_largest(london_faces):
    pytest.importorskip("dlib")
    pytest.importorskip("face_recognition_models")
    from PIL import Image

    a = Image.open(london_faces / "neutral" / "002.jpg").convert("RGB").resize((300, 300))
    b = Image.open(london_faces / "neutral" / "003.jpg").convert("RGB").resize((200, 200))
    both = Image.new("RGB", (520, 320), "white")
    both.paste(a, (0, 10))
    both.paste(b, (310, 60))
    with pytest.raises(
        FacepsychError, match="2 faces found in the image; crop it or use --largest"
    ):
        detect_landmarks(both)
    pts = detect_landmarks(both, largest=True)
    assert pts[:, 0].max() < 310  # the larger face, on the left


def test_a_predictor_that_is_not_a_68_point_dlib_model_is_one_line(tmp_path):
    """Regression: `--predictor` pointing at a text file raised dlib's RuntimeError."""
    pytest.importorskip("dlib")
    text = tmp_path / "notes.dat"
    text.write_text("hash mismatch\n")
    detect_module._load.cache_clear()
    with pytest.raises(FacepsychError) as info:
        detect_landmarks(np.zeros((32, 32, 3), np.uint8), model_path=text)
    assert str(info.value).startswith(f"{text}: not a dlib shape predictor model (")
    assert "\n" not in str(info.value)
    models = pytest.importorskip("face_recognition_models")
    five = models.pose_predictor_five_point_model_location()
    with pytest.raises(FacepsychError, match=r"a 5-point shape predictor; landmarks need the 68"):
        detect_landmarks(np.zeros((32, 32, 3), np.uint8), model_path=five)
    detect_module._load.cache_clear()
