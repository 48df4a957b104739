"""Landmark sources for --crop face: landmarks.csv tables, sidecar files, dlib detection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facepsych.data.face_landmarks import (
    detect_face_landmarks,
    read_landmark_table,
    sidecar_landmarks,
)
from facepsych.errors import FacepsychError

LONDON = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "london_faces"
needs_london = pytest.mark.skipif(not LONDON.is_dir(), reason="../shared/data is absent")


def test_table_reads_points_per_file(tmp_path):
    path = tmp_path / "landmarks.csv"
    path.write_text("file,x0,y0,x1,y1\na/1.png,1,2,3,4\nb.png,5.5,6,7,8\n")
    table = read_landmark_table(path)
    np.testing.assert_array_equal(table["a/1.png"], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(table["b.png"], [[5.5, 6], [7, 8]])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("file,x0,y0\na.png,1,oops\n", " line 2: landmark values must be numbers"),
        ("file,x0,y0\na.png,1,nan\n", " line 2: landmarks contain NaN or infinite values"),
        ("file,x0,x1\na.png,1,2\n", ": expected columns file, x0, y0, x1, y1, …"),
    ],
)
def test_bad_tables_are_one_line(tmp_path, text, message):
    path = tmp_path / "landmarks.csv"
    path.write_text(text)
    with pytest.raises(FacepsychError) as err:
        read_landmark_table(path)
    assert str(err.value) == f"{path}{message}"


def test_sidecar_file_beside_the_image(tmp_path):
    from facepsych.stimuli import write_landmarks

    img = tmp_path / "face.jpg"
    Image.new("RGB", (8, 8)).save(img)
    assert sidecar_landmarks(img) is None
    write_landmarks(tmp_path / "face.pts", np.arange(10.0).reshape(5, 2))
    pts, scheme = sidecar_landmarks(img)
    assert pts.shape == (5, 2) and scheme is None


def test_unknown_detector_is_one_line():
    with pytest.raises(FacepsychError) as err:
        detect_face_landmarks(Image.new("RGB", (8, 8)), detector="mtcnn")
    assert str(err.value) == "unknown face detector 'mtcnn' (use dlib5 or dlib68)"


@needs_london
def test_a_face_cropped_too_tightly_is_found_inside_a_grey_border():
    """London 001 cut to its inner face (forehead and chin out of frame): HOG finds no face until
    the retry frames it; the points come back in the crop's own pixels."""
    pytest.importorskip("dlib")
    full = Image.open(LONDON / "neutral" / "001.jpg").convert("RGB")
    whole, _ = detect_face_landmarks(full)
    box = (260, 280, 420, 430)
    tight = full.crop(box)
    with pytest.raises(FacepsychError, match="no face found in the image"):
        detect_face_landmarks(tight, retry_padding=0)
    pts, scheme = detect_face_landmarks(tight)
    assert scheme == "dlib5"
    assert np.abs(pts + box[:2] - whole).max() <= 2.0
