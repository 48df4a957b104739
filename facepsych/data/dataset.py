"""The in-memory face dataset every loader returns: samples, how to read each image, splits.

A :class:`FaceDataset` is a list of :class:`Sample` (``image_id``, ``label`` 1 positive / 0
negative, ``identity``, ``split``) plus, per ``image_id``, an :class:`ImageRef` saying where the
pixels come from: an image file (optionally cropped to a face box ``(x, y, w, h)``) or an array
held in memory (FER2013's pixel strings). Images are read lazily by :meth:`FaceDataset.load_image`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from facepsych.data.images import check_pixels, read_rgb
from facepsych.errors import FacepsychError

Split = Literal["train", "val", "test"]
SPLITS: tuple[str, ...] = ("train", "val", "test")
LABEL_NAMES = {0: "negative", 1: "positive"}


@dataclass(frozen=True)
class Sample:
    """One labelled face: ``label`` 1 = positive valence, 0 = negative."""

    image_id: str
    label: int
    identity: str | None = None
    split: str = "train"

    def as_dict(self) -> dict:
        return {
            "image_id": self.image_id,
            "label": self.label,
            "identity": self.identity,
            "split": self.split,
        }


@dataclass(frozen=True)
class ImageRef:
    """Where a sample's pixels live: a file (+ optional face box) or an in-memory uint8 array."""

    path: Path | None = None
    box: tuple[int, int, int, int] | None = None  # x, y, width, height
    pixels: np.ndarray | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        return str(self.path) if self.path is not None else "in-memory pixels"

    def fingerprint(self) -> bytes:
        """Bytes that change when the image content changes (file path + size + mtime, or the
        pixel array itself)."""
        if self.pixels is not None:
            return hashlib.sha256(np.ascontiguousarray(self.pixels).tobytes()).digest()
        assert self.path is not None
        try:
            st = self.path.stat()
            stat = f"{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            stat = "missing"
        return f"{self.path}|{self.box}|{stat}".encode()


def open_image(ref: ImageRef) -> Image.Image:
    """Decode a reference into an RGB PIL image (cropping the face box when given); files go
    through :func:`facepsych.data.images.read_rgb` (16-bit scaled, pixel cap)."""
    if ref.pixels is not None:
        return Image.fromarray(np.asarray(ref.pixels, dtype=np.uint8)).convert("RGB")
    assert ref.path is not None
    rgb = read_rgb(ref.path)
    if ref.box is not None:
        x, y, w, h = ref.box
        if x >= rgb.width or y >= rgb.height or x + w <= 0 or y + h <= 0:
            raise FacepsychError(
                f"face box (x={x:g}, y={y:g}, w={w:g}, h={h:g}) lies outside the "
                f"{rgb.width}x{rgb.height} image {ref.path}"
            )
        rgb = rgb.crop((x, y, x + w, y + h))
    return rgb


def check_image_header(path: Path) -> str | None:
    """Cheap validity check (file exists, PIL recognises the header); a reason string or None."""
    if not path.is_file():
        return "image not found"
    try:
        with Image.open(path) as img:
            if img.width <= 0 or img.height <= 0:
                return "image has zero size"
            check_pixels(img.size, "image")
    except FacepsychError as exc:
        return str(exc)
    except Exception as exc:
        return f"unreadable image ({exc.__class__.__name__})"
    return None


