"""Fixtures for the packaged real networks: the installed files (skip where a package is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from facepsych.errors import FacepsychError
from facepsych.models.archs import PANEL
from facepsych.models.archs.packaged import locate


def packaged_path(arch: str) -> Path:
    """The installed weight file of ``arch``'s first packaged weights, or skip the test."""
    item = PANEL[arch].weights[0]
    try:
        return locate(item, arch)
    except FacepsychError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def dlib_chips(london_faces: Path):
    """dlib's own 150 px aligned chips of two London identities, neutral and smiling.

    Returns ``{(identity, expression): chip}`` (uint8 RGB arrays, 150×150×3), each cut with
    ``dlib.get_face_chip(img, shape5, 150, 0.25)`` from dlib's detector and 5-point landmarks.
    """
    dlib = pytest.importorskip("dlib")
    frm = pytest.importorskip("face_recognition_models")
    import numpy as np
    from PIL import Image

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(frm.pose_predictor_five_point_model_location())
    chips = {}
    for ident in ("001", "002"):
        for expression in ("neutral", "smiling"):
            img = np.asarray(Image.open(london_faces / expression / f"{ident}.jpg").convert("RGB"))
            boxes = detector(img, 0)
            assert len(boxes) == 1, f"{expression}/{ident}.jpg: {len(boxes)} faces detected"
            shape = predictor(img, boxes[0])
            chips[(ident, expression)] = dlib.get_face_chip(img, shape, 150, 0.25)
    return chips
