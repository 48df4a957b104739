"""What a format reader yields before splitting: one :class:`Record` per usable row/file, and the
CSV helpers the readers share (required columns, split names, line numbers for messages)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from facepsych.data.dataset import ImageRef
from facepsych.errors import FacepsychError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})

SPLIT_NAMES = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "publictest": "val",
    "test": "test",
    "testing": "test",
    "privatetest": "test",
}


@dataclass
class Record:
    image_id: str
    label: int
    identity: str | None
    split: str | None
    ref: ImageRef


def normalise_split(value: str) -> str | None:
    """``'Training'`` → ``'train'``, ``'PublicTest'`` → ``'val'``, …; None when unknown."""
    return SPLIT_NAMES.get(str(value).strip().lower().replace("_", "").replace(" ", ""))


def read_csv_rows(
    path: Path, required: tuple[str, ...]
) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header and ``(line_number, row_dict)`` pairs; a missing file/column raises one line."""
    if not path.is_file():
        raise FacepsychError(f"CSV file not found: {path}")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            missing = [c for c in required if c not in header]
            if missing:
                found = ", ".join(header) if header else "no header"
                raise FacepsychError(
                    f"{path}: missing required column(s) {', '.join(missing)} (found: {found})"
                )
            rows = [(reader.line_num, dict(row)) for row in reader]
    except UnicodeDecodeError:
        raise FacepsychError(f"{path}: not a UTF-8 text CSV") from None
    except csv.Error as exc:
        raise FacepsychError(f"{path}: malformed CSV ({exc})") from None
    return header, rows


def cell(row: dict, column: str) -> str:
    value = row.get(column)
    return "" if value is None else str(value).strip()
