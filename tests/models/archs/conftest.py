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


@pytest.fixture(scope="session")
def london_landmarks(london_faces: Path):
    """Every London identity, neutral and smiling: ``{(id, expression): (rgb array, shape5)}``
    from dlib's detector (no upsampling) and 5-point predictor."""
    dlib = pytest.importorskip("dlib")
    frm = pytest.importorskip("face_recognition_models")
    import numpy as np
    from PIL import Image

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(frm.pose_predictor_five_point_model_location())
    out = {}
    for ident in sorted(p.stem for p in (london_faces / "neutral").glob("*.jpg")):
        for expression in ("neutral", "smiling"):
            img = np.asarray(Image.open(london_faces / expression / f"{ident}.jpg").convert("RGB"))
            boxes = detector(img, 0)
            assert len(boxes) == 1, f"{expression}/{ident}.jpg: {len(boxes)} faces detected"
            out[(ident, expression)] = (img, predictor(img, boxes[0]))
    return out


def rank1_neutral_to_smiling(arch: str, preprocessing: str, size: int, landmarks) -> float:
    """Share of identities whose neutral embedding's nearest smiling embedding is their own."""
    import dlib
    import numpy as np
    import torch
    from PIL import Image

    from facepsych.models.archs import build_embedding
    from facepsych.models.preprocessing import preprocessing_for

    net = build_embedding(arch)
    prep = preprocessing_for(preprocessing, size)
    ids = sorted({ident for ident, _ in landmarks})

    def embed(expression: str) -> np.ndarray:
        chips = [
            Image.fromarray(dlib.get_face_chip(*landmarks[(i, expression)], size, 0.25))
            for i in ids
        ]
        with torch.no_grad():
            return net(prep.batch(chips)).numpy()

    neutral, smiling = embed("neutral"), embed("smiling")
    distances = ((neutral[:, None] - smiling[None]) ** 2).sum(-1)
    return float((distances.argmin(axis=1) == np.arange(len(ids))).mean())
