"""The continuum folder format: writing morph sets and loading existing ones.

A continuum folder holds ``step_00.png … step_NN.png``, one ``landmarks_NN.csv`` per step (header
``x,y``, pixel coordinates in that frame) when landmarks are known, and ``manifest.csv`` with
columns ``step, level, file, landmarks, scheme, source_a, source_b, alpha_shape, alpha_texture``
(+ ``condition`` for occluded sets: ``full``, ``eyes``, ``nose``, ``mouth``). ``file`` and
``landmarks`` are relative to the manifest's folder (or absolute). ``level`` 0 is image A (the
negative end), 1 is image B.

Sets made elsewhere are folders of numbered frames in any common style (``bm_ave_1.jpg …
bm_ave_21.jpg``, ``F_000.tif … F_200.tif``, ``level_000.png …``): frames are ordered by the last
number in their name and mapped to levels ``i / (n − 1)``; ``reverse`` flips a set that runs
positive → negative (level → 1 − level) and ``every=K`` keeps every K-th frame (201 frames,
``every=10`` → 21 frames at levels 0, 0.05, …, 1).
"""

from __future__ import annotations

import csv
import itertools
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facepsych.atomic import atomic_csv, safe_name, staged_folder
from facepsych.data.records import IMAGE_SUFFIXES
from facepsych.errors import FacepsychError
from facepsych.stimuli.landmarks import as_points, read_landmarks, write_landmarks

MANIFEST_COLUMNS = (
    "step",
    "level",
    "file",
    "landmarks",
    "scheme",
    "source_a",
    "source_b",
    "alpha_shape",
    "alpha_texture",
)
CONDITIONS = ("full", "eyes", "nose", "mouth")
_NUMBER = re.compile(r"(\d+)(?!.*\d)")
_OWN_FILE = re.compile(r"(step_\d+\.(png|jpg|jpeg|tif|tiff|bmp|webp)|landmarks_\d+\.csv)")
_OWN_NAMES = ("manifest.csv", "synthetic.json", ".complete")


@dataclass
class Continuum:
    """A loaded continuum: frames in level order, levels in [0, 1], optional landmarks."""

    name: str
    frames: list[Path]
    levels: np.ndarray
    landmarks: list[np.ndarray] | None = None
    scheme: str | None = None
    condition: str = "full"

    def __len__(self) -> int:
        return len(self.frames)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "frames": [str(f) for f in self.frames],
            "levels": [float(v) for v in self.levels],
            "landmarks": self.landmarks is not None,
            "scheme": self.scheme,
            "condition": self.condition,
        }


# ------------------------------------------------------------------------------------ writing


def _per_step(name: str, value, n: int) -> list:
    if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray):
        return [value] * n
    values = list(value)
    if len(values) != n:
        raise FacepsychError(f"{name} has {len(values)} values for {n} steps")
    return values


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        return repr(round(float(value), 10))
    return str(value)


def is_continuum_file(path: Path) -> bool:
    """A file a continuum writer writes (frames, landmarks, manifest, generator metadata): what
    rewriting a continuum folder may replace."""
    return path.is_file() and (path.name in _OWN_NAMES or bool(_OWN_FILE.fullmatch(path.name)))


def write_continuum(
    out_dir,
    frames: Iterable,
    points: Iterable[np.ndarray] | None,
    levels: Sequence[float],
    *,
    scheme: str | None = None,
    source_a: str | None = None,
    source_b: str | None = None,
    alpha_shape=None,
    alpha_texture=None,
    condition: str | None = None,
    image_format: str = "png",
    inputs: Iterable = (),
    extra_files: Mapping[str, str] | None = None,
) -> Path:
    """Write a continuum folder (see module doc) and return the manifest path.

    ``frames``: PIL images or ``(H, W[, 3])`` uint8 arrays, a sequence or any iterable (frames
    are written one by one as they come, never all held); ``points``: one ``(N, 2)`` array per
    frame or None; ``levels``: one per frame. ``alpha_shape``/``alpha_texture``: a value or one
    per frame (default: the levels). ``condition`` adds the ``condition`` column.
    ``extra_files``: more text files of the folder (name → text), e.g. generator metadata.

    The folder is written all at once (:func:`facepsych.atomic.staged_folder`): into a sibling
    temp folder that replaces ``out_dir`` only when every file is written, so an interrupted or
    failed write (disk full, a bad frame) leaves the old folder as it was. Refused before any
    work: ``out_dir`` equal to, inside or containing one of ``inputs``. Files of an existing
    ``out_dir`` that are not a continuum's (:func:`is_continuum_file`) are kept."""
    if hasattr(frames, "__len__"):
        n = len(frames)
        if n < 2:
            raise FacepsychError(f"a continuum needs at least 2 frames, got {n}")
        if len(levels) != n:
            raise FacepsychError(f"{len(levels)} levels for {n} frames")
        if points is not None and hasattr(points, "__len__"):
            if len(points) != n:
                raise FacepsychError(f"{len(points)} landmark sets for {n} frames")
            points = [as_points(p) for p in points]  # every set checked before any work
    items = zip(frames, points if points is not None else itertools.repeat(None), strict=False)
    return write_continuum_frames(
        out_dir, items, levels, landmarks=points is not None, scheme=scheme,
        source_a=source_a, source_b=source_b, alpha_shape=alpha_shape,
        alpha_texture=alpha_texture, condition=condition, image_format=image_format,
        inputs=inputs, extra_files=extra_files,
    )  # fmt: skip


