"""FER2013 reader: ``emotion, pixels, Usage`` CSV with 48×48 grey pixel strings.

Emotion codes 0 anger, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral. ``Usage``
``Training`` → train, ``PublicTest`` → val, ``PrivateTest`` → test (column optional). Each row's
pixels must be a square number (48² = 2304) of integers in 0–255; images are held in memory as
uint8 arrays and never written to disk. Image ids are ``row<line>``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from facepsych.data.dataset import ImageRef
from facepsych.data.problems import BadInput
from facepsych.data.records import Record, cell, normalise_split, read_csv_rows
from facepsych.data.valence import FER2013_CODES, ValenceMap
from facepsych.errors import FacepsychError


def parse_pixels(text: str) -> np.ndarray:
    """Space-separated grey levels → (S, S) uint8; ValueError when not square / out of range."""
    values = np.array(text.split(), dtype=np.int64)  # ValueError on non-integers
    side = math.isqrt(len(values))
    if len(values) == 0 or side * side != len(values):
        raise ValueError(f"{len(values)} values is not a square image")
    if values.min() < 0 or values.max() > 255:
        raise ValueError("values outside 0-255")
    return values.reshape(side, side).astype(np.uint8)


def read_fer2013(path: Path, valence: ValenceMap, bad: BadInput) -> list[Record]:
    if path.is_dir():
        candidates = sorted(path.glob("*.csv"))
        if len(candidates) != 1:
            raise FacepsychError(f"{path}: expected one FER2013 CSV, found {len(candidates)}")
        path = candidates[0]
    if valence.continuous:
        raise FacepsychError("a valence:T threshold needs AffectNet's 'valence' column")
    header, rows = read_csv_rows(path, ("emotion", "pixels"))
    has_usage = "Usage" in header
    records: list[Record] = []
    for line, row in rows:
        where = f"{path.name} line {line}"
        raw = cell(row, "emotion")
        try:
            code = int(raw)
            label = valence.label(FER2013_CODES[code])
        except (ValueError, KeyError):
            bad(
                f"{where}, column 'emotion'",
                f"emotion {raw!r} is not a FER2013 code (0-6) in the valence map "
                f"{valence.name!r} ({valence.describe()})",
            )
            continue
        if label is None:
            continue
        try:
            pixels = parse_pixels(cell(row, "pixels"))
        except ValueError as exc:
            bad(f"{where}, column 'pixels'", f"bad pixel string ({exc})")
            continue
        split = None
        if has_usage:
            split = normalise_split(cell(row, "Usage"))
            if split is None:
                bad(f"{where}, column 'Usage'", f"unknown Usage {cell(row, 'Usage')!r}")
                continue
        records.append(Record(f"row{line}", label, None, split, ImageRef(pixels=pixels)))
    return records
