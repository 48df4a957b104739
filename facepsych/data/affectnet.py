"""AffectNet readers: the official CSV layout and the companion's ``file_path,expression`` CSV.

Official columns: ``subDirectory_filePath, face_x, face_y, face_width, face_height,
facial_landmarks, expression, valence, arousal``; expression codes 0 neutral, 1 happy, 2 sad,
3 surprise, 4 fear, 5 disgust, 6 anger, 7 contempt, 8 none, 9 uncertain, 10 non-face. The face box
``(face_x, face_y, face_width, face_height)`` is cropped when all four are given.

``path`` may be one CSV (images relative to its folder, its parent, or a
``Manually_Annotated_Images`` folder beside either), or a folder holding ``training.csv`` and/or
``validation.csv`` (directly or in ``Manually_Annotated_file_lists/``): those give the train and
val splits.
"""

from __future__ import annotations

import math
from pathlib import Path

from facepsych.data.dataset import ImageRef, check_image_header
from facepsych.data.problems import BadInput
from facepsych.data.records import Record, cell, read_csv_rows
from facepsych.data.valence import AFFECTNET_CODES, ValenceMap
from facepsych.errors import FacepsychError

OFFICIAL_FILE = "subDirectory_filePath"
SIMPLE_FILE = "file_path"
BOX = ("face_x", "face_y", "face_width", "face_height")
IMAGE_DIR = "Manually_Annotated_Images"
SPLIT_FILES = {"training.csv": "train", "validation.csv": "val"}


def _csv_files(path: Path) -> list[tuple[Path, str | None]]:
    if path.is_file():
        return [(path, None)]
    if not path.is_dir():
        raise FacepsychError(f"AffectNet path not found: {path}")
    for folder in (path, path / "Manually_Annotated_file_lists"):
        found = [(folder / n, s) for n, s in SPLIT_FILES.items() if (folder / n).is_file()]
        if found:
            return found
    csvs = sorted(path.glob("*.csv"))
    if len(csvs) == 1:
        return [(csvs[0], None)]
    raise FacepsychError(
        f"{path}: expected training.csv / validation.csv or exactly one CSV file "
        f"(found {len(csvs)} CSV files)"
    )


def _image_bases(csv_path: Path, root: Path) -> list[Path]:
    bases = []
    for base in (root, csv_path.parent, csv_path.parent.parent):
        bases += [base, base / IMAGE_DIR]
    seen: list[Path] = []
    for b in bases:
        if b not in seen:
            seen.append(b)
    return seen


def _resolve(rel: str, bases: list[Path]) -> Path:
    p = Path(rel)
    if p.is_absolute():
        return p
    for base in bases:
        if (base / p).exists():
            return base / p
    return bases[0] / p


def _emotion(value: str) -> str:
    try:
        code = int(float(value))
    except ValueError:
        return value  # a name; the valence map normalises it
    if code not in AFFECTNET_CODES:
        raise KeyError(value)
    return AFFECTNET_CODES[code]


def _box(row: dict, header: list[str]) -> tuple[int, int, int, int] | None:
    if not all(c in header for c in BOX):
        return None
    values = [cell(row, c) for c in BOX]
    if all(v == "" for v in values):
        return None
    nums = [float(v) for v in values]  # ValueError → bad row
    if not all(math.isfinite(v) for v in nums) or nums[2] <= 0 or nums[3] <= 0:
        raise ValueError("face box needs finite face_x, face_y and positive width/height")
    return tuple(int(round(v)) for v in nums)  # type: ignore[return-value]


def read_affectnet(path: Path, valence: ValenceMap, bad: BadInput) -> list[Record]:
    """Records from the official or simple AffectNet CSV(s)."""
    records: list[Record] = []
    root = path if path.is_dir() else path.parent
    for csv_path, split in _csv_files(path):
        with csv_path.open(encoding="utf-8-sig") as fh:
            first = fh.readline()
        simple = SIMPLE_FILE in first and OFFICIAL_FILE not in first
        file_col = SIMPLE_FILE if simple else OFFICIAL_FILE
        required = (file_col, "expression") + (("valence",) if valence.continuous else ())
        header, rows = read_csv_rows(csv_path, required)
        bases = _image_bases(csv_path, root)
        for line, row in rows:
            where = f"{csv_path.name} line {line}"
            rel = cell(row, file_col)
            if not rel:
                bad(where, f"empty '{file_col}'")
                continue
            try:
                if valence.continuous:
                    label = valence.label_value(float(cell(row, "valence")))
                else:
                    label = valence.label(_emotion(cell(row, "expression")))
            except KeyError:
                column = "expression"
                bad(
                    where,
                    f"{column} {cell(row, column)!r} is not in the valence map "
                    f"{valence.name!r} ({valence.describe()})",
                )
                continue
            except ValueError:
                bad(where, f"valence {cell(row, 'valence')!r} is not a number")
                continue
            if label is None:
                continue
            try:
                box = _box(row, header)
            except ValueError as exc:
                bad(where, f"bad face box ({exc})")
                continue
            image = _resolve(rel, bases)
            problem = check_image_header(image)
            if problem:
                bad(f"{where}, column '{file_col}'", f"{problem}: {image}")
                continue
            records.append(Record(rel, label, None, split, ImageRef(path=image, box=box)))
    return records