class FaceDataset:
    """Labelled faces with lazy image loading.

    >>> ds = FaceDataset([Sample("a", 1), Sample("b", 0, split="val")],
    ...                  {"a": ImageRef(pixels=np.zeros((4, 4), np.uint8)),
    ...                   "b": ImageRef(pixels=np.ones((4, 4), np.uint8))})
    >>> ds.class_counts()
    {'negative': 1, 'positive': 1}
    >>> len(ds.split("train"))
    1
    """

    def __init__(
        self,
        samples: list[Sample],
        refs: dict[str, ImageRef],
        *,
        name: str = "dataset",
        format: str = "custom",
        root: Path | None = None,
        valence: dict | None = None,
        skipped: list[dict] | None = None,
        split_source: str = "given",
        skip_bad: bool = False,
    ) -> None:
        missing = [s.image_id for s in samples if s.image_id not in refs]
        if missing:
            raise ValueError(f"no image reference for {missing[:3]}")
        self.samples = list(samples)
        self.refs = refs
        self.name = name
        self.format = format
        self.root = root
        self.valence = valence or {}
        self.skipped: list[dict] = list(skipped or [])
        self.split_source = split_source
        self.skip_bad = skip_bad

    def __len__(self) -> int:
        return len(self.samples)

    def __iter__(self):
        return iter(self.samples)

    def __repr__(self) -> str:
        return f"FaceDataset({self.name!r}, format={self.format!r}, n={len(self)})"

    def load_image(self, sample: Sample | str) -> Image.Image:
        """The sample's image as an RGB PIL image (face box cropped); FacepsychError if bad."""
        image_id = sample if isinstance(sample, str) else sample.image_id
        return open_image(self.refs[image_id])

    def describe(self, sample: Sample | str) -> str:
        """The file (or row) a sample comes from, for messages."""
        image_id = sample if isinstance(sample, str) else sample.image_id
        ref = self.refs[image_id]
        return ref.describe() if ref.path is not None else image_id

    def _derive(self, samples: list[Sample]) -> FaceDataset:
        return FaceDataset(
            samples,
            {s.image_id: self.refs[s.image_id] for s in samples},
            name=self.name,
            format=self.format,
            root=self.root,
            valence=self.valence,
            skipped=self.skipped,
            split_source=self.split_source,
            skip_bad=self.skip_bad,
        )

    def split(self, name: str) -> FaceDataset:
        """The samples of one split (``train``, ``val`` or ``test``)."""
        if name not in SPLITS:
            raise FacepsychError(f"unknown split {name!r} (use {', '.join(SPLITS)})")
        return self._derive([s for s in self.samples if s.split == name])

    def without(self, image_ids: set[str]) -> FaceDataset:
        """A copy without the given samples (used when ``skip_bad`` drops undecodable images)."""
        return self._derive([s for s in self.samples if s.image_id not in image_ids])

    def labels(self) -> np.ndarray:
        return np.array([s.label for s in self.samples], dtype=np.int64)

    def class_counts(self) -> dict:
        """``{'negative': n0, 'positive': n1}`` over all samples."""
        counts = Counter(s.label for s in self.samples)
        return {LABEL_NAMES[k]: int(counts.get(k, 0)) for k in (0, 1)}

    def class_weights(self) -> np.ndarray:
        """Inverse-frequency weights w_c = N / (2 · n_c) (1 for an absent class)."""
        counts = np.bincount(self.labels(), minlength=2).astype(float)
        n = counts.sum()
        return np.where(counts > 0, n / (2.0 * np.maximum(counts, 1.0)), 1.0)

    def summary(self) -> dict:
        """Counts per split and class, identities, balance, skipped count (JSON-able)."""
        per_split = {}
        for name in SPLITS:
            part = [s for s in self.samples if s.split == name]
            if part:
                counts = Counter(s.label for s in part)
                per_split[name] = {
                    "n": len(part),
                    "negative": int(counts.get(0, 0)),
                    "positive": int(counts.get(1, 0)),
                    "positive_fraction": round(counts.get(1, 0) / len(part), 4),
                }
        ids = {s.identity for s in self.samples if s.identity is not None}
        return {
            "name": self.name,
            "format": self.format,
            "root": str(self.root) if self.root is not None else None,
            "n": len(self.samples),
            "classes": self.class_counts(),
            "splits": per_split,
            "split_source": self.split_source,
            "identities": len(ids) if ids else None,
            "valence": self.valence,
            "skipped": len(self.skipped),
        }

    def fingerprint(self) -> str:
        """sha256 over the ordered image ids and their content fingerprints (feature-cache key)."""
        h = hashlib.sha256()
        for s in self.samples:
            h.update(s.image_id.encode())
            h.update(b"\0")
            h.update(self.refs[s.image_id].fingerprint())
            h.update(b"\n")
        return h.hexdigest()