def write_continuum_frames(
    out_dir,
    items: Iterable[tuple],
    levels: Sequence[float],
    *,
    landmarks: bool,
    scheme: str | None = None,
    source_a: str | None = None,
    source_b: str | None = None,
    alpha_shape=None,
    alpha_texture=None,
    condition: str | None = None,
    image_format: str = "png",
    inputs: Iterable = (),
    extra_files: Mapping[str, str] | None = None,
) -> Path:
    """:func:`write_continuum` from an iterable of ``(frame, points or None)`` pairs, one per
    level, each written as it comes (a generator of frames keeps one frame in memory)."""
    from PIL import Image

    levels = [float(v) for v in levels]
    n = len(levels)
    if n < 2:
        raise FacepsychError(f"a continuum needs at least 2 frames, got {n}")
    if condition is not None and condition not in CONDITIONS:
        raise FacepsychError(f"unknown condition {condition!r}; use one of {CONDITIONS}")
    alpha_shape = _per_step("alpha_shape", levels if alpha_shape is None else alpha_shape, n)
    alpha_texture = _per_step(
        "alpha_texture", levels if alpha_texture is None else alpha_texture, n
    )
    width = max(2, len(str(n - 1)))
    out_dir = Path(out_dir)
    with staged_folder(
        out_dir, inputs=inputs, replaceable=is_continuum_file, keep_others=True
    ) as tmp:
        rows = []
        for i, (frame, pts) in enumerate(items):
            if i >= n:
                raise FacepsychError(f"{n} levels for more than {n} frames")
            img = frame if isinstance(frame, Image.Image) else Image.fromarray(np.asarray(frame))
            name = f"step_{i:0{width}d}.{image_format}"
            img.save(tmp / name)
            lm_name = ""
            if landmarks:
                lm_name = f"landmarks_{i:0{width}d}.csv"
                write_landmarks(tmp / lm_name, as_points(pts))
            row = {
                "step": i,
                "level": levels[i],
                "file": name,
                "landmarks": lm_name,
                "scheme": scheme if landmarks else "",
                "source_a": source_a,
                "source_b": source_b,
                "alpha_shape": alpha_shape[i],
                "alpha_texture": alpha_texture[i],
            }
            if condition is not None:
                row["condition"] = condition
            rows.append(row)
        if len(rows) != n:
            raise FacepsychError(f"{n} levels for {len(rows)} frames")
        for name, text in (extra_files or {}).items():
            (tmp / safe_name(name, "file name")).write_text(text, encoding="utf-8")
        write_manifest(tmp / "manifest.csv", rows)
    return out_dir / "manifest.csv"


def write_manifest(path, rows: list[dict]) -> Path:
    """Write manifest rows (dicts with :data:`MANIFEST_COLUMNS`, + ``condition``) as CSV
    (atomically)."""
    columns = list(MANIFEST_COLUMNS) + (
        ["condition"] if any("condition" in r for r in rows) else []
    )
    return atomic_csv(path, [{c: _fmt(row.get(c)) for c in columns} for row in rows], columns)


# ------------------------------------------------------------------------------------ loading


def frame_number(path: Path) -> int | None:
    """The last number in a file name's stem (``bm_ave_12.jpg`` → 12), or None."""
    match = _NUMBER.search(Path(path).stem)
    return int(match.group(1)) if match else None


def numbered_frames(folder) -> list[Path]:
    """Image files of ``folder`` that carry a number, ordered numerically."""
    folder = Path(folder)
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    numbered = [(frame_number(p), p) for p in files]
    numbered = [(k, p) for k, p in numbered if k is not None]
    if not numbered:
        raise FacepsychError(f"{folder}: no numbered image frames (e.g. step_00.png, F_000.tif)")
    numbers = [k for k, _ in numbered]
    if len(set(numbers)) != len(numbers):
        dupes = sorted({k for k in numbers if numbers.count(k) > 1})
        raise FacepsychError(
            f"{folder}: several frames share the number(s) {dupes[:5]}; keep one set per folder"
        )
    return [p for _, p in sorted(numbered)]


def _subsample(n: int, every: int) -> list[int]:
    if int(every) != every or every < 1:
        raise FacepsychError(f"--every must be a positive integer, got {every}")
    idx = list(range(0, n, int(every)))
    if len(idx) < 2:
        raise FacepsychError(f"every={every} leaves {len(idx)} of {n} frames; need at least 2")
    return idx


