"""Folder readers: ``facial_expressions`` (legend.csv + images/) and plain image folders.

``facial_expressions``: ``legend.csv`` with ``user.id,image,emotion``; labels in mixed case are
normalised. ``user.id`` is the *annotator*, not the person shown, so the identity is taken from
the file name with its trailing ``_<number>`` removed (``George_W_Bush_0012.jpg`` →
``George_W_Bush``), which keeps one person's photos in one split.

``folder``: one sub-folder per label (``positive/``, ``negative/`` or emotion names), optionally
under split folders (``train/``, ``val/``, ``test/``); or, when present, ``labels.csv`` at the root
with ``file,label[,identity][,split]`` (``file`` relative to the root), as ``facepsych synth
faces`` writes. Labels ``1``/``0`` mean positive/negative.
"""

from __future__ import annotations

import re
from pathlib import Path

from facepsych.data.dataset import ImageRef, check_image_header
from facepsych.data.problems import BadInput
from facepsych.data.records import IMAGE_SUFFIXES, Record, cell, normalise_split, read_csv_rows
from facepsych.data.valence import ValenceMap
from facepsych.errors import FacepsychError

_NUMBER_SUFFIX = re.compile(r"[_\-\s]*\d+$")


def identity_from_filename(name: str) -> str:
    """``'George_W_Bush_0012.jpg'`` → ``'George_W_Bush'`` (trailing number removed)."""
    stem = Path(name).stem
    return _NUMBER_SUFFIX.sub("", stem) or stem


def _label(valence: ValenceMap, raw: str) -> int | None:
    if raw in {"0", "1"}:
        return int(raw)
    return valence.label(raw)


def _unmapped(raw: str, valence: ValenceMap) -> str:
    return f"label {raw!r} is not in the valence map {valence.name!r} ({valence.describe()})"


def _no_threshold(valence: ValenceMap) -> None:
    if valence.continuous:
        raise FacepsychError("a valence:T threshold needs AffectNet's 'valence' column")


def read_facial_expressions(path: Path, valence: ValenceMap, bad: BadInput) -> list[Record]:
    _no_threshold(valence)
    legend = path / "legend.csv" if path.is_dir() else path
    root = legend.parent
    images = root / "images" if (root / "images").is_dir() else root
    _, rows = read_csv_rows(legend, ("image", "emotion"))
    records: list[Record] = []
    for line, row in rows:
        where = f"{legend.name} line {line}"
        named = _named_label(row, where, ("image", "emotion"), "empty image name", valence, bad)
        if named is None:
            continue
        name, label = named
        image = images / name
        if _image_ok(image, f"{where}, column 'image'", bad):
            records.append(Record(name, label, identity_from_filename(name), None, ImageRef(image)))
    return records


def _named_label(
    row: dict, where: str, columns: tuple[str, str], empty: str, valence: ValenceMap, bad: BadInput
) -> tuple[str, int] | None:
    """(file name, 0/1 label) of one CSV row, or None when the row is skipped: an empty name or
    an unmapped label is reported through ``bad``; a label the map drops (None) is silent."""
    name_col, label_col = columns
    name, raw = cell(row, name_col), cell(row, label_col)
    if not name:
        bad(f"{where}, column '{name_col}'", empty)
        return None
    try:
        label = _label(valence, raw)
    except KeyError:
        bad(f"{where}, column '{label_col}'", _unmapped(raw, valence))
        return None
    return None if label is None else (name, label)


def _image_ok(image: Path, where: str, bad: BadInput) -> bool:
    problem = check_image_header(image)
    if problem:
        bad(where, f"{problem}: {image}")
    return not problem


def _image_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )


def _read_labels_csv(root: Path, valence: ValenceMap, bad: BadInput) -> list[Record]:
    csv_path = root / "labels.csv"
    header, rows = read_csv_rows(csv_path, ("file", "label"))
    has_id, has_split = "identity" in header, "split" in header
    records: list[Record] = []
    for line, row in rows:
        where = f"labels.csv line {line}"
        named = _named_label(row, where, ("file", "label"), "empty file name", valence, bad)
        if named is None:
            continue
        name, label = named
        split = None
        if has_split and cell(row, "split"):
            split = normalise_split(cell(row, "split"))
            if split is None:
                bad(f"{where}, column 'split'", f"unknown split {cell(row, 'split')!r}")
                continue
        image = root / name
        if not _image_ok(image, f"{where}, column 'file'", bad):
            continue
        identity = (cell(row, "identity") or None) if has_id else None
        records.append(Record(name, label, identity, split, ImageRef(image)))
    return records


def _read_label_dirs(
    root: Path, base: Path, split: str | None, valence: ValenceMap, bad: BadInput
) -> list[Record]:
    records: list[Record] = []
    for sub in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            label = _label(valence, sub.name)
        except KeyError:
            bad(f"folder {sub}", _unmapped(sub.name, valence))
            continue
        if label is None:
            continue
        for image in _image_files(sub):
            problem = check_image_header(image)
            rel = image.relative_to(root).as_posix()
            if problem:
                bad(f"file {image}", problem)
                continue
            records.append(Record(rel, label, None, split, ImageRef(image)))
    return records


def read_folder(path: Path, valence: ValenceMap, bad: BadInput) -> list[Record]:
    _no_threshold(valence)
    if not path.is_dir():
        raise FacepsychError(f"image folder not found: {path}")
    if (path / "labels.csv").is_file():
        return _read_labels_csv(path, valence, bad)
    subdirs = [p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")]
    if not subdirs:
        raise FacepsychError(
            f"{path}: no label sub-folders and no labels.csv "
            "(expected e.g. positive/ and negative/)"
        )
    splits = {p: normalise_split(p.name) for p in subdirs}
    if all(s is not None for s in splits.values()):
        records = []
        for sub in sorted(subdirs):
            records += _read_label_dirs(path, sub, splits[sub], valence, bad)
        return records
    return _read_label_dirs(path, path, None, valence, bad)