def load_continuum(path, reverse: bool = False, every: int = 1) -> Continuum:
    """Load a continuum from a folder (its ``manifest.csv`` when present, else numbered frames)
    or from a manifest file. Frames come back ordered by level (0 = negative end)."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".csv":
        manifest, folder = path, path.parent
    elif path.is_dir():
        manifest, folder = path / "manifest.csv", path
    else:
        raise FacepsychError(f"continuum not found: {path} (give a folder or a manifest.csv)")

    if manifest.is_file():
        frames, levels, landmarks, scheme, condition = _read_manifest(manifest, folder)
        name = folder.name
    else:
        frames = numbered_frames(folder)
        if len(frames) < 2:
            raise FacepsychError(f"{folder}: a continuum needs at least 2 frames, found 1")
        levels = np.arange(len(frames)) / (len(frames) - 1)
        landmarks, scheme, condition, name = None, None, "full", folder.name

    idx = _subsample(len(frames), every)
    frames = [frames[i] for i in idx]
    levels = np.asarray(levels, float)[idx]
    if landmarks is not None:
        landmarks = [landmarks[i] for i in idx]
    if reverse:
        frames, levels = frames[::-1], 1.0 - levels[::-1]
        landmarks = None if landmarks is None else landmarks[::-1]
    return Continuum(name, frames, levels, landmarks, scheme, condition)


def _resolve(folder: Path, value: str) -> Path:
    p = Path(value)
    return p if p.is_absolute() else folder / p


def _read_manifest(manifest: Path, folder: Path):
    with manifest.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise FacepsychError(f"{manifest}: empty manifest")
    missing = {"level", "file"} - set(rows[0])
    if missing:
        raise FacepsychError(f"{manifest}: missing column(s) {sorted(missing)}")
    try:
        rows.sort(key=lambda r: float(r["level"]))
        levels = np.array([float(r["level"]) for r in rows])
    except ValueError as exc:
        raise FacepsychError(f"{manifest}: bad level value ({exc})") from None
    frames = [_resolve(folder, r["file"]) for r in rows]
    absent = [str(f) for f in frames if not f.is_file()]
    if absent:
        raise FacepsychError(f"{manifest}: {len(absent)} frame(s) missing, e.g. {absent[0]}")
    landmarks = None
    if all(r.get("landmarks") for r in rows):
        landmarks = [read_landmarks(_resolve(folder, r["landmarks"])).points for r in rows]
    schemes = {r.get("scheme") or "" for r in rows} - {""}
    scheme = schemes.pop() if len(schemes) == 1 else None
    conditions = {r.get("condition") or "full" for r in rows}
    if len(conditions) > 1:
        raise FacepsychError(f"{manifest}: several conditions {sorted(conditions)} in one set")
    return frames, levels, landmarks, scheme, conditions.pop()


def index_continuum(path, out, *, reverse: bool = False, every: int = 1) -> Path:
    """Load a set (see :func:`load_continuum`) and write its ``manifest.csv`` at ``out`` (paths
    relative to the manifest's folder where possible). Metadata of a source manifest is kept;
    with ``reverse`` the ends swap (``source_a`` ↔ ``source_b``, α → 1 − α). Returns the path."""
    out = Path(out)
    cont = load_continuum(path, reverse=reverse, every=every)
    base = out.parent.resolve()
    source = _manifest_rows(path)

    def rel(p: Path) -> str:
        p = Path(p).resolve()
        try:
            return os.path.relpath(p, base)
        except ValueError:
            return str(p)

    def alpha(value: str) -> str | float:
        if not value:
            return ""
        return 1.0 - float(value) if reverse else float(value)

    rows = []
    for i, (frame, level) in enumerate(zip(cont.frames, cont.levels, strict=True)):
        src = source.get(Path(frame), {})
        lm = src.get("landmarks") or ""
        a, b = src.get("source_a") or "", src.get("source_b") or ""
        rows.append(
            {
                "step": i,
                "level": float(level),
                "file": rel(frame),
                "landmarks": rel(_resolve(Path(frame).parent, lm)) if lm else "",
                "scheme": cont.scheme or "",
                "source_a": b if reverse else a,
                "source_b": a if reverse else b,
                "alpha_shape": alpha(src.get("alpha_shape") or ""),
                "alpha_texture": alpha(src.get("alpha_texture") or ""),
                **({"condition": cont.condition} if cont.condition != "full" else {}),
            }
        )
    return write_manifest(out, rows)


def _manifest_rows(path) -> dict[Path, dict]:
    """Rows of a source manifest keyed by resolved frame path (``landmarks`` made relative to
    the frame's folder); empty when there is no manifest."""
    path = Path(path)
    manifest = path if path.is_file() else path / "manifest.csv"
    if not manifest.is_file():
        return {}
    out = {}
    with manifest.open(newline="") as fh:
        for r in csv.DictReader(fh):
            frame = _resolve(manifest.parent, r["file"])
            if r.get("landmarks"):
                r["landmarks"] = os.path.relpath(
                    _resolve(manifest.parent, r["landmarks"]), frame.parent
                )
            out[frame] = r
    return out
